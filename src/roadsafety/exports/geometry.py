"""Where a list row is on the map, for the writers and the app.

A row with an H3 cell is drawn as its cell(s); a road stretch (a stretch unit, a run of stretches, a
500 m blackspot on a road) as the line of its road between its km markers, along the road's fit
(:mod:`roadsafety.features.road_fit`). :func:`row_paths` gives those lines; rows of roads without a
fit there get none (their place is the km marker, and their point when known).
"""

from __future__ import annotations

import duckdb
import polars as pl

from roadsafety.features.road_fit import stretch_path
from roadsafety.store.export_store import read_road_fit

Path = list[tuple[float, float]]


def is_stretch_row(row: dict) -> bool:
    """True for a row placed by road and km only (no cell): a stretch, a run, a road blackspot."""
    return (
        not row.get("h3_cell")
        and bool(row.get("road_name"))
        and row.get("km_from") is not None
        and row.get("km_to") is not None
    )


def row_paths(rows: pl.DataFrame, knots: pl.DataFrame) -> dict[str, Path]:
    """``unit_id -> [(lat, lon), ...]`` along the road for every stretch row whose road has a fit."""
    if rows.is_empty() or knots.is_empty() or "km_from" not in rows.columns:
        return {}
    by_road = {k[0]: v for k, v in knots.partition_by("road_name", as_dict=True).items()}
    paths = {}
    for row in rows.iter_rows(named=True):
        road = by_road.get(row.get("road_name"))
        if road is not None and is_stretch_row(row):
            path = stretch_path(road, row["road_name"], row["km_from"], row["km_to"])
            if path:
                paths[row["unit_id"]] = path
    return paths


def read_paths(con: duckdb.DuckDBPyConnection, rows: pl.DataFrame) -> dict[str, Path]:
    """:func:`row_paths` with the warehouse's road fit."""
    if rows.is_empty() or "km_from" not in rows.columns:
        return {}
    stretches = rows.filter(pl.col("km_from").is_not_null())
    if stretches.is_empty():
        return {}
    return row_paths(rows, read_road_fit(con))
