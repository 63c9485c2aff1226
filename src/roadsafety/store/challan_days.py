"""The one step whose input grows with challans: raw challans → ``challan_unit_day``.

:data:`CHALLAN_UNIT_DAY_SQL` is plain SQL over a relation named ``challans`` (the stored challan
columns) that runs unchanged on DuckDB, on Spark SQL and on Polars' SQL engine, which aggregates
each chunk of a load (tested with sqlglot and against DuckDB in
``tests/store/test_challan_days.py``; ``benchmarks/spark_challan_days.py`` runs it on pyspark over
the Parquet facts in place). Day rather than week: the enforcement features use exact 13- and
52-week windows ending on any day, and the app counts the last 90 days.

Every reader of challan volumes (the features, forecasts' recent challans, the job's offence-mix
check, status, the app) reads this table, which is about a hundred times smaller than the raw
rows. A load adds the aggregate of its own rows (:class:`LoadAggregate`); only a load that takes
rows back out or updates stored ones re-aggregates the days it touched, from those months' files.
"""

from __future__ import annotations

import shutil
import uuid
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from roadsafety import schemas
from roadsafety.store import facts

_OFFENCE_SUMS = ",\n       ".join(
    f"SUM(CASE WHEN offence = '{o}' THEN 1 ELSE 0 END) AS off_{o}" for o in schemas.OFFENCES
)

CHALLAN_UNIT_DAY_SQL = f"""SELECT source,
       CAST(issued_at AS DATE) AS issued_day,
       district,
       police_station,
       unit_id,
       located,
       COUNT(*) AS n,
       COUNT(camera_id) AS camera,
       MIN(issued_at) AS first_at,
       MAX(issued_at) AS last_at,
       {_OFFENCE_SUMS}
FROM challans
GROUP BY source, CAST(issued_at AS DATE), district, police_station, unit_id, located"""

COLUMNS = tuple(schemas.CHALLAN_UNIT_DAY)


def refresh_days(con: duckdb.DuckDBPyConnection, days: set[date]) -> None:
    """Recompute the aggregate rows of ``days`` from the live files of their months."""
    if not days:
        return
    months = {(d.year, d.month) for d in days}
    paths = facts.live_files(con, "challans", months=months)
    con.register("touched_days", _days_arrow(days))
    con.execute("DELETE FROM challan_unit_day WHERE issued_day IN (SELECT day FROM touched_days)")
    subset = (
        f"SELECT * FROM {facts.scan_sql('challans', paths)} "
        "WHERE CAST(issued_at AS DATE) IN (SELECT day FROM touched_days)"
    )
    cols = ", ".join(COLUMNS)
    con.execute(
        f"INSERT INTO challan_unit_day ({cols}) "
        f"WITH challans AS ({subset}) SELECT {cols} FROM ({CHALLAN_UNIT_DAY_SQL})"
    )
    con.unregister("touched_days")


SOURCE_COLUMNS = (
    "source",
    "issued_at",
    "district",
    "police_station",
    "unit_id",
    "located",
    "camera_id",
    "offence",
)  # the stored challan columns CHALLAN_UNIT_DAY_SQL reads (tested against it)


