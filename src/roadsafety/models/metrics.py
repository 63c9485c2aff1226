"""Ranking and count metrics for forecasts scored against what really happened (pure Polars).

For a list of the top ``k`` units by a model's score:

- hit rate: crashes in the listed units ÷ all crashes in the window (``total`` may include crashes in
  units outside the scored universe, so a model is never flattered by the universe it chose);
- PAI (predictive accuracy index): hit rate ÷ (k ÷ N), N the number of scored units;
- PEI*: crashes in the listed units ÷ the most any k units could have captured.

Cut-offs (:func:`cutoffs`): ``top1pct`` = ceil(1% of N), ``top5pct`` = ceil(5% of N), ``budget100`` =
min(100, N). Count metrics: mean Poisson deviance, MAE, and the share of actual counts inside the 80%
and 95% predictive intervals. Ties in a score are broken by ``key`` (ascending) so results are stable.
"""

from __future__ import annotations

import math

import polars as pl

METRIC_SCHEMA = {"metric": pl.Utf8, "k": pl.Utf8, "value": pl.Float64}


def cutoffs(n: int) -> dict[str, int]:
    """The list sizes metrics are reported at, for a universe of ``n`` units."""
    return {
        "top1pct": max(1, math.ceil(0.01 * n)),
        "top5pct": max(1, math.ceil(0.05 * n)),
        "budget100": min(100, n),
    }


def ranking_metrics(
    frame: pl.DataFrame, score: str, actual: str, key: str, total: float | None = None
) -> pl.DataFrame:
    """Hit rate, PAI and PEI* at every cut-off.

    Args:
        frame: one row per scored unit (or unit × time block).
        score: ranking column (higher = riskier).
        actual: observed count column.
        key: tie-break column.
        total: all crashes in the window (defaults to the frame's sum).

    Returns:
        Long frame :data:`METRIC_SCHEMA`.
    """
    n = frame.height
    if n == 0:
        return pl.DataFrame(schema=METRIC_SCHEMA)
    total = float(frame[actual].sum()) if total is None else float(total)
    ranked = frame.sort([score, key], descending=[True, False])[actual].cast(pl.Float64)
    best = frame[actual].cast(pl.Float64).sort(descending=True)
    rows = []
    for name, k in cutoffs(n).items():
        got, ideal = float(ranked.head(k).sum()), float(best.head(k).sum())
        hit = got / total if total > 0 else float("nan")
        rows += [
            ("hit_rate", name, hit),
            ("pai", name, hit / (k / n) if total > 0 else float("nan")),
            ("pei_star", name, got / ideal if ideal > 0 else float("nan")),
        ]
    return pl.DataFrame(rows, schema=METRIC_SCHEMA, orient="row")


def count_metrics(
    frame: pl.DataFrame,
    expected: str,
    actual: str,
    intervals: dict[str, tuple[str, str]] | None = None,
) -> pl.DataFrame:
    """Mean Poisson deviance, MAE and interval coverage.

    Args:
        frame: rows with the expected and actual counts.
        expected: predicted mean column.
        actual: observed count column.
        intervals: ``{"coverage80": (lo_col, hi_col), ...}``.

    Returns:
        Long frame :data:`METRIC_SCHEMA` with ``k = ''``.
    """
    mu = pl.col(expected).cast(pl.Float64).clip(1e-9)
    y = pl.col(actual).cast(pl.Float64)
    dev = 2 * (pl.when(y > 0).then(y * (y / mu).log()).otherwise(0.0) - (y - mu))
    exprs = [dev.mean().alias("poisson_deviance"), (y - mu).abs().mean().alias("mae")]
    for name, (lo, hi) in (intervals or {}).items():
        exprs.append(((y >= pl.col(lo)) & (y <= pl.col(hi))).cast(pl.Float64).mean().alias(name))
    row = frame.select(exprs).row(0, named=True)
    return pl.DataFrame(
        [(m, "", float(v) if v is not None else float("nan")) for m, v in row.items()],
        schema=METRIC_SCHEMA,
        orient="row",
    )
