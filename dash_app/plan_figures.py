"""Builders of the "Plan a drive" page: the plan's places on the map coloured by the expected
crashes they cover, the legend, readable grid rows and phone cards (pure; frames in, components out).

Text from the data reaches Leaflet tooltips (read as HTML) only through :func:`figures.plain`.
"""

from __future__ import annotations

import dash_leaflet as dl
import h3
import polars as pl
from dash import html

from dash_app.figures import fmt_num, plain
from dash_app.maps import base_map
from dash_app.queries.plan import Plan
from roadsafety import vocabulary
from roadsafety.exports.plan import PlanRequest

COVER_COLOURS = ("#fed976", "#fd8d3c", "#e31a1c", "#800026")  # little → most covered
RANK_LABELS = 30  # the first places carry their rank on the map (as in the PDF duty sheet)
COVER_COLUMNS = {
    "all": "expected_crashes_covered",
    "fatal_grievous": "expected_fatal_grievous_covered",
}


def _t(key: str, *args: object, lang: str = "en") -> str:
    return vocabulary.label(key, lang).format(*args)


def cover_column(objective: str) -> str:
    """The plan column the objective ranks and colours by."""
    return COVER_COLUMNS.get(objective, COVER_COLUMNS["all"])


def class_edges(values: pl.Series) -> list[float]:
    """Upper edges of the colour classes: equal steps from 0 to the plan's largest value."""
    top = float(values.max() or 0.0) if values.len() else 0.0
    step = top / len(COVER_COLOURS) if top > 0 else 1.0
    return [step * (i + 1) for i in range(len(COVER_COLOURS))]


def colour_of(value: float | None, edges: list[float]) -> str:
    """The colour of a value (its class by :func:`class_edges`)."""
    for edge, colour in zip(edges, COVER_COLOURS):
        if (value or 0.0) <= edge + 1e-12:
            return colour
    return COVER_COLOURS[-1]


def road_km(row: dict) -> str:
    """``NH-44 km 30-31``, the road alone, or ``Unnamed road``."""
    road = row.get("road_name") or "Unnamed road"
    lo, hi = row.get("km_from"), row.get("km_to")
    return f"{road} km {lo:g}-{hi:g}" if lo is not None and hi is not None else road


def where(row: dict) -> str:
    """Where the team goes: a stretch's km range is in :func:`road_km`, a cell's centre here."""
    if row.get("km_from") is not None:
        return "along the road's km markers"
    if row.get("h3_cell") and row.get("latitude") is not None:
        return f"around {row['latitude']:.4f} N, {row['longitude']:.4f} E"
    return "the road in this police station's area"


def _tooltip_parts(row: dict, column: str) -> list[str]:
    """What a place's tooltip says (plain text)."""
    return [
        f"#{row['rank']} {road_km(row)}",
        row.get("police_station") or "",
        vocabulary.window_label(row["window"]),
        f"{row['team_hours_per_week']} team-hours a week",
        f"{fmt_num(row[column], 2)} expected covered",
    ]


def _tooltip(row: dict, column: str) -> str:
    """The tooltip as Leaflet reads it (HTML): every data text escaped."""
    first, *rest = [plain(p) for p in _tooltip_parts(row, column)]
    return "<br>".join([f"<b>{first}</b>", *rest])


def _cells(row: dict) -> list[str]:
    cells = (row.get("h3_cell") or "").split(";")
    return [c for c in cells if c and h3.is_valid_cell(c)]


def _feature(geometry: dict, row: dict, column: str) -> dict:
    return {
        "type": "Feature",
        "geometry": geometry,
        "properties": {"unit_id": row["unit_id"], "tooltip": _tooltip(row, column)},
    }


def _shape(row: dict, paths: dict, column: str) -> dict | None:
    """The row's cells as polygons, or its road line; None when it has neither."""
    if row["unit_id"] in paths:
        line = [[lon, lat] for lat, lon in paths[row["unit_id"]]]
        return _feature({"type": "LineString", "coordinates": line}, row, column)
    cells = _cells(row)
    if not cells:
        return None
    rings = []
    for cell in cells:
        ring = [[lng, lat] for lat, lng in h3.cell_to_boundary(cell)]
        rings.append([ring + ring[:1]])
    return _feature({"type": "MultiPolygon", "coordinates": rings}, row, column)


def plan_layers(rows: pl.DataFrame, paths: dict, objective: str) -> list:
    """One GeoJSON layer per colour class (cells as polygons, stretches as lines along their road)
    and circles for places known only by a point."""
    column = cover_column(objective)
    edges = class_edges(rows[column])
    groups: dict[str, list] = {c: [] for c in COVER_COLOURS}
    points = []
    for row in rows.iter_rows(named=True):
        colour = colour_of(row[column], edges)
        shape = _shape(row, paths, column)
        if shape is not None:
            groups[colour].append(shape)
        elif row.get("latitude") is not None and row.get("longitude") is not None:
            text = ", ".join(p for p in _tooltip_parts(row, column) if p)
            points.append(
                dl.CircleMarker(
                    center=[row["latitude"], row["longitude"]],
                    radius=9,
                    color=colour,
                    fillOpacity=0.7,
                    children=dl.Tooltip(text),
                )
            )
    layers = [
        dl.GeoJSON(
            id={"type": "plan-layer", "colour": colour},
            data={"type": "FeatureCollection", "features": features},
            style={"color": colour, "weight": 6, "fillColor": colour, "fillOpacity": 0.7},
            hoverStyle={"weight": 8},
        )
        for colour, features in groups.items()
        if features
    ]
    return layers + points


