"""``roadsafety export ...`` end to end on the hand-made warehouse, including the audit rows."""

from __future__ import annotations

import json
from datetime import date

import polars as pl
import pytest
from typer.testing import CliRunner

from roadsafety.cli import app
from roadsafety.commands import UserError
from roadsafety.commands.exports import resolve_run
from roadsafety.config import load_settings, with_db
from roadsafety.exports.audit import file_sha256
from roadsafety.exports.risk_list import RISK_COLUMNS
from roadsafety.forecasts import pipeline
from roadsafety.store.connection import read_connection
from roadsafety.store.export_store import read_audit

WINDOW = ["--start", "2025-01-01", "--end", "2025-01-07"]


def run(world, *args: str):
    return CliRunner().invoke(app, ["--db", str(world.db_path), "export", *args])


def test_risk_list_csv_and_audit_row(world, tmp_path):
    out = tmp_path / "list.csv"
    result = run(world, "risk-list", *WINDOW, "--top", "5", "--out", str(out))
    assert result.exit_code == 0, result.output
    rows = pl.read_csv(out, infer_schema=False)
    assert tuple(rows.columns) == RISK_COLUMNS and rows.height == 5
    assert not any(";" in (c or "") for c in rows["h3_cell"])  # CSV: one row per unit by default
    with read_connection(world.db_path) as con:
        audit = read_audit(con)
    assert audit.height == 1
    rec = audit.row(0, named=True)
    assert rec["row_count"] == 5 and rec["format"] == "csv" and rec["export_kind"] == "risk_list"
    assert rec["file_sha256"] == file_sha256(out) and rec["user_kind"] == "os" and rec["user_name"]
    assert rec["run_id"] == world.run_id and json.loads(rec["params"])["top"] == 5


def test_road_wide_list_is_its_own_list(world, tmp_path):
    out = tmp_path / "wide.csv"
    result = run(world, "risk-list", *WINDOW, "--road-wide", "--out", str(out))
    assert result.exit_code == 0, result.output
    rows = pl.read_csv(out, infer_schema=False)
    assert rows["unit_id"].to_list() == [world.ps_unit, world.ps_unit_nogeo]
    assert rows["rank"].to_list() == ["1", "2"]
    places = tmp_path / "places.csv"
    assert run(world, "risk-list", *WINDOW, "--out", str(places)).exit_code == 0
    listed = set(pl.read_csv(places, infer_schema=False)["unit_id"])
    assert world.stretches[0] in listed and world.ps_unit not in listed


def test_merge_flag_and_other_lists(world, tmp_path):
    assert (
        run(world, "risk-list", *WINDOW, "--merge", "--out", str(tmp_path / "m.csv")).exit_code == 0
    )
    assert ";" in pl.read_csv(tmp_path / "m.csv", infer_schema=False)["h3_cell"][0]
    assert run(world, "enforcement-gap", *WINDOW, "--out", str(tmp_path / "g.xlsx")).exit_code == 0
    result = run(world, "blackspots", "--as-of", "2025-01-01", "--out", str(tmp_path / "b.geojson"))
    assert result.exit_code == 0, result.output
    features = json.loads((tmp_path / "b.geojson").read_text())["features"]
    assert [f["properties"]["status"] for f in features] == ["active", "active", "lapsed"]
    with read_connection(world.db_path) as con:
        assert sorted(read_audit(con)["export_kind"]) == [
            "blackspots",
            "enforcement_gap",
            "risk_list",
        ]


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--top", "0"], "--top"),
        (["--severity", "worst"], "--severity"),
        (["--min-band", "red"], "--min-band"),
        (["--district", "Atlantis"], "--district"),
        (["--police-station", "Nowhere"], "--police-station"),
        (["--end", "2024-12-01"], "--end"),
        (["--end", "2026-01-02"], "--end"),
        (["--start", "2025-02-30"], "--start"),
    ],
)
def test_invalid_options_exit_2_naming_the_option(world, tmp_path, args, option):
    result = run(world, "risk-list", *WINDOW, *args, "--out", str(tmp_path / "x.csv"))
    assert result.exit_code == 2
    assert option in result.output
    assert not (tmp_path / "x.csv").exists()


def test_unknown_extension(world, tmp_path):
    result = run(world, "risk-list", *WINDOW, "--out", str(tmp_path / "x.docx"))
    assert result.exit_code == 2 and "--out" in result.output


def test_run_is_reused_or_created_by_ensure_forecast(world, monkeypatch):
    settings = with_db(load_settings(), world.db_path)
    assert resolve_run(settings, date(2025, 1, 1), date(2025, 1, 7)) == world.run_id
    assert resolve_run(settings, date(2030, 1, 1), date(2030, 1, 7), create=False) is None
    calls = []
    monkeypatch.setattr(
        pipeline,
        "ensure_forecast",
        lambda s, start, end: calls.append((start, end)) or world.run_id,
    )
    assert resolve_run(settings, date(2030, 1, 1), date(2030, 1, 7)) == world.run_id
    assert calls == [(date(2030, 1, 1), date(2030, 1, 7))]


def test_window_defaults_and_the_one_year_limit_is_leap_safe():
    from datetime import datetime

    from roadsafety.commands.exports import window

    assert window(datetime(2025, 1, 1), None) == (date(2025, 1, 1), date(2025, 1, 7))
    # start D, end D + 1 year: 367 days inclusive when a 29 February falls inside, still one year
    assert window(datetime(2019, 7, 1), datetime(2020, 7, 1)) == (
        date(2019, 7, 1),
        date(2020, 7, 1),
    )
    assert window(datetime(2020, 2, 29), datetime(2021, 2, 28))[1] == date(2021, 2, 28)
    with pytest.raises(UserError, match="--end"):
        window(datetime(2020, 2, 29), datetime(2021, 3, 1))
