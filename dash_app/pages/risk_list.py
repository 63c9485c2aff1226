"""Risk list: the ranked rows of ``export risk-list`` in a grid, with filters and audited downloads."""

from __future__ import annotations

from urllib.parse import urlencode

from dash import Dash, Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate

from dash_app import downloads, figures, i18n, inputs, queries
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
    register_download_buttons,
    window_control,
)
from dash_app.i18n import t
from dash_app.pages.overview import corridor_href
from roadsafety import vocabulary
from roadsafety.vocabulary import date_label

PATH = "/risk-list"
TITLE = "Risk list"
P = "risk"
ROW_CHOICES = (50, 100, 200, 500)
SEVERITIES = ("all", "fatal_grievous")


def band_choices() -> list[dict]:
    """Minimum-band options in the caller's language."""
    names = i18n.band_labels()
    return [
        {"label": t("risk.all_bands"), "value": "low"},
        {"label": t("risk.and_above", band=names["medium"]), "value": "medium"},
        {"label": t("risk.and_above", band=names["high"]), "value": "high"},
        {"label": t("risk.only", band=names["very_high"]), "value": "very_high"},
    ]


BAND_VALUES = ("low", "medium", "high", "very_high")
_NUM = {"function": "params.value == null ? '' : d3.format(',.2f')(params.value)"}
_KM = {"function": "params.value == null ? '' : d3.format('~g')(params.value)"}


