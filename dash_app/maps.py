"""Map builders: Leaflet layers and maps of forecast risk (pure functions from Polars frames to
Dash components; no data access).

Text from the data (road, station and district names, peak windows) reaches Leaflet tooltips,
which are set as ``innerHTML``: it is escaped with :func:`dash_app.figures.plain`. The map is
framed on what it draws; district names sit in a pane beneath the data.
"""

from __future__ import annotations

from html import escape

import dash_leaflet as dl
import h3
import polars as pl
from dash import html

from dash_app.figures import BAND_COLORS, fmt_num, plain
from dash_app.i18n import band_labels, current, t, window
from roadsafety import vocabulary

MAP_CELLS = 600


def _cell_feature(row: dict) -> dict:
    ring = [[lng, lat] for lat, lng in h3.cell_to_boundary(row["h3_cell"])]
    ring.append(ring[0])
    label = (
        f"<b>{plain(row.get('road_name') or t('map.unnamed'))}</b>"
        f"<br>{plain(row.get('police_station'))}, {plain(row.get('district'))}"
        f"<br>{plain(t('map.expected', n=fmt_num(row['expected_crashes'], 2)))}"
        f"<br>{plain(window(row.get('peak_window')))}"
    )
    return {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {"unit_id": row["unit_id"], "tooltip": label},
    }


def map_layers(units: pl.DataFrame, max_cells: int = MAP_CELLS) -> list:
    """GeoJSON layers (one per band, riskiest drawn last) of the top located units."""
    located = units.filter(pl.col("h3_cell").is_not_null()).sort("rank").head(max_cells)
    layers = []
    for band in reversed(BAND_COLORS):
        rows = located.filter(pl.col("risk_band") == band).to_dicts()
        if not rows:
            continue
        style = {
            "color": BAND_COLORS[band],
            "weight": 2,
            "fillColor": BAND_COLORS[band],
            "fillOpacity": 0.65,
        }
        layers.append(
            dl.GeoJSON(
                id={"type": "map-band", "band": band},
                style=style,
                hoverStyle={"weight": 3},
                data={"type": "FeatureCollection", "features": [_cell_feature(r) for r in rows]},
            )
        )
    return layers


def _stretch_parts(row: dict) -> list[str]:
    """What a road stretch's tooltip says: road and km, station, expected crashes, peak."""
    km = f"km {row['km_from']:g}-{row['km_to']:g}" if row.get("km_from") is not None else ""
    return [
        f"{row.get('road_name') or t('map.unnamed')} {km}".strip(),
        str(row.get("police_station") or ""),
        t("map.expected", n=fmt_num(row["expected_crashes"], 2)),
        window(row.get("peak_window")),
    ]


def _stretch_feature(row: dict, path: list) -> dict:
    """A road stretch as a GeoJSON LineString along its road."""
    return {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": [[lon, lat] for lat, lon in path]},
        "properties": {
            "unit_id": row["unit_id"],
            "tooltip": "<br>".join(escape(p) for p in _stretch_parts(row)),
        },
    }


def _stretch_points(rows: pl.DataFrame, paths: dict) -> list:
    """Circles for stretches placed only approximately (beyond the mapped part of their road)."""
    return [
        dl.CircleMarker(
            center=[r["latitude"], r["longitude"]],
            radius=7,
            color=BAND_COLORS.get(r["risk_band"], "#555"),
            children=dl.Tooltip(t("map.approximate") + ", ".join(_stretch_parts(r))),
        )
        for r in rows.filter(
            (pl.col("kind") == "stretch") & ~pl.col("unit_id").is_in(list(paths))
        ).iter_rows(named=True)
        if r["latitude"] is not None and r["longitude"] is not None
    ]


def stretch_layers(units: pl.DataFrame, paths: dict, max_rows: int = MAP_CELLS) -> list:
    """GeoJSON line layers (one per band, riskiest drawn last) of the top road stretches that
    have a road line in ``paths`` (``unit_id -> [(lat, lon), ...]``); circles for stretches with
    only an approximate point."""
    if units.is_empty() or "kind" not in units.columns:
        return []
    top = units.sort("rank").head(max_rows)
    drawn = top.filter(pl.col("unit_id").is_in(list(paths)))
    layers = _stretch_points(top, paths)
    for band in reversed(BAND_COLORS):
        rows = drawn.filter(pl.col("risk_band") == band).to_dicts()
        if rows:
            layers.append(
                dl.GeoJSON(
                    id={"type": "map-band", "band": f"{band}-road"},
                    style={"color": BAND_COLORS[band], "weight": 7, "opacity": 0.9},
                    hoverStyle={"weight": 10},
                    data={
                        "type": "FeatureCollection",
                        "features": [_stretch_feature(r, paths[r["unit_id"]]) for r in rows],
                    },
                )
            )
    return layers


