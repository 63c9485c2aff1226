"""Spatial units of records, the unit universe and its neighbourhoods (pure Polars + h3, no I/O).

A *unit* is an H3 cell (located records), a road stretch ``ROAD | km A-B`` (unlocated records with a
road and a km marker) or a road-wide ``POLICE STATION | ROAD`` pair (unlocated records naming a road
but no km).
The universe used for training and forecasting is sparse-aware: every unit with any crash history,
every unit the warehouse knows (``spatial_units``), and the H3 k=1 neighbours of history cells (so a
cell next to a cluster can be ranked even before its first crash) — never every empty cell.

API:

- :func:`assign_units` ``(frame, region)`` → records with ``located, h3_cell, unit_id`` (the ingest's
  rule, :func:`record_units` once ``located`` and ``h3_cell`` are known).
- :func:`build_units` ``(events, known_units, resolution)`` → one row per unit with the columns of
  :data:`UNIT_COLUMNS` and a dense integer ``unit_idx``.
- :func:`ring_pairs` ``(units, k)`` → ``(unit_idx, nbr_unit_id)`` pairs at exact H3 ring distance ``k``,
  and for stretches the stretches exactly ``k`` bins along the same road.
- :func:`group_keys` ``(units)`` → road / police-station / district group ids used for pooled features.
"""

from __future__ import annotations

import h3
import polars as pl
import polars_h3 as plh3

from roadsafety.config import RegionConfig
from roadsafety.features.roads import (
    stretch_attributes,
    stretch_columns,
    stretch_neighbours,
    with_normalised_roads,
)
from roadsafety.features.text import per_distinct, squeezed

UNIT_COLUMNS: dict[str, pl.DataType] = {
    "unit_id": pl.Utf8(),
    "kind": pl.Utf8(),
    "h3_cell": pl.Utf8(),
    "road_name": pl.Utf8(),
    "road_category": pl.Utf8(),
    "police_station": pl.Utf8(),
    "district": pl.Utf8(),
    "latitude": pl.Float64(),
    "longitude": pl.Float64(),
    "km_from": pl.Float64(),
    "km_to": pl.Float64(),
}
KINDS = ("h3", "stretch", "ps_road")
_ATTRS = ("road_name", "road_category", "police_station", "district")


def normalise_unit_text(expr: pl.Expr) -> pl.Expr:
    """Upper case with single spaces: the police-station part of ``POLICE STATION | ROAD`` ids."""
    return squeezed(expr).str.to_uppercase()


def record_units(frame: pl.DataFrame, stretch_km: float) -> pl.DataFrame:
    """Give each record its ``unit_id`` from ``located``, ``h3_cell`` and its road.

    Located rows: their H3 cell. Unlocated rows with a road and a km marker: the stretch
    ``ROAD | km A-B`` (``stretch_km`` long). Unlocated rows naming a road but no km: the road-wide
    unit ``POLICE STATION | ROAD`` (district when no station). Others: no unit. ``road_name`` is
    normalised (:func:`roadsafety.features.roads.normalise_road_name`) on the way.
    """
    frame = with_normalised_roads(frame)
    km = "chainage_km" in frame.columns
    marked = (
        stretch_columns(frame, stretch_km)
        if km
        else frame.with_columns(pl.lit(None, pl.Utf8).alias("stretch_unit"))
    )
    station = pl.coalesce(  # each distinct station and district normalised once
        *(
            pl.lit(per_distinct(frame[c], normalise_unit_text))
            for c in ("police_station", "district")
        ),
        pl.lit("UNKNOWN STATION"),
    )
    unit = (
        pl.when(pl.col("located"))
        .then(pl.col("h3_cell"))
        .when(pl.col("stretch_unit").is_not_null())
        .then(pl.col("stretch_unit"))
        .when(pl.col("road_name").is_not_null())
        .then(station + pl.lit(" | ") + pl.col("road_name"))
    )
    return marked.with_columns(unit.alias("unit_id")).drop(
        [
            c
            for c in ("stretch_unit", "km_from", "km_to")
            if c in marked.columns and c not in frame.columns
        ]
    )


