"""Forecast ranks and bands: places first, whole roads in a station area ranked among themselves."""

from __future__ import annotations

import polars as pl

from roadsafety.forecasts.run import _rank
from roadsafety.vocabulary import BAND_ORDER


def _frame(kinds: list[str], values: list[float]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "unit_id": [f"u{i:03d}" for i in range(len(kinds))],
            "kind": kinds,
            "expected_crashes": values,
            "expected_fatal_grievous": [v / 2 for v in values],
        }
    )


def test_road_wide_units_never_rank_above_places() -> None:
    kinds = ["ps_road"] * 3 + ["h3"] * 97 + ["stretch"] * 100
    values = [100.0, 90.0, 80.0] + [float(i % 50) for i in range(197)]
    ranked = _rank(_frame(kinds, values)).sort("rank")
    assert ranked["rank"].to_list() == list(range(1, 201))
    assert set(ranked.head(197)["kind"]) == {"h3", "stretch"}
    assert ranked.tail(3)["unit_id"].to_list() == ["u000", "u001", "u002"]
    # bands within each group: the biggest road-wide unit is very high among road-wide units
    assert ranked.filter(pl.col("unit_id") == "u000")["risk_band"].item() == "very_high"
    places = ranked.head(197)
    # 1% of 197 places is 2, but three places share the top value 49: a tie shares its band
    assert (places["risk_band"] == "very_high").sum() == 3


def test_only_places_rank_by_value_with_quantile_bands() -> None:
    ranked = _rank(_frame(["h3"] * 100, [float(i) for i in range(100)])).sort("rank")
    assert ranked["unit_id"][0] == "u099"
    bands = ranked["risk_band"].value_counts().sort("risk_band")
    assert dict(bands.iter_rows()) == {"high": 4, "low": 80, "medium": 15, "very_high": 1}


def test_bands_follow_the_ranking_when_fatal_grievous_disagrees() -> None:
    """Release 1 ranked the run by crashes + fatal/grievous but listed by crashes: a place with
    more crashes and few fatal/grievous ones sat in a lower band than the place ranked below it."""
    crashes = [10.0 - i * 0.05 for i in range(100)]
    fatal_grievous = [0.1 if i % 2 == 0 else 3.0 for i in range(100)]
    frame = pl.DataFrame(
        {
            "unit_id": [f"u{i:03d}" for i in range(100)],
            "kind": ["h3"] * 100,
            "expected_crashes": crashes,
            "expected_fatal_grievous": fatal_grievous,
        }
    )
    ranked = _rank(frame).sort("rank")
    assert ranked["expected_crashes"].is_sorted(descending=True)
    order = ranked["risk_band"].replace_strict(BAND_ORDER).to_list()
    assert order == sorted(order, reverse=True)
    assert ranked["risk_band"][0] == "very_high"
    assert ranked["unit_id"][0] == "u000"
