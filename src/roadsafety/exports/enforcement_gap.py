"""Enforcement-gap list: high forecast risk with little recent enforcement.

:func:`build_enforcement_gap` ``(con, run_id, filters) -> pl.DataFrame`` returns the risk-list
contract columns (:data:`~roadsafety.exports.risk_list.RISK_COLUMNS`) plus :data:`GAP_COLUMNS`.

Enforcement is the forecast's ``recent_challans`` (challans in the unit in the 90 days before the
data cut-off). The gap measure is challans per expected crash on the same 90-day scale:
``recent_challans / (expected_crashes * 90 / window_days)``. Only units at or above the minimum
band (``high`` unless ``filters.min_band`` says otherwise) are listed, never merged into corridors
(challans are counted per unit); the lowest ratio ranks first (ties: higher expected crashes, then
unit id). ``rank`` is the gap rank; ``top`` cuts rows.
"""

from __future__ import annotations

from dataclasses import replace

import duckdb
import polars as pl

from roadsafety.exports.risk_list import (
    RISK_COLUMNS,
    RiskListFilter,
    load_run,
    rank_units,
    read_list_units,
)
from roadsafety.store.export_store import RunInfo
from roadsafety.vocabulary import plural_expr

GAP_COLUMNS = (
    "risk_rank",
    "recent_challans",
    "expected_crashes_per_90d",
    "challans_per_expected_crash",
    "gap_reason",
)
DAYS_SCALE = 90


def _gap_reason() -> pl.Expr:
    return pl.format(
        "{} in the last 90 days for {} expected crashes per 90 days",
        plural_expr(pl.col("recent_challans"), "challan"),
        pl.col("expected_crashes_per_90d").round(1),
    )


def gap_measures(units: pl.DataFrame) -> pl.DataFrame:
    """Add the 90-day expected crashes, the challans-per-expected-crash ratio and a readable reason."""
    days = (pl.col("window_end") - pl.col("window_start")).dt.total_days() + 1
    per90 = pl.col("expected_crashes") * DAYS_SCALE / days
    return units.with_columns(
        pl.col("recent_challans").fill_null(0).cast(pl.Int64),
        per90.alias("expected_crashes_per_90d"),
    ).with_columns(
        pl.when(pl.col("expected_crashes_per_90d") > 0)
        .then(pl.col("recent_challans") / pl.col("expected_crashes_per_90d"))
        .otherwise(None)
        .alias("challans_per_expected_crash"),
        _gap_reason().alias("gap_reason"),
    )


def build_enforcement_gap(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    filters: RiskListFilter,
    units: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """High-risk units ranked by the fewest challans per expected crash.

    Args:
        con: an open (read) connection.
        run_id: the forecast run.
        filters: district / police station / severity / top; ``min_band`` defaults to ``high``;
            ``merge`` is ignored (per-unit list).
        units: the run's :func:`~roadsafety.exports.risk_list.run_units`, when already read.

    Returns:
        Rows with RISK_COLUMNS + GAP_COLUMNS, ranked from 1 (``risk_rank`` is the unit's place in
        the full risk list with the same severity key).
    """
    _ranked_by(filters).validate()  # the options checked before the warehouse is read
    if units is None:
        return rank_gap(*read_list_units(con, run_id), filters)
    return rank_gap(load_run(con, run_id), units, filters)


def _ranked_by(filters: RiskListFilter) -> RiskListFilter:
    """The risk-list options the gap list ranks from: every unit, unmerged, ``high`` and above
    unless another minimum band is asked."""
    return replace(filters, top=None, merge=False, min_band=filters.min_band or "high")


def rank_gap(info: RunInfo, units: pl.DataFrame, filters: RiskListFilter) -> pl.DataFrame:
    """:func:`build_enforcement_gap` on a run's units already read
    (:func:`~roadsafety.exports.risk_list.read_list_units`); no I/O."""
    ranked = rank_units(info, units, _ranked_by(filters))
    units = gap_measures(ranked.rename({"rank": "risk_rank"}))
    units = units.sort(
        ["challans_per_expected_crash", "expected_crashes", "unit_id"],
        descending=[False, True, False],
        nulls_last=True,
    )
    if filters.top is not None:
        units = units.head(filters.top)
    units = units.with_columns(pl.int_range(1, units.height + 1, dtype=pl.Int64).alias("rank"))
    return units.select(*RISK_COLUMNS, *GAP_COLUMNS)
