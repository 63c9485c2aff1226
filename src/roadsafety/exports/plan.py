"""The drive plan: where and when to put the teams for a weekly budget of team-hours.

Public API (the CLI ``roadsafety plan``, the app's "Plan a drive" page and the batch job call it):

* :class:`PlanRequest` — the options (``team_hours``, ``shift_hours``, ``objective``, ``district``,
  ``police_station``); :meth:`PlanRequest.validate` raises :class:`ExportError` naming the option.
* :func:`build_plan` ``(con, run_id, request) -> pl.DataFrame`` — the plan rows with exactly
  :data:`PLAN_COLUMNS` (DESIGN.md "Drive plan"), from an open read connection: one row per place,
  ranked by the expected crashes its windows cover (for ``objective='fatal_grievous'``, fatal +
  grievous crashes). Same run and request give identical rows.
* :func:`plan_rows` — the same from frames and arrays (no warehouse), for callers that already
  hold a run's intensities.
* :func:`build_plan_for` ``(con, run_id, request, start, end)`` — the plan for other dates than the
  run's own (the app, which never forecasts, plans next Monday's weeks from a published run): each
  weekday's expected crashes at the run's daily rate (:func:`rescale_window`), ``window_start`` /
  ``window_end`` the plan's dates. The run must cover at least a week.
* :func:`next_monday` — the first day of next week's plan (the app's default, the job's weekly plan).

The allocation (:func:`roadsafety.models.allocation.allocate`) spends at most ``team_hours`` a week
on whole ``shift_hours`` shifts over the run's stored where-and-when intensities (table
``unit_week_intensity``), so the plan and the risk list's ``peak_window`` come from the same model.
The plan repeats every week of the run's window; ``expected_*_covered`` are over the whole window.
``window`` is in the ``peak_window`` format; ``team_hours_per_week`` is hours × cells.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date, timedelta

import duckdb
import numpy as np
import polars as pl

from roadsafety.exports.risk_list import ExportError, RiskListFilter, complete_units, filter_units
from roadsafety.exports.risk_list import load_run as load_run_info
from roadsafety.models import allocation, intensity
from roadsafety.store.export_store import RunInfo, read_forecast_units
from roadsafety.store.model_store import read_week_intensity

PLAN_COLUMNS = (
    "rank",
    "unit_id",
    "h3_cell",
    "road_name",
    "km_from",
    "km_to",
    "police_station",
    "district",
    "latitude",
    "longitude",
    "window",
    "team_hours_per_week",
    "expected_crashes_covered",
    "expected_fatal_grievous_covered",
    "why",
    "window_start",
    "window_end",
    "model_version",
)
OBJECTIVES = {"all": "crashes", "fatal_grievous": "fatal_grievous"}
OBJECTIVE_WORDS = {"all": "expected crashes", "fatal_grievous": "expected fatal + grievous crashes"}
MAX_SHIFT_HOURS = 12


@dataclass(frozen=True)
class PlanRequest:
    """Options of a drive plan.

    Attributes:
        team_hours: weekly budget (one team on one unit for one hour costs 1).
        shift_hours: whole hours per shift (1-12), shifts start on the hour.
        objective: ``all`` (expected crashes) or ``fatal_grievous``.
        district: only this district (case-insensitive).
        police_station: only this police station (case-insensitive).
    """

    team_hours: float
    shift_hours: int = 3
    objective: str = "all"
    district: str | None = None
    police_station: str | None = None

    def validate(self) -> None:
        """Raise :class:`ExportError` naming the first bad option."""
        hours = self.team_hours
        if (
            isinstance(hours, bool)
            or not isinstance(hours, int | float)
            or not math.isfinite(hours)
        ):
            raise ExportError(f"--team-hours must be a number of hours, got {hours!r}")
        if hours <= 0:
            raise ExportError(f"--team-hours must be more than 0, got {hours:g}")
        if not isinstance(self.shift_hours, int) or not 1 <= self.shift_hours <= MAX_SHIFT_HOURS:
            raise ExportError(
                f"--shift-hours must be a whole number of hours from 1 to {MAX_SHIFT_HOURS}, "
                f"got {self.shift_hours!r}"
            )
        if hours < self.shift_hours:
            raise ExportError(
                f"--team-hours {hours:g} is less than one shift (--shift-hours {self.shift_hours})"
            )
        if self.objective not in OBJECTIVES:
            raise ExportError(
                f"--objective must be one of {', '.join(OBJECTIVES)}, got {self.objective!r}"
            )

    def as_params(self) -> dict:
        """The request as a JSON-ready dict (audit rows and summaries)."""
        return {
            "team_hours": self.team_hours,
            "shift_hours": self.shift_hours,
            "objective": self.objective,
            "district": self.district,
            "police_station": self.police_station,
        }


def _why(share: float, objective: str, factors: str | None) -> str:
    what = "fatal + grievous crashes" if objective == "fatal_grievous" else "crashes"
    text = f"{share:.0%} of this place's expected {what} fall in these hours"
    return f"{text}; {factors}" if factors and factors != "-" else text


def _row(
    unit: dict, mask: np.ndarray, crashes: np.ndarray, fg: np.ndarray, request: PlanRequest
) -> dict:
    """One plan row from a unit's attributes, covered bins and intensities."""
    covered = float(crashes[mask].sum())
    covered_fg = float(fg[mask].sum())
    own = fg if request.objective == "fatal_grievous" else crashes
    share = float(own[mask].sum() / own.sum()) if own.sum() > 0 else 0.0
    return {
        **unit,
        "window": allocation.window_text(mask),
        "team_hours_per_week": int(mask.sum()),
        "expected_crashes_covered": covered,
        "expected_fatal_grievous_covered": covered_fg,
        "why": _why(share, request.objective, unit.get("top_factors")),
    }