def map_bounds(units: pl.DataFrame, districts: pl.DataFrame | None = None) -> list[list[float]]:
    """[[south, west], [north, east]] around the units (and district HQs), padded a little.

    With 50 points or more, the outer 1% on each side is left out, so one mis-placed record
    cannot shrink the district or the state to a corner of the map.
    """
    points = units.select("latitude", "longitude").drop_nulls()
    if districts is not None:
        points = pl.concat([points, districts.select("latitude", "longitude")])
    if points.is_empty():
        return [[8.0, 68.0], [37.0, 97.0]]  # India
    trim = 0.01 if points.height >= 50 else 0.0
    lat, lon = points["latitude"], points["longitude"]
    south, north = lat.quantile(trim, "higher"), lat.quantile(1 - trim, "lower")
    west, east = lon.quantile(trim, "higher"), lon.quantile(1 - trim, "lower")
    pad = max(0.01, 0.05 * max(north - south, east - west))
    return [[south - pad, west - pad], [north + pad, east + pad]]


LABEL_PANE = "district-labels"  # under the data (Leaflet's overlay pane is 400): never covers it


def district_labels(drawn: pl.DataFrame) -> list:
    """District names, left of each district's westernmost drawn place, in a pane beneath the
    cells and roads (a label may be hidden by data, never the reverse)."""
    known = pl.col("district").is_not_null() & ~pl.col("district").str.starts_with("(")
    west = (
        drawn.filter(pl.col("latitude").is_not_null() & known)
        .sort("longitude")
        .group_by("district", maintain_order=True)
        .first()
    )
    markers = [
        dl.CircleMarker(
            center=[row["latitude"], row["longitude"]],
            radius=0,
            opacity=0,
            interactive=False,
            pane=LABEL_PANE,
            children=dl.Tooltip(
                row["district"],
                permanent=True,
                direction="left",
                offset=[-10, 0],
                className="district-label",
                pane=LABEL_PANE,
            ),
        )
        for row in west.sort("district").iter_rows(named=True)
    ]
    return [dl.Pane(name=LABEL_PANE, style={"zIndex": 350}, children=markers)] if markers else []


def risk_map(
    units: pl.DataFrame,
    tile_url: str | None,
    attribution: str | None,
    map_id: str,
    paths: dict | None = None,
) -> dl.Map:
    """Leaflet map of forecast risk (cells, and road stretches along ``paths``), framed on what
    it draws (the selected district, or the state); with no tile URL it draws on a plain
    background (intranet) with district names beneath the data for orientation."""
    paths = paths or {}
    drawn = pl.concat(
        [
            units.filter(pl.col("h3_cell").is_not_null()).sort("rank").head(MAP_CELLS),
            units.filter(pl.col("kind") == "stretch").sort("rank").head(MAP_CELLS)
            if "kind" in units.columns
            else units.clear(),
        ],
        how="diagonal_relaxed",
    )
    layers = map_layers(units) + stretch_layers(units, paths)
    labels = [] if tile_url else district_labels(drawn)
    return base_map(
        map_id, labels + layers, drawn if drawn.height else units, tile_url, attribution
    )


def base_map(
    map_id: str,
    layers: list,
    points: pl.DataFrame,
    tile_url: str | None,
    attribution: str | None = None,
) -> dl.Map:
    """A Leaflet map of ``layers`` framed on ``points`` (latitude/longitude), with the basemap
    tiles when a tile URL is configured (none on an intranet).

    The viewport is not tracked: dash-leaflet 1.1 compares the map's centre with the unset
    ``center`` prop after every move otherwise, a JavaScript error on every page load (and a
    ``center``/``zoom`` prop would override the fit to ``bounds``).
    """
    tiles = [dl.TileLayer(url=tile_url, attribution=attribution or "")] if tile_url else []
    return dl.Map(
        id=map_id,
        children=tiles + layers,
        bounds=map_bounds(points),
        trackViewport=False,
        className="risk-map",
        attributionControl=bool(tile_url),
        zoomSnap=0.25,
    )


def map_legend() -> html.Div:
    """The band colour key shown under the map, and what the bands mean."""
    names = band_labels()
    return html.Div(
        className="legend",
        children=[
            html.Span([html.I(style={"background": c}), names[b]]) for b, c in BAND_COLORS.items()
        ]
        + [
            html.Span(t("map.hint"), className="legend-hint"),
            html.Span(vocabulary.band_explanation(current()), className="legend-hint legend-bands"),
        ],
    )
