"""Hit rate, PAI, PEI*, deviance and coverage on hand-made frames."""

from __future__ import annotations

import math

import polars as pl
import pytest

from roadsafety.models.metrics import count_metrics, cutoffs, ranking_metrics


def _get(frame: pl.DataFrame, metric: str, k: str) -> float:
    return frame.filter((pl.col("metric") == metric) & (pl.col("k") == k))["value"][0]


def test_cutoffs() -> None:
    assert cutoffs(250) == {"top1pct": 3, "top5pct": 13, "budget100": 100}
    assert cutoffs(40)["budget100"] == 40


def test_ranking_metrics_by_hand() -> None:
    # 200 units; the model ranks unit 0 and 1 first; actual crashes: unit 0: 3, unit 1: 0, unit 2: 5.
    n = 200
    frame = pl.DataFrame(
        {
            "key": range(n),
            "score": [10.0, 9.0] + [0.0] * (n - 2),
            "y": [3.0, 0.0, 5.0] + [0.0] * (n - 3),
        }
    )
    m = ranking_metrics(frame, "score", "y", "key", total=10.0)
    assert _get(m, "hit_rate", "top1pct") == pytest.approx(0.3)  # k = 2: 3 of 10
    assert _get(m, "pai", "top1pct") == pytest.approx(0.3 / (2 / n))
    assert _get(m, "pei_star", "top1pct") == pytest.approx(3 / 8)  # best 2 units hold 8
    assert _get(m, "hit_rate", "budget100") == pytest.approx(0.8)  # ties by key: unit 2 is in


def test_count_metrics_and_coverage() -> None:
    frame = pl.DataFrame({"mu": [1.0, 2.0], "y": [1.0, 4.0], "lo": [0.0, 0.0], "hi": [2.0, 3.0]})
    m = count_metrics(frame, "mu", "y", {"coverage80": ("lo", "hi")})
    dev = (0 + 2 * (4 * math.log(2) - 2)) / 2
    assert _get(m, "poisson_deviance", "") == pytest.approx(dev)
    assert _get(m, "mae", "") == pytest.approx(1.0)
    assert _get(m, "coverage80", "") == pytest.approx(0.5)
