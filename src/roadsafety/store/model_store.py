"""All SQL of the forecasting engine: training reads and the model / forecast tables of migration 2.

Reads take an open connection (read-only is enough); writes take the connection of a
:func:`~roadsafety.store.connection.write_connection` block, so a whole retrain registration or a
whole forecast run is published atomically. Every forecast write replaces that run's rows, and
every row written is first checked against its table's schema in :mod:`roadsafety.schemas`
(columns, types, required values, and the rules in :data:`RULES`): a run that does not fit is not
written at all (:class:`~roadsafety.errors.TableSchemaError`).
"""

from __future__ import annotations

import json
from datetime import date, datetime

import duckdb
import polars as pl

from roadsafety import schemas
from roadsafety.vocabulary import BAND_KEYS

_ORDERED = {"lo80 <= hi80": ("lo80", "hi80"), "lo95 <= hi95": ("lo95", "hi95")}
RULES: dict[str, dict[str, pl.Expr]] = {
    "forecasts": {
        "risk_band is a band of the vocabulary": pl.col("risk_band").is_in(BAND_KEYS),
        "rank >= 1": pl.col("rank") >= 1,
        "0 <= expected_fatal_grievous <= expected_crashes": pl.col(
            "expected_fatal_grievous"
        ).is_between(0, pl.col("expected_crashes")),
        "crashes_lo80 <= crashes_hi80": pl.col("crashes_lo80") <= pl.col("crashes_hi80"),
        "crashes_lo95 <= crashes_hi95": pl.col("crashes_lo95") <= pl.col("crashes_hi95"),
        "window_start <= window_end": pl.col("window_start") <= pl.col("window_end"),
    },
    "period_forecasts": {
        "expected >= 0": pl.col("expected") >= 0,
        **{name: pl.col(lo) <= pl.col(hi) for name, (lo, hi) in _ORDERED.items()},
        "period_start <= period_end": pl.col("period_start") <= pl.col("period_end"),
    },
    "unit_hour_profile": {
        "dow in 0..6": pl.col("dow").is_between(0, 6),
        "hour in 0..23": pl.col("hour").is_between(0, 23),
        "share in 0..1": pl.col("share").is_between(0, 1),
    },
}
NOT_NULL = {
    "forecast_runs": ("run_id", "version_id", "window_start", "window_end", "status"),
    "forecasts": ("unit_id", "window_start", "window_end", "expected_crashes", "risk_band", "rank"),
    "period_forecasts": ("district", "period_start", "period_end", "expected"),
    "unit_hour_profile": ("unit_id", "dow", "hour", "share"),
    "unit_week_intensity": ("unit_id", "crashes", "fatal_grievous"),
    "backtest_metrics": ("model", "level", "metric", "value"),
}
SCHEMAS = {
    "forecast_runs": schemas.FORECAST_RUNS,
    "forecasts": schemas.FORECASTS,
    "period_forecasts": schemas.PERIOD_FORECASTS,
    "unit_hour_profile": schemas.UNIT_HOUR_PROFILE,
    "unit_week_intensity": schemas.UNIT_WEEK_INTENSITY,
    "backtest_metrics": schemas.BACKTEST_METRICS,
}

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
        "latitude, longitude, km_from, km_to FROM spatial_units ORDER BY unit_id"
    ).pl()


def read_challan_days(
    con: duckdb.DuckDBPyConnection, before: date, offences: tuple[str, ...]
) -> pl.DataFrame | None:
    """Challans before ``before`` as unit × day counts (None when there are none), read from the
    ``challan_unit_day`` aggregate (never the raw rows).

    Columns: ``unit_id, day`` (days since 1970-01-01), ``n``, ``camera`` and ``off_<offence>`` for
    each of ``offences`` (canonical offence names, :data:`roadsafety.schemas.OFFENCES`).

    Raises:
        ValueError: for a name that is not a canonical offence.
    """
    unknown = sorted(set(offences) - set(schemas.OFFENCES))
    if unknown:
        raise ValueError(f"not canonical offences: {unknown}")
    offs = ", ".join(f"sum(off_{o})::BIGINT AS off_{o}" for o in offences)
    frame = con.execute(
        f"""SELECT unit_id, (issued_day - DATE '1970-01-01')::BIGINT AS day, sum(n)::BIGINT AS n,
                   sum(camera)::BIGINT AS camera, {offs}
            FROM challan_unit_day WHERE issued_day < ? AND unit_id IS NOT NULL
            GROUP BY ALL ORDER BY unit_id, day""",
        [before],
    ).pl()
    return frame if frame.height else None


