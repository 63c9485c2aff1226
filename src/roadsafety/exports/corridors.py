"""Merge adjacent high-risk H3 cells (or road stretches) along one road into corridor rows.

A corridor is a connected set (H3 neighbours, ``grid_disk(cell, 1)``) of located units in a high
band (``very_high`` or ``high``) that share one road name (compared upper-cased, spaces collapsed).
Cells of other bands, unlocated units and cells without a road stay single rows.

A corridor row: ``unit_id = 'corridor:<ROAD>:<first cell>'``; ``h3_cell`` lists its cells along the
road separated by ``;`` (ordered by km when every cell has one, else along the longer of the
east-west / north-south extent); ``km_from``/``km_to`` span its cells' km ranges (when every cell
has one); expected values are summed; ``risk_band`` is the highest of its cells; ``peak_window``,
police station and district are the dominant (highest-ranked) cell's; latitude/longitude are the
mean of the cell centres; ``top_factors`` starts with the stretch (``'corridor of 3 cells, km
112-114.5'`` or ``'corridor of 3 cells, about 1.8 km'``) followed by the dominant cell's factors.

:func:`merge_stretch_runs` does the same for road stretches (``ROAD | km A-B``): consecutive high-band
stretches of one road become ``corridor:<ROAD>:km A-B`` rows (``'run of 3 stretches, km 65-68'``).
"""

from __future__ import annotations

from collections.abc import Callable

import h3
import polars as pl

from roadsafety.features.roads import format_km, parse_stretch_id, stretch_id
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


def _km_of(part: pl.DataFrame) -> pl.Series | None:
    """Each cell's km along the road (its km range's start, else its chainage), None if unknown."""
    for col in ("km_from", "chainage_km"):
        if col in part.columns and part[col].null_count() == 0:
            return part[col]
    return None


def _order_along_road(part: pl.DataFrame) -> pl.DataFrame:
    """Cells of one corridor ordered along the road (km, else the longer extent)."""
    km = _km_of(part)
    if km is not None:
        return part.with_columns(km.alias("_km")).sort(["_km", "h3_cell"]).drop("_km")
    centres = [h3.cell_to_latlng(c) for c in part["h3_cell"]]
    lats, lons = [c[0] for c in centres], [c[1] for c in centres]
    axis = lons if (max(lons) - min(lons)) >= (max(lats) - min(lats)) else lats
    return part.with_columns(pl.Series("_axis", axis)).sort(["_axis", "h3_cell"]).drop("_axis")


def _km_span(part: pl.DataFrame) -> tuple[float | None, float | None]:
    """(first km, last km) of a corridor's cells when every cell has a km range, else Nones."""
    if "km_from" in part.columns and part["km_from"].null_count() == 0:
        return float(part["km_from"].min()), float(part["km_to"].max())
    return None, None


def _stretch_text(ordered: pl.DataFrame) -> str:
    """'corridor of N cells, km A-B' or '..., about X km' for an ordered corridor."""
    n = ordered.height
    lo, hi = _km_span(ordered)
    if lo is not None:
        return f"corridor of {n} cells, km {format_km(lo)}-{format_km(hi)}"
    km = ordered["chainage_km"] if "chainage_km" in ordered.columns else None
    if km is not None and km.null_count() == 0:
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
    lo, hi = _km_span(part)
    row.update(
        unit_id=f"corridor:{road_key(dominant['road_name'])}:{cells[0]}",
        km_from=lo,
        km_to=hi,
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


def _replace_groups(
    units: pl.DataFrame,
    eligible: pl.Expr,
    order: list[str],
    split: Callable[[pl.DataFrame], list[pl.DataFrame]],
    make_row: Callable[[pl.DataFrame], dict],
) -> pl.DataFrame:
    """Rows of ``units`` where ``eligible``, per road (``order[0]``, sorted by ``order``), split into
    groups; groups of two or more rows become one ``make_row`` row, the rest stay as they are."""
    candidates, rest = units.filter(eligible), units.filter(~eligible)
    singles, merged = [rest], []
    for _, part in candidates.sort(order).group_by([order[0]], maintain_order=True):
        for group in split(part):
            if group.height == 1:
                singles.append(group)
            else:
                merged.append(make_row(group))
    out = pl.concat(singles, how="vertical_relaxed")
    if merged:
        out = pl.concat([out, pl.DataFrame(merged, schema=out.schema)], how="vertical_relaxed")
    return out


def _cell_groups(part: pl.DataFrame) -> list[pl.DataFrame]:
    """One road's cells split into connected groups."""
    by_cell = {c: i for i, c in enumerate(part["h3_cell"].to_list())}
    return [part[[by_cell[c] for c in group]] for group in _components(list(by_cell))]


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
    out = _replace_groups(units, eligible, ["_road"], _cell_groups, lambda g: _corridor_row(g, key))
    return out.drop("_road")


RUN_PREFIX = "corridor:"


def run_span(unit_id: str | None) -> tuple[str, float, float] | None:
    """``(road, km_from, km_to)`` of a run of stretches' unit id (``corridor:NH-44 | km 65-68``)."""
    if not unit_id or not unit_id.startswith(RUN_PREFIX):
        return None
    return parse_stretch_id(unit_id[len(RUN_PREFIX) :])


def _run_row(part: pl.DataFrame, key: str) -> dict:
    """One corridor row from consecutive stretches of one road (``part`` sorted by km)."""
    dominant = part.sort([key, "unit_id"], descending=[True, False]).row(0, named=True)
    lo, hi = float(part["km_from"].min()), float(part["km_to"].max())
    road = dominant["road_name"]
    text = f"run of {part.height} stretches, km {format_km(lo)}-{format_km(hi)}"
    row = dict(dominant)
    row.update(
        unit_id=f"{RUN_PREFIX}{stretch_id(road, lo, hi)}",
        km_from=lo,
        km_to=hi,
        latitude=part["latitude"].mean(),
        longitude=part["longitude"].mean(),
        expected_crashes=float(part["expected_crashes"].sum()),
        expected_fatal_grievous=float(part["expected_fatal_grievous"].sum()),
        risk_band=max(part["risk_band"].to_list(), key=lambda b: BAND_ORDER.get(b, -1)),
        top_factors="; ".join(
            [text] + ([dominant["top_factors"]] if dominant["top_factors"] else [])
        ),
        n_cells=part.height,
    )
    return row


def _runs(part: pl.DataFrame) -> list[pl.DataFrame]:
    """Split one road's stretches (sorted by km) into runs of touching stretches."""
    breaks = (part["km_from"] - part["km_to"].shift(1)).abs().fill_null(1.0) > 1e-6
    ids = breaks.cum_sum()
    return [part.filter(ids == i) for i in ids.unique(maintain_order=True)]


def merge_stretch_runs(units: pl.DataFrame, key: str) -> pl.DataFrame:
    """Replace runs of consecutive high-band stretches of one road by corridor rows.

    Args:
        units: rows as for :func:`merge_corridors` (with ``kind``, ``km_from``, ``km_to``).
        key: the ranking column (the dominant stretch is the one with the highest ``key``).

    Returns:
        The same columns (``n_cells`` counts the stretches of a run); order is not meaningful.
    """
    if "kind" not in units.columns or "n_cells" not in units.columns:
        return units
    eligible = (pl.col("kind") == "stretch").fill_null(False) & pl.col("risk_band").is_in(
        HIGH_BANDS
    )
    return _replace_groups(
        units, eligible, ["road_name", "km_from"], _runs, lambda g: _run_row(g, key)
    )
