"""Drives: did each enforcement drive cut crashes? The stored Empirical Bayes before/after study.

The list (one row per drive and the pooled row), one drive's crashes per month against what was
expected without it, its places on the map, the verdict, and downloads of the same rows as
``roadsafety drives evaluate --out``. District-scoped users see the drives touching their district,
their district's pooled row and only their district's places.
"""

from __future__ import annotations

import flask
from dash import Dash, Input, Output, State, ctx, dcc, html

from dash_app import drive_figures, figures, inputs
from dash_app.auth import app_store, audit, require_scope, scoped_district, secured
from dash_app.components import (
    district_control,
    download_buttons,
    heading,
    list_grid,
    notice,
    register_district_options,
)
from dash_app.drive_downloads import drive_download
from dash_app.i18n import t
from dash_app.queries import drives as q

PATH = "/drives"
TITLE = "Drives"
P = "drives"
NOT_EVALUATED = (
    "No drive has been evaluated yet. The data cell imports the drives "
    "(`roadsafety drives import FILE`) and runs `roadsafety drives evaluate`."
)
_PCT = {"function": "params.value == null ? '' : d3.format('+.0f')(params.value) + '%'"}
COLUMNS = [
    {"field": "drive_id", "headerName": "Drive", "width": 110, "pinned": "left"},
    {"field": "name", "headerName": "Name", "minWidth": 180},
    {"field": "places", "headerName": "Places", "width": 80},
    {"field": "after_start", "headerName": "From", "width": 105},
    {"field": "after_end", "headerName": "Data to", "width": 105},
    {"field": "crashes_before", "headerName": "Crashes before", "width": 100},
    {"field": "crashes_after", "headerName": "Crashes after", "width": 100},
    {"field": "expected_after_without_drive", "headerName": "Expected without drive", "width": 115},
    {"field": "change_pct", "headerName": "Change", "width": 90, "valueFormatter": _PCT},
    {"field": "ci_low_pct", "headerName": "90% range from", "width": 100, "valueFormatter": _PCT},
    {"field": "ci_high_pct", "headerName": "to", "width": 80, "valueFormatter": _PCT},
    {"field": "challans_before", "headerName": "Challans before", "width": 100},
    {"field": "challans_during", "headerName": "Challans during", "width": 100},
    {"field": "verdict", "headerName": "Verdict", "minWidth": 230, "flex": 1},
]


def layout(drive: str | None = None, **_: str) -> html.Div:
    """Page skeleton; ``drive`` (from a link ``/drives?drive=ID``) opens that drive's detail."""
    return html.Div(
        className="page",
        children=[
            heading(t("drives.title"), t("drives.subtitle")),
            html.Div(className="controls", children=[district_control(P)]),
            html.Div(id=f"{P}-info"),
            download_buttons(P),
            list_grid(
                f"{P}-grid",
                COLUMNS,
                None,
                dashGridOptions={
                    "rowSelection": "single",
                    "suppressCellFocus": True,
                    "domLayout": "autoHeight",
                },
                getRowId="params.data.drive_id + '|' + (params.data.scope || '')",
            ),
            dcc.Store(id=f"{P}-link", data=drive),
            dcc.Loading(html.Div(id=f"{P}-detail")),
            dcc.Download(id=f"{P}-download"),
        ],
    )


def update_list(district: str | None) -> tuple:
    """The drives of the caller's scope and the evaluation's context line."""
    scope = require_scope()
    store = app_store()
    district = scoped_district(scope, inputs.text(district))
    run = q.evaluation(store)
    rows = q.results(store, district)
    if run is None or rows.is_empty():
        return [], notice(NOT_EVALUATED, "warn")
    text = (
        f"Evaluated {run['evaluated_at']:%d %b %Y} on crash records {run['data_start']:%d %b %Y} to "
        f"{run['data_end']:%d %b %Y}; {district or 'all districts'}. Tap a drive for its chart and map."
    )
    return figures.records(rows), notice(text)


def drive_detail(drive: dict, district: str | None) -> html.Div:
    """Verdict, before/after chart and map of one drive (places of the reader's district only)."""
    store = app_store()
    places = q.places(store, drive["drive_id"], district)
    config = flask.current_app.config  # the basemap create_app was given
    tile = config.get("BASEMAP_URL")
    chart = drive_figures.before_after_figure(q.months(store, drive["drive_id"]), drive)
    body = [
        html.H3(f"{drive['drive_id']}: {drive['name']}"),
        html.P(drive_figures.verdict_text(drive), className="notice"),
        html.Div(
            className="grid-2",
            children=[
                html.Div(
                    className="card",
                    children=dcc.Graph(figure=chart, config={"displayModeBar": False}),
                ),
                html.Div(
                    className="card",
                    children=[
                        html.H3(f"Its places ({places.height})"),
                        drive_figures.places_map(places, tile, f"{P}-map")
                        if places.height
                        else "No place to draw.",
                    ],
                ),
            ],
        ),
    ]
    return html.Div(body)


def show_drive(selected: object, link: object, district: object) -> object:
    """The chosen row's detail, else the linked drive's (a pooled row has no single chart)."""
    scope = require_scope()
    rows = selected if isinstance(selected, list) else []
    chosen = inputs.record(rows[0]).get("drive_id") if rows else link
    drive_id = inputs.text(chosen, 100)
    if drive_id is None:
        return notice("Choose a drive in the list to see its months and places.")
    district = scoped_district(scope, inputs.text(district))
    allowed = q.results(app_store(), district)
    known = {} if allowed.is_empty() else {r["drive_id"]: r for r in allowed.iter_rows(named=True)}
    if drive_id not in known:
        audit("denied", {"asked_drive": drive_id, "scope": scope.district})
        return notice("This drive is outside your district.", "error")
    fresh = known[drive_id]
    if fresh["drive_id"] == "ALL":
        return notice(drive_figures.verdict_text(fresh))
    return drive_detail(fresh, district)


def register_callbacks(app: Dash) -> None:
    """The page's callbacks."""
    register_district_options(app, P)
    app.callback(
        Output(f"{P}-grid", "rowData"),
        Output(f"{P}-info", "children"),
        Input(f"{P}-district", "value"),
    )(secured(update_list))
    app.callback(
        Output(f"{P}-detail", "children"),
        Input(f"{P}-grid", "selectedRows"),
        Input(f"{P}-link", "data"),
        State(f"{P}-district", "value"),
    )(secured(show_drive))

    @app.callback(
        Output(f"{P}-download", "data"),
        Output(f"{P}-dl-msg", "children"),
        Input(f"{P}-dl-csv", "n_clicks"),
        Input(f"{P}-dl-xlsx", "n_clicks"),
        Input(f"{P}-dl-pdf", "n_clicks"),
        State(f"{P}-district", "value"),
        prevent_initial_call=True,
    )
    @secured
    def download(_c, _x, _p, district):
        fmt = str(ctx.triggered_id).rsplit("-", 1)[-1]
        scope = require_scope()
        district = scoped_district(scope, inputs.text(district))
        return drive_download(app_store(), scope, district, fmt)
