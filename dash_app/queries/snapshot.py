"""SQL half of :mod:`dash_app.queries`: reads that build the cached snapshot and per-unit detail.

Only :mod:`dash_app.queries` calls these; each takes an open read-only connection. Personal fields
(``vehicle_reg_hash``, raw source rows) are never selected.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import duckdb
import polars as pl

from dash_app.queries import health as health_sql
from dash_app.queries.challans import RECENT, ChallanIndex, read_challan_index
from dash_app.queries.health import Health
from roadsafety.errors import NoMatchError
from roadsafety.store import challan_days
from roadsafety.store.export_store import RunInfo as RunRef  # the app names a shown run a RunRef
from roadsafety.store.units import fill_h3_cells
from roadsafety.vocabulary import ALL as ALL_DISTRICTS
from roadsafety.vocabulary import UNKNOWN

__all__ = ["ALL_DISTRICTS", "Health", "RunRef", "Snapshot", "UnitDetail", "build_snapshot"]


@dataclass(frozen=True)
class Snapshot:
    """What the pages read, built once per warehouse version."""

    runs: dict[int, RunRef]
    units: pl.DataFrame
    districts: list[str]
    periods: pl.DataFrame
    daily_last_year: pl.DataFrame  # district (and ``(all)``), day, crashes, fatal_grievous
    weekly_history: pl.DataFrame
    district_profile: pl.DataFrame
    offences: pl.DataFrame
    health: Health
    paths: dict = field(default_factory=dict)  # unit_id -> road line [(lat, lon), ...] of stretches
    today: date | None = None  # the app's "today" when the snapshot was read
    # run_id -> (run, its completed forecast units): what every risk / gap list of the run ranks
    lists: dict[str, tuple[RunRef, pl.DataFrame]] = field(default_factory=dict)
    challans: ChallanIndex | None = None  # per-place challan days and mix (corridor detail)


@dataclass(frozen=True)
class UnitDetail:
    """One unit (or a corridor's cells): attributes, forecasts, history, recent records."""

    units: pl.DataFrame
    forecasts: pl.DataFrame
    monthly: pl.DataFrame
    crashes: pl.DataFrame
    challans: pl.DataFrame
    challan_mix: pl.DataFrame
    profile: pl.DataFrame
    blackspot: dict


def _frame(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pl.DataFrame:
    return con.execute(sql, params or []).pl()


def published_runs(con: duckdb.DuckDBPyConnection) -> list[RunRef]:
    """Every complete (published) forecast run, newest first.

    Runs are only ever made with the champion of their day, so the newest complete run is what to
    serve. Right after a promotion the new champion has no run yet: the previous champion's runs
    keep serving until the job publishes the new ones (never an empty page in between).
    """
    rows = con.execute(
        """SELECT r.run_id, r.version_id, r.window_start, r.window_end,
                  coalesce(r.data_cutoff, m.as_of), r.created_at
           FROM forecast_runs r
           LEFT JOIN model_versions m ON m.version_id = r.version_id
           WHERE r.status = 'complete'
           ORDER BY r.created_at DESC, r.run_id DESC"""
    ).fetchall()
    return [RunRef(*r) for r in rows]


def pick_runs(runs: list[RunRef], windows: tuple[int, ...], today: date) -> dict[int, RunRef]:
    """Per standard window, the newest run of that length, preferring runs not yet over.

    When no run has the exact length, the nearest length stands in (its dates are shown).
    """
    chosen: dict[int, RunRef] = {}
    for days in windows:
        exact = [r for r in runs if r.window_days == days]
        pool = exact or sorted(
            runs,
            key=lambda r: (abs(r.window_days - days), r.created_at or datetime.min),
            reverse=False,
        )
        if not pool:
            continue
        current = [r for r in pool if r.window_end >= today]
        chosen[days] = (current or pool)[0]
    return chosen


def _unit_frame(con: duckdb.DuckDBPyConnection, runs: dict[int, RunRef]) -> pl.DataFrame:
    parts = []
    for days, run in runs.items():
        part = _frame(
            con,
            """SELECT f.unit_id, f.expected_crashes, f.expected_fatal_grievous,
                      f.crashes_lo80, f.crashes_hi80, f.crashes_lo95, f.crashes_hi95,
                      f.risk_band, f.rank, f.peak_window, f.top_factors, f.morth_blackspot,
                      f.recent_challans, u.kind, u.h3_cell, u.road_name, u.km_from, u.km_to,
                      u.road_category, u.police_station, u.district, u.latitude, u.longitude
               FROM forecasts f LEFT JOIN spatial_units u ON u.unit_id = f.unit_id
               WHERE f.run_id = ?""",
            [run.run_id],
        )
        parts.append(
            part.with_columns(pl.lit(days).alias("window_days"), pl.lit(run.run_id).alias("run_id"))
        )
    if not parts:
        return pl.DataFrame()
    return complete_cells(pl.concat(parts, how="vertical_relaxed"))


def complete_cells(units: pl.DataFrame) -> pl.DataFrame:
    """Cells and centres of H3 units ``spatial_units`` does not describe; no district → UNKNOWN."""
    return fill_h3_cells(units).with_columns(pl.col("district").fill_null(UNKNOWN))


LAST_YEAR_DAYS = 364  # 52 weeks: the same weekdays a year earlier


def daily_last_year(
    con: duckdb.DuckDBPyConnection, runs: dict[int, RunRef], periods: pl.DataFrame
) -> pl.DataFrame:
    """Crashes per district (and ``(all)``) and day, 364 days before every day the app forecasts.

    Every crash counts (with or without a place), as in the weekly history and the weekly
    forecast, so a forecast total and "the same days last year" count the same things.
    """
    starts = [r.window_start for r in runs.values()]
    ends = [r.window_end for r in runs.values()]
    if not periods.is_empty():
        starts.append(periods["period_start"].min())
        ends.append(periods["period_end"].max())
    if not starts:
        return pl.DataFrame()
    lag = timedelta(days=LAST_YEAR_DAYS)
    return _frame(
        con,
        """SELECT coalesce(district, ?) AS district, CAST(occurred_at AS DATE) AS day,
                  count(*) AS crashes,
                  count(*) FILTER (WHERE severity IN ('fatal', 'grievous')) AS fatal_grievous
           FROM accidents
           WHERE occurred_at >= CAST(? AS DATE) AND occurred_at < CAST(? AS DATE) + INTERVAL 1 DAY
           GROUP BY GROUPING SETS ((1, 2), (2))""",
        [UNKNOWN, min(starts) - lag, max(ends) - lag],
    ).with_columns(pl.col("district").fill_null(ALL_DISTRICTS))


def _period_run(con: duckdb.DuckDBPyConnection, runs: dict[int, RunRef]) -> str | None:
    preferred = [runs[d].run_id for d in sorted(runs, reverse=True)]
    for run_id in preferred:
        if con.execute(
            "SELECT count(*) FROM period_forecasts WHERE run_id = ?", [run_id]
        ).fetchone()[0]:
            return run_id
    row = con.execute(
        """SELECT p.run_id FROM period_forecasts p JOIN forecast_runs r USING (run_id)
           WHERE r.status = 'complete' ORDER BY r.created_at DESC LIMIT 1"""
    ).fetchone()
    return row[0] if row else None


def period_frame(con: duckdb.DuckDBPyConnection, runs: dict[int, RunRef]) -> pl.DataFrame:
    """Weekly period forecasts per district, with a state-wide ``(all)`` series (summed if absent)."""
    run_id = _period_run(con, runs)
    if run_id is None:
        return pl.DataFrame()
    rows = _frame(
        con,
        """SELECT district, period_start, period_end, expected, lo80, hi80, lo95, hi95,
                  coalesce(high_risk, FALSE) AS high_risk, coalesce(drivers, '') AS drivers
           FROM period_forecasts WHERE run_id = ? ORDER BY district, period_start""",
        [run_id],
    )
    if not (rows["district"] == ALL_DISTRICTS).any():
        # no state series stored: sum the districts (bounds summed too, so bands are wider than exact)
        total = rows.group_by("period_start", "period_end").agg(
            *[pl.col(c).sum() for c in ("expected", "lo80", "hi80", "lo95", "hi95")],
            pl.col("high_risk").any(),
            pl.lit("").alias("drivers"),
        )
        rows = pl.concat(
            [rows, total.with_columns(pl.lit(ALL_DISTRICTS).alias("district"))],
            how="diagonal_relaxed",
        )
    return rows


def weekly_history(con: duckdb.DuckDBPyConnection, weeks: int = 104) -> pl.DataFrame:
    """Crashes per district and week (Monday) over the last ``weeks`` weeks of data, plus ``(all)``.

    ``days`` is how many days of the week the data covers (7, but fewer for the last week when
    the data ends mid-week): the page marks such a part-week instead of drawing it as a drop.
    """
    return _frame(
        con,
        """WITH lim AS (SELECT CAST(max(occurred_at) AS DATE) AS hi FROM accidents)
           SELECT coalesce(district, ?) AS district, CAST(date_trunc('week', occurred_at) AS DATE) AS week,
                  count(*) AS crashes,
                  count(*) FILTER (WHERE severity IN ('fatal', 'grievous')) AS fatal_grievous,
                  least(7, date_diff('day', CAST(date_trunc('week', occurred_at) AS DATE), any_value(lim.hi)) + 1) AS days
           FROM accidents, lim
           WHERE occurred_at >= date_trunc('week', lim.hi - to_weeks(?))
           GROUP BY GROUPING SETS ((1, 2), (2))""",
        [UNKNOWN, weeks],
    ).with_columns(pl.col("district").fill_null(ALL_DISTRICTS))


def profile_frame(con: duckdb.DuckDBPyConnection, runs: dict[int, RunRef]) -> pl.DataFrame:
    """Expected crashes by (district, dow, hour) from the unit profiles, else from timed history."""
    run = runs.get(30) or next(iter(runs.values()), None)
    prof = pl.DataFrame()
    if run is not None:
        prof = _frame(
            con,
            """SELECT coalesce(u.district, ?) AS district, p.dow, p.hour,
                      sum(p.share * f.expected_crashes) AS weight
               FROM unit_hour_profile p
               JOIN forecasts f ON f.run_id = p.run_id AND f.unit_id = p.unit_id
               LEFT JOIN spatial_units u ON u.unit_id = p.unit_id
               WHERE p.run_id = ? GROUP BY GROUPING SETS ((1, 2, 3), (2, 3))""",
            [UNKNOWN, run.run_id],
        )
    if prof.is_empty():
        prof = _frame(
            con,
            """SELECT coalesce(district, ?) AS district, isodow(occurred_at) - 1 AS dow,
                      hour(occurred_at) AS hour, count(*)::DOUBLE AS weight
               FROM accidents WHERE has_time AND occurred_at >= (SELECT max(occurred_at) FROM accidents) - INTERVAL 3 YEAR
               GROUP BY GROUPING SETS ((1, 2, 3), (2, 3))""",
            [UNKNOWN],
        )
    prof = prof.with_columns(pl.col("district").fill_null(ALL_DISTRICTS))
    return prof.with_columns(
        (pl.col("weight") / pl.col("weight").sum().over("district")).alias("share")
    )


def offence_frame(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Challans by district and offence in the last 90 days of challan data (from the daily
    aggregate, never the raw rows)."""
    counts = challan_days.offence_counts(con)
    return (
        counts.with_columns(pl.col("district").fill_null(UNKNOWN))
        .group_by("district", "offence")
        .agg(pl.col("challans").sum())
    )


def build_snapshot(
    con: duckdb.DuckDBPyConnection, windows: tuple[int, ...], today: date
) -> Snapshot:
    """Read everything the pages need in one pass."""
    runs = pick_runs(published_runs(con), windows, today)
    units = _unit_frame(con, runs)
    periods = period_frame(con, runs)
    names = _frame(
        con,
        "SELECT DISTINCT district FROM spatial_units WHERE district IS NOT NULL "
        "UNION SELECT district FROM districts WHERE district IS NOT NULL ORDER BY 1",
    )["district"].to_list()
    return Snapshot(
        runs=runs,
        units=units,
        districts=names,
        periods=periods,
        daily_last_year=daily_last_year(con, runs, periods),
        weekly_history=weekly_history(con),
        district_profile=profile_frame(con, runs),
        offences=offence_frame(con),
        health=health_sql.read_health(con),
        paths=stretch_paths(con, units),
        today=today,
        lists=list_units(con, runs),
        challans=read_challan_index(con, RECENT),
    )


def list_units(
    con: duckdb.DuckDBPyConnection, runs: dict[int, RunRef]
) -> dict[str, tuple[RunRef, pl.DataFrame]]:
    """Per shown run, its info and completed forecast units (the exports' one read of a run), so a
    risk or gap list for any filter set is ranked in memory (runs without rows are left out: their
    lists go through the exports' own read, which names the problem)."""
    from roadsafety.errors import ExportError
    from roadsafety.exports.risk_list import read_list_units

    out = {}
    for run in runs.values():
        try:
            out[run.run_id] = read_list_units(con, run.run_id)
        except ExportError:
            continue
    return out


def describe(s: Snapshot) -> str:
    """Sizes of a snapshot's larger parts, for the build log."""
    lists = [units for _, units in s.lists.values()]
    index = s.challans
    parts = [s.units, *lists] + ([index.mix, index.days, index.groups] if index else [])
    mb = sum(f.estimated_size() for f in parts) / 2**20
    n_days = index.days.height if index else 0
    return (
        f"{s.units.height:,} forecast rows, {sum(u.height for u in lists):,} list units, "
        f"{n_days:,} challan-index days; about {mb:.0f} MiB"
    )


def stretch_paths(con: duckdb.DuckDBPyConnection, units: pl.DataFrame) -> dict:
    """Road lines of the forecast's stretch units (the exports' geometry, from the road fit)."""
    from roadsafety.exports.geometry import read_paths

    if units.is_empty() or "kind" not in units.columns:
        return {}
    stretches = units.filter(pl.col("kind") == "stretch").unique("unit_id")
    return read_paths(con, stretches)


def read_bundle(
    con: duckdb.DuckDBPyConnection, run_id: str, params: dict, fmt: str
) -> object:  # ExportBundle
    """The exports module's file content for a risk-list download (rows and companions)."""
    from roadsafety.exports.bundle import risk_list_bundle
    from roadsafety.exports.risk_list import RiskListFilter

    return risk_list_bundle(con, run_id, RiskListFilter(**params), fmt)


def _unless_no_match(build: Callable[[], pl.DataFrame]) -> pl.DataFrame:
    """Rows from an exports builder; a district or police station matching no unit gives none."""
    try:
        return build()
    except NoMatchError:
        return pl.DataFrame()


def read_risk_rows(con: duckdb.DuckDBPyConnection, run_id: str, params: dict) -> pl.DataFrame:
    """The exports module's risk rows for a run (an unmatched filter gives an empty frame)."""
    from roadsafety.exports.risk_list import RiskListFilter, build_risk_rows

    return _unless_no_match(lambda: build_risk_rows(con, run_id, RiskListFilter(**params)))


def rank_risk_rows(read: tuple[RunRef, pl.DataFrame], params: dict) -> pl.DataFrame:
    """:func:`read_risk_rows` from a run's units already read (:func:`list_units`); no I/O."""
    from roadsafety.exports.risk_list import RISK_COLUMNS, RiskListFilter, rank_units

    filters = RiskListFilter(**params)
    return _unless_no_match(lambda: rank_units(*read, filters).select(RISK_COLUMNS))


def rank_gap_rows(read: tuple[RunRef, pl.DataFrame], params: dict) -> pl.DataFrame:
    """:func:`read_gap_rows` from a run's units already read (:func:`list_units`); no I/O."""
    from roadsafety.exports.enforcement_gap import rank_gap
    from roadsafety.exports.risk_list import RiskListFilter

    return _unless_no_match(lambda: rank_gap(*read, RiskListFilter(**params)))


def read_gap_rows(con: duckdb.DuckDBPyConnection, run_id: str, params: dict) -> pl.DataFrame:
    """The exports module's enforcement-gap rows (an unmatched filter gives an empty frame)."""
    from roadsafety.exports.enforcement_gap import build_enforcement_gap
    from roadsafety.exports.risk_list import RiskListFilter

    return _unless_no_match(lambda: build_enforcement_gap(con, run_id, RiskListFilter(**params)))
