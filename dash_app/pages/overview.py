"""Overview: forecast crashes for the next 7 and 30 days against last year, the risk map, alerts."""

from __future__ import annotations

from urllib.parse import urlencode

import flask
from dash import ALL, Dash, Input, Output, ctx, dcc, html
from dash.exceptions import PreventUpdate

from dash_app import figures, i18n, inputs, maps, queries
from dash_app.auth import app_store, require_scope, scoped_district, secured
from dash_app.components import (
    WINDOWS,
    district_control,
    heading,
    notice,
    register_district_options,
    window_control,
)
from dash_app.i18n import t
from roadsafety.vocabulary import date_label

PATH = "/"
TITLE = "Overview"
P = "overview"


def layout(**_: str) -> html.Div:
    """Page skeleton; data arrives through the callbacks (which check the login)."""
    return html.Div(
        className="page",
        children=[
            heading(t("page.overview"), t("overview.subtitle")),
            html.Div(className="controls", children=[district_control(P), window_control(P)]),
            dcc.Loading(html.Div(id=f"{P}-kpis")),
            html.Div(id=f"{P}-alerts"),
            html.Div(
                className="card",
                children=[
                    html.H3(t("map.title"), id=f"{P}-map-title"),
                    dcc.Loading(html.Div(id=f"{P}-map-box", className="map-box")),
                    maps.map_legend(),
                ],
            ),
            dcc.Location(id=f"{P}-nav", refresh="callback-nav"),
        ],
    )


def alert_items(weeks: list) -> html.Div | None:
    """Boxed list of the weeks ahead to watch (``(period row, Total)`` pairs), high-risk ones
    marked, each with the same sum as the cards and the same week last year (None when none)."""
    if not weeks:
        return None
    lang = i18n.current()
    items = [
        html.Li(
            [
                html.B(t("alerts.week", date=date_label(r["period_start"], lang, weekday=True))),
                html.Span(t("alerts.high"), className="alert-high") if r["high_risk"] else "",
                t(
                    "alerts.expected",
                    n=figures.fmt_num(total.crashes, 0),
                    ly=total.last_year_crashes,
                ),
                f" ({figures.drivers_text(r['drivers'])})" if r["drivers"] else "",
            ]
        )
        for r, total in weeks
    ]
    return html.Div(
        className="notice notice-warn", children=[html.B(t("alerts.title")), html.Ul(items)]
    )


def kpi_block(store: queries.AppStore, district: str | None) -> list:
    """The window cards and, under them, how their totals are made."""
    totals = queries.kpis(store, district)
    sources = {total.source for _, total in totals}
    note = t("kpi.source_places") if "places" in sources else t("kpi.source_weekly")
    return [
        html.Div(figures.kpi_cards(totals), className="kpis"),
        html.P(note, className="kpi-note"),
    ]


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
        return notice(t("ctl.no_forecast"), "warn"), None, None, t("map.title")
    kpis = kpi_block(store, district)
    units = queries.forecast_units(store, window, district)
    config = flask.current_app.config  # the basemap create_app was given
    tile, attribution = config.get("BASEMAP_URL"), config.get("BASEMAP_ATTRIBUTION")
    paths = queries.stretch_paths(store)
    risk_map = maps.risk_map(units, tile, attribution, f"{P}-map", paths)
    run = queries.run_of(store, window)
    lang = i18n.current()
    title = t(
        "map.title_dates",
        start=date_label(run.window_start, lang),
        end=date_label(run.window_end, lang),
        where=district or t("app.all_districts"),
    )
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
