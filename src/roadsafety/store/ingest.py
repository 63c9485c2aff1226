"""Validated, idempotent ingest of a source batch into the warehouse, in one atomic write.

Every row read ends in exactly one of: loaded (inserted or updated), quarantined (with file, row,
column, raw value and reason), or counted as an exact duplicate (of a row earlier in the same file or
of the stored version). ``rows_read = loaded + quarantined + duplicates`` is checked before commit and
stored in ``ingest_runs``. A row whose id is stored with different content replaces it, and the change
is kept in ``record_history``.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime

import duckdb
import polars as pl
import pyarrow as pa

from roadsafety import schemas
from roadsafety.config import Settings
from roadsafety.errors import AccountingError
from roadsafety.features.units import assign_units
from roadsafety.sources.base import REJECT_SCHEMA, SourceBatch
from roadsafety.store import privacy
from roadsafety.store.connection import write_connection
from roadsafety.store.provenance import file_sha256, os_user
from roadsafety.store.units import refresh_reference_tables
from roadsafety.store.validation import check_batch, safe_rejects

log = logging.getLogger(__name__)

CHUNK_ROWS = (
    1_000_000  # rows validated and prepared at a time: bounds memory on multi-million-row files
)

CONTENT_EXCLUDE = {
    "source",
    "source_file",
    "source_row",
    "raw",
    "content_hash",
    "ingest_run_id",
    "h3_cell",
    "unit_id",
    "located",
}


@dataclass(frozen=True)
class IngestResult:
    """Row accounting of one ingest run."""

    run_id: str
    kind: str
    source: str
    source_file: str
    rows_read: int
    inserted: int
    updated: int
    quarantined: int
    duplicates: int

    @property
    def loaded(self) -> int:
        """Rows inserted or updated."""
        return self.inserted + self.updated

    def as_dict(self) -> dict:
        """Plain dict including ``loaded``."""
        return asdict(self) | {"loaded": self.loaded}


def new_run_id(prefix: str = "ing") -> str:
    """A sortable unique run id."""
    return f"{prefix}-{datetime.now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


PII_STAGING = "_pii_vehicle_reg"  # normalised registration, hashed by the insert SQL, never stored


def prepare_rows(
    valid: pl.DataFrame, batch: SourceBatch, settings: Settings, run_id: str
) -> pl.DataFrame:
    """Assign spatial units and add lineage (``raw`` without personal columns); conform to the
    stored schema.

    Challans keep the normalised registration in ``_pii_vehicle_reg`` for :func:`_append`, which
    replaces it by its keyed hash as the rows enter DuckDB.
    """
    frame = valid
    extra = []
    if batch.kind == "challans":
        frame = frame.with_columns(
            privacy.normalise_expr("vehicle_reg").alias(PII_STAGING),
            pl.lit(None, pl.Utf8).alias("vehicle_reg_hash"),
        ).drop("vehicle_reg")
        extra = [pl.col(PII_STAGING)]
    frame = assign_units(frame, settings.region).with_columns(
        privacy.scrub_raw(frame.get_column("raw"), settings.privacy.personal_fields),
        pl.lit(batch.source).alias("source"),
        pl.lit(batch.source_file).alias("source_file"),
        pl.lit(run_id).alias("ingest_run_id"),
        pl.lit(None, pl.Utf8).alias("content_hash"),
    )
    table = schemas.TABLES[batch.kind]
    return frame.select([pl.col(c).cast(t) for c, t in table.items()] + extra)


def _content_sql(kind: str) -> str:
    cols = [c for c in schemas.TABLES[kind] if c not in CONTENT_EXCLUDE]
    parts = ", ".join(f"coalesce(CAST(\"{c}\" AS VARCHAR), '\\N')" for c in cols)
    return f"md5(concat_ws('\x1f', {parts}))"


def _parallel_arrow(rows: pl.DataFrame, batch_rows: int = 122_880) -> pa.Table:
    """Rows as an Arrow table of many record batches, so DuckDB scans (and hashes) them in parallel."""
    table = rows.to_arrow()
    return pa.Table.from_batches(table.to_batches(max_chunksize=batch_rows), schema=table.schema)


def _append(
    con: duckdb.DuckDBPyConnection, rows: pl.DataFrame, kind: str, table: str, key: bytes | None
) -> None:
    """Append prepared rows to ``table``, hashing personal data and adding the content hash."""
    cols = ", ".join(f'"{c}"' for c in schemas.TABLES[kind])
    source = "incoming"
    if PII_STAGING in rows.columns:
        source = (
            f"(SELECT * EXCLUDE ({PII_STAGING}) REPLACE ({privacy.hmac_sql(PII_STAGING, key)} "
            f"AS vehicle_reg_hash) FROM incoming)"
        )
    con.register("incoming", _parallel_arrow(rows))
    con.execute(
        f"INSERT INTO {table} ({cols}) SELECT * REPLACE ({_content_sql(kind)} AS content_hash) FROM {source}"
    )
    con.unregister("incoming")


def direct_insert_possible(con: duckdb.DuckDBPyConnection, batch: SourceBatch) -> bool:
    """True when no id repeats within the file and none is stored for this source yet.

    Then every valid row is new and goes straight into the fact table (the common first load).
    """
    idc = schemas.ID_COLUMN[batch.kind]
    ids = batch.frame.get_column(idc)
    if ids.is_duplicated().any():
        return False
    con.register("incoming_ids", pl.DataFrame({"id": ids}).to_arrow())
    stored = con.execute(
        f'SELECT count(*) FROM {batch.kind} WHERE source = ? AND "{idc}" IN (SELECT id FROM incoming_ids)',
        [batch.source],
    ).fetchone()[0]
    con.unregister("incoming_ids")
    return stored == 0


def dedupe_batch(con: duckdb.DuckDBPyConnection, kind: str) -> pl.DataFrame:
    """Resolve id repeats in temp table ``batch``; return the rows quarantined as conflicts.

    Exact repeats of an id within the file keep their first row (the others count as duplicates);
    an id repeated with different content is ambiguous, so all its rows are quarantined.
    """
    idc = schemas.ID_COLUMN[kind]
    n, distinct = con.execute(f'SELECT count(*), count(DISTINCT "{idc}") FROM batch').fetchone()
    if n == distinct:
        return pl.DataFrame(schema=REJECT_SCHEMA)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE repeated AS
            SELECT "{idc}", count(DISTINCT content_hash) > 1 AS conflict
            FROM batch GROUP BY 1 HAVING count(*) > 1"""
    )
    conflicts = con.execute(
        f"""SELECT source_row AS row_number, '{idc}' AS column_name, "{idc}" AS raw_value,
                   'duplicate {idc} within file with different content' AS reason
            FROM batch JOIN repeated USING ("{idc}") WHERE conflict ORDER BY source_row"""
    ).pl()
    con.execute(
        f"""DELETE FROM batch b USING repeated r WHERE b."{idc}" = r."{idc}" AND (r.conflict OR
            b.source_row > (SELECT min(source_row) FROM batch b2 WHERE b2."{idc}" = r."{idc}"))"""
    )
    return conflicts.select([pl.col(c).cast(t) for c, t in REJECT_SCHEMA.items()])


