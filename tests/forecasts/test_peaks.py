"""Peak windows and stored hour-of-week profiles of a forecast run (forecasts/peaks.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from roadsafety.forecasts.peaks import profiles
from roadsafety.models import profile as sp


def _crashes(unit: str, district: str | None, n: int, hour: int, weekday: int, timed=True):
    first = datetime(2024, 1, 1)  # a Monday
    return [
        (unit, first + timedelta(days=7 * i + weekday, hours=hour), timed, district)
        for i in range(n)
    ]


def _inputs() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    rows = (
        _crashes("A", "North", 60, 23, 5)  # Saturday nights
        + _crashes("N", "North", 40, 8, 1)  # the district's other unit: Tuesday mornings
        + _crashes("B", "North", 30, 0, 2, timed=False)  # dates only
        + _crashes("C", None, 30, 0, 3, timed=False)  # no district, dates only
    )
    accidents = pl.DataFrame(
        rows,
        schema={
            "unit_id": pl.Utf8,
            "occurred_at": pl.Datetime("us"),
            "has_time": pl.Boolean,
            "district": pl.Utf8,
        },
        orient="row",
    )
    units = pl.DataFrame({"unit_idx": [0, 1, 2, 3], "district": ["North", "North", "North", None]})
    ranked = pl.DataFrame(
        {"unit_idx": [0, 1, 2, 3], "unit_id": ["A", "N", "B", "C"], "rank": [1, 4, 2, 3]}
    )
    return accidents, units, ranked


def test_units_get_their_own_window_else_their_district_or_the_region() -> None:
    accidents, units, ranked = _inputs()
    _, peak = profiles(accidents, units, ranked, top=2)
    window = dict(zip(ranked["unit_id"], ranked.join(peak, on="unit_idx")["peak_window"]))
    assert (5, 23) in sp.parse_peak_window(window["A"])  # Saturday 23h is inside A's window
    timed = accidents.filter(pl.col("has_time"))
    districts = sp.peak_windows(sp.district_profiles(timed).rename({"district": "unit_id"}))
    by_district = dict(zip(districts["unit_id"], districts["peak_window"]))
    assert window["B"] == by_district["North"]  # no timed crash: the district's window
    assert window["C"] == by_district[sp.REGION]  # no district: the region's window


def test_profiles_are_stored_for_the_top_units_only_with_168_shares_each() -> None:
    accidents, units, ranked = _inputs()
    rows, _ = profiles(accidents, units, ranked, top=2)
    assert sorted(rows["unit_id"].unique()) == ["A", "B"]
    per_unit = rows.group_by("unit_id").agg(pl.len(), pl.col("share").sum())
    assert per_unit["len"].to_list() == [168, 168]
    assert all(abs(s - 1) < 1e-9 for s in per_unit["share"])
    district = sp.district_profiles(accidents.filter(pl.col("has_time")))
    north = district.filter(pl.col("district") == "North").sort("dow", "hour")["share"]
    b = rows.filter(pl.col("unit_id") == "B").sort("dow", "hour")["share"]
    assert (b - north).abs().max() < 1e-12  # B's stored profile is its district's
    assert rows.schema == {
        "unit_id": pl.Utf8,
        "dow": pl.Int32,
        "hour": pl.Int32,
        "share": pl.Float64,
    }