def columns() -> list[dict]:
    """The list grid's columns, headers and band labels in the caller's language."""
    lang = i18n.current()
    return [
        {"field": "rank", "headerName": "#", "width": 70, "pinned": "left"},
        {"field": "road_name", "headerName": t("col.road"), "minWidth": 120, "pinned": "left"},
        {"field": "km_from", "headerName": t("risk.km_from"), "width": 85, "valueFormatter": _KM},
        {"field": "km_to", "headerName": t("risk.km_to"), "width": 80, "valueFormatter": _KM},
        {"field": "police_station", "headerName": t("col.station"), "minWidth": 150},
        {"field": "district", "headerName": t("col.district"), "width": 110},
        {
            "field": "expected_crashes",
            "headerName": t("periods.expected"),
            "valueFormatter": _NUM,
            "width": 105,
        },
        {
            "field": "expected_fatal_grievous",
            "headerName": i18n.key_label("fatal_grievous"),
            "valueFormatter": _NUM,
            "width": 105,
        },
        {
            "field": "risk_band",
            "headerName": t("risk.band"),
            "width": 100,
            "valueFormatter": figures.label_formatter("band", lang),
            "cellClass": {"function": "'band band-' + params.value"},
        },
        {
            "field": "peak_window",
            "headerName": t("risk.peak"),
            "valueFormatter": figures.window_formatter(lang),
            "width": 165,
            "wrapText": True,
            "autoHeight": True,
        },
        {
            "field": "top_factors",
            "headerName": t("periods.why"),
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


def risk_card(row: dict) -> dcc.Link:
    """One list row as a phone card: rank, place, expected crashes, band and peak time; a tap
    opens its detail."""
    km = (
        f" km {row['km_from']:g}-{row['km_to']:g}"
        if row.get("km_from") is not None and row.get("km_to") is not None
        else ""
    )
    band = row.get("risk_band")
    return dcc.Link(
        href=row_href(row),
        className="risk-card",
        children=[
            html.Span(f"#{row['rank']}", className="risk-card-rank"),
            html.Div(
                className="risk-card-body",
                children=[
                    html.Div(
                        f"{row.get('road_name') or t('map.unnamed')}{km}",
                        className="risk-card-road",
                    ),
                    html.Div(
                        ", ".join(x for x in (row.get("police_station"), row.get("district")) if x),
                        className="muted",
                    ),
                    html.Div(
                        [
                            html.B(figures.fmt_num(row.get("expected_crashes"), 2)),
                            t("kpi.crashes"),
                            " ",
                            html.Span(i18n.key_label(band), className=f"band band-{band}"),
                        ]
                    ),
                    html.Div(t("corridor.peak", peak=i18n.window(row.get("peak_window")))),
                ],
            ),
        ],
    )


def risk_cards(rows: list[dict]) -> list:
    """The rows as cards (shown instead of the grid on a narrow screen)."""
    return [risk_card(r) for r in rows]


def layout(**_: str) -> html.Div:
    """Page skeleton with filters, download buttons, the grid (cards on a phone)."""
    cols = columns()
    return html.Div(
        className="page",
        children=[
            heading(t("page.risk_list"), t("risk.subtitle")),
            html.Div(
                className="controls",
                children=[
                    district_control(P),
                    control(
                        t("col.station"),
                        dcc.Dropdown(id=f"{P}-ps", placeholder=t("risk.all_stations")),
                    ),
                    window_control(P),
                    control(
                        t("risk.rank_by"),
                        choice(
                            f"{P}-severity",
                            [
                                {"label": t("fig.all"), "value": "all"},
                                {
                                    "label": i18n.key_label("fatal_grievous"),
                                    "value": "fatal_grievous",
                                },
                            ],
                            "all",
                        ),
                    ),
                    control(
                        t("risk.band"),
                        dcc.Dropdown(
                            id=f"{P}-band", options=band_choices(), value="low", clearable=False
                        ),
                    ),
                    control(
                        t("risk.rows"),
                        dcc.Dropdown(
                            id=f"{P}-top", options=list(ROW_CHOICES), value=100, clearable=False
                        ),
                    ),
                    dcc.Checklist(
                        id=f"{P}-merge",
                        options=[{"label": " " + t("risk.merge"), "value": "merge"}],
                        value=[],
                        className="check",
                    ),
                ],
            ),
            download_buttons(P, t("risk.pdf")),
            html.Div(id=f"{P}-summary", className="summary"),
            html.P(vocabulary.band_explanation(i18n.current()), className="muted small"),
            list_grid(
                f"{P}-grid",
                cols,
                "62vh",
                filterable=True,
                dashGridOptions={"rowHeight": 34, "domLayout": "normal", "suppressCellFocus": True},
                getRowId="params.data.unit_id",
                extra_class="wide-only",
            ),
            html.Div(id=f"{P}-cards", className="risk-cards narrow-only"),
            html.H3(t("risk.wide_title"), id=f"{P}-wide-title", className="section-title"),
            html.P(t("risk.wide_text"), className="hint"),
            list_grid(
                f"{P}-wide-grid",
                [c for c in cols if c["field"] not in ("km_from", "km_to")],
                None,
                filterable=True,
                dashGridOptions={"rowHeight": 34, "domLayout": "autoHeight"},
                getRowId="params.data.unit_id",
                extra_class="wide-only",
            ),
            html.Div(id=f"{P}-wide-cards", className="risk-cards narrow-only"),
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
    band = inputs.choice(band, BAND_VALUES, "low")
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
) -> tuple[list[dict], object, list[dict], str, list, list]:
    """Rows of the list (places) and of the road-wide section for the filters, forced to the
    caller's district scope."""
    scope = require_scope()
    store = app_store()
    window = inputs.choice(window, WINDOWS, 7)
    run = queries.run_of(store, window)
    if run is None:
        return [], notice(t("ctl.no_forecast"), "warn"), [], t("risk.wide_title"), [], []
    where = scoped_district(scope, inputs.text(district))
    params = list_params(where, ps, severity, band, top, merge)
    rows = figures.records(queries.risk_rows(store, window, params))
    wide = figures.records(
        queries.risk_rows(store, window, list_params(where, ps, severity, band, top, [], True))
    )
    lang = i18n.current()
    text = t(
        "risk.summary",
        n=len(rows),
        start=f"{date_label(run.window_start, lang)} {run.window_start:%Y}",
        end=f"{date_label(run.window_end, lang)} {run.window_end:%Y}",
        version=run.version_id,
        cutoff=run.data_cutoff or "-",
    )
    title = f"{t('risk.wide_title')} ({len(wide)})"
    return rows, text, wide, title, risk_cards(rows), risk_cards(wide)


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
        Output(f"{P}-cards", "children"),
        Output(f"{P}-wide-cards", "children"),
        *filters,
    )(secured(update_grid))

    def download(fmt, district, ps, window, severity, band, top, merge):
        scope = require_scope()
        params = list_params(
            scoped_district(scope, inputs.text(district)), ps, severity, band, top, merge
        )
        window = inputs.choice(window, WINDOWS, 7)
        return downloads.risk_list_download(app_store(), scope, window, params, fmt)

    keys = ("district", "ps", "window", "severity", "band", "top", "merge")
    register_download_buttons(app, P, [State(f"{P}-{k}", "value") for k in keys], download)

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
