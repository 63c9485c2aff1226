"""Raw challans as immutable, hive-partitioned Parquet files beside the warehouse.

Layout (``<warehouse stem>.facts/`` beside the DuckDB file; schema in docs/architecture.md)::

    roadsafety.facts/challans/year=2025/month=07/<ingest run id>-<n>.parquet

A file is written once and never changed. Which files are live is the manifest table
``fact_files`` *inside* the warehouse, so a load publishes its files in the same atomic swap as its
ingest run, quarantine rows and aggregates (:mod:`roadsafety.store.connection`): a load killed at
any moment leaves files no manifest names (orphans, removed by the next write), never a half-visible
load. Readers (the app) keep reading the manifest of the warehouse version they opened, so a file
that a later write replaces (an update, a compaction) is only *retired* (``fact_files_retired``) and
deleted by a write at least ``retired_grace_s`` later.

The view ``challans`` (rebuilt by every write that changes the manifest) reads the live files by
paths relative to the facts folder; :mod:`~roadsafety.store.connection` points DuckDB's
``file_search_path`` there on every connection. Its ``content_hash`` column is computed on read
(only when selected): the ingest compares contents only where an id is already stored.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl

from roadsafety import schemas

log = logging.getLogger(__name__)

FACT_KINDS = ("challans",)
FILE_MODE, DIR_MODE = 0o640, 0o750
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


def facts_root(db_path: Path | str) -> Path:
    """The folder of the warehouse's Parquet facts (``data/roadsafety.duckdb`` →
    ``data/roadsafety.facts``)."""
    db_path = Path(db_path)
    return db_path.with_name(f"{db_path.stem}.facts")


def file_columns(kind: str) -> list[str]:
    """Columns stored in a fact file (the table schema without the computed ``content_hash``)."""
    return [c for c in schemas.TABLES[kind] if c != "content_hash"]


def content_sql(kind: str, alias: str = "") -> str:
    """SQL of a record's content hash (every content column; lineage and units excluded)."""
    prefix = f"{alias}." if alias else ""
    cols = [c for c in schemas.TABLES[kind] if c not in CONTENT_EXCLUDE]
    parts = ", ".join(f"coalesce(CAST({prefix}\"{c}\" AS VARCHAR), '\\N')" for c in cols)
    return f"md5(concat_ws('\x1f', {parts}))"


def quoted_paths(paths: list[str]) -> str:
    """File paths as a SQL list body (``'a', 'b'``), quotes doubled."""
    return ", ".join("'" + p.replace("'", "''") + "'" for p in paths)


def scan_sql(kind: str, paths: list[str], filename: bool = False) -> str:
    """A relation over fact files (relative paths) with the kind's stored columns."""
    cols = ", ".join(f'"{c}"' for c in file_columns(kind))
    if not paths:
        empty = ", ".join(
            f'CAST(NULL AS {schemas.duck_type(schemas.TABLES[kind][c])}) AS "{c}"'
            for c in file_columns(kind)
        )
        extra = ", CAST(NULL AS VARCHAR) AS filename" if filename else ""
        return f"(SELECT {empty}{extra} WHERE false)"
    extra = ", filename" if filename else ""
    flag = ", filename = true" if filename else ""
    return f"(SELECT {cols}{extra} FROM read_parquet([{quoted_paths(paths)}]{flag}))"


def live_files(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    *,
    source: str | None = None,
    months: set[tuple[int, int]] | None = None,
) -> list[str]:
    """Relative paths of the live files of ``kind`` (of one source, in some months)."""
    rows = con.execute(
        "SELECT path, source, year, month FROM fact_files WHERE kind = ? ORDER BY year, month, path",
        [kind],
    ).fetchall()
    return [
        p
        for p, src, y, m in rows
        if (source is None or src == source) and (months is None or (y, m) in months)
    ]


def refresh_view(con: duckdb.DuckDBPyConnection, kind: str) -> None:
    """(Re)create the view ``kind`` over the live files, with the computed ``content_hash``."""
    con.execute(
        f"CREATE OR REPLACE VIEW {kind} AS SELECT *, {content_sql(kind)} AS content_hash "
        f"FROM {scan_sql(kind, live_files(con, kind))}"
    )


@dataclass(frozen=True)
class FactFile:
    """One written file: path relative to the facts root, partition and row count."""

    path: str
    year: int
    month: int
    rows: int


