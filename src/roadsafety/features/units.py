"""The spatial-unit universe and its neighbourhoods (pure Polars + h3, no I/O).

A *unit* is an H3 cell (located records) or a ``POLICE STATION | ROAD`` pair (unlocated records).
The universe used for training and forecasting is sparse-aware: every unit with any crash history,
every unit the warehouse knows (``spatial_units``), and the H3 k=1 neighbours of history cells (so a
cell next to a cluster can be ranked even before its first crash) — never every empty cell.

API:

- :func:`build_units` ``(events, known_units, resolution)`` → one row per unit with the columns of
  :data:`UNIT_COLUMNS` and a dense integer ``unit_idx``.
- :func:`ring_pairs` ``(units, k)`` → ``(unit_idx, nbr_unit_id)`` pairs at exact H3 ring distance ``k``.
- :func:`group_keys` ``(units)`` → road / police-station / district group ids used for pooled features.
"""

from __future__ import annotations

import h3
import polars as pl

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
}
_ATTRS = ("road_name", "road_category", "police_station", "district")


def _mode(col: str) -> pl.Expr:
    """Most frequent non-null value of ``col`` (ties broken by value for determinism)."""
    return pl.col(col).drop_nulls().value_counts(sort=True).struct.field(col).first().alias(col)


def units_from_events(events: pl.DataFrame) -> pl.DataFrame:
    """One row per unit seen in the crash events, attributes by most frequent value.

    Args:
        events: crash rows with ``unit_id, h3_cell, latitude, longitude`` and :data:`_ATTRS`.

    Returns:
        Frame with :data:`UNIT_COLUMNS`.
    """
    agg = (
        events.filter(pl.col("unit_id").is_not_null())
        .sort("unit_id", *_ATTRS, nulls_last=True)
        .group_by("unit_id", maintain_order=True)
        .agg(
            pl.col("h3_cell").drop_nulls().first(),
            *[_mode(c) for c in _ATTRS],
            pl.col("latitude").mean(),
            pl.col("longitude").mean(),
        )
        .with_columns(
            kind=pl.when(pl.col("h3_cell").is_not_null())
            .then(pl.lit("h3"))
            .otherwise(pl.lit("ps_road"))
        )
    )
    return agg.select([pl.col(c).cast(t) for c, t in UNIT_COLUMNS.items()])


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
    """Pairs ``(unit_idx, nbr_unit_id)`` where the neighbour is exactly ``k`` H3 steps away.

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
    return pl.DataFrame(
        {"unit_idx": idx, "nbr_unit_id": nbr}, schema={"unit_idx": pl.Int64, "nbr_unit_id": pl.Utf8}
    )


def group_keys(units: pl.DataFrame) -> pl.DataFrame:
    """Group ids for pooled features: same road, same police station, same district.

    A road group is the road name within the district (road names such as 'MAIN ROAD' repeat
    across districts); units without the attribute get a null key.

    Returns:
        Frame ``unit_idx, road_key, ps_key, district_key`` (Utf8, nullable).
    """
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
