"""Periods: weekly forecast with 80/95% bands, hour x weekday profile, upcoming risky weeks."""

from __future__ import annotations

import dash_ag_grid as dag
import polars as pl
from dash import Dash, Input, Output, html

from dash_app import figures, inputs, queries
from dash_app.auth import app_store, require_scope, scoped_district, secured
from dash_app.components import district_control, graph_card, heading, register_district_options

PATH = "/periods"
TITLE = "Periods"
P = "periods"
CAL_COLUMNS = [
    {"field": "period_start", "headerName": "Week from", "width": 112},
    {"field": "period_end", "headerName": "to", "width": 112},
    {"field": "expected", "headerName": "Crashes expected", "width": 95},
    {"field": "range80", "headerName": "80% range", "width": 90},
    {
        "field": "risk",
        "headerName": "Risk",
        "width": 80,
        "cellClass": {"function": "params.value == 'High' ? 'band band-high' : ''"},
    },
    {
        "field": "drivers",
        "headerName": "Why",
        "minWidth": 240,
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
            heading(
                "Periods", "When crashes are expected: weeks ahead, hours of the week, risky dates."
            ),
            html.Div(className="controls", children=[district_control(P)]),
            graph_card(f"{P}-weekly", loading=True),
            html.Div(
                className="grid-2",
                children=[
                    graph_card(f"{P}-heatmap"),
                    html.Div(
                        className="card",
                        children=[
                            html.H3("Upcoming weeks"),
                            dag.AgGrid(
                                id=f"{P}-calendar",
                                columnDefs=CAL_COLUMNS,
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


def calendar_rows(forecast: pl.DataFrame) -> list[dict]:
    """Upcoming weeks with their expected crashes, 80% range and the drivers of high-risk weeks."""
    if forecast.is_empty():
        return []
    rows = forecast.with_columns(
        pl.col("expected").round(0).cast(pl.Int64),
        pl.format(
            "{}-{}", pl.col("lo80").round(0).cast(pl.Int64), pl.col("hi80").round(0).cast(pl.Int64)
        ).alias("range80"),
        pl.when(pl.col("high_risk")).then(pl.lit("High")).otherwise(pl.lit("Usual")).alias("risk"),
    )
    return figures.records(
        rows.select("period_start", "period_end", "expected", "range80", "risk", "drivers")
    )


def update(district: str | None) -> tuple:
    """Weekly figure, heatmap and calendar for the caller's scope."""
    scope = require_scope()
    store = app_store()
    district = scoped_district(scope, inputs.text(district))
    where = figures.plain(district or "all districts")  # Plotly titles read HTML
    history, forecast = queries.period_series(store, district)
    weekly = figures.weekly_figure(
        history, forecast, f"Crashes per week, {where}: recorded and forecast"
    )
    heat = figures.heatmap_figure(
        queries.hour_profile(store, district), f"When in the week, {where}"
    )
    return weekly, heat, calendar_rows(forecast)


def register_callbacks(app: Dash) -> None:
    """The page's callbacks."""
    register_district_options(app, P)
    app.callback(
        Output(f"{P}-weekly", "figure"),
        Output(f"{P}-heatmap", "figure"),
        Output(f"{P}-calendar", "rowData"),
        Input(f"{P}-district", "value"),
    )(secured(update))
