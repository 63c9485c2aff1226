"""The job's weekly drive plans: one per district within the configured budget, all or nothing."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import date
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from worlds import app_world

from roadsafety.config import JobConfig, PrivacyConfig, Settings
from roadsafety.errors import ExportError
from roadsafety.exports.plan import PLAN_COLUMNS, next_monday
from roadsafety.jobs import outbox as ob
from roadsafety.store.connection import read_connection
from roadsafety.store.export_store import read_audit

DISTRICTS = ("gurugram", "karnal", "panipat")


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return app_world(tmp_path_factory.mktemp("plans") / "world.duckdb")


@pytest.fixture
def settings(template: Path, tmp_path: Path) -> Settings:
    db = tmp_path / "wh.duckdb"
    db.write_bytes(template.read_bytes())
    return Settings(db_path=db, privacy=PrivacyConfig(key_path=tmp_path / "k" / "pii.key"))


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def test_one_plan_per_district_within_the_configured_budget(settings: Settings) -> None:
    small = settings.model_copy(
        update={"job": replace(settings.job, plan_team_hours=30, plan_objective="fatal_grievous")}
    )
    outbox = small.job_dir("outbox") / "2026-11-30"
    written = ob.write_weekly_plans(small, "run-7", outbox)
    names = sorted(p.name for p in written)
    start = pl.read_csv(next(p for p in written if p.suffix == ".csv"))["window_start"][0]
    assert names == sorted(f"plan-{d}-{start}.{f}" for d in DISTRICTS for f in ("csv", "xlsx"))
    for path in (p for p in written if p.suffix == ".csv"):
        rows = pl.read_csv(path)
        assert rows.columns == list(PLAN_COLUMNS) and rows.height > 0
        assert rows["team_hours_per_week"].sum() <= 30 and rows["district"].n_unique() == 1
    book = openpyxl.load_workbook(outbox / f"plan-karnal-{start}.xlsx")
    assert "Karnal" in book.sheetnames and "Plan" in book.sheetnames
    with read_connection(small.db_path) as con:
        audit = read_audit(con).filter(pl.col("export_kind") == "plan")
    assert audit.height == 6 and set(audit["path"]) == {str(p.resolve()) for p in written}
    assert not [p for p in outbox.parent.iterdir() if p.name.startswith(".")]  # no staging left


def test_a_failed_plan_raises_and_leaves_the_outbox_as_it_was(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    outbox = settings.job_dir("outbox") / "2026-11-30"
    ob.write_weekly_plans(settings, "run-7", outbox)
    before = _hashes(outbox)
    real = ob.build_plan

    def failing(con, run_id, request):
        if request.district == "Panipat":
            raise ExportError("planted failure for Panipat")
        return real(con, run_id, request)

    monkeypatch.setattr(ob, "build_plan", failing)
    bigger = settings.model_copy(update={"job": replace(settings.job, plan_team_hours=500)})
    with pytest.raises(ExportError, match="planted failure"):
        ob.write_weekly_plans(bigger, "run-7", outbox)
    assert _hashes(outbox) == before  # Gurugram and Karnal's new plans were not moved in
    assert not [p for p in outbox.parent.iterdir() if p.name.startswith(".")]


def test_job_plan_settings_are_checked() -> None:
    assert JobConfig().plan_team_hours == 120 and JobConfig().plan_objective == "all"
    with pytest.raises(ValueError, match="less than one shift"):
        JobConfig(plan_team_hours=2, plan_shift_hours=3)
    with pytest.raises(ValueError, match="plan_objective"):
        JobConfig(plan_objective="everything")


def test_the_week_planned_is_next_monday_to_sunday() -> None:
    assert next_monday(date(2026, 12, 3)) == date(2026, 12, 7)
    assert next_monday(date(2026, 12, 7)) == date(2026, 12, 14)
