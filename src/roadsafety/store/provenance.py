"""Who made a record and from which file: the OS user and a file's SHA-256 (ingest runs, export audit)."""

from __future__ import annotations

import getpass
import hashlib
from pathlib import Path


def file_sha256(path: Path | str) -> str | None:
    """Hex SHA-256 of a file's bytes (None for a folder or a missing path)."""
    p = Path(path)
    if not p.is_file():
        return None
    digest = hashlib.sha256()
    with p.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def os_user() -> str:
    """The operating-system user running this process ('unknown' when it cannot be told)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no LOGNAME/USER/LNAME/USERNAME and no password entry
        return "unknown"
