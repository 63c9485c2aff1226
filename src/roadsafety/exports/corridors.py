"""Merge adjacent high-risk H3 cells along one road into corridor rows.

A corridor is a connected set (H3 neighbours, ``grid_disk(cell, 1)``) of located units in a high
band (``very_high`` or ``high``) that share one road name (compared upper-cased, spaces collapsed).
Cells of other bands, unlocated units and cells without a road stay single rows.

A corridor row: ``unit_id = 'corridor:<ROAD>:<first cell>'``; ``h3_cell`` lists its cells along the
road separated by ``;`` (ordered by chainage when every cell has one, else along the longer of the
east-west / north-south extent); expected values are summed; ``risk_band`` is the highest of its
cells; ``peak_window``, police station and district are the dominant (highest-ranked) cell's;
latitude/longitude are the mean of the cell centres; ``top_factors`` starts with the stretch
(``'corridor of 3 cells, km 112.0-114.5'`` or ``'corridor of 3 cells, about 1.8 km'``) followed by the
dominant cell's factors.
"""

from __future__ import annotations

import h3
import polars as pl

from roadsafety.vocabulary import BAND_ORDER, HIGH_BANDS


def road_key(name: str | None) -> str:
    """Road name as compared for merging: upper-case, single spaces, '' when missing."""
    return " ".join(str(name or "").upper().split())


def _components(cells: list[str]) -> list[list[str]]:
    """Connected groups of H3 cells (neighbours by grid_disk 1), each sorted, in sorted order."""
    present, seen, groups = set(cells), set(), []
    for start in sorted(present):
        if start in seen:
            continue
        stack, group = [start], []
        seen.add(start)
        while stack:
            cell = stack.pop()
            group.append(cell)
            for nb in h3.grid_disk(cell, 1):
                if nb in present and nb not in seen:
                    seen.add(nb)
                    stack.append(nb)
        groups.append(sorted(group))
    return groups


def _order_along_road(part: pl.DataFrame) -> pl.DataFrame:
    """Cells of one corridor ordered along the road (chainage, else the longer extent)."""
    if part["chainage_km"].null_count() == 0:
        return part.sort(["chainage_km", "h3_cell"])
    centres = [h3.cell_to_latlng(c) for c in part["h3_cell"]]
    lats, lons = [c[0] for c in centres], [c[1] for c in centres]
    axis = lons if (max(lons) - min(lons)) >= (max(lats) - min(lats)) else lats
    return part.with_columns(pl.Series("_axis", axis)).sort(["_axis", "h3_cell"]).drop("_axis")


def _stretch_text(ordered: pl.DataFrame) -> str:
    """'corridor of N cells, km A-B' or '..., about X km' for an ordered corridor."""
    n = ordered.height
    km = ordered["chainage_km"]
    if km.null_count() == 0:
        return f"corridor of {n} cells, km {km.min():.1f}-{km.max():.1f}"
    cells = ordered["h3_cell"].to_list()
    length = (
        h3.great_circle_distance(
            h3.cell_to_latlng(cells[0]), h3.cell_to_latlng(cells[-1]), unit="km"
        )
        + h3.average_hexagon_edge_length(h3.get_resolution(cells[0]), unit="km") * 2
    )
    return f"corridor of {n} cells, about {length:.1f} km"


def _corridor_row(part: pl.DataFrame, key: str) -> dict:
    """One merged row from the cells of a corridor (``part`` holds the unit rows)."""
    ordered = _order_along_road(part)
    dominant = part.sort([key, "unit_id"], descending=[True, False]).row(0, named=True)
    cells = ordered["h3_cell"].to_list()
    centres = [h3.cell_to_latlng(c) for c in cells]
    factors = [_stretch_text(ordered)] + (
        [dominant["top_factors"]] if dominant["top_factors"] else []
    )
    row = dict(dominant)
    row.update(
        unit_id=f"corridor:{road_key(dominant['road_name'])}:{cells[0]}",
        h3_cell=";".join(cells),
        latitude=sum(c[0] for c in centres) / len(centres),
        longitude=sum(c[1] for c in centres) / len(centres),
        expected_crashes=float(part["expected_crashes"].sum()),
        expected_fatal_grievous=float(part["expected_fatal_grievous"].sum()),
        risk_band=max(part["risk_band"].to_list(), key=lambda b: BAND_ORDER.get(b, -1)),
        top_factors="; ".join(factors),
        n_cells=len(cells),
    )
    return row


def merge_corridors(units: pl.DataFrame, key: str) -> pl.DataFrame:
    """Replace runs of adjacent high-band cells on one road by corridor rows.

    Args:
        units: one row per unit with at least unit_id, h3_cell, road_name, chainage_km,
            expected_crashes, expected_fatal_grievous, risk_band, top_factors and ``key``.
        key: the ranking column (the dominant cell is the one with the highest ``key``).

    Returns:
        The same columns plus ``n_cells`` (1 for single units); order is not meaningful.
    """
    units = units.with_columns(
        pl.lit(1, dtype=pl.Int64).alias("n_cells"),
        pl.col("road_name").map_elements(road_key, return_dtype=pl.Utf8).alias("_road"),
    )
    eligible = (
        pl.col("h3_cell").is_not_null()
        & (pl.col("_road") != "")
        & pl.col("risk_band").is_in(HIGH_BANDS)
    )
    candidates, rest = units.filter(eligible), units.filter(~eligible)
    singles, merged = [rest], []
    for (_road,), part in candidates.sort("_road").group_by(["_road"], maintain_order=True):
        by_cell = {c: i for i, c in enumerate(part["h3_cell"].to_list())}
        for group in _components(list(by_cell)):
            rows = part[[by_cell[c] for c in group]]
            if len(group) == 1:
                singles.append(rows)
            else:
                merged.append(_corridor_row(rows, key))
    out = pl.concat(singles, how="vertical_relaxed")
    if merged:
        out = pl.concat([out, pl.DataFrame(merged, schema=out.schema)], how="vertical_relaxed")
    return out.drop("_road")
