"""Risk list: the ranked rows of ``export risk-list`` in a grid, with filters and audited downloads."""

from __future__ import annotations

from urllib.parse import urlencode

from dash import Dash, Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate

from dash_app import downloads, figures, inputs, queries
from dash_app.auth import app_store, require_scope, scoped_district, secured
from dash_app.components import (
    WINDOWS,
    choice,
    control,
    district_control,
    download_buttons,
    heading,
    list_grid,
    notice,
    register_district_options,
    window_control,
)
from dash_app.i18n import t
from dash_app.pages.overview import corridor_href

PATH = "/risk-list"
TITLE = "Risk list"
P = "risk"
ROW_CHOICES = (50, 100, 200, 500)
SEVERITIES = ("all", "fatal_grievous")
BAND_CHOICES = [
    {"label": "All bands", "value": "low"},
    {"label": f"{figures.BAND_LABELS['medium']} and above", "value": "medium"},
    {"label": f"{figures.BAND_LABELS['high']} and above", "value": "high"},
    {"label": f"{figures.BAND_LABELS['very_high']} only", "value": "very_high"},
]
RANK_CHOICES = [
    {"label": "All crashes", "value": "all"},
    {"label": "Fatal + grievous", "value": "fatal_grievous"},
]
_NUM = {"function": "params.value == null ? '' : d3.format(',.2f')(params.value)"}
_KM = {"function": "params.value == null ? '' : d3.format('~g')(params.value)"}
ROAD_WIDE_TITLE = "Whole roads in a station area: no GPS, no km marker"
ROAD_WIDE_TEXT = (
    "Each row is a road named in FIRs that carry neither coordinates nor a km stone, over a whole "
    "police-station area (often 10 km or more). They are ranked among themselves and never "
    "against the places above: their expected crashes add up a long road. Ask the station for km "
    "markers or GPS to turn them into places."
)
COLUMNS = [
    {"field": "rank", "headerName": "#", "width": 70, "pinned": "left"},
    {"field": "road_name", "headerName": "Road", "minWidth": 120, "pinned": "left"},
    {"field": "km_from", "headerName": "km from", "width": 85, "valueFormatter": _KM},
    {"field": "km_to", "headerName": "km to", "width": 80, "valueFormatter": _KM},
    {"field": "police_station", "headerName": "Police station", "minWidth": 150},
    {"field": "district", "headerName": "District", "width": 110},
    {
        "field": "expected_crashes",
        "headerName": "Crashes expected",
        "valueFormatter": _NUM,
        "width": 105,
    },
    {
        "field": "expected_fatal_grievous",
        "headerName": "Fatal or grievous",
        "valueFormatter": _NUM,
        "width": 105,
    },
    {
        "field": "risk_band",
        "headerName": "Band",
        "width": 100,
        "valueFormatter": figures.BAND_FORMATTER,
        "cellClass": {"function": "'band band-' + params.value"},
    },
    {
        "field": "peak_window",
        "headerName": "When (peak)",
        "width": 165,
        "wrapText": True,
        "autoHeight": True,
    },
    {
        "field": "top_factors",
        "headerName": "Why",
        "minWidth": 260,
        "flex": 1,
        "wrapText": True,
        "autoHeight": True,
    },
    {"field": "unit_id", "headerName": "Unit", "minWidth": 160, "hide": True},
    {"field": "h3_cell", "headerName": "H3 cells", "minWidth": 160, "hide": True},
    {"field": "latitude", "hide": True},
    {"field": "longitude", "hide": True},
]


def layout(**_: str) -> html.Div:
    """Page skeleton with filters, download buttons and the grid."""
    return html.Div(
        className="page",
        children=[
            heading(
                "Risk list", "Ranked stretches for drives: the same rows as the exported lists."
            ),
            html.Div(
                className="controls",
                children=[
                    district_control(P),
                    control(
                        "Police station",
                        dcc.Dropdown(id=f"{P}-ps", placeholder="All police stations"),
                    ),
                    window_control(P),
                    control("Rank by", choice(f"{P}-severity", RANK_CHOICES, "all")),
                    control(
                        "Band",
                        dcc.Dropdown(
                            id=f"{P}-band", options=BAND_CHOICES, value="low", clearable=False
                        ),
                    ),
                    control(
                        "Rows",
                        dcc.Dropdown(
                            id=f"{P}-top", options=list(ROW_CHOICES), value=100, clearable=False
                        ),
                    ),
                    dcc.Checklist(
                        id=f"{P}-merge",
                        options=[
                            {"label": " Merge adjacent cells into corridors", "value": "merge"}
                        ],
                        value=[],
                        className="check",
                    ),
                ],
            ),
            download_buttons(P, "Download PDF drive sheet"),
            html.Div(id=f"{P}-summary", className="summary"),
            list_grid(
                f"{P}-grid",
                COLUMNS,
                "62vh",
                filterable=True,
                dashGridOptions={"rowHeight": 34, "domLayout": "normal", "suppressCellFocus": True},
                getRowId="params.data.unit_id",
            ),
            html.H3(ROAD_WIDE_TITLE, id=f"{P}-wide-title", className="section-title"),
            html.P(ROAD_WIDE_TEXT, className="hint"),
            list_grid(
                f"{P}-wide-grid",
                [c for c in COLUMNS if c["field"] not in ("km_from", "km_to")],
                None,
                filterable=True,
                dashGridOptions={"rowHeight": 34, "domLayout": "autoHeight"},
                getRowId="params.data.unit_id",
            ),
            dcc.Download(id=f"{P}-download"),
            dcc.Location(id=f"{P}-nav", refresh="callback-nav"),
        ],
    )


