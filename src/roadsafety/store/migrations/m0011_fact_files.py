"""Challans as Parquet fact files: the manifest, retired files and the unit × day aggregate.

The rows of an existing ``challans`` table are moved into Parquet files (and the table replaced by
a view) by :func:`roadsafety.store.connection.write_connection` right after the migrations, since
that needs the warehouse's folder; see :mod:`roadsafety.store.facts`.
"""

from roadsafety import schemas as s

VERSION = 11
NAME = "fact_files"


def statements() -> list[str]:
    """DDL for fact_files, fact_files_retired and challan_unit_day."""
    return [
        s.create_table_sql("fact_files", s.FACT_FILES, key=("path",)),
        s.create_table_sql("fact_files_retired", s.FACT_FILES_RETIRED),
        s.create_table_sql("challan_unit_day", s.CHALLAN_UNIT_DAY),
    ]