class FactWriter:
    """Writes prepared rows of one ingest run into new partition files (not yet published)."""

    def __init__(self, root: Path, kind: str, run_id: str) -> None:
        self.root, self.kind, self.run_id = root, kind, run_id
        self.files: list[FactFile] = []

    def _path(self, year: int, month: int) -> str:
        return (
            f"{self.kind}/year={year}/month={month:02d}/{self.run_id}-{len(self.files):05d}.parquet"
        )

    def write(self, rows: pl.DataFrame) -> list[FactFile]:
        """Write ``rows`` (the kind's file columns), one file per (year, month) they cover."""
        when = pl.col(schemas.TIME_COLUMN[self.kind])
        keyed = rows.with_columns(when.dt.year().alias("_y"), when.dt.month().alias("_m"))
        parts = keyed.partition_by(["_y", "_m"], as_dict=True, include_key=False)
        written = []
        for (year, month), part in sorted(parts.items()):
            written.append(self.write_file(part.select(file_columns(self.kind)), year, month))
        return written

    def write_file(self, rows: pl.DataFrame, year: int, month: int) -> FactFile:
        """Write one partition file."""
        rel = self._path(year, month)
        target = self.root / rel
        _make_dirs(self.root, target.parent)
        rows.write_parquet(target, compression="zstd", compression_level=1, statistics=True)
        os.chmod(target, FILE_MODE)
        sync(target)
        fact = FactFile(rel, year, month, rows.height)
        self.files.append(fact)
        return fact


def _make_dirs(root: Path, folder: Path) -> None:
    for part in [
        *reversed(folder.relative_to(root.parent).parents),
        folder.relative_to(root.parent),
    ]:
        path = root.parent / part
        if part != Path(".") and not path.exists():
            path.mkdir(exist_ok=True)
            os.chmod(path, DIR_MODE)


