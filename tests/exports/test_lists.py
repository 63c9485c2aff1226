"""Enforcement-gap and MoRTH blackspot lists."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from worlds import nh48

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
    active = {u for u, r in by_unit.items() if r["status"] == "active"}
    assert active == {world.road_cells[0], world.lone_cell}  # post-cut-off crashes ignored
    assert spots["status"].to_list() == ["active", "active", "lapsed"]
    lapsed = by_unit[world.road_cells[1]]  # 20 deaths in 2021: met the rule in 2021-2023 only
    assert lapsed["rule_met"] == "met the rule in 2021-2023, not in 2022-2024"
    assert (lapsed["deaths_3y"], lapsed["crashes_3y"], lapsed["road_name"]) == (0, 0, "NH-44")
    road = by_unit[world.road_cells[0]]
    assert road["fatal_grievous_3y"] == 6
    assert [road[f"fatal_grievous_y{i}"] for i in (1, 2, 3)] == [2, 2, 2]
    assert [by_unit[world.lone_cell][f"deaths_y{i}"] for i in (1, 2, 3)] == [0, 12, 0]
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
    assert spots["status"].to_list() == ["active"]
    assert spots["expected_crashes"].to_list() == [None]


def test_road_blackspots_come_from_km_markers_and_located_crashes_on_the_fit(world):
    from datetime import datetime

    from roadsafety.store.connection import write_connection

    rows = [  # four km-marked grievous crashes without GPS on NH-48 km 20.1-20.4 ...
        (f"S{i}", datetime(2023, 4, 1 + i), "grievous", 0, False, None, None, 20.1 + 0.1 * i)
        for i in range(4)
    ]
    lat, lon = nh48(20.45)  # ... and a located fatal one with no km: the fit gives it km 20.45
    rows.append(("S9", datetime(2024, 1, 1), "fatal", 1, True, lat, lon, None))
    with write_connection(world.db_path) as con:
        con.executemany(
            "INSERT INTO accidents (accident_id, occurred_at, severity, killed, located, latitude, "
            "longitude, chainage_km, road_name, unit_id, source) "
            "VALUES (?,?,?,?,?,?,?,?,'NH 48',?,'test')",
            [r + (world.stretches[0] if r[4] is False else None,) for r in rows],
        )
    with read_connection(world.db_path) as con:
        spots = build_blackspots(con, date(2025, 1, 1), world.run_id, RiskListFilter())
    spot = spots.filter(pl.col("road_name") == "NH-48").row(0, named=True)
    assert spot["unit_id"] == "NH-48 | km 20.1-20.6"
    assert (spot["km_from"], spot["km_to"], spot["status"]) == (20.1, 20.6, "active")
    assert (spot["fatal_grievous_3y"], spot["deaths_3y"]) == (5, 1)
    assert [spot[f"crashes_y{i}"] for i in (1, 2, 3)] == [0, 4, 1]
    assert (spot["latitude"], spot["longitude"]) == pytest.approx(nh48(20.35), abs=1e-4)
    assert spot["forecast_unit"] == world.stretches[0] and spot["forecast_rank"] is not None
    assert spot["h3_cell"] is None
