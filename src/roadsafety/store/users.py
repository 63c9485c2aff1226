"""App users (warehouse table ``users``) and the app's append-only audit log.

Users are written only by the ``roadsafety users`` command through ``write_connection``; the app
reads them with a read-only connection. Passwords are stored as argon2id hashes. Each user has a
``session_version`` (migration 7): disabling, re-enabling or revoking a user bumps it, and the app
refuses any session opened under an older version, so a copied cookie dies at once.

Audit decision: the running app never writes the warehouse. A login or a download appends one JSON
line (with an ``event_id``) to ``<warehouse>.app_audit.jsonl`` beside the warehouse (mode 0640),
under an exclusive ``flock`` and followed by ``fsync``. So a download never waits for (or blocks) the
nightly job's copy-and-swap write, and events survive a warehouse swap. Every text in an event is
clipped (:data:`AUDIT_TEXT_LIMIT`), so an anonymous visitor cannot write megabytes into the log.
``roadsafety users audit`` copies new lines into the ``app_audit`` table (idempotent on ``event_id``).
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

from roadsafety.errors import UserStoreError

ROLES = ("viewer", "analyst", "admin")
AUDIT_ACTIONS = ("login", "login_failed", "logout", "download", "denied")
USERNAME_MAX = 64
AUDIT_TEXT_LIMIT = 200  # characters kept of any text in an audit event
AUDIT_ITEMS_LIMIT = 50  # items kept of any list or dict in an audit event
FILE_MODE = 0o640  # warehouse-side files: owner writes, the app's group reads, others nothing


@dataclass(frozen=True)
class UserRecord:
    """One app user as stored (the hash never leaves the store except for verification)."""

    username: str
    password_hash: str
    role: str
    district: str | None
    disabled: bool
    created_at: datetime | None
    session_version: int = 0


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


def valid_username(username: str) -> bool:
    """True for 1-64 letters, digits, ``.`` or ``_`` (the only names a user can have)."""
    return (
        0 < len(username) <= USERNAME_MAX
        and username.replace("_", "").replace(".", "").isalnum()
        and username.isascii()
    )


def _check_user_fields(username: str, role: str) -> None:
    if not valid_username(username):
        raise UserStoreError(f"username {username!r}: use 1-64 letters, digits, '.' or '_'")
    if role not in ROLES:
        raise UserStoreError(f"role {role!r}: expected one of {', '.join(ROLES)}")


def known_districts(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Districts the warehouse knows (reference table, spatial units, accident records)."""
    rows = con.execute(
        """SELECT district FROM districts WHERE district IS NOT NULL
           UNION SELECT district FROM spatial_units WHERE district IS NOT NULL
           UNION SELECT DISTINCT district FROM accidents WHERE district IS NOT NULL
           ORDER BY 1"""
    ).fetchall()
    return [r[0] for r in rows]


def resolve_district(con: duckdb.DuckDBPyConnection, district: str | None) -> str | None:
    """The warehouse spelling of ``district`` (None = every district).

    Raises:
        UserStoreError: for a blank district (which would silently mean every district) or one
            the warehouse does not know.
    """
    if district is None:
        return None
    wanted = district.strip()
    if not wanted:
        raise UserStoreError(
            "--district is empty: give a district name, or leave the option out for a user "
            "who sees every district"
        )
    known = known_districts(con)
    match = next((d for d in known if d.casefold() == wanted.casefold()), None)
    if match is None:
        listed = ", ".join(known[:20]) if known else "none yet: load data first"
        raise UserStoreError(f"district {wanted!r} is not in the warehouse (known: {listed})")
    return match


def add_user(
    con: duckdb.DuckDBPyConnection, username: str, password: str, role: str, district: str | None
) -> None:
    """Insert a new user (error if the name is taken or the district unknown)."""
    _check_user_fields(username, role)
    if read_user(con, username) is not None:
        raise UserStoreError(f"user {username!r} already exists")
    con.execute(
        "INSERT INTO users (username, password_hash, role, district, disabled, created_at, "
        "session_version) VALUES (?, ?, ?, ?, FALSE, now(), 0)",
        [username, hash_password(password), role, resolve_district(con, district)],
    )


