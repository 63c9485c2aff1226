"""Where-and-when backtest: does the plan put teams where and when the held-out crashes happen?

Pure functions, no I/O. For one scored window (a fold, or a held-out year) and a weekly budget of
team-hours with fixed-length shifts, the score of a deployment is the share of the window's timed
crashes (all, or fatal+grievous) that fall in a chosen unit during a chosen hour of the week. Three
deployments are scored with the same budget:

- ``intensity`` (and ``intensity_naive3y``): :func:`roadsafety.models.allocation.allocate` on the
  where-and-when model's expected crashes per unit × hour of the week; the first uses the model's
  unit totals (LightGBM), the second the units' 3-year counts, so the two show what *where* adds;
- ``naive_blocks``: the pivot-table plan — the (unit, 3-hour block of the week) cells with the most
  crashes in the 156 weeks before the window, ``budget // shift_hours`` of them, ties in arbitrary
  order. With three years of data most cells hold 0, 1 or 2 crashes, so the cut-off falls inside a
  large group of equal counts; the score is the exact expected value under a uniformly random order
  of the ties (every cell above the cut, plus ``m / g`` of the test-window crashes of the ``g``
  cells at the cut-off count when ``m`` of them fit), :func:`naive_block_weights`. The targets are
  measured against it;
- ``naive_blocks_ranked``: the same count with its ties broken by the unit's 3-year total, then
  the block's regional count (:func:`naive_block_mask`) — a stronger baseline than a pivot table
  (the tie-break is itself a *where* model), shown beside it;
- ``hindsight``: the allocation on the window's actual counts — the most any plan could catch.

:func:`peak_window_metrics` scores the risk list's ``peak_window`` of its first ``top`` units at
the cell-hours those windows cost, beside naive blocks with the same cell-hours (anywhere; both tie rules) and
beside ``naive_windows``: the same places, each during its own busiest 3-hour blocks of the last 156
weeks for the same hours, ties in random order (what *when* adds on the list's own places).

:func:`tie_structure` describes the naive cut: the count at the cut-off, how many cells are above it
and how many share it (metrics ``tie_count``, ``tie_above``, ``tie_group`` of ``naive_blocks``).

Rows follow :data:`roadsafety.models.backtest.METRICS_SCHEMA` without the fold columns: ``model,
level, metric, k, value`` with level ``plan`` / ``plan_fatal_grievous`` (k = the budget) or
``peak_window`` (k = ``top<N>``), metric ``coverage`` (and ``cell_hours`` for peak windows).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

from roadsafety.models import allocation, intensity, profile
from roadsafety.models.backtest import METRICS_SCHEMA

BUDGETS = (300, 1200)
NAIVE_WEEKS = 156
ROW_SCHEMA = {
    c: t for c, t in METRICS_SCHEMA.items() if c in ("model", "level", "metric", "k", "value")
}


@dataclass(frozen=True)
class Window:
    """A scored window: day numbers ``[origin, origin + horizon)``."""

    origin: int
    horizon: int


def bin_counts(events: pl.DataFrame, n_units: int, start: int, end: int, fg: bool) -> np.ndarray:
    """Timed crashes per unit and hour-of-week bin with ``start <= day < end``."""
    keep = (pl.col("day") >= start) & (pl.col("day") < end) & pl.col("hour").is_not_null()
    if fg:
        keep &= pl.col("fg") > 0
    flat = events.filter(keep).select(
        pl.col("unit_idx") * 168 + ((pl.col("day") + 3) % 7) * 24 + pl.col("hour")
    )
    counts = np.bincount(flat.to_series().to_numpy().astype(np.int64), minlength=n_units * 168)
    return counts.reshape(n_units, 168).astype(np.float64)


def block_counts(history: np.ndarray, block_hours: int = 3) -> np.ndarray:
    """``[n, 168 / block_hours]`` crashes per (unit, aligned block of the week) from hourly bins."""
    n = history.shape[0]
    return history.reshape(n, 7, 24 // block_hours, block_hours).sum(axis=3).reshape(n, -1)


@dataclass(frozen=True)
class TieStructure:
    """Where the naive cut falls: ``count`` crashes at the cut-off, ``above`` cells with more,
    ``group`` cells with exactly ``count``, of which ``taken`` fit in the budget."""

    count: float
    above: int
    group: int
    taken: int


def tie_structure(history: np.ndarray, n_blocks: int, block_hours: int = 3) -> TieStructure:
    """The cut of the ``n_blocks`` busiest (unit, block) cells (``n_blocks`` ≥ 1)."""
    flat = block_counts(history, block_hours).ravel()
    n_blocks = min(max(n_blocks, 1), flat.size)
    cut = float(np.partition(flat, flat.size - n_blocks)[flat.size - n_blocks])
    above = int((flat > cut).sum())
    return TieStructure(cut, above, int((flat == cut).sum()), n_blocks - above)


def naive_block_weights(history: np.ndarray, n_blocks: int, block_hours: int = 3) -> np.ndarray:
    """``[n, 168]`` chance that each hour is covered by the plain-count plan, ties in random order.

    The plan takes the ``n_blocks`` (unit, aligned block) cells with most history crashes; when
    the cut falls among ``g`` cells with the same count and ``m`` of them fit, each of them is
    taken with probability ``m / g`` (uniformly random order), the others with 1 or 0. Scored with
    :func:`plan_backtest._share`, this is the plan's exact expected coverage.
    """
    blocks = block_counts(history, block_hours)
    if n_blocks <= 0:
        return np.zeros(history.shape)
    if n_blocks >= blocks.size:
        return np.ones(history.shape)
    ties = tie_structure(history, n_blocks, block_hours)
    weights = (blocks > ties.count) + (blocks == ties.count) * (ties.taken / ties.group)
    return np.repeat(weights.astype(np.float64), block_hours, axis=1)  # blocks onto their hours


def naive_block_mask(history: np.ndarray, n_blocks: int, block_hours: int = 3) -> np.ndarray:
    """``[n, 168]`` mask of the ``n_blocks`` (unit, aligned block) cells with most history crashes,
    ties broken by the unit's total, then the block's regional count, then the unit
    (``naive_blocks_ranked``)."""
    n = history.shape[0]
    per_day = 24 // block_hours
    blocks = block_counts(history, block_hours)
    unit_total = np.repeat(history.sum(axis=1), 7 * per_day)
    region = np.tile(blocks.sum(axis=0), n)
    order = np.lexsort((np.arange(blocks.size), -region, -unit_total, -blocks.ravel()))
    mask = np.zeros((n, 168), dtype=bool)
    for flat in order[: max(n_blocks, 0)]:
        u, b = divmod(int(flat), 7 * per_day)
        first = (b // per_day) * 24 + (b % per_day) * block_hours
        mask[u, first : first + block_hours] = True
    return mask


def _share(weights: np.ndarray, actual: np.ndarray) -> float:
    """Share of ``actual`` crashes covered by a mask (or expected under coverage chances)."""
    total = actual.sum()
    return float((actual * weights).sum() / total) if total > 0 else float("nan")


def naive_rows(
    history: np.ndarray, actual: np.ndarray, n_blocks: int, level: str, k: str, block_hours: int = 3
) -> list[tuple]:
    """Metric rows of both naive plans with ``n_blocks`` blocks, and the cut's tie structure."""
    ties = tie_structure(history, n_blocks, block_hours)
    random = naive_block_weights(history, n_blocks, block_hours)
    ranked = naive_block_mask(history, n_blocks, block_hours)
    return [
        ("naive_blocks", level, "coverage", k, _share(random, actual)),
        ("naive_blocks_ranked", level, "coverage", k, _share(ranked, actual)),
        ("naive_blocks", level, "tie_count", k, ties.count),
        ("naive_blocks", level, "tie_above", k, float(ties.above)),
        ("naive_blocks", level, "tie_group", k, float(ties.group)),
    ]


