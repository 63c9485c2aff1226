"""A plan for other dates than its forecast run's (the app's next four weeks from a 30-day run)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from worlds import app_world

from roadsafety.exports.plan import PlanRequest, build_plan, build_plan_for, rescale_window
from roadsafety.exports.risk_list import ExportError
from roadsafety.store.connection import read_connection

TODAY = date.today()


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    return app_world(tmp_path_factory.mktemp("plan_window") / "world.duckdb", today=TODAY)


def test_rescaling_keeps_each_weekdays_daily_rate() -> None:
    values = np.ones((2, 168))
    start = date(2026, 12, 1)  # a Tuesday; 30 days: Tue, Wed and Thu occur 5 times, others 4
    moved = rescale_window(
        values, start, start + timedelta(days=29), date(2026, 12, 7), date(2027, 1, 3)
    )
    assert moved[0, 24:48].tolist() == [4 / 5] * 24  # Tuesday: 4 in the four weeks, 5 in the run
    assert moved[0, 0:24].tolist() == [1.0] * 24  # Monday: 4 and 4
    longer = rescale_window(
        values, start, start + timedelta(days=6), start, start + timedelta(days=13)
    )
    assert longer.sum() == pytest.approx(2 * values.sum())
    with pytest.raises(ExportError, match="shorter than a week"):
        rescale_window(values, start, start + timedelta(days=5), start, start)


def test_plan_for_other_dates_is_the_runs_plan_moved(world: Path) -> None:
    request = PlanRequest(60, 3, "all", "Karnal")
    monday = TODAY + timedelta(days=7 - TODAY.weekday())
    four_weeks = (monday, monday + timedelta(days=27))
    with read_connection(world) as con:
        own = build_plan(con, "run-30", request)
        same = build_plan_for(con, "run-30", request, TODAY, TODAY + timedelta(days=29))
        moved = build_plan_for(con, "run-30", request, *four_weeks)
        with pytest.raises(ExportError, match="before its first day"):
            build_plan_for(con, "run-30", request, monday, monday - timedelta(days=1))
    assert same.equals(own)
    assert set(moved["window_start"]) == {four_weeks[0]} and set(moved["window_end"]) == {
        four_weeks[1]
    }
    assert moved["team_hours_per_week"].sum() <= 60 and set(moved["district"]) == {"Karnal"}
    # 28 of the run's 30 days: the world's hour profile is the same every week, so the plan keeps its
    # places and covers about 28/30 of what the run's own plan covers
    assert set(moved["unit_id"]) == set(own["unit_id"])
    ratio = moved["expected_crashes_covered"].sum() / own["expected_crashes_covered"].sum()
    assert 0.85 < ratio < 1.0
