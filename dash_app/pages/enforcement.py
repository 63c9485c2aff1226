"""Enforcement vs risk: challans against forecast risk, and the enforcement-gap list."""

from __future__ import annotations

from dash import Dash, Input, Output, html

from dash_app import figures, i18n, inputs, queries
from dash_app.auth import app_store, require_scope, scoped_district, secured
from dash_app.components import (
    WINDOWS,
    district_control,
    graph_card,
    heading,
    list_grid,
    notice,
    register_district_options,
    window_control,
)
from dash_app.i18n import t

PATH = "/enforcement"
TITLE = "Enforcement"
P = "enf"
_NUM = {"function": "params.value == null ? '' : d3.format(',.2f')(params.value)"}


def gap_columns() -> list[dict]:
    """The gap list's columns, headers and band labels in the caller's language."""
    return [
        {"field": "rank", "headerName": "#", "width": 70, "pinned": "left"},
        {"field": "road_name", "headerName": t("col.road"), "minWidth": 120, "pinned": "left"},
        {"field": "police_station", "headerName": t("col.station"), "minWidth": 150},
        {"field": "district", "headerName": t("col.district"), "width": 110},
        {
            "field": "risk_band",
            "headerName": t("risk.band"),
            "width": 100,
            "valueFormatter": figures.label_formatter("band", i18n.current()),
            "cellClass": {"function": "'band band-' + params.value"},
        },
        {
            "field": "expected_crashes_per_90d",
            "headerName": t("enf.expected_90"),
            "valueFormatter": _NUM,
            "width": 170,
        },
        {"field": "recent_challans", "headerName": t("enf.challans_90"), "width": 150},
        {
            "field": "challans_per_expected_crash",
            "headerName": t("enf.per_crash"),
            "valueFormatter": _NUM,
            "width": 150,
        },
        {
            "field": "peak_window",
            "headerName": t("risk.peak"),
            "minWidth": 170,
            "valueFormatter": figures.window_formatter(i18n.current()),
        },
        {
            "field": "gap_reason",
            "headerName": t("enf.why_listed"),
            "minWidth": 260,
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
            heading(t("enf.title"), t("enf.subtitle")),
            html.Div(className="controls", children=[district_control(P), window_control(P)]),
            html.Div(id=f"{P}-note"),
            html.Div(
                className="grid-2",
                children=[
                    graph_card(f"{P}-scatter", loading=True),
                    graph_card(f"{P}-offences"),
                ],
            ),
            html.Div(
                className="card",
                children=[
                    html.H3(t("enf.gap_title")),
                    list_grid(
                        f"{P}-grid",
                        gap_columns(),
                        "50vh",
                        dashGridOptions={"suppressCellFocus": True},
                    ),
                ],
            ),
        ],
    )


def update(district: str | None, window: int) -> tuple:
    """Scatter, offence mix and gap list for the caller's scope."""
    scope = require_scope()
    store = app_store()
    district = scoped_district(scope, inputs.text(district))
    window = inputs.choice(window, WINDOWS, 7)
    if queries.run_of(store, window) is None:
        empty = figures.empty_figure(t("enf.no_forecast"))
        return notice(t("ctl.no_forecast"), "warn"), empty, empty, []
    units = queries.enforcement(store, window, district)
    gap = queries.enforcement_gap(store, window, {"district": district, "top": 200})
    return (
        None,
        figures.enforcement_figure(units),
        figures.offence_figure(queries.offence_mix(store, district)),
        figures.records(gap),
    )


def register_callbacks(app: Dash) -> None:
    """The page's callbacks."""
    register_district_options(app, P)
    app.callback(
        Output(f"{P}-note", "children"),
        Output(f"{P}-scatter", "figure"),
        Output(f"{P}-offences", "figure"),
        Output(f"{P}-grid", "rowData"),
        Input(f"{P}-district", "value"),
        Input(f"{P}-window", "value"),
    )(secured(update))