def _label(lat: float, lon: float, text: str, css: str, **where: object) -> dl.CircleMarker:
    """A permanent text label at a point (an invisible marker carrying a tooltip)."""
    tip = dl.Tooltip(text, permanent=True, className=css, **where)
    return dl.CircleMarker(center=[lat, lon], radius=0, opacity=0, children=tip)


def rank_labels(rows: pl.DataFrame, limit: int = RANK_LABELS) -> list:
    """The rank of each of the first ``limit`` places, beside it on the map (as in the grid)."""
    located = rows.filter(pl.col("latitude").is_not_null() & pl.col("longitude").is_not_null())
    return [
        _label(r["latitude"], r["longitude"], str(r["rank"]), "plan-rank", direction="right")
        for r in located.sort("rank").head(limit).iter_rows(named=True)
    ]


def district_labels(rows: pl.DataFrame) -> list:
    """Each district's name above its planned places (orientation on a map without tiles)."""
    located = rows.filter(pl.col("latitude").is_not_null() & pl.col("district").is_not_null())
    spots = located.group_by("district").agg(pl.col("latitude").max(), pl.col("longitude").mean())
    return [
        _label(r["latitude"], r["longitude"], r["district"], "district-label", direction="top",
               offset=[0, -10])
        for r in spots.sort("district").iter_rows(named=True)
    ]  # fmt: skip


def plan_map(
    rows: pl.DataFrame, paths: dict, objective: str, tile_url: str | None, map_id: str
) -> dl.Map:
    """The plan's places on a Leaflet map, the first ones numbered by rank (plain background
    without a tile URL)."""
    layers = plan_layers(rows, paths, objective) + rank_labels(rows) + district_labels(rows)
    return base_map(map_id, layers, rows, tile_url)


def plan_legend(rows: pl.DataFrame, objective: str, lang: str = "en") -> html.Div:
    """The colour key: the value range of each class."""
    edges = class_edges(rows[cover_column(objective)])
    lows = [0.0, *edges[:-1]]
    keys = [
        html.Span([html.I(style={"background": c}), f"{fmt_num(lo, 2)}-{fmt_num(hi, 2)}"])
        for c, lo, hi in zip(COVER_COLOURS, lows, edges)
    ]
    return html.Div(
        className="legend", children=[html.Span(_t("plan_legend", lang=lang) + ":"), *keys]
    )


def grid_rows(rows: pl.DataFrame, lang: str = "en") -> list[dict]:
    """Plan rows for the grid: readable road/km and place, the window in ``lang``'s day words."""
    out = []
    for row in rows.iter_rows(named=True):
        out.append(
            {
                **{k: row[k] for k in ("rank", "unit_id", "police_station", "district", "why")},
                "window": vocabulary.window_label(row["window"], lang),
                "road_km": road_km(row),
                "where": where(row),
                "team_hours_per_week": row["team_hours_per_week"],
                "expected_crashes_covered": round(row["expected_crashes_covered"], 2),
                "expected_fatal_grievous_covered": round(row["expected_fatal_grievous_covered"], 2),
            }
        )
    return out


def plan_cards(rows: list[dict], lang: str = "en") -> list[html.Div]:
    """One card per place for a phone: road and station, when, team-hours, crashes covered, why."""
    return [
        html.Div(
            className="plan-card",
            children=[
                html.Div(f"#{r['rank']} {r['road_km']}", className="plan-card-title"),
                html.Div(f"{r['police_station'] or ''} - {r['district'] or ''}", className="muted"),
                html.Div(r["window"], className="plan-card-when"),
                html.Div(
                    f"{r['team_hours_per_week']} {_t('plan_col_team_hours', lang=lang).lower()}; "
                    f"{fmt_num(r['expected_crashes_covered'], 2)} "
                    f"{_t('plan_col_crashes', lang=lang).lower()}"
                ),
                html.Div(r["why"], className="plan-card-why"),
            ],
        )
        for r in rows
    ]


def plan_summary(plan: Plan, request: PlanRequest, ratios: dict[str, float]) -> html.Div:
    """Budget used, expected crashes covered a week and over the dates, the forecast the plan is
    made from, and ``ratios`` (budget → the champion's backtest coverage of such plans over naive
    counts with the same team-hours) when stored."""
    rows = plan.rows
    word = _t(
        "plan_word_fatal_grievous" if request.objective == "fatal_grievous" else "plan_word_crashes"
    )
    total = float(rows[cover_column(request.objective)].sum()) if rows.height else 0.0
    used = int(rows["team_hours_per_week"].sum())
    lines = [
        html.B(_t("plan_budget_used", used, f"{request.team_hours:g}", rows.height)),
        " ",
        _t("plan_covered", word, fmt_num(total / plan.weeks, 2), fmt_num(total, 2), round(plan.weeks * 7)),
    ]  # fmt: skip
    run = plan.run
    moved = "" if plan.exact else ", each weekday at that forecast's daily rate"
    source = (
        f"From the forecast for {run.window_start:%d %b} - {run.window_end:%d %b %Y}"
        f" (model {run.version_id}, data up to {run.data_cutoff or 'n/a'}){moved}."
    )
    notes = [html.Div(source, className="muted")]
    if ratios:
        parts = "; ".join(
            f"{r:.2f}× at {float(k):,.0f} team-hours a week" for k, r in ratios.items()
        )
        notes.append(
            html.Div(
                "Checked on past periods the model did not see (whole region): plans like this "
                f"caught {parts} the {word} that naive counts (last 3 years per place and "
                "3-hour block) caught with the same team-hours.",
                className="muted",
            )
        )
    return html.Div([html.Div(lines), *notes])
