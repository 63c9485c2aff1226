"""The unit universe: history units, known units, neighbours; pooled-feature groups."""

from __future__ import annotations

import h3
import polars as pl
from worlds import crash_world

from roadsafety.features.units import build_units, group_keys, ring_pairs


def test_universe_has_history_units_neighbours_and_known_units() -> None:
    acc, _ = crash_world(seed=1, years=1)
    known = pl.DataFrame({"unit_id": ["PS X | NEW ROAD"], "kind": ["ps_road"]})
    units = build_units(acc, known)
    ids = set(units["unit_id"])
    assert set(acc["unit_id"]) <= ids and "PS X | NEW ROAD" in ids
    cell = acc.filter(pl.col("h3_cell").is_not_null())["h3_cell"][0]
    assert set(h3.grid_disk(cell, 1)) <= ids
    assert units["unit_idx"].to_list() == list(range(units.height))
    assert (
        units.filter(pl.col("kind") == "ps_road")["h3_cell"].null_count()
        == units.filter(pl.col("kind") == "ps_road").height
    )


def test_ring_pairs_are_exact_ring_distance() -> None:
    units = build_units(crash_world(seed=1, years=1)[0])
    pairs = ring_pairs(units, 2).join(units.select("unit_idx", "h3_cell"), on="unit_idx")
    assert pairs.height > 0
    assert all(
        h3.grid_distance(a, b) == 2 for a, b in pairs.select("h3_cell", "nbr_unit_id").iter_rows()
    )


def test_group_keys_scope_roads_by_district() -> None:
    units = pl.DataFrame(
        {
            "unit_idx": [0, 1, 2],
            "road_name": ["Main Road", "MAIN ROAD", None],
            "police_station": ["a", "b", "a"],
            "district": ["X", "Y", "X"],
        }
    )
    keys = group_keys(units)
    assert keys["road_key"].to_list() == ["X | MAIN ROAD", "Y | MAIN ROAD", None]
    assert keys["ps_key"][0] == keys["ps_key"][2]