def delete_user(con: duckdb.DuckDBPyConnection, username: str) -> None:
    """Remove a user if there is one (their open sessions end with the row)."""
    con.execute("DELETE FROM users WHERE username = ?", [username])


def set_disabled(con: duckdb.DuckDBPyConnection, username: str, disabled: bool = True) -> None:
    """Disable (or re-enable) a user; every session they had open is revoked either way."""
    if read_user(con, username) is None:
        raise UserStoreError(f"no user {username!r}")
    con.execute(
        "UPDATE users SET disabled = ?, session_version = coalesce(session_version, 0) + 1 "
        "WHERE username = ?",
        [disabled, username],
    )


def revoke_sessions(con: duckdb.DuckDBPyConnection, username: str) -> None:
    """End every open session of ``username`` (e.g. a lost phone); they sign in again."""
    if read_user(con, username) is None:
        raise UserStoreError(f"no user {username!r}")
    con.execute(
        "UPDATE users SET session_version = coalesce(session_version, 0) + 1 WHERE username = ?",
        [username],
    )


_USER_COLUMNS = (
    "username, password_hash, role, district, coalesce(disabled, FALSE), created_at, "
    "coalesce(session_version, 0)"
)
# a warehouse not yet migrated to version 7 (the read-only app never migrates): no session version
_USER_COLUMNS_V4 = (
    "username, password_hash, role, district, coalesce(disabled, FALSE), created_at, 0"
)


def _select_users(con: duckdb.DuckDBPyConnection, where: str, params: list) -> list[tuple]:
    try:
        return con.execute(f"SELECT {_USER_COLUMNS} FROM users {where}", params).fetchall()
    except duckdb.BinderException:
        return con.execute(f"SELECT {_USER_COLUMNS_V4} FROM users {where}", params).fetchall()


def read_user(con: duckdb.DuckDBPyConnection, username: str) -> UserRecord | None:
    """The user called ``username`` or None (None also when the users table does not exist)."""
    if not valid_username(username):
        return None
    try:
        rows = _select_users(con, "WHERE username = ?", [username])
    except duckdb.CatalogException:
        return None
    return UserRecord(*rows[0]) if rows else None


def list_users(con: duckdb.DuckDBPyConnection) -> list[UserRecord]:
    """Every user, by name."""
    return [UserRecord(*r) for r in _select_users(con, "ORDER BY username", [])]


# --- the app's audit log -----------------------------------------------------------------------


def audit_log_path(db_path: Path | str) -> Path:
    """The app's append-only audit file beside the warehouse."""
    db_path = Path(db_path)
    return db_path.with_name(db_path.name + ".app_audit.jsonl")


def clip_text(text: str, limit: int = AUDIT_TEXT_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, saying how many were dropped."""
    return text if len(text) <= limit else f"{text[:limit]}...(+{len(text) - limit} chars)"


def _clip(value: object, depth: int = 0) -> object:
    if isinstance(value, str):
        return clip_text(value)
    if depth > 4:
        return clip_text(repr(value))
    if isinstance(value, dict):
        items = list(value.items())[:AUDIT_ITEMS_LIMIT]
        return {clip_text(str(k), 64): _clip(v, depth + 1) for k, v in items}
    if isinstance(value, (list, tuple)):
        return [_clip(v, depth + 1) for v in list(value)[:AUDIT_ITEMS_LIMIT]]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return clip_text(str(value))


def open_private(path: Path, flags: int) -> int:
    """Open (creating with mode 0640) a warehouse-side file; tighten an older world-readable one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, flags | os.O_CREAT, FILE_MODE)
    if os.fstat(fd).st_mode & 0o007:
        os.fchmod(fd, FILE_MODE)
    return fd


def append_audit(db_path: Path | str, user: str, action: str, detail: dict | None = None) -> str:
    """Append one audit event (texts clipped, locked, fsync'd); return its event id."""
    if action not in AUDIT_ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    event = {
        "event_id": uuid.uuid4().hex,
        "when": datetime.now().isoformat(timespec="seconds"),
        "user": clip_text(str(user), USERNAME_MAX),
        "action": action,
        "detail": _clip(detail or {}),
    }
    fd = open_private(audit_log_path(db_path), os.O_WRONLY | os.O_APPEND)
    with os.fdopen(fd, "a", encoding="utf-8") as fh:
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
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
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