def assign_units(frame: pl.DataFrame, region: RegionConfig) -> pl.DataFrame:
    """Add ``located``, ``h3_cell`` and ``unit_id`` to ingested rows (``road_name`` normalised).

    Located: both coordinates present and inside the configured region; the unit rules are those of
    :func:`record_units`.
    """
    lat, lon = pl.col("latitude"), pl.col("longitude")
    located = lat.is_not_null() & lon.is_not_null()
    if region.bbox is not None:
        min_lon, min_lat, max_lon, max_lat = region.bbox
        located = located & lon.is_between(min_lon, max_lon) & lat.is_between(min_lat, max_lat)
    cell = plh3.latlng_to_cell("latitude", "longitude", region.h3_resolution, return_dtype=pl.Utf8)
    frame = frame.with_columns(located.fill_null(False).alias("located"))
    frame = frame.with_columns(pl.when(pl.col("located")).then(cell).alias("h3_cell"))
    return record_units(frame, region.stretch_km)


def _mode(col: str) -> pl.Expr:
    """Most frequent non-null value of ``col`` (ties broken by value for determinism)."""
    return pl.col(col).drop_nulls().value_counts(sort=True).struct.field(col).first().alias(col)


def unit_kinds(units: pl.DataFrame) -> pl.DataFrame:
    """Set ``kind`` (``h3`` / ``stretch`` / ``ps_road``) and a stretch's ``km_from, km_to`` from the
    unit ids (a stretch's road name is the one in its id)."""
    parsed = stretch_attributes(units["unit_id"])
    is_stretch = parsed["km_from"].is_not_null()
    kind = (
        pl.when(pl.col("h3_cell").is_not_null())
        .then(pl.lit("h3"))
        .when(is_stretch)
        .then(pl.lit("stretch"))
        .otherwise(pl.lit("ps_road"))
    )
    keep = {
        c: pl.col(c) if c in units.columns else pl.lit(None, pl.Float64)
        for c in ("km_from", "km_to")
    }
    return units.with_columns(
        kind.alias("kind"),
        *[pl.when(is_stretch).then(parsed[c]).otherwise(keep[c]).alias(c) for c in keep],
        pl.when(is_stretch)
        .then(parsed["stretch_road"])
        .otherwise(pl.col("road_name"))
        .alias("road_name"),
    )


def units_from_events(events: pl.DataFrame) -> pl.DataFrame:
    """One row per unit seen in the crash events, attributes by most frequent value.

    Args:
        events: crash rows with ``unit_id, h3_cell, latitude, longitude`` and :data:`_ATTRS`.

    Returns:
        Frame with :data:`UNIT_COLUMNS`.
    """
    agg = (
        with_normalised_roads(events.filter(pl.col("unit_id").is_not_null()))
        .sort("unit_id", *_ATTRS, nulls_last=True)
        .group_by("unit_id", maintain_order=True)
        .agg(
            pl.col("h3_cell").drop_nulls().first(),
            *[_mode(c) for c in _ATTRS],
            pl.col("latitude").mean(),
            pl.col("longitude").mean(),
        )
    )
    return unit_kinds(agg).select([pl.col(c).cast(t) for c, t in UNIT_COLUMNS.items()])


def _neighbour_cells(cells: list[str]) -> list[str]:
    """H3 cells at distance 1 of any of ``cells`` and not in ``cells``."""
    have = set(cells)
    out = {n for c in cells for n in h3.grid_disk(c, 1)} - have
    return sorted(out)


def _cell_rows(cells: list[str]) -> pl.DataFrame:
    """Unit rows for bare H3 cells (no attributes; centre coordinates)."""
    centres = [h3.cell_to_latlng(c) for c in cells]
    return pl.DataFrame(
        {
            "unit_id": cells,
            "kind": ["h3"] * len(cells),
            "h3_cell": cells,
            "latitude": [lat for lat, _ in centres],
            "longitude": [lon for _, lon in centres],
        },
        schema={
            k: UNIT_COLUMNS[k] for k in ("unit_id", "kind", "h3_cell", "latitude", "longitude")
        },
    )


