"""App users (warehouse table ``users``) and the app's append-only audit log.

Users are written only by the ``roadsafety users`` command through ``write_connection``; the app
reads them with a read-only connection. Passwords are stored as argon2id hashes.

Audit decision: the running app never writes the warehouse. A login or a download appends one JSON
line (with an ``event_id``) to ``<warehouse>.app_audit.jsonl`` beside the warehouse, under an
exclusive ``flock`` and followed by ``fsync``. So a download never waits for (or blocks) the nightly
job's copy-and-swap write, and events survive a warehouse swap. ``roadsafety users audit`` copies
new lines into the ``app_audit`` table (idempotent: keyed on ``event_id``).
"""

from __future__ import annotations

import fcntl
import json
import os
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

ROLES = ("viewer", "analyst", "admin")
AUDIT_ACTIONS = ("login", "login_failed", "logout", "download", "denied")


class UserStoreError(ValueError):
    """A user operation cannot be done (unknown user, bad role, duplicate name)."""


@dataclass(frozen=True)
class UserRecord:
    """One app user as stored (the hash never leaves this module except for verification)."""

    username: str
    password_hash: str
    role: str
    district: str | None
    disabled: bool
    created_at: datetime | None


def hash_password(password: str) -> str:
    """Argon2id hash of ``password`` (argon2-cffi defaults: RFC 9106 low-memory profile)."""
    if len(password) < 8:
        raise UserStoreError("password must have at least 8 characters")
    return PasswordHasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches the stored hash (never raises on a bad password)."""
    try:
        return PasswordHasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _check_user_fields(username: str, role: str) -> None:
    if (
        not username
        or len(username) > 64
        or not username.replace("_", "").replace(".", "").isalnum()
    ):
        raise UserStoreError(f"username {username!r}: use 1-64 letters, digits, '.' or '_'")
    if role not in ROLES:
        raise UserStoreError(f"role {role!r}: expected one of {', '.join(ROLES)}")


def add_user(
    con: duckdb.DuckDBPyConnection, username: str, password: str, role: str, district: str | None
) -> None:
    """Insert a new user (error if the name is taken)."""
    _check_user_fields(username, role)
    if read_user(con, username) is not None:
        raise UserStoreError(f"user {username!r} already exists")
    con.execute(
        "INSERT INTO users (username, password_hash, role, district, disabled, created_at) "
        "VALUES (?, ?, ?, ?, FALSE, now())",
        [username, hash_password(password), role, district or None],
    )


def set_disabled(con: duckdb.DuckDBPyConnection, username: str, disabled: bool = True) -> None:
    """Disable (or re-enable) a user; their open sessions end on their next request."""
    if read_user(con, username) is None:
        raise UserStoreError(f"no user {username!r}")
    con.execute("UPDATE users SET disabled = ? WHERE username = ?", [disabled, username])


def read_user(con: duckdb.DuckDBPyConnection, username: str) -> UserRecord | None:
    """The user called ``username`` or None (None also when the users table does not exist)."""
    try:
        row = con.execute(
            "SELECT username, password_hash, role, district, coalesce(disabled, FALSE), created_at "
            "FROM users WHERE username = ?",
            [username],
        ).fetchone()
    except duckdb.CatalogException:
        return None
    return UserRecord(*row) if row else None


def list_users(con: duckdb.DuckDBPyConnection) -> list[UserRecord]:
    """Every user, by name."""
    rows = con.execute(
        "SELECT username, password_hash, role, district, coalesce(disabled, FALSE), created_at "
        "FROM users ORDER BY username"
    ).fetchall()
    return [UserRecord(*r) for r in rows]


def audit_log_path(db_path: Path | str) -> Path:
    """The app's append-only audit file beside the warehouse."""
    db_path = Path(db_path)
    return db_path.with_name(db_path.name + ".app_audit.jsonl")


def append_audit(db_path: Path | str, user: str, action: str, detail: dict | None = None) -> str:
    """Append one audit event (locked, fsync'd); return its event id."""
    if action not in AUDIT_ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    event = {
        "event_id": uuid.uuid4().hex,
        "when": datetime.now().isoformat(timespec="seconds"),
        "user": user,
        "action": action,
        "detail": detail or {},
    }
    path = audit_log_path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            fh.write(json.dumps(event, sort_keys=True, default=str) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
    return event["event_id"]


def read_audit_log(db_path: Path | str) -> list[dict]:
    """Every event in the audit file, oldest first (a torn last line is skipped)."""
    path = audit_log_path(db_path)
    if not path.exists():
        return []
    events = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return events


def import_audit(con: duckdb.DuckDBPyConnection, events: list[dict]) -> int:
    """Copy events not yet in ``app_audit`` into it; return how many were new.

    A download event also becomes an ``export_audit`` row (the exports module's record), so app
    downloads and ``roadsafety export`` files share one export trail.
    """
    known = {r[0] for r in con.execute("SELECT event_id FROM app_audit").fetchall()}
    new = [e for e in events if e.get("event_id") and e["event_id"] not in known]
    if new:
        con.executemany(
            'INSERT INTO app_audit (event_id, "when", "user", action, detail) VALUES (?, ?, ?, ?, ?)',
            [
                [e["event_id"], e["when"], e["user"], e["action"], json.dumps(e.get("detail", {}))]
                for e in new
            ],
        )
    for e in new:
        record = e.get("detail", {}).get("export_record") if e["action"] == "download" else None
        if record:
            _insert_export_record(con, record)
    return len(new)


def _insert_export_record(con: duckdb.DuckDBPyConnection, record: dict) -> None:
    from roadsafety.store.export_store import AuditRecord, insert_audit

    fields = {**record, "exported_at": datetime.fromisoformat(str(record["exported_at"]))}
    insert_audit(con, AuditRecord(**fields))
