"""Audit trail of exports: who wrote which list, with which options, and the file's hash.

* :func:`make_record` — an :class:`~roadsafety.store.export_store.AuditRecord` for a written file
  (``user=None`` means the OS user running the command; the app passes its logged-in user name
  with ``user_kind='app'``).
* :func:`record_export` ``(con, record)`` — insert it on an open write connection.
* :func:`audit_export` ``(db_path, ...)`` — make and insert in one short write session.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from roadsafety.exports.meta import ExportMeta
from roadsafety.store.connection import write_connection
from roadsafety.store.export_store import AuditRecord, insert_audit


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def os_user() -> str:
    """The operating-system user running this process ('unknown' when it cannot be told)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER") or "unknown"


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


def audit_export(
    db_path: Path,
    path: Path,
    fmt: str,
    meta: ExportMeta,
    row_count: int,
    user: str | None = None,
    user_kind: str = "os",
) -> AuditRecord:
    """Record an export in the warehouse (one short write session) and return the record."""
    record = make_record(path, fmt, meta, row_count, user=user, user_kind=user_kind)
    with write_connection(db_path) as con:
        record_export(con, record)
    return record
