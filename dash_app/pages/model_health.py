"""Model health: champion, data cut-off, backtest against the baselines, freshness, last retrain."""

from __future__ import annotations

import dash_ag_grid as dag
import polars as pl
from dash import Dash, Input, Output, html

from dash_app import figures, queries
from dash_app.auth import app_store, require_scope, secured
from dash_app.components import heading, notice

PATH = "/model-health"
TITLE = "Model health"
P = "health"
METRIC_LABELS = {
    "hit_rate": "Hit rate",
    "pai": "PAI",
    "pei_star": "PEI*",
    "poisson_deviance": "Poisson deviance",
    "mae": "MAE",
    "coverage80": "80% interval coverage",
    "coverage95": "95% interval coverage",
}


LEVEL_LABELS = {"unit": "Place", "unit_window": "Place x 3-h block"}
K_LABELS = {
    "top1pct": "(top 1% of units)",
    "top5pct": "(top 5% of units)",
    "budget100": "(top 100 units)",
}


def layout(**_: str) -> html.Div:
    """Page skeleton."""
    return html.Div(
        className="page",
        children=[
            heading(
                "Model health",
                "Which model is serving, on what data, and how it did against simple rules.",
            ),
            html.Div(id=f"{P}-body", children="Loading..."),
        ],
    )


def backtest_pivot(backtest: pl.DataFrame) -> tuple[list[dict], list[dict]]:
    """(columnDefs, rows): one row per metric and cut-off, one column per model."""
    if backtest.is_empty():
        return [], []
    b = backtest.with_columns(pl.col("level").replace(LEVEL_LABELS)).with_columns(
        pl.format("{} {}", pl.col("metric").replace(METRIC_LABELS), pl.col("k").replace(K_LABELS))
        .str.strip_chars()
        .alias("measure")
    )
    wide = b.pivot(
        on="model", index=["level", "measure"], values="value", aggregate_function="mean"
    ).sort("level", "measure")
    models = [c for c in wide.columns if c not in ("level", "measure")]
    order = sorted(models, key=lambda m: (m not in ("lightgbm", "champion"), m))
    cols = [
        {"field": "level", "headerName": "Level", "width": 150},
        {"field": "measure", "headerName": "Measure", "minWidth": 180},
    ]
    cols += [
        {
            "field": m,
            "headerName": m.replace("_", " "),
            "width": 140,
            "valueFormatter": {
                "function": "params.value == null ? '' : d3.format('.3f')(params.value)"
            },
        }
        for m in order
    ]
    return cols, figures.records(wide)


def _grid(columns: list[dict], rows: list[dict]) -> dag.AgGrid:
    return dag.AgGrid(
        columnDefs=columns,
        rowData=rows,
        className="ag-theme-alpine",
        style={"width": "100%"},
        defaultColDef={"resizable": True, "sortable": True},
        dashGridOptions={"domLayout": "autoHeight", "suppressCellFocus": True},
    )


def _auto_grid(frame: pl.DataFrame) -> dag.AgGrid:
    cols = [
        {"field": c, "headerName": c.replace("_", " ").capitalize(), "minWidth": 110}
        for c in frame.columns
    ]
    return _grid(cols, figures.records(frame))


def champion_card(champ: dict | None, runs: dict) -> html.Div:
    """Serving model, its data cut-off and the forecast runs shown in the app."""
    if champ is None:
        return notice("No champion model yet: run `roadsafety retrain`.", "warn")
    lines = [
        html.Li(
            f"Champion: {champ['version_id']} (promoted {champ['promoted_at']:%d %b %Y %H:%M})"
            if champ.get("promoted_at")
            else f"Champion: {champ['version_id']}"
        ),
        html.Li(f"Data cut-off: trained on records before {champ['as_of']}"),
        html.Li(f"Promotion score: {figures.fmt_num(champ.get('score'), 3)}"),
    ]
    lines += [
        html.Li(
            f"Shown {d}-day forecast: {r.window_start:%d %b} - {r.window_end:%d %b} (run {r.run_id})"
        )
        for d, r in sorted(runs.items())
    ]
    return html.Div(className="card", children=[html.H3("Serving model"), html.Ul(lines)])


def update(_: str) -> list:
    """Every section of the page, for the caller's scope.

    A district user sees their district's data freshness and no statewide loads; state-level
    admins also see the latest audit events.
    """
    scope = require_scope()
    store = app_store()
    health = queries.model_health(store, scope)
    cols, rows = backtest_pivot(health.backtest)
    last = health.versions.row(0, named=True) if not health.versions.is_empty() else None
    retrain = (
        notice(
            f"Last retrain: {last['version_id']} on {last['created_at']:%d %b %Y %H:%M} - {last['status']}"
            f"{': ' + last['message'] if last.get('message') else ''}",
            "info" if last["status"] in ("champion", "retired") else "warn",
        )
        if last
        else notice("No retrain recorded yet.", "warn")
    )
    body = [
        champion_card(health.champion, store.snapshot().runs),
        retrain,
        html.Div(
            className="card",
            children=[
                html.H3("Backtest: champion vs baselines (mean over folds)"),
                _grid(cols, rows) if rows else "No backtest stored.",
            ],
        ),
        html.Div(
            className="card", children=[html.H3("Data freshness"), _auto_grid(health.freshness)]
        ),
        html.Div(
            className="card", children=[html.H3("Model versions"), _auto_grid(health.versions)]
        ),
        html.Div(
            className="card",
            children=[
                html.H3("Recent loads"),
                _auto_grid(health.ingests)
                if scope.district is None
                else "Loads are statewide files: they are shown to state-level users.",
            ],
        ),
    ]
    if scope.role == "admin" and scope.district is None:
        events = queries.audit_events(store)
        body.append(
            html.Div(
                className="card", children=[html.H3("Audit: latest app events"), _auto_grid(events)]
            )
        )
    return body


def register_callbacks(app: Dash) -> None:
    """The page's callbacks."""
    app.callback(Output(f"{P}-body", "children"), Input(f"{P}-body", "id"))(secured(update))