def plan_coverage(
    values: dict[str, np.ndarray],
    events: pl.DataFrame,
    window: Window,
    *,
    fg: bool = False,
    budgets: tuple[int, ...] = BUDGETS,
    shift_hours: int = 3,
) -> pl.DataFrame:
    """Coverage of each model's plan, naive blocks and hindsight at each budget.

    Args:
        values: model name → ``[n, 168]`` expected crashes per unit and bin for the window.
        events: ``unit_idx, day, hour, fg`` events (history before and actuals in the window).
        window: the scored window.
        fg: score fatal+grievous crashes (the models' values should then be for them too).
        budgets: weekly team-hours.
        shift_hours: hours per shift.
    """
    n = next(iter(values.values())).shape[0]
    end = window.origin + window.horizon
    actual = bin_counts(events, n, window.origin, end, fg)
    history = bin_counts(events, n, window.origin - 7 * NAIVE_WEEKS, window.origin, fg)
    level = "plan_fatal_grievous" if fg else "plan"
    rows = []
    for team_hours in budgets:
        budget = allocation.Budget(team_hours, shift_hours)
        plans = {name: v for name, v in values.items()} | {"hindsight": actual}
        for name, v in plans.items():
            shifts = allocation.allocate(v, budget)
            mask = allocation.covered_mask(shifts, n, shift_hours)
            rows.append((name, level, "coverage", str(team_hours), _share(mask, actual)))
        blocks = int(team_hours // shift_hours)
        rows += naive_rows(history, actual, blocks, level, str(team_hours), shift_hours)
    return pl.DataFrame(rows, schema=ROW_SCHEMA, orient="row")


def peak_window_metrics(
    masks: np.ndarray, listed: np.ndarray, events: pl.DataFrame, window: Window, top: int
) -> pl.DataFrame:
    """The risk list's peak windows (its first ``top`` units) against naive blocks, same cell-hours.

    Args:
        masks: ``[n, 168]`` the bins each unit's ``peak_window`` covers.
        listed: unit rows of the list's first ``top`` units.
        events: events as in :func:`plan_coverage`.
        window: the scored window.
        top: list length (for the ``k`` label).
    """
    n = masks.shape[0]
    chosen = np.zeros_like(masks)
    chosen[listed] = masks[listed]
    actual = bin_counts(events, n, window.origin, window.origin + window.horizon, False)
    history = bin_counts(events, n, window.origin - 7 * NAIVE_WEEKS, window.origin, False)
    hours = int(chosen.sum())
    own = np.zeros(chosen.shape)
    for u in listed:  # the same places, each during its own busiest blocks of the last 3 years
        own[u] = naive_block_weights(history[u : u + 1], round(masks[u].sum() / 3))[0]
    k = f"top{top}"
    rows = [
        ("risk_list", "peak_window", "coverage", k, _share(chosen, actual)),
        ("risk_list", "peak_window", "cell_hours", k, float(hours)),
        *naive_rows(history, actual, round(hours / 3), "peak_window", k),
        ("naive_windows", "peak_window", "coverage", k, _share(own, actual)),
    ]
    return pl.DataFrame(rows, schema=ROW_SCHEMA, orient="row")


def _spread(frame: pl.DataFrame, column: str, n_units: int) -> np.ndarray:
    """A per-unit frame column as a dense ``[n_units]`` array (0 for units not in the frame)."""
    out = np.zeros(n_units)
    out[frame["unit_idx"].to_numpy()] = frame[column].fill_null(0.0).to_numpy()
    return out


def fold_values(
    frame: pl.DataFrame,
    events: pl.DataFrame,
    units: pl.DataFrame,
    window: Window,
    priors: intensity.IntensityPriors = intensity.IntensityPriors(),
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Expected crashes per unit × bin for the window: ``(all crashes, fatal+grievous)`` per model.

    ``intensity`` uses the frame's LightGBM totals (``expected_lightgbm``, ``expected_lightgbm_fg``
    when present); ``intensity_naive3y`` the units' rates of the 156 weeks before the window.
    Shares come from crashes before ``window.origin`` only.
    """
    n = units.height
    shares = intensity.week_shares(events, units, window.origin, priors)
    first = date(1970, 1, 1) + timedelta(days=window.origin)
    last = first + timedelta(days=window.horizon - 1)
    days = float(window.horizon)
    naive = intensity.history_rates(events, n, window.origin, NAIVE_WEEKS) * days
    naive_fg = intensity.history_rates(events, n, window.origin, NAIVE_WEEKS, fg_only=True) * days
    crashes, fg = {}, {}
    crashes["intensity_naive3y"], fg["intensity_naive3y"] = intensity.window_intensities(
        shares, naive, naive_fg, first, last
    )
    if "expected_lightgbm" in frame.columns:
        totals = _spread(frame, "expected_lightgbm", n)
        has_fg = "expected_lightgbm_fg" in frame.columns
        fg_totals = _spread(frame, "expected_lightgbm_fg", n) if has_fg else totals
        crashes["intensity"], fg_model = intensity.window_intensities(
            shares, totals, fg_totals, first, last
        )
        if has_fg:
            fg["intensity"] = fg_model
    return crashes, fg


def listed_peak_masks(
    frame: pl.DataFrame, values: np.ndarray, top: int
) -> tuple[np.ndarray, np.ndarray]:
    """The risk list's first ``top`` units (by expected crashes + fatal+grievous, as the run ranks)
    and the ``[n, 168]`` bins of every listed unit's peak window (parsed back from its text)."""
    score = frame.select(
        "unit_idx",
        s=pl.col("expected_lightgbm").fill_null(0.0)
        + (
            pl.col("expected_lightgbm_fg")
            if "expected_lightgbm_fg" in frame.columns
            else pl.lit(0.0)
        ),
    ).sort(["s", "unit_idx"], descending=[True, False])
    listed = score["unit_idx"].head(top).to_numpy()
    masks = np.zeros(values.shape, dtype=bool)
    texts = allocation.best_windows([str(u) for u in listed], values[listed])
    for u, text in zip(listed, texts["peak_window"]):
        for dow, hour in profile.parse_peak_window(text):
            masks[u, dow * 24 + hour] = True
    return listed, masks


def fold_plan_metrics(
    frame: pl.DataFrame, events: pl.DataFrame, units: pl.DataFrame, window: Window, top: int = 100
) -> pl.DataFrame:
    """Every where-and-when metric of one fold (plan, plan for fatal+grievous, peak windows)."""
    timed = events.filter(
        (pl.col("day") >= window.origin)
        & (pl.col("day") < window.origin + window.horizon)
        & pl.col("hour").is_not_null()
    )
    if timed.is_empty():
        return pl.DataFrame(
            schema=ROW_SCHEMA
        )  # dates only (e.g. an FIR register): nothing to score
    crashes, fg = fold_values(frame, events, units, window)
    parts = [
        plan_coverage(crashes, events, window),
        plan_coverage(fg, events, window, fg=True),
    ]
    if "intensity" in crashes:
        listed, masks = listed_peak_masks(frame, crashes["intensity"], top)
        parts.append(peak_window_metrics(masks, listed, events, window, top))
    return pl.concat(parts)


def where_closure(unit_metrics: pl.DataFrame, model: str = "lightgbm") -> pl.DataFrame:
    """Where alone: (model − best naive) / (hindsight − best naive) of the year-ahead top-100 list.

    Best naive is the better of ``naive_1y`` and ``naive_3y``; the hindsight list's hit rate is the
    model's hit rate over its PEI* (the most any 100 units could capture).
    """
    hit = unit_metrics.filter(
        (pl.col("metric").is_in(["hit_rate", "pei_star"])) & (pl.col("k") == "budget100")
    )

    def value(name: str, metric: str) -> float | None:
        got = hit.filter((pl.col("model") == name) & (pl.col("metric") == metric))["value"]
        return float(got[0]) if got.len() else None

    own, pei = value(model, "hit_rate"), value(model, "pei_star")
    naive = [
        v for v in (value("naive_1y", "hit_rate"), value("naive_3y", "hit_rate")) if v is not None
    ]
    if own is None or not pei or not naive:
        return pl.DataFrame(schema=ROW_SCHEMA)
    best, ceiling = max(naive), own / pei
    gap = ceiling - best
    closure = (own - best) / gap if gap > 0 else float("nan")
    return pl.DataFrame(
        [(model, "unit", "closure", "budget100", closure)], schema=ROW_SCHEMA, orient="row"
    )
