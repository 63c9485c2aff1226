"""Layout pieces shared by the pages (controls, headings, notices) and their option callbacks."""

from __future__ import annotations

from dash import Dash, Input, Output, dcc, html

from dash_app import queries
from dash_app.auth import app_store, require_scope, secured

WINDOWS = (7, 30)  # the forecast windows a page offers (days)
NO_FORECAST = (
    "No forecast has been published yet. The data cell runs `roadsafety retrain` "
    "(or `roadsafety demo`) to create one."
)


def heading(title: str, subtitle: str) -> html.Div:
    """Page title with a one-line explanation for officers."""
    return html.Div(className="page-heading", children=[html.H2(title), html.P(subtitle)])


def notice(text: str, kind: str = "info") -> html.Div:
    """A short boxed message (info, warn or error)."""
    return html.Div(text, className=f"notice notice-{kind}")


def district_control(prefix: str) -> html.Div:
    """District dropdown (options filled by :func:`register_district_options`)."""
    return html.Div(
        className="control",
        children=[
            html.Label("District", htmlFor=f"{prefix}-district"),
            dcc.Dropdown(
                id=f"{prefix}-district",
                placeholder="All districts",
                clearable=True,
                searchable=True,
            ),
        ],
    )


def window_control(prefix: str) -> html.Div:
    """Forecast window choice: next 7 or next 30 days."""
    return html.Div(
        className="control",
        children=[
            html.Label("Window", htmlFor=f"{prefix}-window"),
            dcc.RadioItems(
                id=f"{prefix}-window",
                value=7,
                inline=True,
                className="radio",
                options=[
                    {"label": "Next 7 days", "value": 7},
                    {"label": "Next 30 days", "value": 30},
                ],
            ),
        ],
    )


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