class LoadAggregate:
    """The aggregate of one load's new challans, built chunk by chunk into Parquet parts in the
    write's scratch folder (DuckDB's ``temp_directory``, removed with the write), so neither the
    rows nor the partial groups stay in memory; :meth:`publish` adds them to the stored table
    (DuckDB writes large inserts straight to the file)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        scratch = Path(con.execute("SELECT current_setting('temp_directory')").fetchone()[0])
        self.folder = scratch / f"unit-day-{uuid.uuid4().hex[:8]}"
        self.folder.mkdir(parents=True)
        self.parts: list[Path] = []

    def add(self, rows: pl.DataFrame) -> None:
        """Aggregate a chunk of new challan rows (the stored columns) into one more part.

        The statement is :data:`CHALLAN_UNIT_DAY_SQL` as it is, run by Polars' SQL engine on the
        chunk (whose memory is returned as soon as the part is written)."""
        if rows.is_empty():
            return
        part = self.folder / f"part-{len(self.parts):05d}.parquet"
        context = pl.SQLContext(challans=rows.select(SOURCE_COLUMNS))
        context.execute(CHALLAN_UNIT_DAY_SQL, eager=True).write_parquet(part, compression="lz4")
        self.parts.append(part)

    def publish(self, days: set[date], split_days: set[date]) -> None:
        """Add the parts to ``challan_unit_day``; groups of ``split_days`` (days spread over more
        than one part) and of days the table already held are then summed into one row each.
        Valid only when no stored row of ``days`` was removed or changed."""
        if self.parts:
            con, cols = self.con, ", ".join(COLUMNS)
            con.register("load_days", _days_arrow(days))
            stored = con.execute(
                "SELECT DISTINCT issued_day FROM challan_unit_day "
                "WHERE issued_day IN (SELECT day FROM load_days)"
            ).fetchall()
            con.unregister("load_days")
            files = facts.quoted_paths([str(p) for p in self.parts])
            con.execute(
                f"INSERT INTO challan_unit_day ({cols}) SELECT {cols} FROM read_parquet([{files}])"
            )
            merge_days(con, split_days | {day for (day,) in stored})
        self.discard()

    def discard(self) -> None:
        """Remove the parts (the load is abandoned, or recounts its days from the files)."""
        shutil.rmtree(self.folder, ignore_errors=True)
        self.parts = []


def merge_days(con: duckdb.DuckDBPyConnection, days: set[date]) -> None:
    """Sum the groups of ``days`` that were added in parts (counts added, first and last times
    kept) into one row each."""
    if not days:
        return
    grain = ("source", "issued_day", "district", "police_station", "unit_id", "located")
    sums = [c for c in COLUMNS if c not in grain and c not in ("first_at", "last_at")]
    cols, keys = ", ".join(COLUMNS), ", ".join(grain)
    merged = ", ".join(
        [
            *(f"sum({c})::BIGINT AS {c}" for c in sums),
            "min(first_at) AS first_at",
            "max(last_at) AS last_at",
        ]
    )
    con.register("touched_days", _days_arrow(days))
    pick = "WHERE issued_day IN (SELECT day FROM touched_days)"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE merged_days AS "
        f"SELECT {keys}, {merged} FROM challan_unit_day {pick} GROUP BY ALL"
    )
    con.execute(f"DELETE FROM challan_unit_day {pick}")
    con.execute(f"INSERT INTO challan_unit_day ({cols}) SELECT {cols} FROM merged_days")
    con.execute("DROP TABLE merged_days")
    con.unregister("touched_days")


def rebuild(con: duckdb.DuckDBPyConnection) -> None:
    """Recompute the whole aggregate from every live file (after a migration)."""
    cols = ", ".join(COLUMNS)
    con.execute("DELETE FROM challan_unit_day")
    con.execute(
        f"INSERT INTO challan_unit_day ({cols}) SELECT {cols} FROM ({CHALLAN_UNIT_DAY_SQL})"
    )


def _days_arrow(days: set[date]):  # noqa: ANN202 - a pyarrow table
    import pyarrow as pa

    return pa.table({"day": pa.array(sorted(days), type=pa.date32())})


def months_between(first: date, last: date) -> set[tuple[int, int]]:
    """Every ``(year, month)`` from ``first``'s month to ``last``'s month."""
    months, (y, m) = set(), (first.year, first.month)
    while (y, m) <= (last.year, last.month):
        months.add((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


def raw_between(con: duckdb.DuckDBPyConnection, first: date, last: date) -> str:
    """A relation over the raw challans of the months covering ``[first, last]`` (only those
    months' fact files are read; filter on ``issued_at`` for the exact days)."""
    paths = facts.live_files(con, "challans", months=months_between(first, last))
    return facts.scan_sql("challans", paths)


def day_range(con: duckdb.DuckDBPyConnection) -> tuple[date | None, date | None]:
    """First and last day with challans (None when there are none)."""
    first, last = con.execute(
        "SELECT min(issued_day), max(issued_day) FROM challan_unit_day"
    ).fetchone()
    return first, last


def recent_rows(
    con: duckdb.DuckDBPyConnection,
    unit_ids: tuple[str, ...],
    columns: list[str],
    limit: int,
    district: str | None = None,
) -> pl.DataFrame:
    """The ``limit`` newest challans of the units (of ``district`` or without one, when given).

    The aggregate says which days hold them, so only those months' files are read.
    """
    marks = ", ".join("?" for _ in unit_ids)
    scope = " AND (district IS NULL OR lower(district) = lower(?))" if district else ""
    args = [*unit_ids, *([district] if district else [])]
    days = con.execute(
        f"""SELECT issued_day, sum(n) OVER (ORDER BY issued_day DESC) AS running
            FROM (SELECT issued_day, sum(n) AS n FROM challan_unit_day
                  WHERE unit_id IN ({marks}){scope} GROUP BY 1)
            ORDER BY issued_day DESC""",
        args,
    ).fetchall()
    return rows_of_days(con, unit_ids, columns, limit, district, days)


def rows_of_days(
    con: duckdb.DuckDBPyConnection,
    unit_ids: tuple[str, ...],
    columns: list[str],
    limit: int,
    district: str | None,
    days: list[tuple[date, int]],
) -> pl.DataFrame:
    """:func:`recent_rows` given the units' challan days, newest first, each with the running count
    of challans from the newest day (a reader holding them saves the aggregate scan). ``days``
    must be exact from the newest day down to the first whose running count reaches ``limit``
    (every day when none does)."""
    marks = ", ".join("?" for _ in unit_ids)
    scope = " AND (district IS NULL OR lower(district) = lower(?))" if district else ""
    args = [*unit_ids, *([district] if district else [])]
    if not days:
        return con.execute(f"SELECT {', '.join(columns)} FROM challans LIMIT 0").pl()
    first = next((d for d, running in days if running >= limit), days[-1][0])
    months = {(d.year, d.month) for d, _ in days if d >= first}
    paths = facts.live_files(con, "challans", months=months)
    return con.execute(
        f"""SELECT {", ".join(columns)} FROM {facts.scan_sql("challans", paths)}
            WHERE unit_id IN ({marks}){scope} AND issued_at >= ?
            ORDER BY issued_at DESC LIMIT {int(limit)}""",
        [*args, first],
    ).pl()


def offence_counts(
    con: duckdb.DuckDBPyConnection, where: str = "TRUE", params: list | None = None, days: int = 90
) -> pl.DataFrame:
    """Challans per district and offence over the last ``days`` days of challan data, for the
    aggregate rows matching ``where``: ``district, offence, challans``."""
    offs = ", ".join(f"off_{o}" for o in schemas.OFFENCES)
    return con.execute(
        f"""WITH lim AS (SELECT max(issued_day) AS hi FROM challan_unit_day)
            SELECT district, substr(name, 5) AS offence, sum(count)::BIGINT AS challans
            FROM (UNPIVOT (SELECT district, {offs} FROM challan_unit_day, lim
                           WHERE issued_day > lim.hi - {int(days)} AND ({where}))
                  ON COLUMNS(* EXCLUDE (district)) INTO NAME name VALUE count)
            WHERE count > 0 GROUP BY ALL""",
        params or [],
    ).pl()
