"""Contributions → readable factors."""

from __future__ import annotations

import polars as pl

from roadsafety.features.panel import roll_name
from roadsafety.forecasts.explain import NONE_TEXT, group_of, top_factors


def test_group_of_maps_features_and_skips_window_length() -> None:
    assert group_of(roll_name("crashes", 52)) == "recent"
    assert group_of("nbr_k1_" + roll_name("crashes", 156)) == "neighbours"
    assert group_of("window_fog_share") == "fog"
    assert group_of("log_horizon") is None and group_of("history_days") is None


def test_top_factors_orders_by_contribution_and_renders_values() -> None:
    feats = pl.DataFrame(
        {
            "unit_idx": [0, 1],
            roll_name("crashes", 13): [3.0, 0.0],
            roll_name("crashes", 52): [7.0, 0.0],
            "window_fog_share": [0.4, 0.0],
            "log_horizon": [5.9, 5.9],
            "road_name": ["NH-44", None],
            "police_station": ["PS A", None],
            "district": ["X", None],
        }
    )
    contrib = pl.DataFrame(
        {
            roll_name("crashes", 13): [0.5, -0.1],
            roll_name("crashes", 52): [0.2, -0.2],
            "window_fog_share": [0.3, 0.0],
            "log_horizon": [9.0, 9.0],
        }
    )
    got = top_factors(contrib, feats)["top_factors"].to_list()
    assert got[0] == "3 crashes in the last 3 months; fog season (40% of window days)"
    assert got[1] == NONE_TEXT


def test_no_neighbour_text_for_units_without_cells() -> None:
    nbr = "nbr_k1_" + roll_name("crashes", 156)
    feats = pl.DataFrame(
        {
            "unit_idx": [0],
            nbr: [None],
            "road_name": ["R"],
            "police_station": ["P"],
            "district": ["D"],
        },
        schema_overrides={nbr: pl.Float64},
    )
    contrib = pl.DataFrame({nbr: [0.4]})
    assert top_factors(contrib, feats)["top_factors"].to_list() == [NONE_TEXT]


def test_a_stretch_names_its_adjoining_stretches_not_cells() -> None:
    nbr = "nbr_k1_" + roll_name("crashes", 156)
    feats = pl.DataFrame(
        {
            "unit_idx": [0, 1],
            nbr: [12.0, 9.0],
            "road_name": ["NH-44", "NH-44"],
            "police_station": ["P", "P"],
            "district": ["D", "D"],
            "kind": ["stretch", "h3"],
        }
    )
    contrib = pl.DataFrame({nbr: [0.4, 0.4]})
    assert top_factors(contrib, feats)["top_factors"].to_list() == [
        "high-risk adjoining stretches (12 crashes in 3 years)",
        "high-risk neighbouring cells (9 crashes nearby in 3 years)",
    ]
