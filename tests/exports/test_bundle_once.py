"""A workbook carries four lists of one run: the run's forecast rows are read once for all."""

from __future__ import annotations

from datetime import date

import pytest
from polars.testing import assert_frame_equal

from roadsafety.exports import risk_list
from roadsafety.exports.blackspots import build_blackspots
from roadsafety.exports.bundle import risk_list_bundle
from roadsafety.exports.enforcement_gap import build_enforcement_gap
from roadsafety.exports.risk_list import RiskListFilter, build_risk_rows, run_units
from roadsafety.store.connection import read_connection


def test_a_workbook_bundle_reads_the_run_once(world, monkeypatch) -> None:
    reads = []
    real = risk_list.read_forecast_units
    monkeypatch.setattr(
        risk_list,
        "read_forecast_units",
        lambda con, run_id: reads.append(run_id) or real(con, run_id),
    )
    with read_connection(world.db_path) as con:
        bundle = risk_list_bundle(con, world.run_id, RiskListFilter(merge=True), "xlsx")
    assert reads == [world.run_id]
    assert bundle.blackspots is not None and bundle.enforcement_gap is not None


@pytest.mark.parametrize("road_wide", [False, True])
def test_lists_from_units_read_before_equal_lists_that_read_them(world, road_wide) -> None:
    filters = RiskListFilter(road_wide=road_wide, merge=not road_wide)
    with read_connection(world.db_path) as con:
        units = run_units(con, world.run_id)
        pairs = [
            (
                build_risk_rows(con, world.run_id, filters, units),
                build_risk_rows(con, world.run_id, filters),
            ),
            (
                build_enforcement_gap(con, world.run_id, RiskListFilter(), units),
                build_enforcement_gap(con, world.run_id, RiskListFilter()),
            ),
            (
                build_blackspots(
                    con, date(2025, 1, 1), world.run_id, RiskListFilter(), units=units
                ),
                build_blackspots(con, date(2025, 1, 1), world.run_id, RiskListFilter()),
            ),
        ]
    for given, read in pairs:
        assert given.height > 0
        assert_frame_equal(given, read)
