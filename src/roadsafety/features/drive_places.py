"""Which crash records lie in a drive's places (pure Polars + h3, no I/O).

A drive place is one of four kinds (decided when the drives file is read,
:mod:`roadsafety.sources.drives`):

- ``unit``: a spatial unit id (an H3 cell or ``POLICE STATION | ROAD``), matched case- and
  space-insensitively against the records' ``unit_id``;
- ``cells``: one or more H3 cells (``;``-separated, e.g. a merged corridor); a record matches when its
  cell is one of them or lies inside one (a coarser place cell covers its children);
- ``road_km``: records on that road (road names compared by :func:`road_key`) whose ``chainage_km``
  lies in ``[km_from, km_to]``; a stretch unit id ``ROAD | km A-B`` is read as this kind, so it
  works whether or not stretch units exist in the warehouse;
- ``ps_road``: records of that police station on that road (located or not).

:func:`match_places` is the one resolver: every caller (evaluation, app map, import check) goes
through it. :func:`road_key` is the one road-name comparison (point it at a shared normaliser here).
Within one drive a record counts once, for the first place (by ``place_no``) that holds it.
"""

from __future__ import annotations

import h3
import polars as pl

from roadsafety.features.text import name_key

PLACE_KINDS = ("unit", "cells", "road_km", "ps_road")
CRASH_KEYS = ("row", "unit_id", "h3_cell", "road_name", "police_station", "chainage_km")
MATCH_SCHEMA = {"drive_id": pl.Utf8, "place_no": pl.Int32, "row": pl.Int64}
_MATCH_COLS = [pl.col(c).cast(t) for c, t in MATCH_SCHEMA.items()]


def road_key(expr: pl.Expr) -> pl.Expr:
    """Road-name comparison key: upper case, letters and digits only ('NH 44' = 'nh-44' = 'NH44')."""
    key = expr.cast(pl.Utf8).str.to_uppercase().str.replace_all(r"[^0-9A-Z]", "")
    return pl.when(key == "").then(None).otherwise(key)


def _ids(places: pl.DataFrame, kind: str) -> pl.DataFrame:
    return places.filter(pl.col("place_kind") == kind).select(
        pl.col("drive_id").cast(pl.Utf8),
        pl.col("place_no").cast(pl.Int32),
        pl.exclude("drive_id", "place_no"),
    )


def _match_units(places: pl.DataFrame, crashes: pl.DataFrame) -> pl.DataFrame:
    wanted = _ids(places, "unit").select(
        "drive_id", "place_no", name_key(pl.col("unit_id")).alias("k")
    )
    have = crashes.select("row", name_key(pl.col("unit_id")).alias("k")).drop_nulls("k")
    return wanted.join(have, on="k").select(_MATCH_COLS)


def place_cells(places: pl.DataFrame) -> pl.DataFrame:
    """``drive_id, place_no, cell`` for every cell named by a ``cells`` place (lower case, trimmed)."""
    return (
        _ids(places, "cells")
        .select("drive_id", "place_no", pl.col("h3_cell").str.split(";").alias("cell"))
        .explode("cell")
        .with_columns(pl.col("cell").str.strip_chars().str.to_lowercase())
        .filter(pl.col("cell") != "")
    )


def _parent_or_none(cell: str, res: int) -> str | None:
    if not h3.is_valid_cell(cell) or h3.get_resolution(cell) < res:
        return None
    return h3.cell_to_parent(cell, res)


def _match_cells(places: pl.DataFrame, crashes: pl.DataFrame) -> pl.DataFrame:
    wanted = place_cells(places)
    if wanted.is_empty():
        return pl.DataFrame(schema=MATCH_SCHEMA)
    have = crashes.select("row", pl.col("h3_cell").str.to_lowercase().alias("c")).drop_nulls("c")
    distinct = have["c"].unique().to_list()
    parts = []
    for res in sorted(
        {h3.get_resolution(c) for c in wanted["cell"].to_list() if h3.is_valid_cell(c)}
    ):
        parents = pl.DataFrame(
            {"c": distinct, "cell": [_parent_or_none(c, res) for c in distinct]},
            schema={"c": pl.Utf8, "cell": pl.Utf8},
        )
        parts.append(have.join(parents.drop_nulls("cell"), on="c").join(wanted, on="cell"))
    if not parts:
        return pl.DataFrame(schema=MATCH_SCHEMA)
    return pl.concat(parts).select(_MATCH_COLS)


