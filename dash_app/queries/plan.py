"""Reads for the "Plan a drive" page: which published forecast a plan is made from, the plan rows
(built by the exports module, memoised per run and request) and the backtest figures beside them.

The app never forecasts: a plan for dates no run covers exactly is made from the published run
that overlaps them most, each weekday at that run's daily rate
(:func:`roadsafety.exports.plan.build_plan_for`). The choice is stated on the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import polars as pl

from dash_app.queries import AppStore
from dash_app.queries.snapshot import RunRef, published_runs
from roadsafety.exports.geometry import read_paths
from roadsafety.exports.plan import PlanRequest, build_plan_for, next_monday

MIN_RUN_DAYS = 7  # a run moved to other dates must hold every weekday
NAIVE_MODEL, PLAN_MODEL = "naive_blocks", "intensity"
__all__ = ["Plan", "backtest_ratios", "make_plan", "next_monday", "plan_run", "published_range"]


@dataclass(frozen=True)
class Plan:
    """A plan and where it came from.

    Attributes:
        rows: the plan rows (exports' ``PLAN_COLUMNS``).
        run: the published run the plan is made from.
        start: first day of the plan; end: last day (inclusive).
        paths: ``unit_id -> [(lat, lon), ...]``, the road line of stretch rows (for the map).
    """

    rows: pl.DataFrame
    run: RunRef
    start: date
    end: date
    paths: dict

    @property
    def exact(self) -> bool:
        """True when the run's window is the plan's (no moving to other dates)."""
        return (self.run.window_start, self.run.window_end) == (self.start, self.end)

    @property
    def weeks(self) -> float:
        """The plan's length in weeks (``expected_*_covered`` are over all of it)."""
        return ((self.end - self.start).days + 1) / 7


def _runs_with_intensities(con: duckdb.DuckDBPyConnection) -> list[RunRef]:
    """Published runs (newest first) of at least a week that store where-and-when intensities."""
    stored = {
        r[0] for r in con.execute("SELECT DISTINCT run_id FROM unit_week_intensity").fetchall()
    }
    return [r for r in published_runs(con) if r.run_id in stored and r.window_days >= MIN_RUN_DAYS]


def _overlap(run: RunRef, start: date, end: date) -> int:
    return max(0, (min(run.window_end, end) - max(run.window_start, start)).days + 1)


def plan_run(store: AppStore, start: date, end: date) -> RunRef | None:
    """The run to plan ``[start, end]`` from: one of exactly those dates, else the one overlapping
    them most (the serving model's first, then the newest); None when no run overlaps them."""
    runs = store.memo(("plan", "runs"), lambda: store.read(_runs_with_intensities))
    if not runs:
        return None
    serving = runs[0].version_id

    def preference(run: RunRef) -> tuple:
        exact = (run.window_start, run.window_end) == (start, end)
        return (exact, run.version_id == serving, _overlap(run, start, end))

    best = max(runs, key=preference)  # max keeps the first (newest) of equals
    return best if _overlap(best, start, end) else None


def _read_plan(
    con: duckdb.DuckDBPyConnection, run_id: str, request: PlanRequest, start: date, end: date
) -> tuple[pl.DataFrame, dict]:
    rows = build_plan_for(con, run_id, request, start, end)
    return rows, read_paths(con, rows)


def make_plan(store: AppStore, request: PlanRequest, start: date, end: date) -> Plan | None:
    """The plan for the request and dates (memoised per run, request and dates); None when no
    published run overlaps the dates.

    Raises:
        ExportError: from the exports module (a bad option, a scope that matches no place).
    """
    run = plan_run(store, start, end)
    if run is None:
        return None
    key = ("plan", run.run_id, request, start, end)
    rows, paths = store.memo(key, lambda: store.read(_read_plan, run.run_id, request, start, end))
    return Plan(rows, run, start, end, paths)


def published_range(store: AppStore) -> tuple[date, date] | None:
    """First and last day the runs a plan can be made from cover (None without any)."""
    runs = store.memo(("plan", "runs"), lambda: store.read(_runs_with_intensities))
    if not runs:
        return None
    return min(r.window_start for r in runs), max(r.window_end for r in runs)


def backtest_ratios(store: AppStore, objective: str) -> dict[str, float]:
    """Budget → the champion's backtest coverage of its plans over naive (place, 3-hour block)
    counts with the same team-hours (mean over folds), for the objective; empty when not stored."""
    level = "plan_fatal_grievous" if objective == "fatal_grievous" else "plan"
    metrics = store.snapshot().health.backtest
    if metrics.is_empty():
        return {}
    rows = metrics.filter(
        (pl.col("level") == level)
        & (pl.col("metric") == "coverage")
        & pl.col("model").is_in([PLAN_MODEL, NAIVE_MODEL])
    )
    out = {}
    for budget in sorted(set(rows["k"].to_list()), key=lambda k: float(k) if k else 0.0):
        value = dict(rows.filter(pl.col("k") == budget).select("model", "value").iter_rows())
        naive, model = value.get(NAIVE_MODEL), value.get(PLAN_MODEL)
        if naive and model is not None and naive > 0:
            out[budget] = model / naive
    return out
