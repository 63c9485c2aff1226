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


def test_naive_blocks_take_the_busiest_cells_with_stable_ties() -> None:
    history = np.zeros((3, 168))
    history[1, 24 + 18] = 4  # Tue 18-21 block of unit 1
    history[2, 3] = 2  # Mon 03-06 block of unit 2
    history[0, 100] = 2  # same count, smaller unit total -> after unit 2's block
    history[2, 150] = 1
    mask = pb.naive_block_mask(history, 2)
    assert set(np.flatnonzero(mask[1])) == {42, 43, 44}
    assert set(np.flatnonzero(mask[2])) == {3, 4, 5} and not mask[0].any()


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
    got = {r["model"]: r["value"] for r in out.iter_rows(named=True)}
    assert set(got) == {"model", "hindsight", "naive_blocks"}
    assert 0 < got["model"] <= got["hindsight"] and got["naive_blocks"] <= got["hindsight"]
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
    assert got[("naive_blocks", "coverage")] == pytest.approx(0.5)  # unit 1's 09-12 blocks
    assert got[("naive_windows", "coverage")] == 0.0  # unit 0 had no history: 2 empty blocks
