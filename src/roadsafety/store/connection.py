"""The only place a DuckDB connection is opened.

Writers never touch the live warehouse file in place. A write session takes an exclusive file lock,
copies the warehouse to a staging file beside it, applies migrations, does its work there, and on
success checkpoints and atomically renames the staging file over the warehouse (``os.replace``). So:

* a process killed mid-write leaves the previous warehouse exactly as it was (no partial batch);
* readers (the app, exports) open read-only connections and see either the old or the new file,
  never a mix, and are never blocked by a long write;
* two writers never interleave: the second waits for the lock (or gives up with a clear error);
* a writer killed mid-way leaves its staging file (named with its process id) behind: the next
  read or write of that warehouse removes it once that process is gone;
* the warehouse and its lock file are mode 0640 (owner writes, the app's group reads, nobody else).

Raw challans live outside the DuckDB file, as immutable Parquet files published through a manifest
inside it (:mod:`roadsafety.store.facts`), so the copy stays small. Every connection points DuckDB's
``file_search_path`` at the facts folder, so the ``challans`` view reads them. A write spills (if
it must) only to a temporary folder beside the warehouse, named with the writer's process id and
removed when the write ends or, after a kill, by the next read or write.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from roadsafety.config import DEFAULT_LOCK_TIMEOUT_S
from roadsafety.errors import StoreBusyError, StoreError
from roadsafety.store import facts
from roadsafety.store.migrations import apply_migrations

log = logging.getLogger(__name__)

FILE_MODE = 0o640
WRITE_MEMORY_LIMIT = (
    "1GB"  # DuckDB's share of a write; bigger joins and sorts spill beside the warehouse
)
RETIRED_GRACE_S = 3600.0  # a replaced fact file stays this long for readers of the older manifest


def lock_path(db_path: Path) -> Path:
    """The lock file guarding writes to ``db_path``."""
    return db_path.with_name(db_path.name + ".lock")


@contextmanager
def read_connection(db_path: Path | str) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the warehouse.

    Raises:
        StoreError: when the warehouse file does not exist yet.
    """
    db_path = Path(db_path)
    if not db_path.exists():
        raise StoreError(
            f"warehouse {db_path} does not exist: load data first (roadsafety ingest or demo)"
        )
    remove_stale_staging(db_path)
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        _point_at_facts(con, db_path)
        yield con
    finally:
        con.close()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's live process
    return True


def remove_stale_staging(db_path: Path, *, all_of_them: bool = False) -> None:
    """Remove staging files of ``db_path`` whose writer process is gone (or all, under the lock).

    A staging copy is as large as the warehouse, so one left by a killed write must not wait for
    the next write. Files this process cannot remove (another user's) are left for their owner.
    """
    prefix = f".{db_path.name}."
    for stale in db_path.parent.glob(f"{prefix}*.staging*"):
        pid = stale.name[len(prefix) :].split(".", 1)[0]
        if not all_of_them and (not pid.isdigit() or _pid_alive(int(pid))):
            continue
        log.warning("removing staging file %s left by an interrupted write", stale)
        try:
            if stale.is_dir():
                shutil.rmtree(stale)
            else:
                stale.unlink(missing_ok=True)
        except PermissionError:
            continue


def _point_at_facts(con: duckdb.DuckDBPyConnection, db_path: Path) -> None:
    """Let the ``challans`` view find its Parquet files (paths relative to the facts folder)."""
    root = str(facts.facts_root(db_path)).replace("'", "''")
    con.execute(f"SET file_search_path = '{root}'")


@contextmanager
def _exclusive_lock(db_path: Path, timeout_s: float) -> Iterator[None]:
    path = lock_path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with os.fdopen(os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE), "a+") as fh:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StoreBusyError(
                        f"warehouse {db_path} is being written by another process "
                        f"(lock {path}); gave up after {timeout_s:.0f}s"
                    ) from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


@contextmanager
def write_connection(
    db_path: Path | str,
    *,
    lock_timeout_s: float | None = None,
    memory_limit: str = WRITE_MEMORY_LIMIT,
    retired_grace_s: float = RETIRED_GRACE_S,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection whose work is published atomically when the block exits cleanly.

    Any exception inside the block discards the staging copy and leaves the warehouse unchanged
    (fact files it wrote are never named by a published manifest, and the next write removes them).
    ``lock_timeout_s`` is how long to wait for another writer (default
    :data:`~roadsafety.config.DEFAULT_LOCK_TIMEOUT_S`; callers holding settings pass
    ``settings.lock_timeout_s``).
    """
    db_path = Path(db_path)
    timeout = DEFAULT_LOCK_TIMEOUT_S if lock_timeout_s is None else lock_timeout_s
    with _exclusive_lock(db_path, timeout):
        remove_stale_staging(db_path, all_of_them=True)
        staging = db_path.with_name(f".{db_path.name}.{os.getpid()}.staging")
        spill = staging.with_name(staging.name + ".tmp")
        if db_path.exists():
            shutil.copyfile(db_path, staging)
        con = duckdb.connect(str(staging))
        try:
            con.execute(f"SET memory_limit = '{memory_limit}'")
            con.execute(f"SET temp_directory = '{str(spill).replace(chr(39), chr(39) * 2)}'")
            _point_at_facts(con, db_path)
            apply_migrations(con)
            facts.adopt_tables(con, facts.facts_root(db_path))
            facts.tidy(con, facts.facts_root(db_path), retired_grace_s)
            yield con
            con.execute("CHECKPOINT")
            con.close()
            os.chmod(staging, FILE_MODE)
            with staging.open("rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(staging, db_path)
        except BaseException:
            con.close()
            staging.unlink(missing_ok=True)
            staging.with_name(staging.name + ".wal").unlink(missing_ok=True)
            raise
        finally:
            shutil.rmtree(spill, ignore_errors=True)


def ensure_warehouse(db_path: Path | str) -> None:
    """Create the warehouse (with every migration applied) if it does not exist yet."""
    with write_connection(db_path):
        pass


def copy_warehouse(source: Path | str, target: Path | str) -> Path:
    """Copy a warehouse: the DuckDB file and its Parquet facts folder (under the source's write
    lock, so the copy is one consistent version). Returns the target path."""
    source, target = Path(source), Path(target)
    with _exclusive_lock(source, DEFAULT_LOCK_TIMEOUT_S):
        shutil.copyfile(source, target)
        os.chmod(target, FILE_MODE)
        src_facts, dst_facts = facts.facts_root(source), facts.facts_root(target)
        if src_facts.exists():
            shutil.rmtree(dst_facts, ignore_errors=True)
            shutil.copytree(src_facts, dst_facts)
    return target
