"""``record_history``: what an update changed (old and new values of the changed columns)."""

from __future__ import annotations

from datetime import datetime

import duckdb
import polars as pl

from roadsafety import schemas
from roadsafety.store.facts import CONTENT_EXCLUDE


def write_history(
    con: duckdb.DuckDBPyConnection, kind: str, old: pl.DataFrame, new: pl.DataFrame, run_id: str
) -> None:
    """Insert one ``record_history`` row per record in both ``old`` and ``new`` (matched on
    source and id) whose content columns differ."""
    idc = schemas.ID_COLUMN[kind]
    content = [c for c in schemas.TABLES[kind] if c not in CONTENT_EXCLUDE | {idc}]
    keep = ["source", idc, *content]
    pairs = old.select(keep).join(new.select(keep), on=["source", idc], suffix="__new")
    now, history = datetime.now(), []
    for row in pairs.iter_rows(named=True):
        diff = [c for c in content if row[c] != row[f"{c}__new"]]
        if not diff:
            continue
        history.append(
            (
                kind,
                row["source"],
                row[idc],
                now,
                run_id,
                ",".join(diff),
                pl.DataFrame([{c: row[c] for c in diff}]).write_json(),
                pl.DataFrame([{c: row[f"{c}__new"] for c in diff}]).write_json(),
            )
        )
    if history:
        con.executemany("INSERT INTO record_history VALUES (?, ?, ?, ?, ?, ?, ?, ?)", history)