def recent_challans(con: duckdb.DuckDBPyConnection, start: date, before: date) -> pl.DataFrame:
    """Challans per unit in ``[start, before)``: ``unit_id, recent_challans``."""
    return con.execute(
        "SELECT unit_id, sum(n)::BIGINT AS recent_challans FROM challan_unit_day "
        "WHERE issued_day >= ? AND issued_day < ? AND unit_id IS NOT NULL GROUP BY unit_id",
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
    _replace_rows(
        con, "backtest_metrics", "version_id", version_id, checked("backtest_metrics", frame)
    )


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


def checked(table: str, frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` conformed to ``table``'s declared schema (see the module docstring).

    Raises:
        TableSchemaError: naming what does not fit.
    """
    return schemas.conform(
        frame, SCHEMAS[table], table, not_null=NOT_NULL[table], rules=RULES.get(table)
    )


def _replace_rows(
    con: duckdb.DuckDBPyConnection, table: str, key: str, value: str, frame: pl.DataFrame
) -> None:
    """Replace the rows of ``table`` whose ``key`` is ``value`` by ``frame`` (checked columns)."""
    con.execute(f"DELETE FROM {table} WHERE {key} = ?", [value])
    if frame.is_empty():
        return
    cols = ", ".join([key, *frame.columns])
    con.register("rows_in", frame.with_columns(pl.lit(value).alias(key)).to_arrow())
    con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM rows_in")
    con.unregister("rows_in")


def write_forecast_run(
    con: duckdb.DuckDBPyConnection,
    run: dict,
    forecasts: pl.DataFrame,
    periods: pl.DataFrame,
    profile: pl.DataFrame,
    intensity: pl.DataFrame | None = None,
) -> None:
    """Write one complete forecast run (its rows replace any earlier rows of that run id).

    Every frame and the run row are checked first (:func:`checked`), so nothing is written unless
    all of them fit. ``intensity`` holds ``unit_id, crashes, fatal_grievous`` (168-value arrays)
    for ``unit_week_intensity`` (migration 9; none: no rows).

    Raises:
        TableSchemaError: naming the table and what does not fit.
    """
    run_id = run["run_id"]
    header = checked("forecast_runs", pl.DataFrame([run], schema_overrides=schemas.FORECAST_RUNS))
    rows = {
        "forecasts": checked("forecasts", forecasts),
        "period_forecasts": checked("period_forecasts", periods),
        "unit_hour_profile": checked("unit_hour_profile", profile),
        "unit_week_intensity": checked(
            "unit_week_intensity",
            schemas.empty_frame(schemas.UNIT_WEEK_INTENSITY) if intensity is None else intensity,
        ),
    }
    con.execute("DELETE FROM forecast_runs WHERE run_id = ?", [run_id])
    for table, frame in rows.items():
        _replace_rows(con, table, "run_id", run_id, frame)
    con.register("run_in", header.to_arrow())
    con.execute(f"INSERT INTO forecast_runs ({', '.join(header.columns)}) SELECT * FROM run_in")
    con.unregister("run_in")


def read_week_intensity(con: duckdb.DuckDBPyConnection, run_id: str) -> pl.DataFrame:
    """A run's ``unit_week_intensity`` rows: ``unit_id, crashes, fatal_grievous`` (168 floats each)."""
    return con.execute(
        "SELECT unit_id, crashes, fatal_grievous FROM unit_week_intensity WHERE run_id = ? "
        "ORDER BY unit_id",
        [run_id],
    ).pl()
