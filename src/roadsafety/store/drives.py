"""Drives in the warehouse: import (all or nothing), reads for the evaluation, stored results.

* :func:`write_drives` stores a validated :class:`~roadsafety.sources.drives.DriveBatch` in one
  atomic write: each drive of the file replaces any stored drive with the same id (its places too);
  the import is logged in ``ingest_runs`` (``kind = 'drives'``). :func:`record_failed_import` logs a
  rejected file; nothing else changes.
* :func:`read_drives`, :func:`read_places`, :func:`read_crash_records`,
  :func:`challan_names` / :func:`challan_groups`: what the evaluation reads.
* :func:`write_results` replaces the stored evaluation (``drive_results``, ``drive_result_places``,
  ``drive_result_months``) and logs the run in ``drive_evaluations``; :func:`read_results` and
  friends serve the exports and the app (district scope applied in SQL).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl

from roadsafety import schemas
from roadsafety.sources.drives import DriveBatch
from roadsafety.store import challan_days
from roadsafety.store.connection import write_connection
from roadsafety.store.provenance import file_sha256, os_user

log = logging.getLogger(__name__)

RUN_SQL = "INSERT INTO ingest_runs VALUES (?, 'drives', 'drives', 'drives', ?, ?, ?, now(), ?, ?, ?, ?, ?, 0, ?, ?, ?)"
RESULT_TABLES = {
    "drive_results": schemas.DRIVE_RESULTS,
    "drive_result_places": schemas.DRIVE_RESULT_PLACES,
    "drive_result_months": schemas.DRIVE_RESULT_MONTHS,
}


@dataclass(frozen=True)
class ImportResult:
    """What one drives import stored."""

    run_id: str
    drives_new: int
    drives_replaced: int
    places: int
    rows_read: int


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    con.register("_rows", frame.to_arrow())
    try:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _rows")
    finally:
        con.unregister("_rows")


def write_drives(db_path: Path, batch: DriveBatch, run_id: str) -> ImportResult:
    """Store the batch's drives and places in one atomic write (replacing drives of the same id).

    Args:
        db_path: the warehouse.
        batch: a batch without rejected rows (see ``require_clean``).
        run_id: id of this import (logged in ``ingest_runs``).
    """
    if batch.rejected.height:
        raise ValueError("write_drives needs a batch without rejected rows")
    started = datetime.now()
    ids = batch.drives["drive_id"].to_list()
    drives = batch.drives.with_columns(
        pl.lit(batch.source_file).alias("source_file"),
        pl.lit(file_sha256(batch.source_file)).alias("file_sha256"),
        pl.lit(started).cast(pl.Datetime("us")).alias("imported_at"),
        pl.lit(run_id).alias("import_run_id"),
    ).select([pl.col(c).cast(t) for c, t in schemas.DRIVES.items()])
    with write_connection(db_path) as con:
        known = {r[0] for r in con.execute("SELECT drive_id FROM drives").fetchall()}
        con.execute("DELETE FROM drive_places WHERE list_contains(?, drive_id)", [ids])
        con.execute("DELETE FROM drives WHERE list_contains(?, drive_id)", [ids])
        _insert(con, "drives", drives)
        _insert(con, "drive_places", batch.places)
        replaced = len(known & set(ids))
        _log_run(con, run_id, batch, started, len(ids) - replaced, replaced, "ok", None)
    return ImportResult(run_id, len(ids) - replaced, replaced, batch.places.height, batch.rows_read)


def _log_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    batch: DriveBatch | None,
    started: datetime,
    inserted: int,
    updated: int,
    status: str,
    message: str | None,
    source_file: str | None = None,
) -> None:
    source = batch.source_file if batch else source_file
    rows = (batch.rows_read, batch.places.height, batch.rejected.height) if batch else (0, 0, 0)
    con.execute(
        RUN_SQL,
        [run_id, source, file_sha256(source) if source else None, started, rows[0], rows[1]]
        + [inserted, updated, rows[2], status, message, os_user()],
    )


def record_failed_import(db_path: Path, run_id: str, source_file: str, message: str) -> None:
    """Log a drives file that was refused (bad rows or unreadable); no drive changes."""
    with write_connection(db_path) as con:
        _log_run(con, run_id, None, datetime.now(), 0, 0, "failed", message, source_file)


def read_drives(con: duckdb.DuckDBPyConnection, drive_ids: list[str] | None = None) -> pl.DataFrame:
    """Stored drives (all, or the given ids), by start date then id."""
    where = "" if drive_ids is None else "WHERE list_contains(?, drive_id)"
    args = [] if drive_ids is None else [drive_ids]
    return con.execute(f"SELECT * FROM drives {where} ORDER BY start_date, drive_id", args).pl()


def read_places(con: duckdb.DuckDBPyConnection, drive_ids: list[str] | None = None) -> pl.DataFrame:
    """Stored places (all, or of the given drives), by drive and place number."""
    where = "" if drive_ids is None else "WHERE list_contains(?, drive_id)"
    args = [] if drive_ids is None else [drive_ids]
    frame = con.execute(f"SELECT * FROM drive_places {where} ORDER BY drive_id, place_no", args)
    return frame.pl().cast({c: t for c, t in schemas.DRIVE_PLACES.items()})  # type: ignore[arg-type]


CRASH_SQL = """
SELECT row_number() OVER (ORDER BY source, accident_id)::BIGINT AS "row",
       CAST(occurred_at AS DATE) AS day, unit_id, h3_cell, road_name, road_category,
       police_station, district, chainage_km, severity IN ('fatal', 'grievous') AS fatal_grievous,
       latitude, longitude
