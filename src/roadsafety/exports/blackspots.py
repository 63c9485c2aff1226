"""MoRTH blackspot list (the statutory 3-year rule) beside the forecast.

:func:`build_blackspots` ``(con, cutoff, run_id, filters) -> pl.DataFrame`` lists every unit that,
over the last three full calendar years before ``cutoff`` (cut-off 2025-03-01 → 2022, 2023, 2024),
had at least 5 crashes with deaths or grievous injuries or at least 10 deaths. Deaths use the
``killed`` count; a fatal crash with no count counts one death. The rule is applied per spatial unit
(an H3 cell of the configured resolution, about the 500 m stretch of the MoRTH definition at
resolution 8, or a police station + road unit); adjacent qualifying cells are not merged.

Rows carry the risk-list contract columns (:data:`~roadsafety.exports.risk_list.RISK_COLUMNS`:
``rank`` is the blackspot rank, the forecast columns come from the run when one is given, else are
null) plus :data:`BLACKSPOT_COLUMNS`. Ranked by fatal-or-grievous crashes, then deaths, then unit id.
"""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from roadsafety.exports.risk_list import (
    RISK_COLUMNS,
    RiskListFilter,
    build_units,
    complete_units,
    filter_units,
    load_run,
)
from roadsafety.store.export_store import read_severe_history

BLACKSPOT_COLUMNS = (
    "years",
    "crashes_3y",
    "fatal_grievous_3y",
    "deaths_3y",
    "rule_met",
    "forecast_rank",
)
MIN_FATAL_GRIEVOUS = 5
MIN_DEATHS = 10


def rule_years(cutoff: date) -> tuple[date, date]:
    """The three full calendar years before ``cutoff`` as ``[start, end)``."""
    return date(cutoff.year - 3, 1, 1), date(cutoff.year, 1, 1)


def apply_rule(history: pl.DataFrame) -> pl.DataFrame:
    """Keep the units meeting the rule and say which part of it they meet."""
    fg = pl.col("fatal_grievous") >= MIN_FATAL_GRIEVOUS
    deaths = pl.col("deaths") >= MIN_DEATHS
    reason = (
        pl.when(fg & deaths)
        .then(pl.lit(f">= {MIN_FATAL_GRIEVOUS} fatal/grievous crashes and >= {MIN_DEATHS} deaths"))
        .when(fg)
        .then(pl.lit(f">= {MIN_FATAL_GRIEVOUS} fatal/grievous crashes"))
        .otherwise(pl.lit(f">= {MIN_DEATHS} deaths"))
    )
    return history.filter(fg | deaths).with_columns(reason.alias("rule_met"))


def _forecast_part(
    con: duckdb.DuckDBPyConnection, run_id: str | None, severity: str
) -> pl.DataFrame:
    schema = {
        "unit_id": pl.Utf8,
        "expected_crashes": pl.Float64,
        "expected_fatal_grievous": pl.Float64,
        "risk_band": pl.Utf8,
        "peak_window": pl.Utf8,
        "top_factors": pl.Utf8,
        "window_start": pl.Date,
        "window_end": pl.Date,
        "model_version": pl.Utf8,
        "forecast_rank": pl.Int64,
    }
    if run_id is None:
        return pl.DataFrame(schema=schema)
    units = build_units(con, run_id, RiskListFilter(severity=severity))
    return units.rename({"rank": "forecast_rank"}).select(list(schema))


def build_blackspots(
    con: duckdb.DuckDBPyConnection, cutoff: date, run_id: str | None, filters: RiskListFilter
) -> pl.DataFrame:
    """Units meeting the MoRTH rule before ``cutoff``, with the run's forecast beside them.

    Args:
        con: an open (read) connection.
        cutoff: the data cut-off (usually the run's); the rule looks at the 3 calendar years before.
        run_id: the forecast run to compare with, or None for the rule alone.
        filters: district / police station / top / severity (for ``forecast_rank``); band and
            merge are ignored.
    """
    filters.validate()
    start, end = rule_years(cutoff)
    history = complete_units(read_severe_history(con, start, end))
    history = (
        filter_units(
            history,
            RiskListFilter(district=filters.district, police_station=filters.police_station),
        )
        if not history.is_empty()
        else history
    )
    spots = apply_rule(history)
    if run_id is not None:
        load_run(con, run_id)
    spots = spots.join(_forecast_part(con, run_id, filters.severity), on="unit_id", how="left")
    spots = spots.sort(["fatal_grievous", "deaths", "unit_id"], descending=[True, True, False])
    if filters.top is not None:
        spots = spots.head(filters.top)
    return spots.with_columns(
        pl.int_range(1, spots.height + 1, dtype=pl.Int64).alias("rank"),
        pl.lit(f"{start.year}-{end.year - 1}").alias("years"),
        pl.col("crashes").alias("crashes_3y"),
        pl.col("fatal_grievous").alias("fatal_grievous_3y"),
        pl.col("deaths").alias("deaths_3y"),
    ).select(*RISK_COLUMNS, *BLACKSPOT_COLUMNS)