def register(
    con: duckdb.DuckDBPyConnection,
    root: Path,
    kind: str,
    source: str,
    files: list[FactFile],
    run_id: str,
) -> None:
    """Add written files to the manifest (published with the warehouse swap)."""
    now = datetime.now()
    rows = [
        (f.path, kind, source, f.year, f.month, f.rows, (root / f.path).stat().st_size, run_id, now)
        for f in files
        if f.rows
    ]
    if rows:
        con.executemany("INSERT INTO fact_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def retire(con: duckdb.DuckDBPyConnection, paths: list[str], run_id: str) -> None:
    """Take files out of the manifest; they are deleted by a write after the grace period."""
    if not paths:
        return
    now = datetime.now()
    con.executemany(
        "INSERT INTO fact_files_retired SELECT path, kind, ?, ? FROM fact_files WHERE path = ?",
        [(now, run_id, p) for p in paths],
    )
    con.executemany("DELETE FROM fact_files WHERE path = ?", [(p,) for p in paths])


def tidy(con: duckdb.DuckDBPyConnection, root: Path, grace_s: float) -> None:
    """Delete orphans (files no manifest names: a killed or failed load's) and files retired more
    than ``grace_s`` ago. Call only under the write lock, before writing new files."""
    if not root.exists():
        return
    listed = {r[0] for r in con.execute("SELECT path FROM fact_files").fetchall()}
    retired = dict(con.execute("SELECT path, retired_at FROM fact_files_retired").fetchall())
    cutoff = datetime.fromtimestamp(time.time() - grace_s)
    expired = [p for p, when in retired.items() if when < cutoff]
    for path in root.rglob("*.parquet"):
        rel = path.relative_to(root).as_posix()
        if rel in listed or (rel in retired and rel not in expired):
            continue
        log.info("removing fact file %s (%s)", rel, "retired" if rel in retired else "orphan")
        path.unlink(missing_ok=True)
    if expired:
        con.executemany("DELETE FROM fact_files_retired WHERE path = ?", [(p,) for p in expired])


def new_file_name(kind: str, year: int, month: int, tag: str) -> str:
    """A fresh relative path in a partition (for rewritten or compacted files)."""
    return f"{kind}/year={year}/month={month:02d}/{tag}-{uuid.uuid4().hex[:8]}.parquet"


def copy_to_new_file(
    con: duckdb.DuckDBPyConnection,
    root: Path,
    kind: str,
    source: str,
    select_sql: str,
    key: tuple[int, int],
    tag: str,
) -> FactFile | None:
    """Write the rows of ``select_sql`` (the kind's file columns) to a new file of partition
    ``key`` and register it (unpublished until the swap). DuckDB streams the copy, so memory stays
    bounded whatever the size. Returns None when there are no rows."""
    rel = new_file_name(kind, *key, tag)
    target = root / rel
    _make_dirs(root, target.parent)
    cols = ", ".join(f'"{c}"' for c in file_columns(kind))
    written = con.execute(
        f"COPY (SELECT {cols} FROM ({select_sql})) TO '{target}' (FORMAT parquet, COMPRESSION zstd)"
    ).fetchone()[0]
    if not written:
        target.unlink(missing_ok=True)
        return None
    os.chmod(target, FILE_MODE)
    sync(target)
    fact = FactFile(rel, key[0], key[1], int(written))
    register(con, root, kind, source, [fact], tag)
    return fact


def partition_of(path: str) -> tuple[int, int]:
    """``(year, month)`` of a relative fact file path."""
    _, year, month, _ = path.split("/", 3)
    return int(year.split("=")[1]), int(month.split("=")[1])


def compact(
    con: duckdb.DuckDBPyConnection,
    root: Path,
    kind: str,
    keys: set[tuple[int, int]],
    *,
    small_rows: int,
    max_small: int,
    tag: str,
) -> int:
    """Merge the small files of each partition in ``keys`` (per source) once there are more than
    ``max_small``, so daily loads do not leave thousands of files; return files merged."""
    merged = 0
    for key in sorted(keys):
        rows = con.execute(
            """SELECT source, list(path ORDER BY path) FROM fact_files
               WHERE kind = ? AND year = ? AND month = ? AND rows < ? GROUP BY source""",
            [kind, *key, small_rows],
        ).fetchall()
        for source, paths in rows:
            if len(paths) <= max_small:
                continue
            copy_to_new_file(con, root, kind, source, scan_sql(kind, paths), key, tag)
            retire(con, paths, tag)
            merged += len(paths)
    return merged


def adopt_tables(con: duckdb.DuckDBPyConnection, root: Path) -> None:
    """Replace a fact kind still stored as a DuckDB table (a warehouse of release 1, or the empty
    table of migration 1) by Parquet files and the view, and build its aggregate."""
    from roadsafety.store import challan_days

    for kind in FACT_KINDS:
        found = con.execute(
            "SELECT table_type FROM information_schema.tables WHERE table_name = ? AND table_schema = 'main'",
            [kind],
        ).fetchone()
        if not found or found[0] != "BASE TABLE":
            continue
        time_col = schemas.TIME_COLUMN[kind]
        parts = con.execute(
            f"""SELECT year({time_col}), month({time_col}), source, count(*) FROM {kind}
                WHERE {time_col} IS NOT NULL GROUP BY ALL ORDER BY ALL"""
        ).fetchall()
        for year, month, source, n in parts:
            copy_to_new_file(
                con,
                root,
                kind,
                source,
                f"SELECT * FROM main.{kind} WHERE year({time_col}) = {year} "
                f"AND month({time_col}) = {month} AND source IS NOT DISTINCT FROM '{source}'",
                (year, month),
                "migrated",
            )
            log.info("moved %d %s of %d-%02d into Parquet", n, kind, year, month)
        con.execute(f"DROP TABLE main.{kind}")
        refresh_view(con, kind)
        challan_days.rebuild(con)


def sync(path: Path) -> None:
    """Flush a written file to disk before a manifest that names it is published."""
    with path.open("rb+") as fh:
        os.fsync(fh.fileno())


def append_relation(
    con: duckdb.DuckDBPyConnection, db_path: Path | str, kind: str, select_sql: str, run_id: str
) -> int:
    """Store the rows of ``select_sql`` (the kind's file columns, already validated: seeded worlds,
    tests) as new fact files, with the view and the aggregate; return rows stored. Loads of files
    go through :func:`roadsafety.store.ingest.ingest_batch` instead."""
    from roadsafety.store import challan_days

    root, time_col = facts_root(db_path), schemas.TIME_COLUMN[kind]
    con.execute(f"CREATE OR REPLACE TEMP TABLE _appended AS {select_sql}")
    parts = con.execute(
        f"SELECT year({time_col}), month({time_col}), source FROM _appended GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    total = 0
    for year, month, source in parts:
        fact = copy_to_new_file(
            con,
            root,
            kind,
            source,
            f"SELECT * FROM _appended WHERE year({time_col}) = {year} AND month({time_col}) = "
            f"{month} AND source IS NOT DISTINCT FROM '{source}'",
            (year, month),
            run_id,
        )
        total += fact.rows if fact else 0
    days = {
        r[0]
        for r in con.execute(f"SELECT DISTINCT CAST({time_col} AS DATE) FROM _appended").fetchall()
    }
    con.execute("DROP TABLE _appended")
    refresh_view(con, kind)
    challan_days.refresh_days(con, days)
    return total
