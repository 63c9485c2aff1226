"""The challan aggregation on Spark: the warehouse's Parquet facts read in place, the same SQL.

Runs ``CHALLAN_UNIT_DAY_SQL`` unchanged on a local pyspark session over a warehouse's
``<stem>.facts/challans`` folder (hive partitions discovered by Spark), and on DuckDB over the same
files, then compares the two results row by row and prints both times. Needs the optional extra
``pip install -c constraints.txt -e '.[spark]'`` (pyspark; Java 17 on the machine). The normal
test suite never needs Spark.

    .venv/bin/python benchmarks/spark_challan_days.py --db /work/bench-data/real_volume/warehouse/roadsafety.duckdb
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import polars as pl

from roadsafety.store.challan_days import CHALLAN_UNIT_DAY_SQL, COLUMNS
from roadsafety.store.connection import read_connection
from roadsafety.store.facts import facts_root, live_files


def spark_aggregate(folder: Path, files: list[str], memory: str) -> tuple[pl.DataFrame, float]:
    """Run the SQL on Spark over the live files; (result, seconds)."""
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("challan_unit_day")
        .config("spark.driver.memory", memory)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    try:
        start = time.perf_counter()
        paths = [str(folder / f) for f in files]
        spark.read.option("basePath", str(folder / "challans")).parquet(
            *paths
        ).createOrReplaceTempView("challans")
        rows = spark.sql(CHALLAN_UNIT_DAY_SQL).toArrow()
        seconds = time.perf_counter() - start
    finally:
        spark.stop()
    return pl.from_arrow(rows), seconds  # type: ignore[return-value]


def duckdb_aggregate(db: Path) -> tuple[pl.DataFrame, float]:
    """The same SQL on DuckDB over the same files; (result, seconds)."""
    with read_connection(db) as con:
        start = time.perf_counter()
        rows = con.execute(CHALLAN_UNIT_DAY_SQL).pl()
        return rows, time.perf_counter() - start


def main() -> None:
    """Aggregate with both engines, compare, print the times."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--driver-memory", default="4g")
    args = parser.parse_args()
    with read_connection(args.db) as con:
        files = live_files(con, "challans")
    spark_rows, spark_s = spark_aggregate(facts_root(args.db), files, args.driver_memory)
    duck_rows, duck_s = duckdb_aggregate(args.db)
    order = list(COLUMNS)
    a = duck_rows.select(order).cast(spark_rows.select(order).schema).sort(order, nulls_last=True)
    b = spark_rows.select(order).sort(order, nulls_last=True)
    same = a.equals(b)
    print(
        f"{len(files)} files, {int(duck_rows['n'].sum()):,} challans -> {duck_rows.height:,} rows | "
        f"spark {spark_s:.1f} s, duckdb {duck_s:.1f} s | results identical: {same}"
    )
    if not same:
        raise SystemExit("Spark and DuckDB disagree")


if __name__ == "__main__":
    main()
