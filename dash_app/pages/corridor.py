"""Corridor detail: one unit (or a merged corridor's cells): forecast, why, history, recent records."""

from __future__ import annotations

import dash_ag_grid as dag
import polars as pl
from dash import Dash, Input, Output, State, dcc, html

from dash_app import figures, inputs, queries
from dash_app.auth import app_store, audit, require_scope, secured
from dash_app.components import control, graph_card, heading, notice
from roadsafety import vocabulary

PATH = "/corridor"
UNIT_MAX = 300  # longest unit id accepted from a link or a dropdown
TITLE = "Corridor detail"
P = "corridor"
LABELLED = ("severity", "offence")  # stored keys shown as the vocabulary's labels


def grid_columns(spec: tuple[tuple[str, str, int], ...]) -> list[dict]:
    """ag-grid column definitions from ``(field, header, min width)`` triples."""
    return [
        {"field": f, "headerName": h, "minWidth": w}
        | ({"valueFormatter": figures.label_formatter(f)} if f in LABELLED else {})
        for f, h, w in spec
    ]


CRASH_COLUMNS = grid_columns(
    (
        ("occurred_at", "When", 150),
        ("severity", "Severity", 120),
        ("killed", "Killed", 80),
        ("injured", "Injured", 80),
        ("road_name", "Road", 110),
        ("chainage_km", "km", 70),
        ("police_station", "Police station", 140),
        ("vehicle_types", "Vehicles", 120),
        ("cause", "Cause", 130),
    )
)
CHALLAN_COLUMNS = grid_columns(
    (
        ("issued_at", "When", 150),
        ("offence", "Offence", 140),
        ("challan_type", "Type", 90),
        ("vehicle_class", "Vehicle", 110),
        ("fine_amount", "Fine (Rs)", 100),
        ("camera_id", "Camera", 110),
    )
)


def layout(unit: str | None = None, cells: str | None = None, **_: str) -> html.Div:
    """Page skeleton; ``unit`` (and a merged corridor's ``cells``) come from the link."""
    return html.Div(
        className="page",
        children=[
            heading(
                "Corridor detail", "Why a stretch is risky, when, and what happened there recently."
            ),
            html.Div(
                className="controls",
                children=[
                    control(
                        "Stretch",
                        dcc.Dropdown(
                            id=f"{P}-pick",
                            value=unit,
                            options=[{"label": unit, "value": unit}] if unit else [],
                            placeholder="Choose one of the riskiest stretches",
                        ),
                        wide=True,
                    )
                ],
            ),
            dcc.Store(id=f"{P}-cells", data=cells),
            dcc.Loading(html.Div(id=f"{P}-body")),
        ],
    )


def pick_options(_: str, current: str | None) -> list[dict]:
    """The caller's top 100 units of the 7-day forecast (plus the linked unit)."""
    scope = require_scope()
    current = inputs.text(current, UNIT_MAX)
    units = queries.forecast_units(app_store(), 7, scope.district).sort("rank").head(100)
    opts = [
        {
            "label": f"#{r['rank']} {r['road_name'] or 'Unnamed road'} - {r['police_station'] or r['unit_id']}",
            "value": r["unit_id"],
        }
        for r in units.iter_rows(named=True)
    ]
    if current and current not in {o["value"] for o in opts}:
        opts.insert(0, {"label": current, "value": current})
    return opts


def unit_ids_of(unit: str, cells: object) -> tuple[str, ...]:
    """Units to read: a merged corridor's valid H3 cells (maybe none), else the unit itself."""
    if cells:
        return inputs.h3_cells(cells)
    return (unit,)


def forecast_card(fc: pl.DataFrame, days: int) -> html.Div:
    """Expected crashes (with 80% range), fatal+grievous, band and peak time for one window."""
    part = fc.filter(pl.col("days") == days)
    if part.is_empty():
        return html.Div(
            className="kpi-card",
            children=[html.Div(f"Next {days} days", className="kpi-title"), "no forecast"],
        )
    r = part.row(0, named=True)
    return html.Div(
        className="kpi-card",
        children=[
            html.Div(f"Next {days} days", className="kpi-title"),
            html.Div(
                [
                    html.Span(figures.fmt_num(r["expected_crashes"], 2), className="kpi-value"),
                    html.Span(" crashes expected", className="kpi-unit"),
                ]
            ),
            html.Div(
                f"80% range {figures.fmt_num(r['lo80'], 1)} - {figures.fmt_num(r['hi80'], 1)}",
                className="kpi-delta",
            ),
            html.Div(
                [
                    html.Span(
                        figures.fmt_num(r["expected_fatal_grievous"], 2),
                        className="kpi-value kpi-severe",
                    ),
                    html.Span(" fatal or grievous", className="kpi-unit"),
                ]
            ),
            html.Div(
                [
                    "Band ",
                    html.Span(
                        figures.BAND_LABELS.get(r["risk_band"], r["risk_band"] or "-"),
                        className=f"band band-{r['risk_band']}",
                    ),
                    f" - rank {r['rank']}" if r["rank"] else "",
                ],
                className="kpi-delta",
            ),
            html.Div(f"Peak: {r['peak_window'] or '-'}", className="kpi-delta"),
        ],
    )


