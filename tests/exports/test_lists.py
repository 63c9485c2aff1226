"""Enforcement-gap and MoRTH blackspot lists."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from roadsafety.exports.blackspots import BLACKSPOT_COLUMNS, build_blackspots, rule_years
from roadsafety.exports.enforcement_gap import GAP_COLUMNS, build_enforcement_gap
from roadsafety.exports.risk_list import RISK_COLUMNS, RiskListFilter
from roadsafety.store.connection import read_connection


def test_gap_ranks_high_risk_units_by_fewest_challans_per_expected_crash(world):
    with read_connection(world.db_path) as con:
        gap = build_enforcement_gap(con, world.run_id, RiskListFilter())
    assert tuple(gap.columns) == RISK_COLUMNS + GAP_COLUMNS
    assert set(gap["risk_band"]) <= {"high", "very_high"}
    ratios = gap["challans_per_expected_crash"].to_list()
    assert ratios == sorted(ratios)
    assert (
        gap["recent_challans"][0] == 0 and gap["unit_id"][0] == world.lone_cell
    )  # 0 challans, most expected
    row = gap.filter(pl.col("unit_id") == world.road_cells[1]).row(0, named=True)
    assert row["challans_per_expected_crash"] == pytest.approx(40 / (3.0 * 90 / 7))


def test_rule_years_are_the_three_calendar_years_before_the_cutoff():
    assert rule_years(date(2025, 1, 1)) == (date(2022, 1, 1), date(2025, 1, 1))
    assert rule_years(date(2025, 6, 30)) == (date(2022, 1, 1), date(2025, 1, 1))


def test_blackspots_apply_both_parts_of_the_rule(world):
    with read_connection(world.db_path) as con:
        spots = build_blackspots(con, date(2025, 1, 1), world.run_id, RiskListFilter())
    assert tuple(spots.columns) == RISK_COLUMNS + BLACKSPOT_COLUMNS
    by_unit = {r["unit_id"]: r for r in spots.iter_rows(named=True)}
    assert set(by_unit) == {
        world.road_cells[0],
        world.lone_cell,
    }  # old and post-cut-off crashes ignored
    assert by_unit[world.road_cells[0]]["fatal_grievous_3y"] == 6
    assert by_unit[world.road_cells[0]]["rule_met"].startswith(">= 5 fatal/grievous")
    assert (
        by_unit[world.lone_cell]["deaths_3y"] == 12
        and "deaths" in by_unit[world.lone_cell]["rule_met"]
    )
    assert by_unit[world.lone_cell]["forecast_rank"] == 2
    assert spots["years"][0] == "2022-2024"


def test_blackspots_without_a_run_and_with_a_filter(world):
    with read_connection(world.db_path) as con:
        spots = build_blackspots(con, date(2024, 6, 1), None, RiskListFilter(district="karnal"))
    assert spots["unit_id"].to_list() == [world.road_cells[1]]  # 20 deaths in 2021
    assert spots["expected_crashes"].to_list() == [None]
