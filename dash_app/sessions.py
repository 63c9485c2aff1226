"""Server-side session checks: what makes a copied session cookie useless after logout or disable.

The session cookie is signed by Flask and holds the user name plus three stamps written at sign-in:
``sid`` (a random session id), ``sv`` (the user's ``session_version`` in the warehouse) and ``iat``
(sign-in time). Every request re-checks them (:func:`session_valid`):

* **logout** appends the ``sid`` to ``<warehouse>.revoked_sessions`` (mode 0640, under ``flock``):
  the app never writes the warehouse, and this small file survives a restart and is shared by every
  app process on the host. A revoked id is kept until the session would have expired anyway, so the
  file stays small (it is rewritten without expired ids when it grows);
* **users disable / --enable / revoke** bump ``session_version`` in the warehouse (migration 7): a
  session stamped with an older version is refused;
* a session older than :data:`SESSION_LIFETIME` is refused whatever its cookie says.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import threading
import time
from datetime import timedelta
from pathlib import Path

from roadsafety.store.users import open_private

SESSION_LIFETIME = timedelta(hours=12)
_PRUNE_BYTES = 64 * 1024


def new_stamps(session_version: int) -> dict:
    """The stamps a fresh session carries: id, the user's session version, sign-in time."""
    return {"sid": secrets.token_hex(16), "sv": int(session_version), "iat": int(time.time())}


class RevokedSessions:
    """The revoked-session file beside a warehouse (cached per file version)."""

    def __init__(self, db_path: Path | str) -> None:
        db_path = Path(db_path)
        self.path = db_path.with_name(db_path.name + ".revoked_sessions")
        self._lock = threading.Lock()
        self._version: tuple = ()
        self._ids: frozenset[str] = frozenset()

    def revoke(self, sid: str, signed_in_at: float) -> None:
        """Revoke ``sid`` until the session would have expired anyway."""
        until = int(signed_in_at + SESSION_LIFETIME.total_seconds()) + 60
        fd = open_private(self.path, os.O_RDWR | os.O_APPEND)
        with os.fdopen(fd, "a+", encoding="ascii") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                fh.write(f"{sid} {until}\n")
                fh.flush()
                os.fsync(fh.fileno())
                if fh.tell() > _PRUNE_BYTES:
                    self._prune(fh)
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def _prune(self, fh) -> None:
        fh.seek(0)
        keep = [line for line in fh.read().splitlines() if _until(line) > time.time()]
        tmp = self.path.with_name(self.path.name + f".{os.getpid()}.tmp")
        fd = open_private(tmp, os.O_WRONLY | os.O_TRUNC)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write("".join(f"{line}\n" for line in keep))
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, self.path)

    def is_revoked(self, sid: str) -> bool:
        """True when ``sid`` was revoked (the file is re-read only when it changed)."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return False
        version = (st.st_ino, st.st_mtime_ns, st.st_size)
        with self._lock:
            if version != self._version:
                text = self.path.read_text(encoding="ascii", errors="replace")
                now = time.time()
                self._ids = frozenset(
                    line.split(" ", 1)[0] for line in text.splitlines() if _until(line) > now
                )
                self._version = version
            return sid in self._ids


def _until(line: str) -> float:
    try:
        return float(line.split(" ", 1)[1])
    except (IndexError, ValueError):
        return 0.0


def session_valid(session: dict, session_version: int, revoked: RevokedSessions) -> bool:
    """True when the session's stamps are current: not revoked, same version, not expired."""
    sid, iat = session.get("sid"), session.get("iat")
    if not isinstance(sid, str) or not isinstance(iat, int) or session.get("sv") != session_version:
        return False
    if time.time() - iat > SESSION_LIFETIME.total_seconds():
        return False
    return not revoked.is_revoked(sid)
