"""Periods: weekly forecast with 80/95% bands, hour x weekday profile, upcoming risky weeks."""

from __future__ import annotations

from datetime import date

import dash_ag_grid as dag
import polars as pl
from dash import Dash, Input, Output, html

from dash_app import figures, i18n, inputs, queries
from dash_app.auth import app_store, require_scope, scoped_district, secured
from dash_app.components import district_control, graph_card, heading, register_district_options
from dash_app.i18n import t
from roadsafety.vocabulary import date_label

PATH = "/periods"
TITLE = "Periods"
P = "periods"


def cal_columns() -> list[dict]:
    """The upcoming-weeks grid's columns, headers in the caller's language (Risk and Why kept
    visible on a phone: narrow fixed columns, Why wraps)."""
    return [
        {"field": "period_start", "headerName": t("periods.week_from"), "width": 78},
        {"field": "expected", "headerName": t("periods.expected_range"), "width": 92},
        {
            "field": "risk",
            "headerName": t("periods.risk"),
            "width": 68,
            "cellClass": {"function": "params.data.high ? 'band band-high' : ''"},
        },
        {
            "field": "drivers",
            "headerName": t("periods.why"),
            "minWidth": 96,
            "flex": 1,
            "wrapText": True,
            "autoHeight": True,
        },
    ]


def layout(**_: str) -> html.Div:
    """Page skeleton."""
    return html.Div(
        className="page",
        children=[
            heading(t("page.periods"), t("periods.subtitle")),
            html.Div(className="controls", children=[district_control(P)]),
            graph_card(f"{P}-weekly", loading=True),
            html.P(t("periods.part_note"), className="muted small"),
            html.Div(
                className="grid-2",
                children=[
                    graph_card(f"{P}-heatmap"),
                    html.Div(
                        className="card",
                        children=[
                            html.H3(t("periods.upcoming")),
                            dag.AgGrid(
                                id=f"{P}-calendar",
                                columnDefs=cal_columns(),
                                rowData=[],
                                className="ag-theme-alpine",
                                defaultColDef={"wrapHeaderText": True, "autoHeaderHeight": True},
                                dashGridOptions={
                                    "domLayout": "autoHeight",
                                    "suppressCellFocus": True,
                                },
                                style={"width": "100%"},
                            ),
                        ],
                    ),
                ],
            ),
        ],
    )


def calendar_rows(forecast: pl.DataFrame, today: date) -> list[dict]:
    """Weeks starting today or later with their expected crashes, 80% range and the reasons."""
    if forecast.is_empty():
        return []
    lang = i18n.current()
    rows = forecast.filter(pl.col("period_start") >= today).with_columns(
        pl.col("expected").round(0).cast(pl.Int64),
        pl.format(
            "{}-{}", pl.col("lo80").round(0).cast(pl.Int64), pl.col("hi80").round(0).cast(pl.Int64)
        ).alias("range80"),
    )
    return [
        {
            "period_start": date_label(r["period_start"], lang),
            "expected": f"{r['expected']} ({r['range80']})",
            "risk": t("periods.risk_high" if r["high_risk"] else "periods.risk_usual"),
            "high": bool(r["high_risk"]),
            "drivers": figures.drivers_text(r["drivers"]),
        }
        for r in rows.iter_rows(named=True)
    ]


def update(district: str | None) -> tuple:
    """Weekly figure, heatmap and calendar for the caller's scope."""
    scope = require_scope()
    store = app_store()
    district = scoped_district(scope, inputs.text(district))
    where = figures.plain(district or t("app.all_districts"))  # Plotly titles read HTML
    history, forecast = queries.period_series(store, district)
    weekly = figures.weekly_figure(history, forecast, t("periods.weekly_title", where=where))
    heat = figures.heatmap_figure(
        queries.hour_profile(store, district), t("periods.heat_title", where=where)
    )
    return weekly, heat, calendar_rows(forecast, store.today())


def register_callbacks(app: Dash) -> None:
    """The page's callbacks."""
    register_district_options(app, P)
    app.callback(
        Output(f"{P}-weekly", "figure"),
        Output(f"{P}-heatmap", "figure"),
        Output(f"{P}-calendar", "rowData"),
        Input(f"{P}-district", "value"),
    )(secured(update))
