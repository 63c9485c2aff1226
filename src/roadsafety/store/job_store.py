"""SQL for the retrain job: drift/freshness aggregates and the job_runs summary."""

from __future__ import annotations

import json
from datetime import date, timedelta

import duckdb
import polars as pl

from roadsafety.schemas import OFFENCES

DISTRICT_VOLUME_SQL = """
SELECT coalesce(district, '(no district)') AS district,
       count(*) FILTER (WHERE occurred_at >= $recent_start) AS recent,
       count(*) FILTER (WHERE occurred_at < $recent_start) AS history
FROM accidents
WHERE occurred_at < $cutoff AND occurred_at >= $history_start
GROUP BY 1 ORDER BY 1
"""

OFFENCE_MIX_SQL = f"""
SELECT substr(name, 5) AS offence,
       sum(count) FILTER (WHERE issued_day >= $recent_start)::BIGINT AS recent,
       sum(count) FILTER (WHERE issued_day < $recent_start)::BIGINT AS history
FROM (UNPIVOT (SELECT issued_day, {", ".join(f"off_{o}" for o in OFFENCES)} FROM challan_unit_day
               WHERE issued_day < $cutoff AND issued_day >= $history_start)
      ON COLUMNS(* EXCLUDE (issued_day)) INTO NAME name VALUE count)
WHERE count > 0
GROUP BY 1 ORDER BY 1
"""

DAILY_SQL = """
SELECT occurred_at::DATE AS day, count(*) AS n FROM accidents
WHERE occurred_at < $cutoff AND occurred_at >= $history_start GROUP BY 1
"""


def _params(cutoff: date, recent_days: int) -> dict:
    recent_start = cutoff - timedelta(days=recent_days)
    return {
        "cutoff": cutoff,
        "recent_start": recent_start,
        "history_start": recent_start - timedelta(days=365),
    }


def district_volumes(
    con: duckdb.DuckDBPyConnection, cutoff: date, recent_days: int
) -> pl.DataFrame:
    """Accidents per district in the recent window and in the 365 days before it."""
    return con.execute(DISTRICT_VOLUME_SQL, _params(cutoff, recent_days)).pl()


def offence_mix(con: duckdb.DuckDBPyConnection, cutoff: date, recent_days: int) -> pl.DataFrame:
    """Challans per offence in the recent window and in the 365 days before it."""
    return con.execute(OFFENCE_MIX_SQL, _params(cutoff, recent_days)).pl()


def daily_accidents(con: duckdb.DuckDBPyConnection, cutoff: date, recent_days: int) -> pl.DataFrame:
    """Accidents per day over the recent window and the year before it (days with none absent)."""
    params = _params(cutoff, recent_days)
    return con.execute(DAILY_SQL, {k: params[k] for k in ("cutoff", "history_start")}).pl()


def latest_record_day(con: duckdb.DuckDBPyConnection) -> date | None:
    """The day of the newest accident."""
    value = con.execute("SELECT max(occurred_at)::DATE FROM accidents").fetchone()[0]
    return value


def write_job_run(con: duckdb.DuckDBPyConnection, row: dict) -> None:
    """Insert (or replace) one job_runs row; dict and list values are stored as JSON."""
    values = {
        k: json.dumps(v, default=str) if isinstance(v, (dict, list)) else v for k, v in row.items()
    }
    cols = ", ".join(values)
    con.execute("DELETE FROM job_runs WHERE job_id = ?", [values["job_id"]])
    con.execute(
        f"INSERT INTO job_runs ({cols}) VALUES ({', '.join('?' * len(values))})",
        list(values.values()),
    )


def recent_job_runs(con: duckdb.DuckDBPyConnection, limit: int = 10) -> pl.DataFrame:
    """The last job runs, newest first."""
    return con.execute(
        """SELECT job_id, started_at::TIMESTAMP(0) AS started, round(duration_s) AS seconds, outcome,
                  rows_loaded, rows_quarantined, model_version, model_decision, message
           FROM job_runs ORDER BY started_at DESC LIMIT ?""",
        [limit],
    ).pl()
