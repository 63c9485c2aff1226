"""The one step whose input grows with challans: raw challans → ``challan_unit_day``.

:data:`CHALLAN_UNIT_DAY_SQL` is plain SQL over a relation named ``challans`` (the stored challan
columns) that runs unchanged on DuckDB and on Spark SQL (tested with sqlglot in
``tests/store/test_challan_days.py``; ``benchmarks/spark_challan_days.py`` runs it on pyspark over
the Parquet facts in place). Day rather than week: the enforcement features use exact 13- and
52-week windows ending on any day, and the app counts the last 90 days.

Every reader of challan volumes (the features, forecasts' recent challans, the job's offence-mix
check, status, the app) reads this table, which is about a hundred times smaller than the raw
rows. A load re-aggregates only the days it touched, from the files of those days' months.
"""

from __future__ import annotations

from datetime import date

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


def add_files(con: duckdb.DuckDBPyConnection, paths: list[str]) -> None:
    """Add the aggregate of new fact files to ``challan_unit_day`` (sums, first and last times
    merged per group with the stored rows of the same days). Valid only when no stored row of
    those days was removed or changed; DuckDB streams the files (spilling beside the warehouse if
    it must), so memory does not grow with the load."""
    if not paths:
        return
    grain = ("source", "issued_day", "district", "police_station", "unit_id", "located")
    sums = [c for c in COLUMNS if c not in grain and c not in ("first_at", "last_at")]
    cols = ", ".join(COLUMNS)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE partial_rows AS WITH challans AS "
        f"({facts.scan_sql('challans', paths)}) SELECT {cols} FROM ({CHALLAN_UNIT_DAY_SQL})"
    )
    keys = ", ".join(grain)
    merged = ", ".join(
        [
            *(f"sum({c})::BIGINT AS {c}" for c in sums),
            "min(first_at) AS first_at",
            "max(last_at) AS last_at",
        ]
    )
    days = "SELECT DISTINCT issued_day FROM partial_rows"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE merged_days AS
            SELECT {keys}, {merged} FROM (
                SELECT {cols} FROM challan_unit_day WHERE issued_day IN ({days})
                UNION ALL SELECT {cols} FROM partial_rows)
            GROUP BY ALL"""
    )
    con.execute(f"DELETE FROM challan_unit_day WHERE issued_day IN ({days})")
    con.execute(f"INSERT INTO challan_unit_day ({cols}) SELECT {cols} FROM merged_days")
    con.execute("DROP TABLE merged_days")
    con.execute("DROP TABLE partial_rows")


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