def summarise_forecasts(fc: pl.DataFrame) -> pl.DataFrame:
    """One row per run: summed expectations over a corridor's cells, the dominant cell's texts."""
    if fc.is_empty():
        return fc
    fc = fc.with_columns(
        ((pl.col("run_end") - pl.col("run_start")).dt.total_days() + 1).alias("days")
    )
    return (
        fc.sort("rank")
        .group_by("run_id", "days", maintain_order=True)
        .agg(
            pl.col("expected_crashes").sum(),
            pl.col("expected_fatal_grievous").sum(),
            pl.col("crashes_lo80").sum().alias("lo80"),
            pl.col("crashes_hi80").sum().alias("hi80"),
            pl.col("risk_band").first(),
            pl.col("rank").min(),
            pl.col("peak_window").first(),
            pl.col("top_factors").first(),
        )
    )


def detail_body(detail: queries.snap.UnitDetail, unit: str) -> html.Div:
    """Everything shown for one unit or corridor."""
    u = detail.units.row(0, named=True) if not detail.units.is_empty() else {}
    fc = summarise_forecasts(detail.forecasts)
    factors = (fc["top_factors"][0] or "") if not fc.is_empty() else ""
    b = detail.blackspot
    status = (
        f"Meets the MoRTH blackspot rule: {b['fatal_grievous']} fatal/grievous crashes and {b['deaths']} deaths in {b['years']}."
        if b["blackspot"]
        else f"Not a MoRTH blackspot: {b['fatal_grievous']} fatal/grievous crashes and {b['deaths']} deaths in {b['years']} (rule: 5 or 10 deaths)."
    )
    mix = (
        ", ".join(
            f"{vocabulary.label(r['offence'], default=r['offence'])} {r['challans']}"
            for r in detail.challan_mix.iter_rows(named=True)
        )
        or "none"
    )
    km = (
        f" km {detail.units['km_from'].min():g}-{detail.units['km_to'].max():g}"
        if not detail.units.is_empty() and detail.units["km_from"].null_count() == 0
        else ""
    )
    title = f"{u.get('road_name') or 'Unnamed road'}{km} - {u.get('police_station') or ''}, {u.get('district') or ''}"
    n = detail.units.height or 1
    what = "road stretch" if u.get("kind") == "stretch" else "cell"
    return html.Div(
        children=[
            html.H3(title),
            html.P(
                f"Unit {unit} ({n} {what}{'es' if what.endswith('h') and n > 1 else 's' if n > 1 else ''})",
                className="muted",
            ),
            html.Div(className="kpis", children=[forecast_card(fc, 7), forecast_card(fc, 30)]),
            html.Div(
                className="card",
                children=[
                    html.H3("Why the model rates it so"),
                    html.Ul([html.Li(f) for f in factors.split("; ") if f]) or "-",
                    html.P(status, className="notice notice-warn" if b["blackspot"] else "notice"),
                ],
            ),
            html.Div(
                className="grid-2",
                children=[
                    graph_card(
                        figure=figures.history_figure(
                            detail.monthly, "Crashes per month, last 3 years"
                        )
                    ),
                    graph_card(figure=figures.heatmap_figure(detail.profile, "When in the week")),
                ],
            ),
            html.Div(
                className="card",
                children=[
                    html.H3("Recent crashes"),
                    dag.AgGrid(
                        columnDefs=CRASH_COLUMNS,
                        rowData=figures.records(detail.crashes),
                        className="ag-theme-alpine",
                        dashGridOptions={"suppressCellFocus": True},
                        style={"width": "100%", "height": "340px"},
                    ),
                ],
            ),
            html.Div(
                className="card",
                children=[
                    html.H3("Recent challans"),
                    html.P(f"Last 90 days by offence: {mix}", className="muted"),
                    dag.AgGrid(
                        columnDefs=CHALLAN_COLUMNS,
                        rowData=figures.records(detail.challans),
                        className="ag-theme-alpine",
                        style={"width": "100%", "height": "340px"},
                        dashGridOptions={"suppressCellFocus": True},
                    ),
                ],
            ),
        ]
    )


def update(unit: str | None, cells: str | None) -> object:
    """Detail of the chosen unit, if the caller's scope covers its district."""
    scope = require_scope()
    unit = inputs.text(unit, UNIT_MAX)
    if not unit:
        return notice("Choose a stretch above, or tap one on the Overview map or in the Risk list.")
    ids = unit_ids_of(unit, cells if unit.startswith("corridor:") else None)
    if ids == (unit,):
        ids = queries.members_of(app_store(), unit)  # a run of road stretches
    if not ids:
        return notice("This corridor link names no valid map cells.", "error")
    detail = queries.unit_detail(app_store(), ids, scope.district)
    districts = set(detail.units["district"].to_list()) if not detail.units.is_empty() else {None}
    if not all(scope.allows(d) for d in districts):
        audit("denied", {"asked_unit": unit, "scope": scope.district})
        return notice("This stretch is outside your district.", "error")
    if detail.units.is_empty() and detail.forecasts.is_empty():
        return notice(f"No unit {unit!r} in the warehouse.", "error")
    return detail_body(detail, unit)


def register_callbacks(app: Dash) -> None:
    """The page's callbacks."""
    app.callback(
        Output(f"{P}-pick", "options"), Input(f"{P}-pick", "id"), State(f"{P}-pick", "value")
    )(secured(pick_options))
    app.callback(
        Output(f"{P}-body", "children"), Input(f"{P}-pick", "value"), State(f"{P}-cells", "data")
    )(secured(update))
