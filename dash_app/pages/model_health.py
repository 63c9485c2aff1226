"""Model health: champion, data cut-off, backtest against the baselines, freshness, last retrain."""

from __future__ import annotations

import dash_ag_grid as dag
import polars as pl
from dash import Dash, Input, Output, html

from dash_app import figures, i18n, queries
from dash_app.auth import app_store, require_scope, secured
from dash_app.components import heading, notice
from dash_app.i18n import t
from roadsafety import vocabulary
from roadsafety.vocabulary import date_label

PATH = "/model-health"
TITLE = "Model health"
P = "health"
FIRST_MODEL = "no champion yet"  # registry.decide_promotion's reason for the first version
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
            heading(t("page.model_health"), t("health.subtitle")),
            html.Div(id=f"{P}-body", children=t("ctl.loading")),
        ],
    )


SERVING = "lightgbm"  # the crash model the forecast runs use (forecasts/run.py)
COUNT_BASELINES = ("naive_1y", "naive_3y", "empirical_bayes", "seasonal_naive")
LEVEL_TOLERANCE = 0.01  # hit rates within 1 crash in 100 count as level


def _metric(latest: pl.DataFrame, model: str, metric: str, k: str) -> float | None:
    sel = latest.filter(
        (pl.col("model") == model)
        & (pl.col("level") == "unit")
        & (pl.col("metric") == metric)
        & (pl.col("k") == k)
    )["value"].drop_nans()
    return float(sel[0]) if sel.len() else None


def _hits(latest: pl.DataFrame) -> dict[str, float]:
    """Hit rate at the 100-place budget per model (the promotion score's measure)."""
    models = latest["model"].unique().to_list() if not latest.is_empty() else []
    out = {m: _metric(latest, m, "hit_rate", "budget100") for m in models}
    return {m: v for m, v in out.items() if v is not None}


def verdict(latest: pl.DataFrame) -> list[str]:
    """The SP's sentences: what the forecast caught in its latest held-out year against last
    year's counts, and plainly where it does worse than a simple baseline."""
    hits = _hits(latest)
    if SERVING not in hits:
        return [t("health.no_backtest")]
    lang = i18n.current()
    row = latest.row(0, named=True)
    x = round(100 * hits[SERVING])
    y = round(100 * hits["naive_1y"]) if "naive_1y" in hits else None
    first = t(
        "health.caught",
        start=date_label(row["fold_start"], lang),
        end=f"{date_label(row['fold_end'], lang)} {row['fold_end']:%Y}",
        x=x,
        y=y if y is not None else "-",
    )
    if "naive_3y" in hits:
        first += t("health.caught_3y", z=round(100 * hits["naive_3y"]))
    lines = [first]
    baselines = {m: v for m, v in hits.items() if m in COUNT_BASELINES}
    best = max(baselines, key=baselines.get) if baselines else None
    if best and hits[SERVING] < baselines[best] - LEVEL_TOLERANCE:
        lines.append(
            t("health.worse_hits", baseline=t(f"model.{best}"), x=x, y=round(100 * baselines[best]))
        )
    elif best:
        better = hits[SERVING] > baselines[best] + LEVEL_TOLERANCE
        lines.append(t("health.better" if better else "health.level"))
    lines += _deviance_line(latest)
    return lines


def _deviance_line(latest: pl.DataFrame) -> list[str]:
    """A plain sentence when a baseline's expected counts were closer than the forecast's."""
    own = _metric(latest, SERVING, "poisson_deviance", "")
    others = {
        m: v
        for m in COUNT_BASELINES
        if (v := _metric(latest, m, "poisson_deviance", "")) is not None
    }
    if own is None or not others:
        return []
    best = min(others, key=others.get)
    return [t("health.worse_counts", baseline=t(f"model.{best}"))] if own > others[best] else []


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
        {
            "field": c,
            "headerName": t(f"col.{c}")
            if f"col.{c}" in vocabulary.APP_TEXTS
            else c.replace("_", " ").capitalize(),
            "minWidth": 110,
        }
        for c in frame.columns
    ]
    return _grid(cols, figures.records(frame))


