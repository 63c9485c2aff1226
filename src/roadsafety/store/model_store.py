"""All SQL of the forecasting engine: training reads and the model / forecast tables of migration 2.

Reads take an open connection (read-only is enough); writes take the connection of a
:func:`~roadsafety.store.connection.write_connection` block, so a whole retrain registration or a
whole forecast run is published atomically. Every forecast write replaces that run's rows.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import duckdb
import polars as pl

from roadsafety import schemas

ACCIDENT_COLUMNS = (
    "accident_id",
    "occurred_at",
    "has_time",
    "severity",
    "killed",
    "unit_id",
    "h3_cell",
    "latitude",
    "longitude",
    "road_name",
    "road_category",
    "police_station",
    "district",
    "located",
)


def accident_range(con: duckdb.DuckDBPyConnection) -> tuple[date | None, date | None]:
    """First and last accident day in the warehouse (None, None when empty)."""
    lo, hi = con.execute(
        "SELECT min(occurred_at)::DATE, max(occurred_at)::DATE FROM accidents"
    ).fetchone()
    return lo, hi


def read_accidents(con: duckdb.DuckDBPyConnection, before: date) -> pl.DataFrame:
    """Accidents strictly before ``before`` with the columns the features need."""
    cols = ", ".join(ACCIDENT_COLUMNS)
    return con.execute(
        f"SELECT {cols} FROM accidents WHERE occurred_at < ? ORDER BY occurred_at, accident_id",
        [before],
    ).pl()


def read_spatial_units(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The ``spatial_units`` reference table."""
    return con.execute(
        "SELECT unit_id, kind, h3_cell, road_name, road_category, police_station, district, "
        "latitude, longitude FROM spatial_units ORDER BY unit_id"
    ).pl()


def read_challan_days(
    con: duckdb.DuckDBPyConnection, before: date, offences: tuple[str, ...]
) -> pl.DataFrame | None:
    """Challans before ``before`` aggregated in SQL to unit × day counts (None when there are none).

    Columns: ``unit_id, day`` (days since 1970-01-01), ``n``, ``camera`` and ``off_<offence>`` for
    each of ``offences`` (canonical offence names, :data:`roadsafety.schemas.OFFENCES`).

    Raises:
        ValueError: for a name that is not a canonical offence.
    """
    unknown = sorted(set(offences) - set(schemas.OFFENCES))
    if unknown:
        raise ValueError(f"not canonical offences: {unknown}")
    n = con.execute(
        "SELECT count(*) FROM challans WHERE issued_at < ? AND unit_id IS NOT NULL", [before]
    ).fetchone()[0]
    if not n:
        return None
    offs = ", ".join(f"count(*) FILTER (WHERE offence = '{o}') AS off_{o}" for o in offences)
    return con.execute(
        f"""SELECT unit_id, (issued_at::DATE - DATE '1970-01-01')::BIGINT AS day, count(*) AS n,
                   count(camera_id) AS camera, {offs}
            FROM challans WHERE issued_at < ? AND unit_id IS NOT NULL
            GROUP BY ALL ORDER BY unit_id, day""",
        [before],
    ).pl()


def recent_challans(con: duckdb.DuckDBPyConnection, start: date, before: date) -> pl.DataFrame:
    """Challans per unit in ``[start, before)``: ``unit_id, recent_challans``."""
    return con.execute(
        "SELECT unit_id, count(*) AS recent_challans FROM challans "
        "WHERE issued_at >= ? AND issued_at < ? AND unit_id IS NOT NULL GROUP BY unit_id",
        [start, before],
    ).pl()


def champion(con: duckdb.DuckDBPyConnection) -> dict | None:
    """The serving version's ``model_versions`` row (None without a champion)."""
    rows = con.execute(
        """SELECT v.* FROM champion c JOIN model_versions v USING (version_id)
           WHERE c.slot = 'default'"""
    ).pl()
    return rows.row(0, named=True) if rows.height else None


def version_ids(con: duckdb.DuckDBPyConnection) -> frozenset[str]:
    """Every registered version id."""
    return frozenset(r[0] for r in con.execute("SELECT version_id FROM model_versions").fetchall())


def version(con: duckdb.DuckDBPyConnection, version_id: str) -> dict | None:
    """One ``model_versions`` row by id."""
    rows = con.execute("SELECT * FROM model_versions WHERE version_id = ?", [version_id]).pl()
    return rows.row(0, named=True) if rows.height else None