FROM accidents WHERE occurred_at IS NOT NULL
"""


def read_crash_records(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every accident with the columns the drive evaluation reads (no personal data)."""
    return con.execute(CRASH_SQL).pl()


def challan_range(con: duckdb.DuckDBPyConnection) -> tuple[date | None, date | None]:
    """First and last day with challans (None when there are none)."""
    return challan_days.day_range(con)


def challan_names(con: duckdb.DuckDBPyConnection, first: date, last: date) -> pl.DataFrame:
    """Distinct raw (road_name, police_station) pairs of challans issued in ``[first, last]``."""
    return con.execute(
        f"""SELECT DISTINCT road_name, police_station FROM {challan_days.raw_between(con, first, last)}
           WHERE issued_at::DATE BETWEEN ? AND ? AND road_name IS NOT NULL""",
        [first, last],
    ).pl()


def challan_groups(
    con: duckdb.DuckDBPyConnection,
    first: date,
    last: date,
    cells: list[str],
    units: list[str],
    roads: list[str],
) -> pl.DataFrame:
    """Challans in ``[first, last]`` in the given cells, units or (raw) roads, counted per place key
    and day: ``unit_id, h3_cell, road_name, police_station, day, challans`` (only the fact files
    of the months covering ``[first, last]`` are read)."""
    return con.execute(
        f"""SELECT unit_id, h3_cell, road_name, police_station, issued_at::DATE AS day,
                  count(*)::BIGINT AS challans
           FROM {challan_days.raw_between(con, first, last)}
           WHERE issued_at::DATE BETWEEN ? AND ?
             AND (list_contains(?, lower(h3_cell)) OR list_contains(?, upper(unit_id))
                  OR list_contains(?, road_name))
           GROUP BY ALL""",
        [first, last, cells, units, roads],
    ).pl()


def write_results(db_path: Path, evaluation: dict, frames: dict[str, pl.DataFrame]) -> None:
    """Replace the stored evaluation with this one (one atomic write) and log the run.

    Args:
        db_path: the warehouse.
        evaluation: a ``drive_evaluations`` row (``evaluation_id``, dates, options as a dict...).
        frames: ``drive_results``, ``drive_result_places``, ``drive_result_months`` rows.
    """
    run = evaluation | {"options": json.dumps(evaluation["options"], sort_keys=True)}
    runs = pl.DataFrame([run]).select(
        [pl.col(c).cast(t) for c, t in schemas.DRIVE_EVALUATIONS.items()]
    )
    eid = evaluation["evaluation_id"]
    with write_connection(db_path) as con:
        _insert(con, "drive_evaluations", runs)
        for table, schema in RESULT_TABLES.items():
            con.execute(f"DELETE FROM {table}")
            rows = frames[table].with_columns(pl.lit(eid).alias("evaluation_id"))
            _insert(con, table, rows.select([pl.col(c).cast(t) for c, t in schema.items()]))


def latest_evaluation(con: duckdb.DuckDBPyConnection) -> dict | None:
    """The stored evaluation's run row (None before the first ``drives evaluate``)."""
    frame = con.execute(
        """SELECT e.* FROM drive_evaluations e
           WHERE evaluation_id IN (SELECT evaluation_id FROM drive_results LIMIT 1)"""
    ).pl()
    return frame.row(0, named=True) if frame.height else None


RESULTS_SQL = """
SELECT * FROM drive_results
WHERE ? IS NULL
   OR (drive_id <> 'ALL' AND list_contains(string_split(lower(districts), ';'), lower(?)))
   OR (drive_id = 'ALL' AND lower(scope) = lower(?))
ORDER BY drive_id = 'ALL', before_start, drive_id, scope
"""


def read_results(con: duckdb.DuckDBPyConnection, district: str | None = None) -> pl.DataFrame:
    """Stored result rows: every drive and pooled row, or a district's drives and its pooled row."""
    return con.execute(RESULTS_SQL, [district] * 3).pl()


SUMMARY_SQL = """
SELECT d.drive_id, d.name, d.start_date, d.end_date,
       (SELECT count(*) FROM drive_places p WHERE p.drive_id = d.drive_id) AS places,
       r.districts, r.crashes_before, r.crashes_after, r.change_pct, r.verdict
FROM drives d LEFT JOIN drive_results r ON r.drive_id = d.drive_id AND r.scope = ''
ORDER BY d.start_date, d.drive_id
"""


def drive_summaries(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Stored drives with their place count and the stored evaluation's verdict (for ``drives list``)."""
    return con.execute(SUMMARY_SQL).pl()


def read_result_places(con: duckdb.DuckDBPyConnection, drive_id: str) -> pl.DataFrame:
    """Evaluated places of one drive."""
    return con.execute(
        "SELECT * FROM drive_result_places WHERE drive_id = ? ORDER BY place_no", [drive_id]
    ).pl()


def read_result_months(con: duckdb.DuckDBPyConnection, drive_id: str) -> pl.DataFrame:
    """Monthly crashes and expectation of one drive."""
    return con.execute(
        "SELECT * FROM drive_result_months WHERE drive_id = ? ORDER BY month, period", [drive_id]
    ).pl()
