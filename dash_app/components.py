"""Layout pieces shared by the pages (controls, headings, notices) and their option callbacks."""

from __future__ import annotations

from collections.abc import Callable

import dash_ag_grid as dag
from dash import Dash, Input, Output, State, ctx, dcc, html
from dash.development.base_component import Component

from dash_app import queries
from dash_app.auth import app_store, require_scope, secured
from dash_app.i18n import current, t
from roadsafety.vocabulary import ALL, label

WINDOWS = (7, 30)  # the forecast windows a page offers (days)


def heading(title: str, subtitle: str) -> html.Div:
    """Page title with a one-line explanation for officers."""
    return html.Div(className="page-heading", children=[html.H2(title), html.P(subtitle)])


def notice(text: str, kind: str = "info") -> html.Div:
    """A short boxed message (info, warn or error)."""
    return html.Div(text, className=f"notice notice-{kind}")


def download_buttons(prefix: str, pdf_label: str | None = None) -> html.Div:
    """CSV / Excel / PDF download buttons (ids ``{prefix}-dl-csv|xlsx|pdf``) and a message span."""
    return html.Div(
        className="downloads",
        children=[
            html.Button(t("ctl.download_csv"), id=f"{prefix}-dl-csv", className="btn"),
            html.Button(t("ctl.download_xlsx"), id=f"{prefix}-dl-xlsx", className="btn"),
            html.Button(pdf_label or t("ctl.download_pdf"), id=f"{prefix}-dl-pdf", className="btn"),
            html.Span(id=f"{prefix}-dl-msg", className="dl-msg"),
        ],
    )


def list_grid(
    grid_id: str,
    columns: list[dict],
    height: str | None,
    *,
    filterable: bool = False,
    extra_class: str = "",
    **options,
) -> dag.AgGrid:
    """A sortable, resizable grid with wrapped headers (extra AgGrid ``options`` as given).

    ``height`` None sizes the grid to its rows (for short lists); ``extra_class`` adds CSS
    classes (``wide-only``: hidden on a phone, where cards stand in).
    """
    defaults = {
        "sortable": True,
        "resizable": True,
        "wrapHeaderText": True,
        "autoHeaderHeight": True,
    }
    return dag.AgGrid(
        id=grid_id,
        columnDefs=columns,
        rowData=[],
        className=f"ag-theme-alpine grid {extra_class}".strip(),
        defaultColDef=defaults | ({"filter": True} if filterable else {}),
        style={"width": "100%"} | ({"height": height} if height else {}),
        **options,
    )


def control(label: str, field: Component, *, wide: bool = False) -> html.Div:
    """A labelled filter control; the label names the field by its id."""
    return html.Div(
        className="control control-wide" if wide else "control",
        children=[html.Label(label, htmlFor=field.id), field],
    )


def choice(field_id: str, options: list[dict], value: object) -> dcc.RadioItems:
    """Inline radio buttons."""
    return dcc.RadioItems(id=field_id, value=value, inline=True, className="radio", options=options)


def graph_card(
    graph_id: str | None = None, figure: object = None, *, loading: bool = False
) -> html.Div:
    """A card holding one chart (no mode bar); ``loading`` shows a spinner while it updates."""
    props = {"id": graph_id, "figure": figure}
    graph = dcc.Graph(
        config={"displayModeBar": False}, **{k: v for k, v in props.items() if v is not None}
    )
    return html.Div(className="card", children=dcc.Loading(graph) if loading else graph)


def district_control(prefix: str) -> html.Div:
    """District dropdown (options filled by :func:`register_district_options`)."""
    field = dcc.Dropdown(
        id=f"{prefix}-district",
        placeholder=label(ALL, current()),
        clearable=True,
        searchable=True,
    )
    return control(t("ctl.district"), field)


def window_control(prefix: str) -> html.Div:
    """Forecast window choice: next 7 or next 30 days."""
    windows = [{"label": t("ctl.next_days", days=days), "value": days} for days in WINDOWS]
    return control(t("ctl.window"), choice(f"{prefix}-window", windows, WINDOWS[0]))


def register_district_options(app: Dash, prefix: str) -> None:
    """Fill the page's district dropdown; a scoped user gets only their district, locked."""

    @app.callback(
        Output(f"{prefix}-district", "options"),
        Output(f"{prefix}-district", "value"),
        Output(f"{prefix}-district", "disabled"),
        Input(f"{prefix}-district", "id"),
    )
    @secured
    def fill(_: str) -> tuple[list[str], str | None, bool]:
        scope = require_scope()
        names = queries.districts(app_store(), scope)
        if scope.district:
            return [scope.district], scope.district, True
        return names, None, False


def register_download_buttons(
    app: Dash, prefix: str, states: list[State], handler: Callable[..., tuple]
) -> None:
    """Wire the CSV / Excel / PDF buttons of :func:`download_buttons` to ``handler(fmt, *values)``
    (``values``: the ``states`` at the click), which returns (download data, message)."""

    @app.callback(
        Output(f"{prefix}-download", "data"),
        Output(f"{prefix}-dl-msg", "children"),
        Input(f"{prefix}-dl-csv", "n_clicks"),
        Input(f"{prefix}-dl-xlsx", "n_clicks"),
        Input(f"{prefix}-dl-pdf", "n_clicks"),
        *states,
        prevent_initial_call=True,
    )
    @secured
    def download(_csv: object, _xlsx: object, _pdf: object, *values: object) -> tuple:
        return handler(str(ctx.triggered_id).rsplit("-", 1)[-1], *values)
