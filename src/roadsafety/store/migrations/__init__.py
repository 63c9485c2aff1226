"""Versioned schema migrations.

Each module ``mNNNN_<name>.py`` in this package defines ``VERSION: int``, ``NAME: str`` and
``statements() -> list[str]``. Applied in version order, each in its own transaction, and recorded
in ``schema_migrations``; a migration already recorded is never run again.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

import duckdb


def _modules() -> list[ModuleType]:
    mods = [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in pkgutil.iter_modules(__path__)
        if info.name.startswith("m") and info.name[1:5].isdigit()
    ]
    versions = [m.VERSION for m in mods]
    if len(versions) != len(set(versions)):
        raise RuntimeError(f"duplicate migration versions: {sorted(versions)}")
    return sorted(mods, key=lambda m: m.VERSION)


def apply_migrations(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply every migration not yet recorded; return the versions applied now."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP DEFAULT now())"
    )
    done = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
    applied = []
    for mod in _modules():
        if mod.VERSION in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            for sql in mod.statements():
                con.execute(sql)
            con.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                [mod.VERSION, mod.NAME],
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(mod.VERSION)
    return applied
