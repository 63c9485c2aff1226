"""The MoRTH rule on ~500 m stretches, on hand-made crashes."""

from __future__ import annotations

import polars as pl

from roadsafety.models.morth import find_cell_spots, find_road_spots, rule_text


def crashes(rows: list[tuple[str | None, float | None, int, int]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={"road_name": pl.Utf8, "km": pl.Float64, "fg": pl.Int64, "deaths": pl.Int64},
        orient="row",
    )


def spots(frame: pl.DataFrame) -> list[tuple]:
    out = find_road_spots(frame, 0.5)
    return (
        out.filter(pl.col("spot_road").is_not_null())
        .group_by("spot_road", "spot_from", "spot_to")
        .agg(pl.len().alias("n"))
        .sort("spot_road", "spot_from")
        .rows()
    )


def test_five_fatal_or_grievous_within_500_m_make_a_spot() -> None:
    frame = crashes([("NH-44", 65.0 + 0.1 * i, 1, 0) for i in range(5)])
    assert spots(frame) == [("NH-44", 65.0, 65.5, 5)]


def test_four_are_not_enough_and_five_spread_over_more_than_500_m_are_not_either() -> None:
    assert spots(crashes([("NH-44", 65.0 + 0.1 * i, 1, 0) for i in range(4)])) == []
    assert spots(crashes([("NH-44", 65.0 + 0.13 * i, 1, 0) for i in range(5)])) == []


def test_minor_crashes_do_not_count_towards_the_five() -> None:
    rows = [("NH-44", 65.0 + 0.05 * i, 1, 0) for i in range(4)] + [("NH-44", 65.3, 0, 0)] * 6
    assert spots(crashes(rows)) == []


def test_ten_deaths_branch_with_fewer_than_five_crashes() -> None:
    rows = [("SH-10", 12.0, 1, 6), ("SH-10", 12.4, 1, 4)]
    assert spots(crashes(rows)) == [("SH-10", 12.0, 12.5, 2)]
    assert spots(crashes([("SH-10", 12.0, 1, 6), ("SH-10", 12.4, 1, 3)])) == []
    reason = pl.select(rule_text(pl.lit(2), pl.lit(10))).item()
    assert reason == ">= 10 deaths"


def test_a_cluster_across_a_fixed_grid_edge_is_not_split() -> None:
    # 65.3 .. 65.7: a fixed 500 m grid (65.0-65.5, 65.5-66.0) would split it 2 + 3
    rows = [("NH-44", km, 1, 0) for km in (65.3, 65.4, 65.5, 65.6, 65.7)]
    assert spots(crashes(rows)) == [("NH-44", 65.3, 65.8, 5)]


def test_two_clusters_make_two_spots_that_do_not_overlap_and_roads_stay_apart() -> None:
    rows = [("NH-44", 65.0 + 0.05 * i, 1, 0) for i in range(7)]
    rows += [("NH-44", 65.6 + 0.05 * i, 1, 0) for i in range(5)]
    rows += [("NH-48", 65.0 + 0.05 * i, 1, 0) for i in range(3)]
    got = spots(crashes(rows))
    assert got == [("NH-44", 65.0, 65.5, 7), ("NH-44", 65.6, 66.1, 5)]


def test_crashes_without_road_or_km_are_in_no_spot_and_order_is_kept() -> None:
    rows = [(None, 65.0, 1, 5), ("NH-44", None, 1, 5)] + [("NH-44", 70.0, 1, 0)] * 5
    out = find_road_spots(crashes(rows), 0.5)
    assert out["spot_road"].to_list()[:2] == [None, None]
    assert out.select("road_name", "km").equals(crashes(rows).select("road_name", "km"))
    assert out["spot_from"].to_list()[2:] == [70.0] * 5


def test_cells_meet_the_rule_on_their_own_counts() -> None:
    frame = pl.DataFrame(
        {
            "h3_cell": ["a"] * 5 + ["b"] * 2 + ["c"] * 4 + [None],
            "fg": [1] * 5 + [1, 1] + [1, 1, 1, 0] + [1],
            "deaths": [0] * 5 + [5, 5] + [0] * 4 + [20],
        }
    )
    got = find_cell_spots(frame)
    assert got["h3_cell"].to_list() == ["a", "b"]
    assert got.filter(pl.col("h3_cell") == "b")["deaths"].item() == 10