def plan_rows(
    units: pl.DataFrame, crashes: np.ndarray, fg: np.ndarray, request: PlanRequest, info: RunInfo
) -> pl.DataFrame:
    """The plan over units already filtered to the scope (pure; no warehouse).

    Args:
        units: one row per candidate unit: ``unit_id`` and the place columns of
            :data:`PLAN_COLUMNS` (missing ones are empty), optional ``top_factors``.
        crashes: ``[n, 168]`` expected crashes per hour-of-week bin over the run's window.
        fg: the same for fatal + grievous crashes.
        request: the (validated) options.
        info: the run (window and model version).

    Returns:
        Rows with exactly :data:`PLAN_COLUMNS`, ranked from 1.
    """
    request.validate()
    values = fg if request.objective == "fatal_grievous" else crashes
    shifts = allocation.allocate(values, allocation.Budget(request.team_hours, request.shift_hours))
    masks = allocation.covered_mask(shifts, units.height, request.shift_hours)
    chosen = sorted(set(shifts["unit"].to_list()))
    records = [_row(units.row(u, named=True), masks[u], crashes[u], fg[u], request) for u in chosen]
    key = (
        "expected_fatal_grievous_covered"
        if request.objective == "fatal_grievous"
        else ("expected_crashes_covered")
    )
    rows = pl.DataFrame(records, infer_schema_length=None) if records else _empty()
    rows = _with_place_columns(rows).sort([key, "unit_id"], descending=[True, False])
    return rows.with_columns(
        rank=pl.int_range(1, rows.height + 1, dtype=pl.Int64),
        window_start=pl.lit(info.window_start, dtype=pl.Date),
        window_end=pl.lit(info.window_end, dtype=pl.Date),
        model_version=pl.lit(info.version_id, dtype=pl.Utf8),
    ).select(PLAN_COLUMNS)


_TYPES = {
    "rank": pl.Int64,
    "unit_id": pl.Utf8,
    "h3_cell": pl.Utf8,
    "road_name": pl.Utf8,
    "km_from": pl.Float64,
    "km_to": pl.Float64,
    "police_station": pl.Utf8,
    "district": pl.Utf8,
    "latitude": pl.Float64,
    "longitude": pl.Float64,
    "window": pl.Utf8,
    "team_hours_per_week": pl.Int64,
    "expected_crashes_covered": pl.Float64,
    "expected_fatal_grievous_covered": pl.Float64,
    "why": pl.Utf8,
}