def register_version(con: duckdb.DuckDBPyConnection, row: dict) -> None:
    """Insert a ``model_versions`` row (``params``/``metrics`` given as dicts are stored as JSON)."""
    row = {
        **row,
        "params": json.dumps(row.get("params", {}), default=str),
        "metrics": json.dumps(row.get("metrics", {}), default=str),
    }
    cols = [
        "version_id",
        "created_at",
        "as_of",
        "status",
        "score",
        "params",
        "metrics",
        "artifact_dir",
        "promoted_at",
        "message",
    ]
    con.execute(
        f"INSERT INTO model_versions ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
        [row.get(c) for c in cols],
    )


def promote(con: duckdb.DuckDBPyConnection, version_id: str, when: datetime) -> None:
    """Make ``version_id`` the champion; the previous champion is marked retired."""
    con.execute(
        """UPDATE model_versions SET status = 'retired' WHERE version_id IN
                   (SELECT version_id FROM champion WHERE slot = 'default') AND version_id <> ?""",
        [version_id],
    )
    con.execute("DELETE FROM champion WHERE slot = 'default'")
    con.execute("INSERT INTO champion VALUES ('default', ?, ?)", [version_id, when])
    con.execute(
        "UPDATE model_versions SET status = 'champion', promoted_at = ? WHERE version_id = ?",
        [when, version_id],
    )


def write_backtest_metrics(
    con: duckdb.DuckDBPyConnection, version_id: str, frame: pl.DataFrame
) -> None:
    """Replace the version's ``backtest_metrics`` rows with ``frame`` (METRICS_SCHEMA columns)."""
    con.execute("DELETE FROM backtest_metrics WHERE version_id = ?", [version_id])
    if frame.is_empty():
        return
    con.register("bt_in", frame.with_columns(version_id=pl.lit(version_id)).to_arrow())
    con.execute("""INSERT INTO backtest_metrics BY NAME SELECT version_id, model, fold, fold_start,
                   fold_end, level, metric, k, value FROM bt_in""")
    con.unregister("bt_in")


def read_backtest_metrics(con: duckdb.DuckDBPyConnection, version_id: str) -> pl.DataFrame:
    """The stored metrics of one version."""
    return con.execute(
        "SELECT * FROM backtest_metrics WHERE version_id = ? ORDER BY level, model, metric, k, fold",
        [version_id],
    ).pl()


def find_forecast_run(
    con: duckdb.DuckDBPyConnection, version_id: str, start: date, end: date
) -> str | None:
    """The id of a complete run of ``version_id`` for exactly ``[start, end]``, if any."""
    row = con.execute(
        """SELECT run_id FROM forecast_runs WHERE version_id = ? AND window_start = ?
           AND window_end = ? AND status = 'complete' ORDER BY created_at DESC LIMIT 1""",
        [version_id, start, end],
    ).fetchone()
    return row[0] if row else None


def _insert(con: duckdb.DuckDBPyConnection, table: str, run_id: str, frame: pl.DataFrame) -> None:
    con.execute(f"DELETE FROM {table} WHERE run_id = ?", [run_id])
    if frame.is_empty():
        return
    con.register("rows_in", frame.with_columns(run_id=pl.lit(run_id)).to_arrow())
    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM rows_in")
    con.unregister("rows_in")


def write_forecast_run(
    con: duckdb.DuckDBPyConnection,
    run: dict,
    forecasts: pl.DataFrame,
    periods: pl.DataFrame,
    profile: pl.DataFrame,
) -> None:
    """Write one complete forecast run (its rows replace any earlier rows of that run id)."""
    run_id = run["run_id"]
    con.execute("DELETE FROM forecast_runs WHERE run_id = ?", [run_id])
    _insert(con, "forecasts", run_id, forecasts)
    _insert(con, "period_forecasts", run_id, periods)
    _insert(con, "unit_hour_profile", run_id, profile)
    cols = [
        "run_id",
        "version_id",
        "created_at",
        "window_start",
        "window_end",
        "status",
        "n_units",
        "data_cutoff",
    ]
    con.execute(
        f"INSERT INTO forecast_runs ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
        [run.get(c) for c in cols],
    )
