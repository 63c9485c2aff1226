"""The accident side of the ingest: rows merged into a DuckDB table inside the warehouse.

Accidents are few (about 10,000 a year for a state), so they stay a table: chunks are appended to a
temporary ``batch`` table, repeats within the file resolved there, then merged into ``accidents``
(new rows inserted, changed rows replaced with their history kept, exact copies counted).
"""

from __future__ import annotations

import duckdb
import polars as pl
import pyarrow as pa

from roadsafety import schemas
from roadsafety.sources.base import REJECT_SCHEMA
from roadsafety.store.facts import content_sql
from roadsafety.store.history import write_history
from roadsafety.store.ingest_facts import SinkOutcome


def _parallel_arrow(rows: pl.DataFrame, batch_rows: int = 122_880) -> pa.Table:
    """Rows as an Arrow table of many record batches, so DuckDB scans (and hashes) them in parallel."""
    table = rows.to_arrow()
    return pa.Table.from_batches(table.to_batches(max_chunksize=batch_rows), schema=table.schema)


def dedupe_batch(con: duckdb.DuckDBPyConnection, kind: str) -> pl.DataFrame:
    """Resolve id repeats in temp table ``batch``; return the rows quarantined as conflicts.

    Exact repeats of an id within the file keep their first row (the others count as duplicates);
    an id repeated with different content is ambiguous, so all its rows are quarantined.
    """
    idc = schemas.ID_COLUMN[kind]
    n, distinct = con.execute(f'SELECT count(*), count(DISTINCT "{idc}") FROM batch').fetchone()
    if n == distinct:
        return pl.DataFrame(schema=REJECT_SCHEMA)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE repeated AS
            SELECT "{idc}", count(DISTINCT content_hash) > 1 AS conflict
            FROM batch GROUP BY 1 HAVING count(*) > 1"""
    )
    conflicts = con.execute(
        f"""SELECT source_row AS row_number, '{idc}' AS column_name, "{idc}" AS raw_value,
                   'duplicate {idc} within file with different content' AS reason
            FROM batch JOIN repeated USING ("{idc}") WHERE conflict ORDER BY source_row"""
    ).pl()
    con.execute(
        f"""DELETE FROM batch b USING repeated r WHERE b."{idc}" = r."{idc}" AND (r.conflict OR
            b.source_row > (SELECT min(source_row) FROM batch b2 WHERE b2."{idc}" = r."{idc}"))"""
    )
    return conflicts.select([pl.col(c).cast(t) for c, t in REJECT_SCHEMA.items()])


def merge_batch(con: duckdb.DuckDBPyConnection, kind: str, run_id: str) -> tuple[int, int, int]:
    """Merge temp table ``batch`` into the fact table; return (inserted, updated, stored_duplicates)."""
    idc = schemas.ID_COLUMN[kind]
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE changed AS
            SELECT b.source, b."{idc}", (b.content_hash = t.content_hash) AS same
            FROM batch b JOIN {kind} t ON t.source = b.source AND t."{idc}" = b."{idc}" """
    )
    same, upd = con.execute(
        "SELECT count(*) FILTER (WHERE same), count(*) FILTER (WHERE NOT same) FROM changed"
    ).fetchone()
    if upd:
        pick = f'JOIN changed c USING (source, "{idc}") WHERE NOT c.same'
        old = con.execute(f"SELECT t.* FROM {kind} t {pick}").pl()
        new = con.execute(f"SELECT b.* FROM batch b {pick}").pl()
        write_history(con, kind, old, new, run_id)
        con.execute(f"""DELETE FROM {kind} t USING changed c
                        WHERE NOT c.same AND t.source = c.source AND t."{idc}" = c."{idc}" """)
    cols = ", ".join(f'"{c}"' for c in schemas.TABLES[kind])
    where = (
        ""
        if not same
        else (
            f""" WHERE NOT EXISTS (SELECT 1 FROM changed c WHERE c.same AND c.source = b.source AND c."{idc}" = b."{idc}")"""
        )
    )
    con.execute(f"INSERT INTO {kind} ({cols}) SELECT {cols} FROM batch b{where}")
    total = con.execute("SELECT count(*) FROM batch").fetchone()[0]
    return total - same - upd, upd, same


class TableSink:
    """Collects one ingest run's rows of a table kind (accidents) in a temp table, then merges."""

    def __init__(self, con: duckdb.DuckDBPyConnection, kind: str, run_id: str) -> None:
        self.con, self.kind, self.run_id, self.rows = con, kind, run_id, 0
        con.execute(f"CREATE OR REPLACE TEMP TABLE batch AS SELECT * FROM {kind} LIMIT 0")

    def add(self, rows: pl.DataFrame) -> None:
        """Append prepared rows, adding the content hash."""
        cols = ", ".join(f'"{c}"' for c in schemas.TABLES[self.kind])
        self.con.register("incoming", _parallel_arrow(rows))
        self.con.execute(
            f"INSERT INTO batch ({cols}) SELECT * REPLACE ({content_sql(self.kind)} AS content_hash) "
            "FROM incoming"
        )
        self.con.unregister("incoming")
        self.rows += rows.height

    def abort(self) -> None:
        """Nothing to clean: the temp table goes with the discarded staging copy."""

    def finish(self, small_rows: int = 0, max_small: int = 0) -> SinkOutcome:
        """Resolve repeats within the file and merge into the table."""
        del small_rows, max_small
        conflicts = dedupe_batch(self.con, self.kind)
        left = self.con.execute("SELECT count(*) FROM batch").fetchone()[0]
        inserted, updated, stored_dups = merge_batch(self.con, self.kind, self.run_id)
        in_file = self.rows - conflicts.height - left
        return SinkOutcome(inserted, updated, in_file + stored_dups, conflicts)
