"""The MoRTH rule on ~500 m stretches, on hand-made crashes."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

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


def _spots_by_chosen_list(km, fg, deaths, length):
    """The search as first written: every chosen spot re-checked for every candidate window."""
    from roadsafety.models.morth import MORTH_FG, MORTH_KILLED, _window_sums

    spot = np.full(len(km), -1)
    chosen: list[tuple[float, float]] = []
    while True:
        free = (spot < 0).astype(float)
        fg_w = _window_sums(km, fg * free, length)
        dead_w = _window_sums(km, deaths * free, length)
        ok = (spot < 0) & ((fg_w >= MORTH_FG) | (dead_w >= MORTH_KILLED))
        for lo, hi in chosen:
            ok &= (km > hi + 1e-9) | (km + length < lo - 1e-9)
        if not ok.any():
            return spot
        cand = np.flatnonzero(ok)
        best = cand[np.lexsort((km[cand], -dead_w[cand], -fg_w[cand]))[0]]
        inside = (km >= km[best] - 1e-9) & (km <= km[best] + length + 1e-9) & (spot < 0)
        spot[inside] = len(chosen)
        chosen.append((float(km[best]), float(km[best]) + length))


@pytest.mark.parametrize("seed", range(5))
def test_the_running_mask_of_chosen_spots_finds_the_same_spots(seed: int) -> None:
    from roadsafety.models.morth import _spots_on_road

    rng = np.random.default_rng(seed)
    km = np.sort(np.round(rng.choice(rng.uniform(0, 30, 15), 600) + rng.normal(0, 0.4, 600), 2))
    fg = (rng.random(600) < 0.5).astype(float)
    deaths = rng.choice([0.0, 0.0, 1.0, 4.0], 600)
    expected = _spots_by_chosen_list(km, fg, deaths, 0.5)
    assert expected.max() > 10  # many spots on the road
    assert np.array_equal(_spots_on_road(km, fg, deaths, 0.5), expected)


def test_a_road_spot_runs_from_its_lowest_km_for_the_stretch_length() -> None:
    rows = [("NH-44", 10.0 + 0.1 * i, 1, 0) for i in range(5)] + [("NH-44", 40.0, 1, 0)]
    out = find_road_spots(crashes(rows + [("NH-44", 10.33, 1, 0)]), 0.35)
    assert out["spot_from"].to_list() == [10.0] * 4 + [None, None, 10.0]
    assert out["spot_to"].to_list() == [10.35] * 4 + [None, None, 10.35]
    assert out.schema["spot_road"] == pl.Utf8 and out["spot_road"].null_count() == 2
