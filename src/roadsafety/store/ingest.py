"""Validated, idempotent ingest of a source file into the warehouse, in one atomic write.

Every row read ends in exactly one of: loaded (inserted or updated), quarantined (with file, row,
column, raw value and reason), or counted as an exact duplicate (of a row earlier in the same file or
of the stored version). ``rows_read = loaded + quarantined + duplicates`` is checked before commit and
stored in ``ingest_runs``. A row whose id is stored with different content replaces it, and the change
is kept in ``record_history``.

The file is read, validated and prepared chunk by chunk, so memory does not grow with it. Challans
go to Parquet fact files (:mod:`~roadsafety.store.ingest_facts`), accidents to their table
(:mod:`~roadsafety.store.ingest_table`); either way nothing is visible before the warehouse swap.
"""

from __future__ import annotations

import gc
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime

import duckdb
import polars as pl

from roadsafety import schemas
from roadsafety.config import Settings
from roadsafety.errors import AccountingError
from roadsafety.features.units import assign_units
from roadsafety.sources.base import REJECT_SCHEMA, SourceBatch, SourceError, SourceStream, as_stream
from roadsafety.store import facts, privacy
from roadsafety.store.connection import write_connection
from roadsafety.store.ingest_facts import FactSink
from roadsafety.store.ingest_table import TableSink
from roadsafety.store.provenance import file_sha256, os_user
from roadsafety.store.units import refresh_reference_tables
from roadsafety.store.validation import check_batch, safe_rejects

log = logging.getLogger(__name__)

CHUNK_ROWS = 500_000  # rows validated and prepared at a time: bounds memory on huge files


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


def prepare_rows(
    valid: pl.DataFrame,
    batch: SourceBatch | SourceStream,
    settings: Settings,
    run_id: str,
    key: bytes | None = None,
) -> pl.DataFrame:
    """Assign spatial units, hash registrations and add lineage (``raw`` without personal
    columns); conform to the stored schema (``content_hash`` left empty).

    Challans' registrations are normalised and replaced by their keyed hash (``key``, else the
    configured key) here, in memory: no clear registration reaches DuckDB or a file.
    """
    frame = valid
    if batch.kind == "challans":
        key = key or privacy.load_or_create_key(settings.privacy.key_path)
        normalised = frame.select(privacy.normalise_expr("vehicle_reg")).to_series()
        frame = frame.with_columns(privacy.hmac_series(normalised, key).alias("vehicle_reg_hash"))
    frame = assign_units(frame, settings.region).with_columns(
        privacy.scrub_raw(frame.get_column("raw"), settings.privacy.personal_fields),
        pl.lit(batch.source).alias("source"),
        pl.lit(batch.source_file).alias("source_file"),
        pl.lit(run_id).alias("ingest_run_id"),
        pl.lit(None, pl.Utf8).alias("content_hash"),
    )
    table = schemas.TABLES[batch.kind]
    return frame.select([pl.col(c).cast(t) for c, t in table.items()])


@contextmanager
def _collector_spared() -> Iterator[None]:
    """Keep the objects alive before the load (modules, settings: hundreds of thousands) out of the
    cycle collector's scans while it runs; they are handed back after.

    Each full collection otherwise walks all of them, and a load of millions of rows triggers
    several (measured: about 1.4 CPU seconds of a one-million-row load). A process that already
    froze its heap (the app, :func:`roadsafety.commands.web.settle_heap`) is left as it is.
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _write_run(
    con: duckdb.DuckDBPyConnection,
    batch: SourceBatch | SourceStream,
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


def _sink(con: duckdb.DuckDBPyConnection, settings: Settings, stream: SourceStream, run_id: str):  # noqa: ANN202
    if stream.kind in facts.FACT_KINDS:
        root = facts.facts_root(settings.db_path)
        return FactSink(con, root, stream.kind, stream.source, run_id)
    return TableSink(con, stream.kind, run_id)


def _load(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    stream: SourceStream,
    run_id: str,
    chunk_rows: int,
) -> tuple[int, list[pl.DataFrame], object]:
    """Validate and prepare the stream chunk by chunk into its sink; (rows read, rejects, sink)."""
    key = (
        privacy.load_or_create_key(settings.privacy.key_path) if stream.kind == "challans" else None
    )
    sink = _sink(con, settings, stream, run_id)
    rows_read, rejects = 0, []
    try:
        for chunk in stream.chunks():
            rows_read += chunk.rows_read
            rejects.append(chunk.rejected)
            for part in chunk.frame.iter_slices(chunk_rows):
                checked = check_batch(part, stream.kind)
                sink.add(prepare_rows(checked.valid, stream, settings, run_id, key))
                rejects.append(checked.rejects)
    except BaseException:
        sink.abort()
        raise
    return rows_read, rejects, sink


def ingest_batch(
    settings: Settings,
    batch: SourceBatch | SourceStream,
    fmt: str | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> IngestResult:
    """Validate and load a file (a batch or a stream of chunks) into the warehouse in one atomic
    write.

    Raises:
        AccountingError: if the row accounting does not add up (nothing is written).
        SourceError: when the file turns out unreadable part-way (nothing is written; the failed
            run is recorded).
    """
    stream = as_stream(batch)
    started, run_id, kind = datetime.now(), new_run_id(), stream.kind
    storage = settings.storage
    try:
        with (
            _collector_spared(),
            write_connection(
                settings.db_path,
                lock_timeout_s=settings.lock_timeout_s,
                memory_limit=storage.duckdb_memory_limit,
                retired_grace_s=storage.retired_grace_s,
            ) as con,
        ):
            con.execute("BEGIN TRANSACTION")
            rows_read, rejects, sink = _load(con, settings, stream, run_id, chunk_rows)
            try:
                outcome = sink.finish(storage.small_file_rows, storage.max_small_files)
            except BaseException:
                sink.abort()
                raise
            rejects = safe_rejects(
                pl.concat([*rejects, outcome.conflicts]), settings.privacy.personal_fields
            ).with_columns(
                pl.lit(run_id).alias("ingest_run_id"),
                pl.lit(stream.source_file).alias("source_file"),
            )
            result = IngestResult(
                run_id,
                kind,
                stream.source,
                stream.source_file,
                rows_read,
                outcome.inserted,
                outcome.updated,
                rejects.get_column("row_number").n_unique(),
                outcome.duplicates,
            )
            if result.rows_read != result.loaded + result.quarantined + result.duplicates:
                sink.abort()
                raise AccountingError(
                    f"{stream.source_file}: row accounting does not add up: {result.as_dict()}"
                )
            con.register("rejects_in", rejects.select(list(schemas.QUARANTINE)).to_arrow())
            con.execute("INSERT INTO quarantine SELECT * FROM rejects_in")
            con.unregister("rejects_in")
            _write_run(con, stream, result, fmt or stream.source, started)
            refresh_reference_tables(con, settings.region)
            con.execute("COMMIT")
    except SourceError as exc:
        record_failed_run(settings, kind, stream.source_file, fmt or stream.source, str(exc))
        raise
    log.info(
        "%s %s: read %d, loaded %d (new %d, updated %d), quarantined %d, duplicates %d",
        kind,
        stream.source_file,
        result.rows_read,
        result.loaded,
        result.inserted,
        result.updated,
        result.quarantined,
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
