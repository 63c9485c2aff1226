"""The challan aggregation is plain SQL that Spark SQL reads exactly as DuckDB does."""

from __future__ import annotations

import sqlglot

from roadsafety import schemas
from roadsafety.store.challan_days import CHALLAN_UNIT_DAY_SQL, COLUMNS, SOURCE_COLUMNS


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
    assert read - {"issued_day"} == set(SOURCE_COLUMNS)  # what a load hands it, chunk by chunk
    assert [s.alias_or_name for s in tree.selects] == list(COLUMNS)
    assert [t.name for t in tree.find_all(sqlglot.exp.Table)] == ["challans"]


def test_polars_sql_aggregates_a_chunk_exactly_as_duckdb_does() -> None:
    from datetime import datetime

    import duckdb
    import polars as pl

    rows = pl.DataFrame(
        {
            "source": ["echallan"] * 5,
            "issued_at": [datetime(2024, 3, 1, h) for h in (8, 9, 23)]
            + [datetime(2024, 3, 2, 1)] * 2,
            "district": ["Gurugram"] * 4 + [None],
            "police_station": ["PS A", "PS A", "PS B", "PS A", None],
            "unit_id": ["u1", "u1", "u2", "u1", None],
            "located": [True, True, True, True, False],
            "camera_id": ["C1", None, "C2", None, None],
            "offence": ["no_helmet", "red_light", "no_helmet", "other", "overspeeding"],
        }
    )
    polars = pl.SQLContext(challans=rows).execute(CHALLAN_UNIT_DAY_SQL, eager=True)
    con = duckdb.connect()
    con.register("challans", rows.to_arrow())
    duck = con.execute(CHALLAN_UNIT_DAY_SQL).pl()
    key = list(COLUMNS[:6])
    polars = polars.select(COLUMNS).sort(key, nulls_last=True)
    duck = duck.select(COLUMNS).sort(key, nulls_last=True)
    assert polars.height == 4 and polars.cast(duck.schema).equals(duck)  # type: ignore[arg-type]
