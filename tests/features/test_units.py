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


def _with_stretches(acc: pl.DataFrame) -> pl.DataFrame:
    extra = acc.head(3).with_columns(
        pl.Series("unit_id", ["NH-44 | km 65-66", "NH-44 | km 66-67", "PS Y | NH-44"]),
        pl.lit(None, pl.Utf8).alias("h3_cell"),
        pl.lit(None, pl.Float64).alias("latitude"),
        pl.lit(None, pl.Float64).alias("longitude"),
        pl.lit("nh 44").alias("road_name"),
    )
    return pl.concat([acc, extra], how="vertical_relaxed")


def test_stretch_units_get_their_kind_km_and_road_from_the_id() -> None:
    acc, _ = crash_world(seed=1, years=1)
    units = build_units(_with_stretches(acc))
    kinds = dict(units.select("unit_id", "kind").iter_rows())
    assert kinds["NH-44 | km 65-66"] == "stretch" and kinds["PS Y | NH-44"] == "ps_road"
    row = units.filter(pl.col("unit_id") == "NH-44 | km 66-67").row(0, named=True)
    assert (row["road_name"], row["km_from"], row["km_to"]) == ("NH-44", 66.0, 67.0)
    assert set(units.filter(pl.col("h3_cell").is_not_null())["kind"]) == {"h3"}


def _pairs(units: pl.DataFrame, k: int) -> set[tuple[str, str]]:
    joined = ring_pairs(units, k).join(units.select("unit_idx", "unit_id"), on="unit_idx")
    return set(joined.select("unit_id", "nbr_unit_id").iter_rows())


def test_adjacent_stretches_are_ring_neighbours_and_cells_rings_do_not_change() -> None:
    acc, _ = crash_world(seed=1, years=1)
    plain, mixed = build_units(acc), build_units(_with_stretches(acc))
    for k in (1, 2):
        cells, both = _pairs(plain, k), _pairs(mixed, k)
        assert cells <= both
        stretch_pairs = both - cells
        assert all(" | km " in u and " | km " in n for u, n in stretch_pairs)
    pairs = ring_pairs(mixed, 1).join(mixed.select("unit_idx", "unit_id"), on="unit_idx")
    nbrs = set(pairs.filter(pl.col("unit_id") == "NH-44 | km 65-66")["nbr_unit_id"])
    assert nbrs == {"NH-44 | km 64-65", "NH-44 | km 66-67"}


def test_group_keys_join_spellings_of_one_road() -> None:
    units = pl.DataFrame(
        {
            "unit_idx": [0, 1, 2],
            "road_name": ["NH-44", "nh 44", "National Highway 44"],
            "police_station": ["a", "b", "c"],
            "district": ["X", "X", "X"],
        }
    )
    assert group_keys(units)["road_key"].unique().to_list() == ["X | NH-44"]