def _with_place_columns(rows: pl.DataFrame) -> pl.DataFrame:
    """Every contract column present with its type (``km_from``/``km_to`` empty but for stretches)."""
    return rows.with_columns(
        (pl.col(c) if c in rows.columns else pl.lit(None)).cast(t).alias(c)
        for c, t in _TYPES.items()
        if c != "rank"
    )


def _empty() -> pl.DataFrame:
    return pl.DataFrame(schema={c: t for c, t in _TYPES.items() if c != "rank"})


def scoped_units(
    con: duckdb.DuckDBPyConnection, run_id: str, request: PlanRequest
) -> tuple[pl.DataFrame, np.ndarray, np.ndarray]:
    """The run's units in the request's scope that have stored intensities, and those intensities.

    Raises:
        ExportError: when the run has no stored intensities, or the scope matches no unit.
    """
    week = read_week_intensity(con, run_id)
    if week.is_empty():
        raise ExportError(
            f"forecast run {run_id!r} has no where-and-when intensities (made before plans "
            "existed): recreate it with `roadsafety forecast --start ... --end ... --force`"
        )
    units = complete_units(read_forecast_units(con, run_id))
    scope = RiskListFilter(district=request.district, police_station=request.police_station)
    units = filter_units(units, scope).join(week, on="unit_id", how="inner").sort("unit_id")
    if units.is_empty():
        raise ExportError("no place in this scope has where-and-when intensities in the run")
    crashes = units["crashes"].to_numpy().astype(np.float64)
    fg = units["fatal_grievous"].to_numpy().astype(np.float64)
    return units.drop("crashes", "fatal_grievous"), crashes, fg


def build_plan(con: duckdb.DuckDBPyConnection, run_id: str, request: PlanRequest) -> pl.DataFrame:
    """The drive plan of a forecast run, with exactly :data:`PLAN_COLUMNS`.

    Args:
        con: an open (read) connection to the warehouse.
        run_id: a complete forecast run with stored intensities.
        request: the options.

    Raises:
        ExportError: on a bad option, an unknown run, a run without intensities or an empty scope.
    """
    request.validate()
    info = load_run_info(con, run_id)
    units, crashes, fg = scoped_units(con, run_id, request)
    return plan_rows(units, crashes, fg, request, info)


def rescale_window(
    values: np.ndarray, run_start: date, run_end: date, start: date, end: date
) -> np.ndarray:
    """Expected values per hour-of-week bin over ``[run_start, run_end]`` moved to ``[start, end]``.

    Each bin keeps its weekday's daily rate: it is multiplied by how often that weekday occurs in
    the new window over how often it occurs in the run's window.

    Raises:
        ExportError: when the run's window misses a weekday (shorter than a week).
    """
    before = intensity.day_counts(run_start, run_end)
    if (before == 0).any():
        raise ExportError(
            f"forecast run {run_start}..{run_end} is shorter than a week: it cannot be moved to "
            "other dates"
        )
    factor = np.repeat(intensity.day_counts(start, end) / before, 24)
    return values * factor[None, :]


def build_plan_for(
    con: duckdb.DuckDBPyConnection, run_id: str, request: PlanRequest, start: date, end: date
) -> pl.DataFrame:
    """The drive plan for ``[start, end]`` from a run of other dates (module docstring).

    Same as :func:`build_plan` when the dates are the run's own.

    Raises:
        ExportError: as :func:`build_plan`, when ``end`` is before ``start``, or when the run
            covers less than a week and the dates differ.
    """
    request.validate()
    if end < start:
        raise ExportError(f"the plan's last day {end} is before its first day {start}")
    info = load_run_info(con, run_id)
    if (start, end) == (info.window_start, info.window_end):
        return build_plan(con, run_id, request)
    units, crashes, fg = scoped_units(con, run_id, request)
    crashes = rescale_window(crashes, info.window_start, info.window_end, start, end)
    fg = rescale_window(fg, info.window_start, info.window_end, start, end)
    moved = replace(info, window_start=start, window_end=end)
    return plan_rows(units, crashes, fg, request, moved)


def next_monday(today: date) -> date:
    """The first Monday after ``today`` (a Monday gives the one a week later)."""
    return today + timedelta(days=7 - today.weekday())
