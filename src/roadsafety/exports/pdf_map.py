"""A small offline map of listed stretches, drawn with reportlab graphics (no map tiles).

Cells are drawn as their H3 hexagons coloured by risk band and labelled with the row's rank; road
stretches whose road has a km fit as thick lines along the road (labelled at their middle); other
rows with a point as circles. The projection is equirectangular
around the centre latitude (fine at district scale); a scale bar and a north arrow are added.
"""

from __future__ import annotations

import math

import h3
import polars as pl
from reportlab.graphics.shapes import Circle, Drawing, Line, Polygon, PolyLine, Rect, String
from reportlab.lib import colors

from roadsafety import vocabulary

BAND_COLOURS = {band: colors.HexColor(hex_) for band, hex_ in vocabulary.BAND_COLOURS.items()}
KM_PER_DEG = 111.32
MIN_SPAN_KM = 3.0


Paths = dict[str, list[tuple[float, float]]]


def _shapes(
    rows: pl.DataFrame, paths: Paths
) -> tuple[
    list[tuple[str, list | None, tuple[float, float]]], list[tuple[int, tuple[float, float]]]
]:
    """Drawable shapes (band, hexagon ring as (lat, lon) pairs or None for a point, centre) and
    rank labels (rank, (lat, lon)) of the rows, lowest-ranked first so the top rows end on top.
    Rows with a road line in ``paths`` are drawn by :func:`_lines` instead."""
    shapes, labels = [], []
    for row in rows.sort("rank", descending=True).iter_rows(named=True):
        if row["unit_id"] in paths:
            line = paths[row["unit_id"]]
            labels.append((row["rank"], line[len(line) // 2]))
            continue
        cells = [c for c in (row["h3_cell"] or "").split(";") if c]
        for cell in cells:
            shapes.append(
                (row["risk_band"], list(h3.cell_to_boundary(cell)), h3.cell_to_latlng(cell))
            )
        if cells and row["latitude"] is not None:
            labels.append((row["rank"], (row["latitude"], row["longitude"])))
        elif cells:
            labels.append((row["rank"], h3.cell_to_latlng(cells[0])))
        elif row["latitude"] is not None and row["longitude"] is not None:
            shapes.append((row["risk_band"], None, (row["latitude"], row["longitude"])))
            labels.append((row["rank"], (row["latitude"], row["longitude"])))
    return shapes, labels


class _Projection:
    """Equirectangular projection of a lat/lon box into a drawing box, aspect kept."""

    def __init__(
        self, points: list[tuple[float, float]], width: float, height: float, pad: float = 14.0
    ):
        lats, lons = [p[0] for p in points], [p[1] for p in points]
        self.cos = math.cos(math.radians((min(lats) + max(lats)) / 2))
        span_x = max((max(lons) - min(lons)) * self.cos * KM_PER_DEG, MIN_SPAN_KM)
        span_y = max((max(lats) - min(lats)) * KM_PER_DEG, MIN_SPAN_KM)
        self.scale = min((width - 2 * pad) / span_x, (height - 2 * pad) / span_y)  # points per km
        self.cx, self.cy = (min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2
        self.ox, self.oy = width / 2, height / 2

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        x = (lon - self.cx) * self.cos * KM_PER_DEG * self.scale + self.ox
        y = (lat - self.cy) * KM_PER_DEG * self.scale + self.oy
        return x, y


def _scale_bar(drawing: Drawing, proj: _Projection, width: float) -> None:
    target_km = (width * 0.25) / proj.scale
    km = max((k for k in (0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200) if k <= target_km), default=0.1)
    length = km * proj.scale
    drawing.add(Line(10, 8, 10 + length, 8, strokeWidth=1.5))
    drawing.add(String(12 + length, 5, f"{km:g} km", fontSize=7))
    drawing.add(String(width - 14, drawing.height - 16, "N", fontSize=9, fontName="Helvetica-Bold"))
    drawing.add(
        Line(width - 11, drawing.height - 40, width - 11, drawing.height - 20, strokeWidth=1.2)
    )


LABEL_OFFSETS = (
    (0.0, 0.0),
    (0.0, 11.0),
    (0.0, -11.0),
    (12.0, 0.0),
    (-12.0, 0.0),
    (10.0, 10.0),
    (-10.0, -10.0),
)
LABEL_GAP = 9.5


def _place_labels(
    labels: list[tuple[int, float, float]],
) -> list[tuple[int, float, float, float, float]]:
    """Greedy label placement, best rank first: the first offset that keeps clear of placed labels.

    Returns (rank, x, y, anchor_x, anchor_y); labels with no free spot are dropped (the table lists
    every row; the map shows where the top ones are).
    """
    placed: list[tuple[int, float, float, float, float]] = []
    for rank, ax, ay in sorted(labels):
        for dx, dy in LABEL_OFFSETS:
            x, y = ax + dx, ay + dy
            if all(
                abs(x - px) >= LABEL_GAP or abs(y - py) >= LABEL_GAP for _, px, py, _, _ in placed
            ):
                placed.append((rank, x, y, ax, ay))
                break
    return placed


def _label(drawing: Drawing, x: float, y: float, rank: int, anchor: tuple[float, float]) -> None:
    if (x, y) != anchor:
        drawing.add(Line(anchor[0], anchor[1], x, y, strokeWidth=0.4, strokeColor=colors.black))
    size = 4.2 if rank < 10 else 5.2 if rank < 100 else 6.4
    drawing.add(
        Circle(x, y, size, fillColor=colors.white, strokeColor=colors.black, strokeWidth=0.4)
    )
    drawing.add(
        String(
            x,
            y - 2.2,
            str(rank),
            fontSize=6 if rank < 100 else 5,
            fontName="Helvetica-Bold",
            textAnchor="middle",
        )
    )


def _lines(rows: pl.DataFrame, paths: Paths) -> list[tuple[str, list[tuple[float, float]]]]:
    """(band, road line) of the rows drawn as lines, lowest-ranked first."""
    return [
        (row["risk_band"], paths[row["unit_id"]])
        for row in rows.sort("rank", descending=True).iter_rows(named=True)
        if row["unit_id"] in paths
    ]


def draw_map(
    rows: pl.DataFrame, width: float, height: float, paths: Paths | None = None
) -> Drawing | None:
    """A drawing of the rows' cells, road lines and points, or None when no row has a location."""
    paths = paths or {}
    shapes, labels = _shapes(rows, paths)
    lines = _lines(rows, paths)
    if not shapes and not lines:
        return None
    points = [pt for _, ring, centre in shapes for pt in (ring or [centre])]
    proj = _Projection(points + [pt for _, line in lines for pt in line], width, height)
    drawing = Drawing(width, height)
    drawing.add(
        Rect(
            0,
            0,
            width,
            height,
            fillColor=colors.HexColor("#F7F9FB"),
            strokeColor=colors.grey,
            strokeWidth=0.5,
        )
    )
    for band, ring, centre in shapes:
        fill = BAND_COLOURS.get(band, colors.lightgrey)
        if ring:
            coords = [c for lat, lon in ring for c in proj.xy(lat, lon)]
            drawing.add(Polygon(coords, fillColor=fill, strokeColor=colors.black, strokeWidth=0.3))
        else:
            drawing.add(
                Circle(
                    *proj.xy(*centre), 5, fillColor=fill, strokeColor=colors.black, strokeWidth=0.5
                )
            )
    for band, line in lines:
        drawing.add(
            PolyLine(
                [c for lat, lon in line for c in proj.xy(lat, lon)],
                strokeColor=BAND_COLOURS.get(band, colors.grey),
                strokeWidth=4,
                strokeLineCap=1,
            )
        )
    anchors = [(rank, *proj.xy(lat, lon)) for rank, (lat, lon) in labels]
    for rank, x, y, ax, ay in sorted(_place_labels(anchors), reverse=True):
        _label(drawing, x, y, rank, (ax, ay))
    _scale_bar(drawing, proj, width)
    _corner_coordinates(drawing, proj, width, height)
    return drawing


def _corner_coordinates(drawing: Drawing, proj: _Projection, width: float, height: float) -> None:
    """Latitude/longitude of the bottom-right and top-left corners, to orient the reader."""

    def latlon(x: float, y: float) -> tuple[float, float]:
        lon = (x - proj.ox) / (proj.cos * KM_PER_DEG * proj.scale) + proj.cx
        lat = (y - proj.oy) / (KM_PER_DEG * proj.scale) + proj.cy
        return lat, lon

    lat, lon = latlon(width, 0)
    drawing.add(
        String(
            width - 4,
            4,
            f"{lat:.3f} N, {lon:.3f} E",
            fontSize=6,
            textAnchor="end",
            fillColor=colors.grey,
        )
    )
    lat, lon = latlon(0, height)
    drawing.add(
        String(4, height - 9, f"{lat:.3f} N, {lon:.3f} E", fontSize=6, fillColor=colors.grey)
    )
