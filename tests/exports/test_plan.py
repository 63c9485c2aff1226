"""The drive plan end to end on a small trained world: budget, scope, agreement with the risk list,
a planted night hot spot, the command line and the duty sheets."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import openpyxl
import polars as pl
import pytest
from typer.testing import CliRunner
from worlds import crash_world, ingest_crashes

from roadsafety.cli import app
from roadsafety.config import PrivacyConfig, Settings
from roadsafety.exports.plan import PLAN_COLUMNS, PlanRequest, build_plan
from roadsafety.exports.risk_list import ExportError
from roadsafety.forecasts import pipeline
from roadsafety.models import allocation
from roadsafety.models.profile import parse_peak_window
from roadsafety.store.connection import copy_warehouse, read_connection, write_connection
from roadsafety.store.export_store import read_audit

AS_OF, START, END = date(2022, 6, 1), date(2022, 6, 1), date(2022, 6, 28)
WINDOW = ["--start", "2022-06-01", "--end", "2022-06-28"]


def _night_hot_spot(acc: pl.DataFrame, seed: int = 5) -> tuple[pl.DataFrame, str]:
    """Add 120 fatal/grievous crashes between 23:00 and 02:00 to one quiet cell of the world."""
    rng = np.random.default_rng(seed)
    cell = (
        acc.filter(pl.col("h3_cell").is_not_null())
        .group_by("unit_id")
        .len()
        .sort("len", "unit_id")["unit_id"][0]
    )
    base = acc.filter(pl.col("unit_id") == cell).row(0, named=True)
    rows = []
    for i in range(120):
        day = date(2019, 1, 1) + timedelta(days=int(rng.integers(0, 1245)))
        hour = int(rng.choice([23, 0, 1]))
        rows.append(
            {
                **base,
                "occurred_at": datetime(day.year, day.month, day.day, hour, 10),
                "has_time": True,
                "severity": str(rng.choice(["fatal", "grievous"])),
                "accident_id": f"N{i}",
            }
        )
    return pl.concat([acc, pl.DataFrame(rows, schema=acc.schema)]), cell


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, str, str]:
    root = tmp_path_factory.mktemp("plan")
    settings = Settings(
        db_path=root / "wh.duckdb", privacy=PrivacyConfig(key_path=root / "k" / "pii.key")
    )
    acc, _ = crash_world(seed=11)
    acc, hot = _night_hot_spot(acc)
    ingest_crashes(settings, acc, root / "acc.csv")
    pipeline.retrain(settings, AS_OF, n_folds=1)
    return settings, pipeline.ensure_forecast(settings, START, END), hot


def _plan(settings: Settings, run_id: str, request: PlanRequest) -> pl.DataFrame:
    with read_connection(settings.db_path) as con:
        return build_plan(con, run_id, request)


def _hours(text: str) -> int:
    return len(parse_peak_window(text))


@pytest.mark.parametrize("team_hours", [3, 10, 45, 200, 5000])
def test_budget_never_exceeded_and_windows_cost_what_they_cover(planned, team_hours: float) -> None:
    settings, run_id, _ = planned
    rows = _plan(settings, run_id, PlanRequest(team_hours))
    assert tuple(rows.columns) == PLAN_COLUMNS and rows.height >= 1
    assert rows["team_hours_per_week"].sum() <= team_hours
    assert rows["rank"].to_list() == list(range(1, rows.height + 1))
    assert all(_hours(w) == h for w, h in zip(rows["window"], rows["team_hours_per_week"]))
    assert rows["expected_crashes_covered"].is_sorted(descending=True)
    assert (rows["window_start"] == START).all() and rows["km_from"].is_null().all()


def test_district_and_police_station_scope_hold(planned) -> None:
    settings, run_id, _ = planned
    for district in ("North", "south"):
        rows = _plan(settings, run_id, PlanRequest(60, district=district))
        assert rows.height and (rows["district"].str.to_lowercase() == district.lower()).all()
    rows = _plan(settings, run_id, PlanRequest(60, police_station="ps a"))
    assert rows.height and (rows["police_station"] == "PS A").all()
    # PS B holds only road-wide units (no GPS, no km): a plan sends teams to places only
    with pytest.raises(ExportError, match="no place in this scope"):
        _plan(settings, run_id, PlanRequest(60, police_station="ps b"))
    with pytest.raises(ExportError, match="--district 'Atlantis' matches no unit"):
        _plan(settings, run_id, PlanRequest(60, district="Atlantis"))


def test_fatal_grievous_objective_ranks_by_fatal_grievous_covered(planned) -> None:
    settings, run_id, hot = planned
    rows = _plan(settings, run_id, PlanRequest(30, objective="fatal_grievous"))
    assert rows["expected_fatal_grievous_covered"].is_sorted(descending=True)
    assert (
        rows["expected_fatal_grievous_covered"] <= rows["expected_crashes_covered"] + 1e-6
    ).all()
    assert "fatal + grievous" in rows["why"][0]


def test_planted_night_hot_spot_gets_a_night_window_in_the_risk_list_and_the_plan(planned) -> None:
    settings, run_id, hot = planned
    with read_connection(settings.db_path) as con:
        peak = con.execute(
            "SELECT peak_window FROM forecasts WHERE run_id = ? AND unit_id = ?", [run_id, hot]
        ).fetchone()[0]
    assert all(h in (22, 23, 0, 1, 2) for _, h in parse_peak_window(peak)), peak
    rows = _plan(settings, run_id, PlanRequest(24, objective="fatal_grievous"))
    mine = rows.filter(pl.col("unit_id") == hot)
    assert mine.height == 1, rows.select("unit_id", "window")
    night = [h for _, h in parse_peak_window(mine["window"][0]) if h in (22, 23, 0, 1, 2)]
    assert rows["unit_id"][0] == hot and len(night) >= 21, mine["window"][0]  # 7 nights of 3 h


def test_risk_list_peak_window_is_the_models_best_window_and_intensities_sum_to_forecasts(
    planned,
) -> None:
    settings, run_id, _ = planned
    with read_connection(settings.db_path) as con:
        stored = con.execute(
            """SELECT w.unit_id, w.crashes, w.fatal_grievous, f.peak_window, f.expected_crashes,
                      f.expected_fatal_grievous
               FROM unit_week_intensity w JOIN forecasts f USING (run_id, unit_id)
               WHERE run_id = ? ORDER BY w.unit_id""",
            [run_id],
        ).pl()
    assert stored.height > 50
    values = stored["crashes"].to_numpy().astype(np.float64)
    best = allocation.best_windows(stored["unit_id"].to_list(), values)
    assert best["peak_window"].to_list() == stored["peak_window"].to_list()
    assert values.sum(axis=1) == pytest.approx(stored["expected_crashes"].to_numpy(), rel=1e-4)
    fg = stored["fatal_grievous"].to_numpy().astype(np.float64).sum(axis=1)
    assert fg == pytest.approx(stored["expected_fatal_grievous"].to_numpy(), rel=1e-4)


def test_run_without_intensities_is_refused_by_the_library(planned, tmp_path: Path) -> None:
    settings, run_id, _ = planned
    copy = tmp_path / "old.duckdb"
    copy_warehouse(settings.db_path, copy)
    with write_connection(copy) as con:
        con.execute("DELETE FROM unit_week_intensity")
    with read_connection(copy) as con, pytest.raises(ExportError, match="--force"):
        build_plan(con, run_id, PlanRequest(30))


def _cli(settings: Settings, *args: str):
    env = {"ROADSAFETY_KEY_FILE": str(settings.privacy.key_path)}
    return CliRunner().invoke(app, ["--db", str(settings.db_path), "plan", *args], env=env)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "more than 0"),
        ("-12", "more than 0"),
        ("lots", "expected a number"),
        ("2", "less than one shift"),
    ],
)
def test_bad_budgets_exit_2_naming_the_option(
    planned, tmp_path: Path, value: str, message: str
) -> None:
    settings, _, _ = planned
    result = _cli(settings, *WINDOW, f"--team-hours={value}", "--out", str(tmp_path / "p.csv"))
    assert result.exit_code == 2 and "--team-hours" in result.output and message in result.output
    assert not (tmp_path / "p.csv").exists()


def test_cli_writes_csv_xlsx_pdf_with_audit_and_recomputes_an_old_run(
    planned, tmp_path: Path
) -> None:
    settings, run_id, _ = planned
    with write_connection(settings.db_path) as con:  # a run made before plans existed
        con.execute("DELETE FROM unit_week_intensity WHERE run_id = ?", [run_id])
    out = tmp_path / "plan.csv"
    result = _cli(settings, *WINDOW, "--team-hours", "60", "--district", "North", "--out", str(out))
    assert result.exit_code == 0, result.output
    rows = pl.read_csv(out)
    assert tuple(rows.columns) == PLAN_COLUMNS and rows["team_hours_per_week"].sum() <= 60
    assert set(rows["district"]) == {"North"}
    for suffix in ("xlsx", "pdf"):
        assert (
            _cli(
                settings,
                *WINDOW,
                "--team-hours",
                "30",
                "--shift-hours",
                "4",
                "--out",
                str(tmp_path / f"p.{suffix}"),
            ).exit_code
            == 0
        )
    with read_connection(settings.db_path) as con:
        audit = read_audit(con)
    assert set(audit["export_kind"]) == {"plan"} and audit.height == 3
    bad = _cli(settings, *WINDOW, "--team-hours", "30", "--out", str(tmp_path / "p.geojson"))
    assert bad.exit_code == 2 and ".csv, .xlsx or .pdf" in bad.output
    book = openpyxl.load_workbook(tmp_path / "p.xlsx")
    assert book.sheetnames[:2] == ["Summary", "Plan"] and len(book.sheetnames) >= 3
    duty = book[book.sheetnames[2]]
    assert [c.value for c in duty[1]][:6] == [
        "rank",
        "place",
        "road_km",
        "police_station",
        "days",
        "hours",
    ]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdf_duty_sheet_lists_slots_per_district(planned, tmp_path: Path) -> None:
    settings, run_id, _ = planned
    rows = _plan(settings, run_id, PlanRequest(30))
    assert (
        _cli(settings, *WINDOW, "--team-hours", "30", "--out", str(tmp_path / "p.pdf")).exit_code
        == 0
    )
    text = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "p.pdf"), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    for district in set(rows["district"]):
        assert f"Drive plan: {district}" in text
    hours = {w.split(" ")[-1] for window in rows["window"] for w in window.split("; ")}
    assert all(h in text for h in hours)


def test_retrain_backtest_scores_plans_and_the_backtest_command_prints_them(planned) -> None:
    settings, _, _ = planned
    with read_connection(settings.db_path) as con:
        metrics = con.execute(
            "SELECT model, level, metric, k, value FROM backtest_metrics "
            "WHERE level IN ('plan', 'plan_fatal_grievous', 'peak_window') OR metric = 'closure'"
        ).pl()
    plan = metrics.filter(pl.col("level") == "plan")
    assert set(plan["k"]) == {"300", "1200"}
    assert {"intensity", "intensity_naive3y", "naive_blocks", "hindsight"} <= set(plan["model"])
    assert {"naive_blocks_ranked"} <= set(plan["model"])
    for k in ("300", "1200"):
        cover = plan.filter((pl.col("k") == k) & (pl.col("metric") == "coverage"))
        got = {r["model"]: r["value"] for r in cover.iter_rows(named=True)}
        assert all(0 <= v <= got["hindsight"] + 1e-12 for v in got.values())
        ties = plan.filter((pl.col("k") == k) & pl.col("metric").str.starts_with("tie_"))
        assert set(ties["model"]) == {"naive_blocks"} and ties.height == 3
    assert set(metrics["level"]) >= {"plan_fatal_grievous", "peak_window", "unit"}
    env = {"ROADSAFETY_KEY_FILE": str(settings.privacy.key_path)}
    out = CliRunner().invoke(app, ["--db", str(settings.db_path), "backtest"], env=env)
    assert out.exit_code == 0 and "where and when" in out.output and "naive_blocks" in out.output


def test_stretch_rows_carry_their_km_range(world) -> None:
    """Plan rows of road stretches give ``km_from``/``km_to``; cells leave them empty."""
    night = np.zeros(168, dtype=np.float32)
    night[[d * 24 + h for d in range(7) for h in (22, 23, 0)]] = 0.5
    with write_connection(world.db_path) as con:
        ids = [*world.stretches, world.road_cells[0], world.lone_cell]
        con.executemany(
            "INSERT INTO unit_week_intensity VALUES (?, ?, ?, ?)",
            [(world.run_id, u, night.tolist(), (night / 2).tolist()) for u in ids],
        )
    with read_connection(world.db_path) as con:
        rows = build_plan(con, world.run_id, PlanRequest(200))
    got = {r["unit_id"]: (r["km_from"], r["km_to"]) for r in rows.iter_rows(named=True)}
    assert got[world.stretches[0]] == (20.0, 21.0) and got[world.stretches[1]] == (21.0, 22.0)
    assert got[world.road_cells[0]] == (None, None) and got[world.lone_cell] == (None, None)
    assert rows.filter(pl.col("km_from").is_not_null())["road_name"].to_list() == ["NH-48"] * 2


def test_save_as_drive_stores_the_plan_places_and_windows(planned, tmp_path: Path) -> None:
    settings, _, _ = planned
    out = tmp_path / "plan.csv"
    args = (*WINDOW, "--team-hours", "30", "--district", "North", "--out", str(out))
    result = _cli(settings, *args, "--save-as-drive", "North nights")
    assert result.exit_code == 0, result.output
    rows = pl.read_csv(out)
    with read_connection(settings.db_path) as con:
        drive = con.execute("SELECT drive_id, name, start_date, end_date FROM drives").fetchall()
        places = con.execute('SELECT unit_id, "window" FROM drive_places ORDER BY place_no').pl()
    assert drive == [("NORTH-NIGHTS", "North nights", START, END)]
    assert sorted(places["unit_id"]) == sorted(rows["unit_id"])
    assert dict(places.iter_rows()) == dict(rows.select("unit_id", "window").iter_rows())
    blank = _cli(settings, *args, "--save-as-drive", "  ")
    assert blank.exit_code == 2 and "--save-as-drive" in blank.output
