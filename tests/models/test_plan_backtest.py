"""The where-and-when backtest: naive blocks, hindsight, coverage shares and the where-alone closure."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from roadsafety.models import plan_backtest as pb

ORIGIN = 20_000


def _events(rows: list[tuple[int, int, int, int]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema=["unit_idx", "day", "hour", "fg"],
        orient="row",
        schema_overrides={c: pl.Int64 for c in ("unit_idx", "day", "hour", "fg")},
    )


def test_ranked_naive_blocks_take_the_busiest_cells_with_stable_ties() -> None:
    history = np.zeros((3, 168))
    history[1, 24 + 18] = 4  # Tue 18-21 block of unit 1
    history[2, 3] = 2  # Mon 03-06 block of unit 2
    history[0, 100] = 2  # same count, smaller unit total -> after unit 2's block
    history[2, 150] = 1
    mask = pb.naive_block_mask(history, 2)
    assert set(np.flatnonzero(mask[1])) == {42, 43, 44}
    assert set(np.flatnonzero(mask[2])) == {3, 4, 5} and not mask[0].any()


def _history_with_ties() -> tuple[np.ndarray, np.ndarray]:
    """Four units: one block with 3 crashes, four blocks tied at 1 (one of them on the busiest
    unit), everything else 0; and the test window's crashes."""
    history = np.zeros((4, 168))
    history[0, 18] = 3  # Mon 18-21 block of unit 0: 3 crashes
    history[0, 3] = 1  # unit 0 (total 4) Mon 03-06: 1
    history[1, 30] = 1  # Tue 06-09 of unit 1: 1
    history[2, 100] = 1  # Fri 03-06 of unit 2: 1
    history[3, 167] = 1  # Sun 21-24 of unit 3: 1
    actual = np.zeros((4, 168))
    actual[0, 19] = 2  # in the top block
    actual[1, 31] = 4  # in a tied block
    actual[2, 101] = 2  # in a tied block
    actual[3, 0] = 2  # in a block nobody had crashes in (a 0-count cell)
    return history, actual


def test_naive_blocks_score_ties_at_their_expected_value_under_random_order() -> None:
    history, actual = _history_with_ties()
    ties = pb.tie_structure(history, 3)
    assert (ties.count, ties.above, ties.group, ties.taken) == (1.0, 1, 4, 2)
    weights = pb.naive_block_weights(history, 3)
    assert weights.shape == (4, 168) and weights.sum() == pytest.approx(3 * 3)
    assert weights[0, 18:21].tolist() == [1.0, 1.0, 1.0]  # above the cut: always taken
    assert weights[1, 30] == weights[2, 100] == weights[3, 167] == pytest.approx(0.5)  # 2 of 4
    assert weights[3, 0] == 0.0
    # 2 crashes in the top block + half of the 6 in tied blocks, of 10 in all
    assert pb._share(weights, actual) == pytest.approx((2 + 0.5 * 6) / 10)
    # the ranked version breaks the tie by unit total: unit 0's own 1-crash block comes first
    ranked = pb.naive_block_mask(history, 3)
    assert ranked[0, 3] and ranked[1, 30] and not ranked[2, 100]
    assert pb._share(ranked, actual) == pytest.approx((2 + 4) / 10)


def test_naive_blocks_whose_cut_is_zero_spread_the_rest_over_every_empty_cell() -> None:
    history, actual = _history_with_ties()
    weights = pb.naive_block_weights(history, 7)  # 5 cells with crashes + 2 of the 219 empty
    assert pb.tie_structure(history, 7).group == 4 * 56 - 5
    assert weights[3, 0] == pytest.approx(2 / 219)
    assert weights.sum() == pytest.approx(7 * 3)
    assert pb.naive_block_weights(history, 0).sum() == 0
    assert pb.naive_block_weights(history, 10_000).all()


