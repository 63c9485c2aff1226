"""``roadsafety drives import | list | evaluate`` end to end: exit codes, messages, files, audit."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from drive_world import DRIVE_START, build
from typer.testing import CliRunner

from roadsafety.cli import app
from roadsafety.exports.drives import DRIVE_COLUMNS
from roadsafety.forecasts.drive_checks import scratch_settings
from roadsafety.store.connection import read_connection
from roadsafety.store.export_store import read_audit


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> tuple[Path, str]:
    tmp = tmp_path_factory.mktemp("cli")
    settings = scratch_settings(tmp)
    _, cell = build(settings, tmp)
    return settings.db_path, cell


def run(db: Path, *args: str):
    return CliRunner().invoke(app, ["--db", str(db), "drives", *args])


def test_import_list_evaluate_and_write(world, tmp_path: Path) -> None:
    db, cell = world
    good = tmp_path / "drives.csv"
    good.write_text(
        "drive_id,name,start_date,end_date,unit_id\n"
        f"MARCH,March checks,{DRIVE_START},2022-03-31,{cell}\n"
        "MARCH,March checks,2022-03-01,2022-03-31,PS NOWHERE | NO ROAD\n"
    )
    result = run(db, "import", str(good))
    assert result.exit_code == 0, result.output
    assert "1 new drive(s), 0 replaced, 2 place(s)" in result.output
    assert "row 2 (MARCH place 2: PS NOWHERE | NO ROAD) matches no crash record" in result.output
    listed = run(db, "list")
    assert listed.exit_code == 0 and "March checks" in listed.output
    out = tmp_path / "eval.csv"
    result = run(db, "evaluate", "--min-after-days", "30", "--out", str(out))
    assert result.exit_code == 0, result.output
    rows = pl.read_csv(out, infer_schema=False)
    assert rows.columns == list(DRIVE_COLUMNS) and rows["drive_id"].to_list() == ["MARCH", "ALL"]
    assert rows.row(0, named=True)["challans_during"] == "60"
    with read_connection(db) as con:
        audit = read_audit(con)
    assert audit["export_kind"].to_list() == ["drive_evaluation"]
    assert json.loads(audit["params"][0])["min_after_days"] == 30
    assert "crashes" in run(db, "list").output  # the stored verdict now shows


def test_a_bad_file_is_refused_whole_with_every_reason(world, tmp_path: Path) -> None:
    db, cell = world
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "drive_id,name,start_date,end_date,unit_id,window\n"
        f"NEW,New drive,2022-05-01,2022-05-31,{cell},\n"
        "NEW,New drive,2022-05-01,2022-04-30,U2,\n"
        "NEW,New drive,2022-05-01,2022-05-31,U3,Friday night\n"
    )
    result = run(db, "import", str(bad))
    assert result.exit_code == 2
    assert "2 of 3 rows rejected, nothing imported" in result.output
    assert "row 2, column end_date" in result.output and "row 3, column window" in result.output
    with read_connection(db) as con:
        assert con.execute("SELECT count(*) FROM drives WHERE drive_id = 'NEW'").fetchone() == (0,)
        failed = con.execute(
            "SELECT status FROM ingest_runs WHERE kind = 'drives' AND status = 'failed'"
        ).fetchall()
    assert failed == [("failed",)]


def test_user_errors_exit_2(world, tmp_path: Path) -> None:
    db, _ = world
    assert run(db, "import", str(tmp_path / "missing.csv")).exit_code == 2
    assert run(db, "evaluate", "--prior", "flat").exit_code == 2
    result = run(db, "evaluate", "--out", str(tmp_path / "x.geojson"))
    assert result.exit_code == 2 and ".csv, .xlsx or .pdf" in result.output
    assert run(db, "evaluate", "--drive", "NOPE").exit_code == 2


def test_synth_plants_drives_on_request(tmp_path: Path) -> None:
    args = ["synth", "--years", "2", "--scale", "0.05", "--seed", "3", "--end", "2026-01-01"]
    plain = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "plain")])
    assert plain.exit_code == 0 and not (tmp_path / "plain" / "drives.csv").exists()
    planted = CliRunner().invoke(
        app,
        [
            *args,
            "--out",
            str(tmp_path / "p"),
            "--plant-drives",
            "--drive-places",
            "4",
            "--placebo-places",
            "2",
        ],
    )
    assert planted.exit_code == 0, planted.output
    assert "drives:    3 planted" in planted.output
    assert pl.read_csv(tmp_path / "p" / "drive_truth.csv")["kind"].to_list() == ["placebo"] * 2 + [
        "effect"
    ]
    bad = CliRunner().invoke(
        app, [*args, "--out", str(tmp_path / "b"), "--plant-drives", "--drive-effect", "0.5"]
    )
    assert bad.exit_code == 2 and "reduction" in bad.output
    short = CliRunner().invoke(
        app, [*args[:2], "1", *args[3:], "--out", str(tmp_path / "s"), "--plant-drives"]
    )
    assert short.exit_code == 2 and "--years 2 or more" in short.output
