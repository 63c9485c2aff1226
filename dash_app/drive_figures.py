"""Figures of the Drives page: the before/after chart by month and the places map (pure builders)."""

from __future__ import annotations

import dash_leaflet as dl
import h3
import plotly.graph_objects as go
import polars as pl

from dash_app.figures import _base_layout, empty_figure, fmt_num, plain
from dash_app.i18n import current, t
from dash_app.maps import base_map
from roadsafety.vocabulary import verdict_label

PERIOD_COLOURS = {"before": "#9aa5b1", "after": "#4575b4"}
MAX_CELLS = 400
PLACE_COLOUR = "#a50026"


def before_after_figure(months: pl.DataFrame, drive: dict) -> go.Figure:
    """Crashes per month at the drive's places, before and after its start, with the expectation
    without the drive (Empirical Bayes) drawn as a line."""
    if months.is_empty():
        return empty_figure(t("drivefig.none"))
    fig = go.Figure()
    for period, colour in PERIOD_COLOURS.items():
        part = months.filter(pl.col("period") == period)
        fig.add_bar(
            x=part["month"].to_list(),
            y=part["crashes"].to_list(),
            name=t("drivefig.before") if period == "before" else t("drivefig.after"),
            marker_color=colour,
        )
    for i, period in enumerate(PERIOD_COLOURS):  # one line per period: nothing drawn between them
        line = months.filter(pl.col("period") == period).sort("month")
        fig.add_scatter(
            x=line["month"].to_list(),
            y=line["expected"].to_list(),
            mode="lines+markers",
            name=t("drivefig.expected"),
            legendgroup="expected",
            showlegend=i == 0,
            line={"color": PLACE_COLOUR, "width": 2.5, "dash": "dash"},
        )
    fig.add_vline(x=drive["after_start"], line_width=1, line_dash="dot", line_color="#333")
    fig = _base_layout(fig, t("drivefig.title", name=plain(drive["name"])))
    fig.update_yaxes(title_text=t("drivefig.per_month"))
    return fig


def verdict_text(drive: dict) -> str:
    """One sentence an SP can read: the change, its range, and what a plain count would say."""
    lang = current()
    verdict = verdict_label(drive["verdict"], lang)
    if drive.get("change_pct") is None:
        return f"{verdict}."
    naive = drive.get("naive_change_pct")
    plain_count = t("drives.naive_says", naive=f"{naive:+.0f}%") if naive is not None else ""
    sentence = t(
        "drives.verdict_sentence",
        verdict=verdict[:1].upper() + verdict[1:],
        after=drive["crashes_after"],
        expected=fmt_num(drive["expected_after_without_drive"], 1),
        change=f"{drive['change_pct']:+.0f}%",
        low=f"{drive['ci_low_pct']:+.0f}%",
        high=f"{drive['ci_high_pct']:+.0f}%",
    )
    return sentence + plain_count


def _cells(places: pl.DataFrame) -> list[tuple[str, dict]]:
    out = []
    for row in places.iter_rows(named=True):
        for cell in (row.get("h3_cells") or "").split(";"):
            if cell and h3.is_valid_cell(cell) and len(out) < MAX_CELLS:
                out.append((cell, row))
    return out


def _tooltip(row: dict) -> str:
    """The polygon's tooltip, read by Leaflet as HTML: the place's words are escaped."""
    return (
        f"<b>{plain(row['label'])}</b><br>{plain(row.get('district'))}<br>crashes before "
        f"{row['crashes_before']}, after {row['crashes_after']}"
    )


def places_map(places: pl.DataFrame, tile_url: str | None, map_id: str) -> dl.Map:
    """The drive's places: their H3 cells as polygons, other places as circles at their centre."""
    features = []
    for cell, row in _cells(places):
        ring = [[lng, lat] for lat, lng in h3.cell_to_boundary(cell)]
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring + ring[:1]]},
                "properties": {"tooltip": _tooltip(row)},
            }
        )
    style = {"color": PLACE_COLOUR, "weight": 2, "fillColor": PLACE_COLOUR, "fillOpacity": 0.5}
    children = [dl.GeoJSON(data={"type": "FeatureCollection", "features": features}, style=style)]
    for row in places.filter(
        pl.col("h3_cells").is_null() & pl.col("latitude").is_not_null()
    ).iter_rows(named=True):
        children.append(
            dl.CircleMarker(
                center=[row["latitude"], row["longitude"]],
                radius=9,
                color=PLACE_COLOUR,
                children=dl.Tooltip(
                    f"{row['label']}: crashes before {row['crashes_before']}, "
                    f"after {row['crashes_after']}"
                ),
            )
        )
    return base_map(map_id, children, places, tile_url)
