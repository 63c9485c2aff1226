"""GeoJSON FeatureCollection for QGIS or a phone map.

One feature per row, every column as a property (dates as ISO text), plus ``risk_band_label``
(the band as people read it, "Very high", beside the ``risk_band`` key). Geometry: a road stretch (a
stretch unit, a run of them, a 500 m blackspot on a road) whose road has a km fit is a LineString
along the road from ``km_from`` to ``km_to``; a single H3 cell is its hexagon
(``h3.cell_to_boundary``) as a Polygon; a merged corridor is the outline of its cells
(``h3.cells_to_geo``: a Polygon, valid in the OGC sense, unlike a MultiPolygon of hexagons sharing
edges); any other row is a Point at its coordinates when known, else ``null`` geometry.
Coordinates are [longitude, latitude] (WGS84), rings closed.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import h3
import polars as pl

from roadsafety.exports.csv_writer import round_for_output
from roadsafety.exports.meta import ExportMeta
from roadsafety.vocabulary import BAND_KEYS, label


def cell_ring(cell: str) -> list[list[float]]:
    """The closed [lon, lat] ring of an H3 cell."""
    ring = [[round(lng, 7), round(lat, 7)] for lat, lng in h3.cell_to_boundary(cell)]
    return ring + [ring[0]]


def _lists(coords: object) -> object:
    """Nested tuples of (lng, lat) from h3 → nested lists rounded to 7 decimals."""
    if isinstance(coords[0], (int, float)):  # type: ignore[index]
        return [round(v, 7) for v in coords]  # type: ignore[union-attr]
    return [_lists(c) for c in coords]  # type: ignore[union-attr]


def row_geometry(row: dict, path: list[tuple[float, float]] | None = None) -> dict | None:
    """GeoJSON geometry of one list row (``path``: its road line, see the module docstring)."""
    if path and len(path) >= 2:
        return {"type": "LineString", "coordinates": [[lon, lat] for lat, lon in path]}
    cells = [c for c in (row.get("h3_cell") or "").split(";") if c]
    if len(cells) == 1:
        return {"type": "Polygon", "coordinates": [cell_ring(cells[0])]}
    if cells:
        outline = h3.cells_to_geo(cells)
        return {"type": outline["type"], "coordinates": _lists(outline["coordinates"])}
    if row.get("latitude") is not None and row.get("longitude") is not None:
        return {"type": "Point", "coordinates": [row["longitude"], row["latitude"]]}
    return None


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value


def _band_label(row: dict) -> dict:
    """``risk_band_label`` ("Very high") beside the ``risk_band`` key, for map labels."""
    band = row.get("risk_band")
    return {"risk_band_label": label(band)} if band in BAND_KEYS else {}


def to_feature_collection(
    rows: pl.DataFrame, meta: ExportMeta, paths: dict[str, list[tuple[float, float]]] | None = None
) -> dict:
    """The rows as a GeoJSON FeatureCollection dict (with the export context as foreign members)."""
    paths = paths or {}
    features = [
        {
            "type": "Feature",
            "id": row["unit_id"],
            "geometry": row_geometry(row, paths.get(row["unit_id"])),
            "properties": {k: _plain(v) for k, v in row.items()} | _band_label(row),
        }
        for row in round_for_output(rows).iter_rows(named=True)
    ]
    return {
        "type": "FeatureCollection",
        "name": meta.title,
        "export": {
            "kind": meta.kind,
            "run_id": meta.run_id,
            "model_version": meta.model_version,
            "data_cutoff": _plain(meta.data_cutoff),
            "window_start": _plain(meta.window_start),
            "window_end": _plain(meta.window_end),
            "generated_at": meta.generated_at.isoformat(),
        },
        "features": features,
    }


def write_geojson(
    rows: pl.DataFrame,
    path: Path,
    meta: ExportMeta,
    paths: dict[str, list[tuple[float, float]]] | None = None,
) -> Path:
    """Write the rows as GeoJSON (stretch rows along ``paths``) and return the path."""
    with path.open("w", encoding="utf-8") as fh:
        json.dump(to_feature_collection(rows, meta, paths), fh, ensure_ascii=False, indent=1)
    return path