def _named_records(freshness: pl.DataFrame) -> pl.DataFrame:
    """The kind of records (accidents, challans) in the reader's language."""
    if freshness.is_empty():
        return freshness
    names = {k: t(f"records.{k}") for k in ("accidents", "challans")}
    return freshness.with_columns(pl.col("records").replace(names))


def champion_card(champ: dict | None, runs: dict) -> html.Div:
    """Which model is in use, since when, on what data, why, and the forecast runs shown."""
    if champ is None:
        return notice(t("health.none"), "warn")
    lang = i18n.current()
    since = champ.get("promoted_at")
    lines = [
        html.Li(
            t(
                "health.version",
                version=champ["version_id"],
                since=f"{date_label(since, lang)} {since:%Y %H:%M}" if since else "-",
            )
        ),
        html.Li(t("health.cutoff", cutoff=champ["as_of"])),
    ]
    if champ.get("message") == FIRST_MODEL:
        lines.append(html.Li(t("health.first")))
    lines += [
        html.Li(
            t(
                "health.runs",
                days=d,
                start=date_label(r.window_start, lang),
                end=date_label(r.window_end, lang),
            )
        )
        for d, r in sorted(runs.items())
    ]
    return html.Div(className="card", children=[html.H3(t("health.in_use")), html.Ul(lines)])


def retrain_notice(versions: pl.DataFrame) -> html.Div:
    """The last retrain and its outcome in words."""
    if versions.is_empty():
        return notice(t("health.no_retrain"), "warn")
    last = versions.row(0, named=True)
    status = last["status"]
    outcome = t(f"status.{status}") if f"status.{status}" in vocabulary.APP_TEXTS else status
    when = last["created_at"]
    text = t(
        "health.last_retrain",
        version=last["version_id"],
        when=f"{date_label(when, i18n.current())} {when:%Y %H:%M}",
        outcome=outcome,
    )
    return notice(text, "info" if status in ("champion", "retired") else "warn")


def analyst_section(health: queries.snap.Health) -> html.Details:
    """The analyst's measures, folded away: the backtest table and the model versions."""
    cols, rows = backtest_pivot(health.backtest)
    return html.Details(
        className="card analyst",
        id=f"{P}-analyst",
        children=[
            html.Summary(t("health.analyst")),
            html.P(t("health.analyst_hint"), className="muted"),
            _grid(cols, rows) if rows else t("health.no_backtest"),
            html.H3(t("health.versions")),
            _auto_grid(health.versions),
        ],
    )


def update(_: str) -> list:
    """Every section of the page, for the caller's scope.

    A district user sees their district's data freshness and no statewide loads; state-level
    admins also see the latest audit events.
    """
    scope = require_scope()
    store = app_store()
    health = queries.model_health(store, scope)
    body = [
        champion_card(health.champion, store.snapshot().runs),
        retrain_notice(health.versions),
        html.Div(
            className="card",
            children=[
                html.H3(t("health.quality")),
                *[html.P(line) for line in verdict(health.latest_fold)],
            ],
        ),
        analyst_section(health),
        html.Div(
            className="card",
            children=[html.H3(t("health.freshness")), _auto_grid(_named_records(health.freshness))],
        ),
        html.Div(
            className="card",
            children=[
                html.H3(t("health.loads")),
                _auto_grid(health.ingests) if scope.district is None else t("health.loads_state"),
            ],
        ),
    ]
    if scope.role == "admin" and scope.district is None:
        events = queries.audit_events(store)
        body.append(
            html.Div(className="card", children=[html.H3(t("health.audit")), _auto_grid(events)])
        )
    return body


def register_callbacks(app: Dash) -> None:
    """The page's callbacks."""
    app.callback(Output(f"{P}-body", "children"), Input(f"{P}-body", "id"))(secured(update))