def _fill_from_known(units: pl.DataFrame, known: pl.DataFrame) -> pl.DataFrame:
    """Coordinates and km range of the known unit where the events give none (a stretch placed by
    its road's fit, a cell's km range along its road)."""
    cols = ("latitude", "longitude", "km_from", "km_to")
    extra = known.select("unit_id", *[pl.col(c).alias(f"_k_{c}") for c in cols])
    return (
        units.join(extra, on="unit_id", how="left", maintain_order="left")
        .with_columns([pl.coalesce(c, f"_k_{c}").alias(c) for c in cols])
        .drop([f"_k_{c}" for c in cols])
    )


def build_units(
    events: pl.DataFrame, known_units: pl.DataFrame | None = None, *, neighbours: bool = True
) -> pl.DataFrame:
    """The unit universe: history units, known units, and k=1 neighbours of history cells.

    Args:
        events: crash rows (see :func:`units_from_events`).
        known_units: optional ``spatial_units`` rows (any subset of :data:`UNIT_COLUMNS`).
        neighbours: add the empty H3 neighbours of cells with history.

    Returns:
        Frame with :data:`UNIT_COLUMNS` plus ``unit_idx`` (0..n-1, ordered by ``unit_id``).
    """
    parts = [units_from_events(events)]
    if known_units is not None and known_units.height:
        known = known_units.select(
            [
                (pl.col(c) if c in known_units.columns else pl.lit(None)).cast(t).alias(c)
                for c, t in UNIT_COLUMNS.items()
            ]
        )
        parts[0] = _fill_from_known(parts[0], known)
        parts.append(known.join(parts[0].select("unit_id"), on="unit_id", how="anti"))
    units = pl.concat(parts, how="vertical")
    if neighbours:
        cells = units.get_column("h3_cell").drop_nulls().unique().to_list()
        extra = _neighbour_cells(cells)
        if extra:
            units = pl.concat([units, _cell_rows(extra)], how="diagonal_relaxed")
    units = units.unique("unit_id", keep="first").sort("unit_id")
    return (
        units.select(list(UNIT_COLUMNS))
        .with_row_index("unit_idx")
        .with_columns(pl.col("unit_idx").cast(pl.Int64))
    )


def ring_pairs(units: pl.DataFrame, k: int) -> pl.DataFrame:
    """Pairs ``(unit_idx, nbr_unit_id)`` where the neighbour is exactly ``k`` H3 steps away, or, for
    a road stretch, exactly ``k`` stretches before or after it on the same road.

    The neighbour need not be in the universe (it then simply has no crashes).

    Args:
        units: frame from :func:`build_units`.
        k: ring distance (1, 2, ...).

    Returns:
        Frame ``unit_idx: Int64, nbr_unit_id: Utf8``.
    """
    cells = units.filter(pl.col("h3_cell").is_not_null()).select("unit_idx", "h3_cell")
    idx, nbr = [], []
    for u, cell in cells.iter_rows():
        for n in h3.grid_ring(cell, k):
            idx.append(u)
            nbr.append(n)
    stretches = units.filter(pl.col("kind") == "stretch").select("unit_id", "unit_idx")
    index = dict(stretches.iter_rows())
    for unit, n in stretch_neighbours(stretches["unit_id"].to_list(), k):
        idx.append(index[unit])
        nbr.append(n)
    return pl.DataFrame(
        {"unit_idx": idx, "nbr_unit_id": nbr}, schema={"unit_idx": pl.Int64, "nbr_unit_id": pl.Utf8}
    )


def group_keys(units: pl.DataFrame) -> pl.DataFrame:
    """Group ids for pooled features: same road, same police station, same district.

    A road group is the road name (normalised, so a road's cells, stretches and road-wide units
    meet) within the district (road names such as 'MAIN ROAD' repeat across districts); units
    without the attribute get a null key.

    Returns:
        Frame ``unit_idx, road_key, ps_key, district_key`` (Utf8, nullable).
    """
    units = with_normalised_roads(units)
    norm = [
        pl.col(c).str.to_uppercase().str.strip_chars()
        for c in ("road_name", "police_station", "district")
    ]
    return units.select(
        "unit_idx",
        pl.concat_str([norm[2].fill_null("?"), norm[0]], separator=" | ").alias("road_key"),
        pl.concat_str([norm[2].fill_null("?"), norm[1]], separator=" | ").alias("ps_key"),
        norm[2].alias("district_key"),
    )
