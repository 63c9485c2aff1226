"""Overview: forecast crashes for the next 7 and 30 days against last year, the risk map, alerts."""

from __future__ import annotations

from urllib.parse import urlencode

import flask
import polars as pl
from dash import ALL, Dash, Input, Output, ctx, dcc, html
from dash.exceptions import PreventUpdate

from dash_app import figures, inputs, queries
from dash_app.auth import app_store, require_scope, scoped_district, secured
from dash_app.components import (
    NO_FORECAST,
    WINDOWS,
    district_control,
    heading,
    notice,
    register_district_options,
    window_control,
)

PATH = "/"
TITLE = "Overview"
P = "overview"


def layout(**_: str) -> html.Div:
    """Page skeleton; data arrives through the callbacks (which check the login)."""
    return html.Div(
        className="page",
        children=[
            heading("Overview", "Crashes the model expects in the coming days, and where."),
            html.Div(className="controls", children=[district_control(P), window_control(P)]),
            dcc.Loading(html.Div(id=f"{P}-kpis", className="kpis")),
            html.Div(id=f"{P}-alerts"),
            html.Div(
                className="card",
                children=[
                    html.H3("Where the risk is", id=f"{P}-map-title"),
                    dcc.Loading(html.Div(id=f"{P}-map-box", className="map-box")),
                    figures.map_legend(),
                ],
            ),
            dcc.Location(id=f"{P}-nav", refresh="callback-nav"),
        ],
    )


def alert_items(rows: pl.DataFrame) -> html.Div | None:
    """Boxed list of the weeks ahead to watch, high-risk ones marked (None when there are none)."""
    if rows.is_empty():
        return None
    items = [
        html.Li(
            [
                html.B(f"Week of {r['period_start']:%a %d %b}: "),
                html.Span("HIGH RISK - ", className="alert-high") if r["high_risk"] else "",
                f"about {figures.fmt_num(r['expected'], 0)} crashes expected",
                f" ({r['drivers']})" if r["drivers"] else "",
            ]
        )
        for r in rows.iter_rows(named=True)
    ]
    return html.Div(
        className="notice notice-warn", children=[html.B("Weeks ahead to watch"), html.Ul(items)]
    )


def corridor_href(unit_id: str) -> str:
    """Link to the corridor detail page of one unit."""
    return "/corridor?" + urlencode({"unit": unit_id})


def update(district: str | None, window: int) -> tuple:
    """KPI cards, alerts and the risk map for the caller's scope."""
    scope = require_scope()
    store = app_store()
    district = scoped_district(scope, inputs.text(district))
    window = inputs.choice(window, WINDOWS, 7)
    if queries.run_of(store, window) is None:
        return notice(NO_FORECAST, "warn"), None, None, "Where the risk is"
    kpis = figures.kpi_cards(queries.kpis(store, district))
    units = queries.forecast_units(store, window, district)
    config = flask.current_app.config  # the basemap create_app was given
    tile, attribution = config.get("BASEMAP_URL"), config.get("BASEMAP_ATTRIBUTION")
    paths = queries.stretch_paths(store)
    risk_map = figures.risk_map(units, tile, attribution, f"{P}-map", paths)
    run = queries.run_of(store, window)
    title = f"Where the risk is: {run.window_start:%d %b} - {run.window_end:%d %b} ({district or 'all districts'})"
    return kpis, alert_items(queries.alerts(store, district)), risk_map, title


def register_callbacks(app: Dash) -> None:
    """The page's callbacks."""
    register_district_options(app, P)
    app.callback(
        Output(f"{P}-kpis", "children"),
        Output(f"{P}-alerts", "children"),
        Output(f"{P}-map-box", "children"),
        Output(f"{P}-map-title", "children"),
        Input(f"{P}-district", "value"),
        Input(f"{P}-window", "value"),
    )(secured(update))

    @app.callback(
        Output(f"{P}-nav", "href"),
        Input({"type": "map-band", "band": ALL}, "clickData"),
        prevent_initial_call=True,
    )
    @secured
    def open_unit(clicks: list) -> str:
        feature = inputs.record(ctx.triggered[0]["value"] if ctx.triggered else None)
        unit = inputs.text(inputs.record(feature.get("properties")).get("unit_id"), 300)
        if unit is None:
            raise PreventUpdate
        return corridor_href(unit)