def _record_history(con: duckdb.DuckDBPyConnection, kind: str, run_id: str) -> None:
    idc = schemas.ID_COLUMN[kind]
    old = con.execute(
        f'SELECT t.* FROM {kind} t JOIN changed c USING (source, "{idc}") WHERE NOT c.same'
    ).pl()
    new = con.execute(
        f'SELECT b.* FROM batch b JOIN changed c USING (source, "{idc}") WHERE NOT c.same'
    ).pl()
    if old.is_empty():
        return
    content = [c for c in schemas.TABLES[kind] if c not in CONTENT_EXCLUDE | {idc}]
    old = old.sort("source", idc).select(["source", idc, *content])
    new = new.sort("source", idc).select(["source", idc, *content])
    history = []
    for o, n in zip(old.iter_rows(named=True), new.iter_rows(named=True)):
        diff = [c for c in content if o[c] != n[c]]
        history.append(
            (
                kind,
                o["source"],
                o[idc],
                datetime.now(),
                run_id,
                ",".join(diff),
                pl.DataFrame([{c: o[c] for c in diff}]).write_json(),
                pl.DataFrame([{c: n[c] for c in diff}]).write_json(),
            )
        )
    con.executemany("INSERT INTO record_history VALUES (?, ?, ?, ?, ?, ?, ?, ?)", history)


