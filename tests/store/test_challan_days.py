"""The challan aggregation is plain SQL that Spark SQL reads exactly as DuckDB does."""

from __future__ import annotations

import sqlglot

from roadsafety import schemas
from roadsafety.store.challan_days import CHALLAN_UNIT_DAY_SQL, COLUMNS


def test_aggregation_sql_is_the_same_statement_in_duckdb_and_spark() -> None:
    as_duckdb = sqlglot.parse_one(CHALLAN_UNIT_DAY_SQL, read="duckdb")
    as_spark = sqlglot.parse_one(CHALLAN_UNIT_DAY_SQL, read="spark")
    # written back in Spark's dialect, both readings give the same text: nothing DuckDB-only
    assert as_duckdb.sql(dialect="spark") == as_spark.sql(dialect="spark")
    assert sqlglot.transpile(CHALLAN_UNIT_DAY_SQL, read="duckdb", write="spark")[0] == (
        as_spark.sql(dialect="spark")
    )


def test_aggregation_reads_only_stored_columns_and_gives_the_declared_ones() -> None:
    tree = sqlglot.parse_one(CHALLAN_UNIT_DAY_SQL, read="spark")
    read = {c.name for c in tree.find_all(sqlglot.exp.Column)}
    assert read <= set(schemas.CHALLANS)
    assert [s.alias_or_name for s in tree.selects] == list(COLUMNS)
    assert [t.name for t in tree.find_all(sqlglot.exp.Table)] == ["challans"]
