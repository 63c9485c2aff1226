"""All SQL of the exports: forecast runs and units in, blackspot history in, audit rows out.

Functions take an open DuckDB connection (from ``roadsafety.store.connection``) and return Polars
frames or small dataclasses; they never open connections themselves.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

import duckdb
import polars as pl


@dataclass(frozen=True)
class RunInfo:
    """A forecast run's identity: the window it covers and the model that made it.

    Attributes:
        run_id: forecast run id.
        version_id: model version (the risk list's ``model_version``).
        window_start: first day covered.
        window_end: last day covered (inclusive).
        data_cutoff: records on or after this day were not seen by the model.
        created_at: when the run was written.
    """

    run_id: str
    version_id: str
    window_start: date
    window_end: date
    data_cutoff: date | None
    created_at: datetime | None

    @property
    def window_days(self) -> int:
        """Days covered, both ends included."""
        return (self.window_end - self.window_start).days + 1


@dataclass(frozen=True)
class AuditRecord:
    """One export, as written to ``export_audit``."""

    audit_id: str
    exported_at: datetime
    user_name: str
    user_kind: str
    export_kind: str
    format: str
    path: str
    params: dict
    run_id: str | None
    model_version: str | None
    row_count: int
    file_sha256: str


def find_champion_run(con: duckdb.DuckDBPyConnection, start: date, end: date) -> str | None:
    """The newest complete run of the champion model covering exactly ``[start, end]``, if any."""
    row = con.sql(
        """SELECT r.run_id FROM forecast_runs r
           JOIN champion c ON c.version_id = r.version_id AND c.slot = 'default'
           WHERE r.status = 'complete' AND r.window_start = ? AND r.window_end = ?
           ORDER BY r.created_at DESC, r.run_id DESC LIMIT 1""",
        params=[start, end],
    ).fetchall()
    return row[0][0] if row else None


def read_run_info(con: duckdb.DuckDBPyConnection, run_id: str) -> RunInfo | None:
    """Window, model version and data cut-off of a forecast run (None when unknown)."""
    row = con.sql(
        """SELECT r.run_id, r.version_id, r.window_start, r.window_end,
                  coalesce(r.data_cutoff, m.as_of), r.created_at
           FROM forecast_runs r LEFT JOIN model_versions m ON m.version_id = r.version_id
           WHERE r.run_id = ?""",
        params=[run_id],
    ).fetchall()
    return RunInfo(*row[0]) if row else None


def read_forecast_units(con: duckdb.DuckDBPyConnection, run_id: str) -> pl.DataFrame:
    """Every forecast row of a run joined with its spatial unit's attributes.

    ``ps_latitude``/``ps_longitude`` are the unit's police station location (the mean of its located
    crashes, from ``police_stations``), used for units that have no coordinates of their own.
    """
    return con.sql(
        """SELECT f.unit_id, f.window_start, f.window_end,
                  f.expected_crashes, f.expected_fatal_grievous, f.risk_band,
                  f.rank AS model_rank, f.peak_window, f.top_factors,
                  f.morth_blackspot, f.recent_challans,
                  u.kind, u.h3_cell, u.road_name, u.km_from, u.km_to, u.road_category,
                  u.police_station, u.district, u.latitude, u.longitude, u.chainage_km,
                  p.latitude AS ps_latitude, p.longitude AS ps_longitude
           FROM forecasts f LEFT JOIN spatial_units u ON u.unit_id = f.unit_id
           LEFT JOIN police_stations p ON p.police_station = u.police_station
                AND p.district = coalesce(u.district, '')
           WHERE f.run_id = ?
           ORDER BY f.unit_id""",
        params=[run_id],
    ).pl()


def read_rule_crashes(con: duckdb.DuckDBPyConnection, start: date, end: date) -> pl.DataFrame:
    """Every accident in ``[start, end)`` with what the MoRTH rule needs, one row per crash.

    ``fg`` is 1 for a fatal or grievous crash; ``deaths`` uses ``killed`` (a fatal crash with no
    count counts one death). Location: the crash's own point, else its unit's (a cell's centre);
    road: the crash's, else its unit's; police station and district likewise.
    """
    return con.sql(
        """SELECT a.unit_id, year(a.occurred_at) AS year,
                  CAST(a.severity IN ('fatal', 'grievous') AS BIGINT) AS fg,
                  CAST(CASE WHEN a.killed IS NOT NULL THEN a.killed
                            WHEN a.severity = 'fatal' THEN 1 ELSE 0 END AS BIGINT) AS deaths,
                  coalesce(a.road_name, u.road_name) AS road_name, a.chainage_km,
                  u.kind, coalesce(a.located, u.kind = 'h3', FALSE) AS located,
                  coalesce(a.h3_cell, u.h3_cell) AS h3_cell,
                  CASE WHEN a.located THEN a.latitude ELSE u.latitude END AS latitude,
                  CASE WHEN a.located THEN a.longitude ELSE u.longitude END AS longitude,
                  coalesce(u.police_station, a.police_station) AS police_station,
                  coalesce(u.district, a.district) AS district
           FROM accidents a LEFT JOIN spatial_units u ON u.unit_id = a.unit_id
           WHERE a.occurred_at >= ? AND a.occurred_at < ?
           ORDER BY a.occurred_at, a.source, a.accident_id""",
        params=[start, end],
    ).pl()


def read_road_fit(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The knots of every fitted road (``road_km_fit``), by road and km."""
    return con.sql("SELECT * FROM road_km_fit ORDER BY road_name, km").pl()


def latest_accident_day(con: duckdb.DuckDBPyConnection) -> date | None:
    """The day of the latest stored accident (None when there are none)."""
    row = con.sql("SELECT CAST(max(occurred_at) AS DATE) FROM accidents").fetchall()
    return row[0][0] if row else None


def insert_audit(con: duckdb.DuckDBPyConnection, record: AuditRecord) -> None:
    """Append one export to ``export_audit``."""
    con.execute(
        """INSERT INTO export_audit (audit_id, exported_at, user_name, user_kind, export_kind,
               format, path, params, run_id, model_version, row_count, file_sha256)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            record.audit_id,
            record.exported_at,
            record.user_name,
            record.user_kind,
            record.export_kind,
            record.format,
            record.path,
            json.dumps(record.params, sort_keys=True, default=str),
            record.run_id,
            record.model_version,
            record.row_count,
            record.file_sha256,
        ],
    )


def read_audit(con: duckdb.DuckDBPyConnection, limit: int = 100) -> pl.DataFrame:
    """The most recent export audit rows, newest first."""
    return con.sql(
        "SELECT * FROM export_audit ORDER BY exported_at DESC, audit_id LIMIT ?", params=[limit]
    ).pl()
