"""The challan side of the ingest: validated rows stream into new Parquet fact files.

Rows are written as they come (one file per chunk and month), and so is each chunk's aggregate
(:data:`~roadsafety.store.challan_days.CHALLAN_UNIT_DAY_SQL`, computed from the chunk in memory, as
a part in the write's scratch folder), so memory does not grow with the file. When every row stays,
the parts are added to the stored aggregate and only days in more than one part (a day split between
chunks, or already stored) are summed; otherwise the touched days are recounted from their months'
files. Only at the end, and only where needed, are rows taken back out of the new files: an id
repeated within the file (the first exact copy stays, an id with different contents is quarantined
whole), or an id already stored (an exact copy counts as a duplicate; different content is an
update: the stored file is rewritten without the old version, which goes to ``record_history``). Repeats within the file are found from 64-bit hashes of the ids
kept per chunk (8 bytes a row, sorted in place at the end) and confirmed in DuckDB; stored ids are
looked up by a join DuckDB prunes with the new ids' range. Nothing is visible before the warehouse
swap publishes the manifest.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa

from roadsafety import schemas
from roadsafety.sources.base import REJECT_SCHEMA
from roadsafety.store import challan_days, facts
from roadsafety.store.history import write_history

log = logging.getLogger(__name__)

ID_HASH_SEED = 0x5EED


def _any_repeat(hashes: list[pl.Series]) -> bool:
    """Whether any 64-bit hash occurs twice (``hashes`` is emptied: sorted in place, 8 bytes a row,
    no hash table)."""
    if not hashes:
        return False
    values = np.concatenate([h.to_numpy() for h in hashes])
    hashes.clear()
    values.sort()
    return bool((values[1:] == values[:-1]).any())


@dataclass(frozen=True)
class SinkOutcome:
    """What the sink loaded: inserted, updated, duplicates and quarantined conflicts."""

    inserted: int
    updated: int
    duplicates: int
    conflicts: pl.DataFrame


class FactSink:
    """Collects one ingest run's rows of a fact kind into new files (see the module docstring)."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, root: Path, kind: str, source: str, run_id: str
    ) -> None:
        self.con, self.root, self.kind, self.source, self.run_id = con, root, kind, source, run_id
        self.idc, self.time = schemas.ID_COLUMN[kind], schemas.TIME_COLUMN[kind]
        self.writer = facts.FactWriter(root, kind, run_id)
        self.hashes: list[pl.Series] = []
        self.days: set[date] = set()
        self.split_days: set[date] = set()  # in more than one chunk: summed at the end
        self.aggregate = challan_days.LoadAggregate(con)
        self.rows = 0
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fact-writer")
        self._pending: Future | None = None

    def add(self, rows: pl.DataFrame) -> None:
        """Write a chunk of prepared rows (the stored columns)."""
        if rows.is_empty():
            return
        self.hashes.append(rows.get_column(self.idc).hash(ID_HASH_SEED))
        days = set(rows.get_column(self.time).dt.date().unique().to_list())
        self.split_days |= days & self.days
        self.days |= days
        self._wait()
        self._pending = self._pool.submit(self._write, rows)  # while the next chunk is prepared
        self.rows += rows.height

    def _write(self, rows: pl.DataFrame) -> None:
        """Compress the chunk into its fact files and aggregate it (in the writer thread: one
        chunk at a time, Polars working without the interpreter lock)."""
        self.writer.write(rows)
        self.aggregate.add(rows)

    def _wait(self) -> None:
        """Wait for the write in flight (its error, if any, is raised here)."""
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()

    def abort(self) -> None:
        """Delete the run's files (nothing of them was published)."""
        try:
            self._wait()
        except Exception:  # noqa: BLE001 - the load is failing anyway; the files go below
            log.warning("a fact file write failed while the load was being abandoned")
        self._pool.shutdown()
        self.aggregate.discard()
        for f in self.writer.files:
            (self.root / f.path).unlink(missing_ok=True)

    def finish(self, small_rows: int, max_small: int) -> SinkOutcome:
        """Resolve repeats and stored ids, publish the files in the manifest, refresh aggregates."""
        self._wait()
        self._pool.shutdown()
        new = [f.path for f in self.writer.files]
        drop, conflicts, in_file = self._repeats(new)
        same, updated = self._stored(new, drop)
        drop |= same
        kept = self._apply_drops(drop)
        facts.register(self.con, self.root, self.kind, self.source, kept, self.run_id)
        if drop or updated:  # rows taken back out: recount the days from the files
            self.aggregate.discard()
            challan_days.refresh_days(self.con, self.days)
        else:  # every row written stays: add the chunks' aggregates
            self.aggregate.publish(self.days, self.split_days)
        months = {(f.year, f.month) for f in kept}
        facts.compact(
            self.con,
            self.root,
            self.kind,
            months,
            small_rows=small_rows,
            max_small=max_small,
            tag=f"{self.run_id}-compact",
        )
        facts.refresh_view(self.con, self.kind)
        rows_kept = sum(f.rows for f in kept)
        return SinkOutcome(rows_kept - updated, updated, in_file + len(same), conflicts)

    # --- repeats within the file ------------------------------------------------------------------
    def _repeats(self, new: list[str]) -> tuple[set[int], pl.DataFrame, int]:
        """(rows to drop, quarantined conflicts, exact in-file duplicates)."""
        none = (set(), pl.DataFrame(schema=REJECT_SCHEMA), 0)
        if not _any_repeat(self.hashes):
            return none
        idc = self.idc
        rep = self.con.execute(
            f"""WITH rows AS (SELECT "{idc}" AS id, source_row, {facts.content_sql(self.kind)} AS c
                              FROM {facts.scan_sql(self.kind, new)}),
                     dup AS (SELECT id, count(DISTINCT c) > 1 AS conflict, min(source_row) AS first
                             FROM rows GROUP BY id HAVING count(*) > 1)
                SELECT r.id, r.source_row, d.conflict, r.source_row = d.first AS is_first
                FROM rows r JOIN dup d USING (id) ORDER BY r.source_row"""
        ).pl()
        if rep.is_empty():
            return none
        conflict = rep.filter(pl.col("conflict"))
        exact = rep.filter(~pl.col("conflict") & ~pl.col("is_first"))
        rejects = conflict.select(
            pl.col("source_row").alias("row_number"),
            pl.lit(idc).alias("column_name"),
            pl.col("id").alias("raw_value"),
            pl.lit(f"duplicate {idc} within file with different content").alias("reason"),
        )
        drop = set(conflict["source_row"].to_list()) | set(exact["source_row"].to_list())
        return drop, rejects.cast(REJECT_SCHEMA), exact.height  # type: ignore[arg-type]

    # --- ids already stored -----------------------------------------------------------------------
    def _stored(self, new: list[str], drop: set[int]) -> tuple[set[int], int]:
        """(new rows that are exact copies of stored rows, number of updates applied).

        First only the id column of the stored files is scanned (DuckDB prunes row groups outside
        the new ids' range); contents are compared only for the ids found.
        """
        stored = facts.live_files(self.con, self.kind, source=self.source)
        if not stored or not new:
            return set(), 0
        idc, content = self.idc, facts.content_sql(self.kind)
        hits = self.con.execute(
            f"""SELECT DISTINCT s."{idc}" AS id, s.filename
                FROM {facts.scan_sql(self.kind, stored, filename=True)} s
                WHERE s."{idc}" IN (SELECT "{idc}" FROM {facts.scan_sql(self.kind, new)})"""
        ).pl()
        if hits.is_empty():
            return set(), 0
        files = [self._relative(f) for f in hits.get_column("filename").unique().to_list()]
        self.con.register("hit_ids", hits.select("id").to_arrow())
        self.con.register("dropped_rows", pa.table({"r": pa.array(sorted(drop), pa.int64())}))
        matched = self.con.execute(
            f"""SELECT n."{idc}" AS id, n.source_row, n.c AS new_c, s.c AS old_c, s.filename
                FROM (SELECT "{idc}", source_row, {content} AS c FROM {facts.scan_sql(self.kind, new)}
                      WHERE "{idc}" IN (SELECT id FROM hit_ids)
                        AND source_row NOT IN (SELECT r FROM dropped_rows)) n
                JOIN (SELECT "{idc}", filename, {content} AS c
                      FROM {facts.scan_sql(self.kind, files, filename=True)}
                      WHERE "{idc}" IN (SELECT id FROM hit_ids)) s ON s."{idc}" = n."{idc}" """
        ).pl()
        self.con.unregister("hit_ids")
        self.con.unregister("dropped_rows")
        same = set(matched.filter(pl.col("new_c") == pl.col("old_c"))["source_row"].to_list())
        changed = matched.filter(pl.col("new_c") != pl.col("old_c"))
        if not changed.is_empty():
            self._update(new, files, changed)
        return same, changed.height

    def _update(self, new: list[str], stored: list[str], changed: pl.DataFrame) -> None:
        """Keep the history of changed records and rewrite their stored files without them."""
        idc = self.idc
        self.con.register("changed_ids", changed.select(pl.col("id")).to_arrow())
        pick = f'WHERE "{idc}" IN (SELECT id FROM changed_ids)'
        old = self.con.execute(f"SELECT * FROM {facts.scan_sql(self.kind, stored)} {pick}").pl()
        rows = changed.get_column("source_row").to_list()
        new_rows = self.con.execute(
            f"SELECT * FROM {facts.scan_sql(self.kind, new)} WHERE source_row IN ({', '.join(map(str, rows))})"
        ).pl()
        write_history(self.con, self.kind, old, new_rows, self.run_id)
        self.days.update(old.get_column(self.time).dt.date().unique().to_list())
        files = [self._relative(f) for f in changed.get_column("filename").unique().to_list()]
        for path in files:
            facts.copy_to_new_file(
                self.con,
                self.root,
                self.kind,
                self.source,
                f"SELECT * FROM {facts.scan_sql(self.kind, [path])} "
                f'WHERE "{idc}" NOT IN (SELECT id FROM changed_ids)',
                facts.partition_of(path),
                f"{self.run_id}-upd",
            )
        facts.retire(self.con, files, self.run_id)
        self.con.unregister("changed_ids")

    def _relative(self, filename: str) -> str:
        path = Path(filename)
        return path.relative_to(self.root).as_posix() if path.is_absolute() else path.as_posix()

    # --- applying the drops -----------------------------------------------------------------------
    def _apply_drops(self, drop: set[int]) -> list[facts.FactFile]:
        """The new files with the dropped rows taken out (rewritten only where they hold some)."""
        if not drop:
            return list(self.writer.files)
        self.con.register("dropped_rows", pa.table({"r": pa.array(sorted(drop), pa.int64())}))
        kept = []
        for f in list(self.writer.files):
            hit = self.con.execute(
                f"SELECT count(*) FROM {facts.scan_sql(self.kind, [f.path])} "
                "WHERE source_row IN (SELECT r FROM dropped_rows)"
            ).fetchone()[0]
            if not hit:
                kept.append(f)
                continue
            rest = self.con.execute(
                f"SELECT * FROM {facts.scan_sql(self.kind, [f.path])} "
                "WHERE source_row NOT IN (SELECT r FROM dropped_rows)"
            ).pl()
            (self.root / f.path).unlink()
            if rest.height:
                kept.append(self.writer.write_file(rest, f.year, f.month))
        self.con.unregister("dropped_rows")
        return kept
