"""Audit trail of exports: who wrote which list, with which options, and the file's hash.

* :func:`make_record` — an :class:`~roadsafety.store.export_store.AuditRecord` for a written file
  (``user=None`` means the OS user running the command; the app passes its logged-in user name
  with ``user_kind='app'``).
* :func:`record_export` ``(con, record)`` — insert it on an open write connection.
* :func:`audit_export` ``(db_path, ...)`` — make and insert in one short write session; when the
  warehouse is locked by a long write, the record waits in a JSON-lines file beside it and is
  inserted by the next audit (never lost, never blocking an officer's export for long).
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from roadsafety.exports.meta import ExportMeta
from roadsafety.store.connection import StoreBusyError, write_connection
from roadsafety.store.export_store import AuditRecord, insert_audit
from roadsafety.store.provenance import file_sha256, os_user  # noqa: F401 - file_sha256 re-exported

log = logging.getLogger(__name__)
AUDIT_LOCK_TIMEOUT_S = 20.0


def make_record(
    path: Path,
    fmt: str,
    meta: ExportMeta,
    row_count: int,
    user: str | None = None,
    user_kind: str = "os",
) -> AuditRecord:
    """The audit record of one written export file."""
    return AuditRecord(
        audit_id=uuid.uuid4().hex,
        exported_at=datetime.now(UTC).replace(tzinfo=None, microsecond=0),
        user_name=user or os_user(),
        user_kind=user_kind if user else "os",
        export_kind=meta.kind,
        format=fmt,
        path=str(Path(path).resolve()),
        params={**meta.params, "window_start": meta.window_start, "window_end": meta.window_end},
        run_id=meta.run_id,
        model_version=meta.model_version,
        row_count=row_count,
        file_sha256=file_sha256(path),
    )


def record_export(con: duckdb.DuckDBPyConnection, record: AuditRecord) -> None:
    """Insert an audit record using an open write connection."""
    insert_audit(con, record)


def pending_path(db_path: Path) -> Path:
    """JSON-lines file beside the warehouse holding audit records not yet written into it."""
    db_path = Path(db_path)
    return db_path.with_name(db_path.name + ".export_audit.jsonl")


def _park(db_path: Path, record: AuditRecord) -> None:
    with pending_path(db_path).open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(asdict(record), default=str) + "\n")


def _parked(db_path: Path) -> list[AuditRecord]:
    path = pending_path(db_path)
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        doc = json.loads(line)
        doc["exported_at"] = datetime.fromisoformat(doc["exported_at"])
        records.append(AuditRecord(**doc))
    return records


def audit_export(
    db_path: Path,
    path: Path,
    fmt: str,
    meta: ExportMeta,
    row_count: int,
    user: str | None = None,
    user_kind: str = "os",
    lock_timeout_s: float = AUDIT_LOCK_TIMEOUT_S,
) -> AuditRecord:
    """Record an export in the warehouse (one short write session) and return the record.

    When another process holds the warehouse write lock longer than ``lock_timeout_s`` (a long
    retrain), the record is parked in :func:`pending_path` and written with the next audit, so an
    export never waits long and no record is lost.
    """
    record = make_record(path, fmt, meta, row_count, user=user, user_kind=user_kind)
    try:
        with write_connection(db_path, lock_timeout_s=lock_timeout_s) as con:
            parked = _parked(db_path)
            for earlier in parked + [record]:
                record_export(con, earlier)
        if parked:
            pending_path(db_path).unlink(missing_ok=True)
            log.info("wrote %d parked export audit record(s)", len(parked))
    except StoreBusyError:
        _park(db_path, record)
        log.warning("warehouse busy: export audit record parked in %s", pending_path(db_path))
    return record