def _match_road_km(places: pl.DataFrame, crashes: pl.DataFrame) -> pl.DataFrame:
    wanted = _ids(places, "road_km").select(
        "drive_id", "place_no", "km_from", "km_to", road_key(pl.col("road_name")).alias("k")
    )
    have = crashes.select("row", "chainage_km", road_key(pl.col("road_name")).alias("k"))
    hits = wanted.join(have.drop_nulls(["k", "chainage_km"]), on="k")
    inside = pl.col("chainage_km").is_between(pl.col("km_from"), pl.col("km_to"))
    return hits.filter(inside).select(_MATCH_COLS)


def _match_ps_road(places: pl.DataFrame, crashes: pl.DataFrame) -> pl.DataFrame:
    keys = [
        name_key(pl.col("police_station")).alias("ps"),
        road_key(pl.col("road_name")).alias("k"),
    ]
    wanted = _ids(places, "ps_road").select("drive_id", "place_no", *keys)
    have = crashes.select("row", *keys).drop_nulls(["ps", "k"])
    return wanted.join(have, on=["ps", "k"]).select(_MATCH_COLS)


def match_places(places: pl.DataFrame, crashes: pl.DataFrame) -> pl.DataFrame:
    """Crash records in each drive's places, each record once per drive.

    Args:
        places: ``drive_id, place_no, place_kind, unit_id, h3_cell, road_name, km_from, km_to,
            police_station`` (see the module docstring for the kinds).
        crashes: records with :data:`CRASH_KEYS` (``row`` identifies a record).

    Returns:
        ``drive_id, place_no, row``: a record inside several places of one drive is kept for the
        first of them only.
    """
    found = pl.concat(
        [
            fn(places, crashes.select(CRASH_KEYS))
            for fn in (_match_units, _match_cells, _match_road_km, _match_ps_road)
        ]
    )
    return found.sort("drive_id", "place_no", "row").unique(
        ["drive_id", "row"], keep="first", maintain_order=True
    )


def match_challans(places: pl.DataFrame, challans: pl.DataFrame) -> pl.DataFrame:
    """Challan groups issued in each drive's places (challans carry no km marker).

    A ``road_km`` place takes the challans on its road (by :func:`road_key`) in the H3 cells where
    its crashes were recorded (``h3_cells``, ``;``-separated); the other kinds match as for crashes.

    Args:
        places: drive places with ``h3_cells`` (from the evaluation) besides the place columns.
        challans: challan groups with ``row, unit_id, h3_cell, road_name, police_station``.

    Returns:
        ``drive_id, place_no, row`` (each group once per drive).
    """
    others = match_places(
        places.filter(pl.col("place_kind") != "road_km"),
        challans.with_columns(pl.lit(None, pl.Float64).alias("chainage_km")),
    )
    stretches = (
        _ids(places, "road_km")
        .select(
            "drive_id",
            "place_no",
            road_key(pl.col("road_name")).alias("k"),
            pl.col("h3_cells").str.split(";").alias("c"),
        )
        .explode("c")
        .drop_nulls("c")
    )
    have = challans.select(
        "row",
        road_key(pl.col("road_name")).alias("k"),
        pl.col("h3_cell").str.to_lowercase().alias("c"),
    )
    on_road = stretches.join(have.drop_nulls(["k", "c"]), on=["k", "c"]).select(_MATCH_COLS)
    found = pl.concat([others, on_road])
    return found.sort("drive_id", "place_no", "row").unique(
        ["drive_id", "row"], keep="first", maintain_order=True
    )
