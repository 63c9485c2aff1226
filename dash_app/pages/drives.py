"""Drives: did each enforcement drive cut crashes? The stored Empirical Bayes before/after study.

The list (one row per drive and the pooled row), one drive's crashes per month against what was
expected without it, its places on the map, the verdict, and downloads of the same rows as
``roadsafety drives evaluate --out``. District-scoped users see the drives touching their district,
their district's pooled row and only their district's places.
"""

from __future__ import annotations

import flask
import polars as pl
from dash import Dash, Input, Output, State, dcc, html

from dash_app import drive_figures, figures, i18n, inputs
from dash_app.auth import app_store, audit, require_scope, scoped_district, secured
from dash_app.components import (
    district_control,
    download_buttons,
    heading,
    list_grid,
    notice,
    register_district_options,
    register_download_buttons,
)
from dash_app.drive_downloads import drive_download
from dash_app.i18n import t
from dash_app.queries import drives as q
from roadsafety.vocabulary import date_label, verdict_label

PATH = "/drives"
TITLE = "Drives"
P = "drives"
_PCT = {"function": "params.value == null ? '' : d3.format('+.0f')(params.value) + '%'"}
COLUMN_SPEC = (  # field, header key, width, pinned/extra
    ("drive_id", "drives.col.drive", 110),
    ("name", "drives.col.name", 180),
    ("places", "drives.col.places", 80),
    ("after_start", "drives.col.from", 105),
    ("after_end", "drives.col.data_to", 105),
    ("crashes_before", "drives.col.before", 100),
    ("crashes_after", "drives.col.after", 100),
    ("expected_after_without_drive", "drives.col.expected", 115),
    ("change_pct", "drives.col.change", 90),
    ("ci_low_pct", "drives.col.ci_low", 100),
    ("ci_high_pct", "periods.to", 80),
    ("challans_before", "drives.col.challans_before", 100),
    ("challans_during", "drives.col.challans_during", 100),
    ("verdict", "drives.col.verdict", 230),
)


def columns() -> list[dict]:
    """The drives grid's columns, headers in the caller's language."""
    cols = []
    for field, key, width in COLUMN_SPEC:
        col = {"field": field, "headerName": t(key), "width": width}
        if field.endswith("_pct"):
            col["valueFormatter"] = _PCT
        cols.append(col)
    cols[0]["pinned"] = "left"
    cols[1] = {"field": "name", "headerName": t("drives.col.name"), "minWidth": 180}
    cols[-1] = {
        "field": "verdict",
        "headerName": t("drives.col.verdict"),
        "minWidth": 230,
        "flex": 1,
    }
    return cols


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
                columns(),
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
        return [], notice(t("drives.not_evaluated"), "warn")
    lang = i18n.current()
    text = t(
        "drives.info",
        when=f"{date_label(run['evaluated_at'], lang)} {run['evaluated_at']:%Y}",
        start=f"{date_label(run['data_start'], lang)} {run['data_start']:%Y}",
        end=f"{date_label(run['data_end'], lang)} {run['data_end']:%Y}",
        where=district or t("app.all_districts"),
    )
    if lang != "en":  # stored verdicts are English: shown in the reader's language
        shown = pl.col("verdict").map_elements(lambda v: verdict_label(v, lang), pl.Utf8)
        rows = rows.with_columns(shown)
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
                        html.H3(t("drives.places", n=places.height)),
                        drive_figures.places_map(places, tile, f"{P}-map")
                        if places.height
                        else t("drives.no_place"),
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
        return notice(t("drives.choose"))
    district = scoped_district(scope, inputs.text(district))
    allowed = q.results(app_store(), district)
    known = {} if allowed.is_empty() else {r["drive_id"]: r for r in allowed.iter_rows(named=True)}
    if drive_id not in known:
        audit("denied", {"asked_drive": drive_id, "scope": scope.district})
        return notice(t("drives.outside"), "error")
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

    def download(fmt, district):
        scope = require_scope()
        district = scoped_district(scope, inputs.text(district))
        return drive_download(app_store(), scope, district, fmt)

    register_download_buttons(app, P, [State(f"{P}-district", "value")], download)