def merge_batch(con: duckdb.DuckDBPyConnection, kind: str, run_id: str) -> tuple[int, int, int]:
    """Merge temp table ``batch`` into the fact table; return (inserted, updated, stored_duplicates)."""
    idc = schemas.ID_COLUMN[kind]
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE changed AS
            SELECT b.source, b."{idc}", (b.content_hash = t.content_hash) AS same
            FROM batch b JOIN {kind} t ON t.source = b.source AND t."{idc}" = b."{idc}" """
    )
    same, upd = con.execute(
        "SELECT count(*) FILTER (WHERE same), count(*) FILTER (WHERE NOT same) FROM changed"
    ).fetchone()
    if upd:
        _record_history(con, kind, run_id)
        con.execute(f"""DELETE FROM {kind} t USING changed c
                        WHERE NOT c.same AND t.source = c.source AND t."{idc}" = c."{idc}" """)
    cols = ", ".join(f'"{c}"' for c in schemas.TABLES[kind])
    where = (
        ""
        if not same
        else (
            f""" WHERE NOT EXISTS (SELECT 1 FROM changed c WHERE c.same AND c.source = b.source AND c."{idc}" = b."{idc}")"""
        )
    )
    con.execute(f"INSERT INTO {kind} ({cols}) SELECT {cols} FROM batch b{where}")
    total = con.execute("SELECT count(*) FROM batch").fetchone()[0]
    return total - same - upd, upd, same


def _write_run(
    con: duckdb.DuckDBPyConnection,
    batch: SourceBatch,
    result: IngestResult,
    fmt: str,
    started: datetime,
    status: str = "ok",
    message: str | None = None,
) -> None:
    con.execute(
        "INSERT INTO ingest_runs VALUES (?, ?, ?, ?, ?, ?, ?, now(), ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            result.run_id,
            batch.kind,
            batch.source,
            fmt,
            batch.source_file,
            file_sha256(batch.source_file),
            started,
            result.rows_read,
            result.loaded,
            result.inserted,
            result.updated,
            result.quarantined,
            result.duplicates,
            status,
            message,
            os_user(),
        ],
    )


def load_chunks(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    batch: SourceBatch,
    run_id: str,
    table: str,
    chunk_rows: int,
) -> tuple[int, list[pl.DataFrame]]:
    """Validate and prepare the batch chunk by chunk (bounded memory), appending to ``table``.

    Returns the number of valid rows and the quarantine frames.
    """
    valid, rejects = 0, [batch.rejected]
    key = (
        privacy.load_or_create_key(settings.privacy.key_path) if batch.kind == "challans" else None
    )
    for chunk in batch.frame.iter_slices(chunk_rows):
        checked = check_batch(chunk, batch.kind)
        rows = prepare_rows(checked.valid, batch, settings, run_id)
        _append(con, rows, batch.kind, table, key)
        valid += rows.height
        rejects.append(checked.rejects)
    return valid, rejects


def ingest_batch(
    settings: Settings, batch: SourceBatch, fmt: str | None = None, chunk_rows: int = CHUNK_ROWS
) -> IngestResult:
    """Validate and load a batch into the warehouse in one atomic write.

    Raises:
        AccountingError: if the row accounting does not add up (nothing is written).
    """
    started, run_id, kind = datetime.now(), new_run_id(), batch.kind
    with write_connection(settings.db_path, lock_timeout_s=settings.lock_timeout_s) as con:
        con.execute("BEGIN TRANSACTION")
        if direct_insert_possible(con, batch):
            valid, rejects = load_chunks(con, settings, batch, run_id, kind, chunk_rows)
            inserted, updated, duplicates, conflicts = (
                valid,
                0,
                0,
                pl.DataFrame(schema=REJECT_SCHEMA),
            )
        else:
            con.execute(f"CREATE OR REPLACE TEMP TABLE batch AS SELECT * FROM {kind} LIMIT 0")
            valid, rejects = load_chunks(con, settings, batch, run_id, "batch", chunk_rows)
            conflicts = dedupe_batch(con, kind)
            in_file_dups = (
                valid - conflicts.height - con.execute("SELECT count(*) FROM batch").fetchone()[0]
            )
            inserted, updated, stored_dups = merge_batch(con, kind, run_id)
            duplicates = in_file_dups + stored_dups
        rejects = safe_rejects(
            pl.concat([*rejects, conflicts]), settings.privacy.personal_fields
        ).with_columns(
            pl.lit(run_id).alias("ingest_run_id"), pl.lit(batch.source_file).alias("source_file")
        )
        quarantined = rejects.get_column("row_number").n_unique()
        result = IngestResult(
            run_id,
            kind,
            batch.source,
            batch.source_file,
            batch.rows_read,
            inserted,
            updated,
            quarantined,
            duplicates,
        )
        if result.rows_read != result.loaded + result.quarantined + result.duplicates:
            raise AccountingError(
                f"{batch.source_file}: row accounting does not add up: {result.as_dict()}"
            )
        con.register("rejects_in", rejects.select(list(schemas.QUARANTINE)).to_arrow())
        con.execute("INSERT INTO quarantine SELECT * FROM rejects_in")
        con.unregister("rejects_in")
        _write_run(con, batch, result, fmt or batch.source, started)
        refresh_reference_tables(con, settings.region)
        con.execute("COMMIT")
    log.info(
        "%s %s: read %d, loaded %d (new %d, updated %d), quarantined %d, duplicates %d",
        kind,
        batch.source_file,
        result.rows_read,
        result.loaded,
        inserted,
        updated,
        quarantined,
        result.duplicates,
    )
    return result


def record_failed_run(
    settings: Settings, kind: str, source_file: str, fmt: str, message: str
) -> None:
    """Record an ingest that could not read its file at all (the warehouse data is untouched)."""
    batch = SourceBatch(
        kind,
        fmt,
        source_file,
        0,
        pl.DataFrame(
            schema={
                **{c: pl.Utf8 for c in schemas.INPUTS[kind]},
                "source_row": pl.Int64,
                "raw": pl.Utf8,
            }
        ),
        pl.DataFrame(schema=REJECT_SCHEMA),
    )
    result = IngestResult(new_run_id(), kind, fmt, source_file, 0, 0, 0, 0, 0)
    with write_connection(settings.db_path, lock_timeout_s=settings.lock_timeout_s) as con:
        _write_run(con, batch, result, fmt, datetime.now(), status="failed", message=message)
