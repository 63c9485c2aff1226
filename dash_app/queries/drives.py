"""Reads for the Drives page: the stored evaluation (the app never evaluates), district-scoped.

The evaluation is computed and stored by ``roadsafety drives evaluate`` (or the batch job); these
reads only select it. A warehouse made before the drive tables existed gives empty results.
"""

from __future__ import annotations

import polars as pl

from dash_app.queries import AppStore
from roadsafety.store import drives as drive_store

EMPTY = pl.DataFrame()


def _has_tables(con) -> bool:
    tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
    return {"drive_results", "drive_evaluations"} <= tables


def _read(store: AppStore, key: tuple, fn, *args):
    def compute():
        def run(con):
            return fn(con, *args) if _has_tables(con) else None

        return store.read(run)

    return store.memo(key, compute)


def evaluation(store: AppStore) -> dict | None:
    """The stored evaluation's run row (when, data range, options), or None."""
    return _read(store, ("drives", "evaluation"), drive_store.latest_evaluation)


def results(store: AppStore, district: str | None) -> pl.DataFrame:
    """Drive rows and the pooled row of the district (or of the state when ``district`` is None)."""
    rows = _read(store, ("drives", "results", district), drive_store.read_results, district)
    if rows is None or rows.is_empty():
        return EMPTY
    pooled = (pl.col("drive_id") == "ALL") & (
        pl.col("scope").str.to_lowercase() != (district or "").lower()
    )
    return rows.filter(~pooled)


def places(store: AppStore, drive_id: str, district: str | None) -> pl.DataFrame:
    """A drive's evaluated places (only those of the district for a district-scoped reader)."""
    rows = _read(store, ("drives", "places", drive_id), drive_store.read_result_places, drive_id)
    if rows is None or rows.is_empty() or district is None:
        return EMPTY if rows is None else rows
    return rows.filter(pl.col("district").str.to_lowercase() == district.lower())


def months(store: AppStore, drive_id: str) -> pl.DataFrame:
    """A drive's monthly crashes and expectation without the drive."""
    rows = _read(store, ("drives", "months", drive_id), drive_store.read_result_months, drive_id)
    return EMPTY if rows is None else rows