def test_plan_coverage_scores_plans_against_the_window_and_hindsight_is_the_ceiling() -> None:
    rng = np.random.default_rng(1)
    rows = []
    for u in range(30):  # every unit busy at 17-20 on weekdays; units 0-4 much busier
        rate = 40 if u < 5 else 4
        for day in rng.integers(ORIGIN - 1000, ORIGIN + 364, rate * 4):
            rows.append((u, int(day), int(rng.choice([17, 18, 19, 3])), int(rng.random() < 0.4)))
    events = _events(rows)
    values = np.zeros((30, 168))
    values[:5, [d * 24 + h for d in range(7) for h in (17, 18, 19)]] = 1.0
    window = pb.Window(ORIGIN, 364)
    out = pb.plan_coverage({"model": values}, events, window, budgets=(30,))
    cover = out.filter(pl.col("metric") == "coverage")
    got = {r["model"]: r["value"] for r in cover.iter_rows(named=True)}
    assert set(got) == {"model", "hindsight", "naive_blocks", "naive_blocks_ranked"}
    assert 0 < got["model"] <= got["hindsight"]
    assert (
        got["naive_blocks"] <= got["hindsight"] and got["naive_blocks_ranked"] <= got["hindsight"]
    )
    ties = out.filter(pl.col("metric").str.starts_with("tie_"))
    assert set(ties["metric"]) == {"tie_count", "tie_above", "tie_group"}
    in_window = events.filter((pl.col("day") >= ORIGIN) & (pl.col("day") < ORIGIN + 364))
    covered = in_window.filter(
        (pl.col("unit_idx") < 5)
        & pl.col("hour").is_in([17, 18, 19])
        & (((pl.col("day") + 3) % 7) < 5)  # 10 shifts of 3 h: weekdays 17-20 at units 0-1
    )
    assert got["model"] <= covered.height / in_window.height + 1e-12
    fg = pb.plan_coverage({"model": values}, events, window, fg=True, budgets=(30,))
    assert set(fg["level"]) == {"plan_fatal_grievous"}


def test_where_closure_is_the_share_of_the_gap_closed() -> None:
    metrics = pl.DataFrame(
        {
            "model": ["lightgbm", "lightgbm", "naive_1y", "naive_3y"],
            "metric": ["hit_rate", "pei_star", "hit_rate", "hit_rate"],
            "k": ["budget100"] * 4,
            "value": [0.32, 0.8, 0.30, 0.28],
        }
    )
    row = pb.where_closure(metrics).row(0, named=True)
    assert row["metric"] == "closure" and row["value"] == pytest.approx(
        (0.32 - 0.30) / (0.40 - 0.30)
    )
    assert pb.where_closure(metrics.filter(pl.col("model") != "lightgbm")).is_empty()


def test_peak_window_metrics_count_the_listed_units_hours() -> None:
    events = _events([(0, ORIGIN + 3, 22, 0), (1, ORIGIN + 4, 9, 0), (1, ORIGIN - 10, 9, 0)])
    masks = np.zeros((2, 168), bool)
    masks[0, [d * 24 + 22 for d in range(7)]] = True
    masks[1, :] = True  # not listed: must not count
    out = pb.peak_window_metrics(masks, np.array([0]), events, pb.Window(ORIGIN, 364), top=1)
    got = {(r["model"], r["metric"]): r["value"] for r in out.iter_rows(named=True)}
    assert got[("risk_list", "cell_hours")] == 7
    assert got[("risk_list", "coverage")] == pytest.approx(0.5)
    # 2 blocks: unit 1's 09-12 (1 past crash), then 1 of the 111 empty cells at random
    assert got[("naive_blocks", "coverage")] == pytest.approx((1 + 1 / 111) / 2)
    assert got[("naive_blocks_ranked", "coverage")] == pytest.approx(0.5)
    # unit 0 had no history: 2 of its 56 empty blocks at random cover its night crash 2/56 times
    assert got[("naive_windows", "coverage")] == pytest.approx(2 / 56 / 2)


def test_naive_block_weights_equal_the_mean_over_random_tie_orders() -> None:
    rng = np.random.default_rng(4)
    history = rng.poisson(0.05, (6, 168)).astype(float)
    actual = rng.poisson(0.2, (6, 168)).astype(float)
    blocks = pb.block_counts(history).ravel()
    shares = []
    for _ in range(4000):  # a pivot table sorted by count, equal counts in a random order
        order = np.lexsort((rng.random(blocks.size), -blocks))[:25]
        mask = np.zeros(blocks.size)
        mask[order] = 1.0
        shares.append(pb._share(np.repeat(mask.reshape(6, 56), 3, axis=1), actual))
    expected = pb._share(pb.naive_block_weights(history, 25), actual)
    assert abs(np.mean(shares) - expected) < 4 * np.std(shares) / np.sqrt(len(shares))
    assert pb.tie_structure(history, 25).taken < pb.tie_structure(history, 25).group