def list_params(
    district: str | None,
    ps: object,
    severity: object,
    band: object,
    top: object,
    merge: object,
    road_wide: bool = False,
) -> dict:
    """Risk-list filter options (the exports module's ``RiskListFilter`` fields).

    ``district`` is already scoped; the other values come from the browser and are normalised
    (an unknown value falls back to the control's default).
    """
    band = inputs.choice(band, [b["value"] for b in BAND_CHOICES], "low")
    return {
        "top": inputs.whole(top, 1, max(ROW_CHOICES), 100),
        "district": district,
        "police_station": inputs.text(ps),
        "severity": inputs.choice(severity, SEVERITIES, "all"),
        "min_band": band if band != "low" else None,
        "merge": bool(inputs.flags(merge, ("merge",))) and not road_wide,
        "road_wide": road_wide,
    }


def update_grid(
    district: str | None,
    ps: str | None,
    window: int,
    severity: str,
    band: str,
    top: int,
    merge: list,
) -> tuple[list[dict], object, list[dict], str]:
    """Rows of the list (places) and of the road-wide section for the filters, forced to the
    caller's district scope."""
    scope = require_scope()
    store = app_store()
    window = inputs.choice(window, WINDOWS, 7)
    run = queries.run_of(store, window)
    if run is None:
        return [], notice(t("ctl.no_forecast"), "warn"), [], ROAD_WIDE_TITLE
    where = scoped_district(scope, inputs.text(district))
    params = list_params(where, ps, severity, band, top, merge)
    rows = queries.risk_rows(store, window, params)
    wide = queries.risk_rows(store, window, list_params(where, ps, severity, band, top, [], True))
    text = (
        f"{rows.height} places - forecast for {run.window_start:%d %b %Y} to {run.window_end:%d %b %Y}, "
        f"model {run.version_id}, data up to {run.data_cutoff or 'n/a'}. Tap a row for its detail."
    )
    title = f"{ROAD_WIDE_TITLE} ({wide.height})"
    return figures.records(rows), text, figures.records(wide), title


def police_station_options(district: str | None) -> list[str]:
    """Police stations of the chosen district (or of the caller's scope)."""
    scope = require_scope()
    return queries.police_stations(app_store(), scope.district_for(inputs.text(district)))


def register_callbacks(app: Dash) -> None:
    """The page's callbacks."""
    register_district_options(app, P)
    app.callback(Output(f"{P}-ps", "options"), Input(f"{P}-district", "value"))(
        secured(police_station_options)
    )
    filters = [
        Input(f"{P}-{k}", "value")
        for k in ("district", "ps", "window", "severity", "band", "top", "merge")
    ]
    app.callback(
        Output(f"{P}-grid", "rowData"),
        Output(f"{P}-summary", "children"),
        Output(f"{P}-wide-grid", "rowData"),
        Output(f"{P}-wide-title", "children"),
        *filters,
    )(secured(update_grid))

    @app.callback(
        Output(f"{P}-download", "data"),
        Output(f"{P}-dl-msg", "children"),
        Input(f"{P}-dl-csv", "n_clicks"),
        Input(f"{P}-dl-xlsx", "n_clicks"),
        Input(f"{P}-dl-pdf", "n_clicks"),
        *[
            State(f"{P}-{k}", "value")
            for k in ("district", "ps", "window", "severity", "band", "top", "merge")
        ],
        prevent_initial_call=True,
    )
    @secured
    def download(_c, _x, _p, district, ps, window, severity, band, top, merge):
        fmt = str(ctx.triggered_id).rsplit("-", 1)[-1]
        scope = require_scope()
        params = list_params(
            scoped_district(scope, inputs.text(district)), ps, severity, band, top, merge
        )
        window = inputs.choice(window, WINDOWS, 7)
        return downloads.risk_list_download(app_store(), scope, window, params, fmt)

    @app.callback(
        Output(f"{P}-nav", "href"),
        Input(f"{P}-grid", "cellClicked"),
        Input(f"{P}-wide-grid", "cellClicked"),
        State(f"{P}-grid", "rowData"),
        State(f"{P}-wide-grid", "rowData"),
        prevent_initial_call=True,
    )
    @secured
    def open_row(cell: object, wide_cell: object, rows: object, wide_rows: object) -> str:
        clicked = wide_cell if ctx.triggered_id == f"{P}-wide-grid" else cell
        unit = inputs.text(inputs.record(clicked).get("rowId"), 300)
        every = [r for r in (rows, wide_rows) if isinstance(r, list) for r in r]
        row = next(
            (r for r in map(inputs.record, every) if unit and r.get("unit_id") == unit), None
        )
        if row is None:
            raise PreventUpdate
        return row_href(row)


def row_href(row: dict) -> str:
    """Corridor-detail link of a list row (a merged corridor passes its cells)."""
    cells = row.get("h3_cell") if isinstance(row.get("h3_cell"), str) else ""
    if ";" in cells:
        return "/corridor?" + urlencode({"unit": row["unit_id"], "cells": cells})
    return corridor_href(row["unit_id"])
