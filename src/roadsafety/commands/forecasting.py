"""Forecasting commands: retrain, backtest, forecast."""

from __future__ import annotations

import logging

import typer
from rich.console import Console
from rich.table import Table

from roadsafety.commands import (
    UserError,
    handle_errors,
    parse_date_option,
    settings_of,
    window_option,
)

log = logging.getLogger("roadsafety")


@handle_errors
def retrain(
    ctx: typer.Context,
    as_of: str | None = typer.Option(
        None,
        "--as-of",
        help="Train on records strictly before this day (default: day after the latest crash).",
    ),
    folds: int = typer.Option(2, min=0, max=5, help="Year-ahead backtest folds."),
) -> None:
    """Train a new model version, backtest it, and promote it if it is not worse than the champion."""
    from roadsafety.forecasts.pipeline import retrain as run_retrain

    result = run_retrain(settings_of(ctx), parse_date_option(as_of, "--as-of"), n_folds=folds)
    score = "n/a" if result.score is None else f"{result.score:.3f}"
    typer.echo(
        f"version {result.version_id} (data before {result.as_of}): score {score}; "
        f"{'promoted' if result.promoted else 'NOT promoted'} — {result.reason}; "
        f"{result.n_units} units, {result.n_train_rows} training rows, {result.seconds:.0f}s"
    )


@handle_errors
def backtest(
    ctx: typer.Context,
    version: str | None = typer.Option(
        None, "--version", help="Model version (default: champion)."
    ),
    level: str = typer.Option("unit", help="unit, unit_window or plan (where and when only)."),
) -> None:
    """Print the stored backtest metrics (mean over folds) of the champion or a version.

    After the unit table comes the where-and-when table: the drive plan's coverage at 300 and
    1,200 team-hours a week beside naive (unit, 3-hour block) counts (ties in random order, and
    ranked by the unit's total) and the hindsight ceiling.
    """
    from roadsafety.store import model_store
    from roadsafety.store.connection import read_connection

    with read_connection(settings_of(ctx).db_path) as con:
        row = model_store.version(con, version) if version else model_store.champion(con)
        if row is None:
            raise UserError(
                f"no model version {version!r}" if version else "no champion: run retrain"
            )
        metrics = model_store.read_backtest_metrics(con, row["version_id"])
    if level != "plan":
        _print_metrics(row, metrics.filter(metrics["level"] == level))
    if level in ("unit", "plan"):
        _print_where_when(metrics)


def _print_metrics(row: dict, metrics) -> None:
    import polars as pl

    table = Table(
        title=f"backtest {row['version_id']} (data before {row['as_of']}, status {row['status']})"
    )
    if metrics.is_empty():
        Console().print(f"{table.title}: no backtest metrics (too little history for a fold)")
        return
    wide = (
        metrics.with_columns(
            col=pl.concat_str(["metric", "k"], separator="@").str.strip_suffix("@")
        )
        .group_by("model", "col")
        .agg(pl.col("value").mean())
        .pivot(on="col", index="model", values="value")
        .sort("model")
    )
    order = [
        f"{m}@{k}"
        for m in ("hit_rate", "pai", "pei_star")
        for k in ("top1pct", "top5pct", "budget100")
    ]
    order += ["poisson_deviance", "mae", "coverage80", "coverage95"]
    wide = wide.select("model", *[c for c in order if c in wide.columns])
    for col in wide.columns:
        table.add_column(col, justify="left" if col == "model" else "right")
    for r in wide.iter_rows():
        table.add_row(*[r[0]] + ["" if v is None else f"{v:.3f}" for v in r[1:]])
    Console(width=220).print(table)
    Console().print(
        "lightgbm_fg ranks by expected fatal+grievous crashes and is scored against them."
    )


PLAN_MODELS = ("intensity", "intensity_naive3y", "naive_blocks", "naive_blocks_ranked", "hindsight")
RATIOS = {  # column -> (numerator, denominator)
    "plan ÷ naive": ("intensity", "naive_blocks"),
    "plan ÷ ranked": ("intensity", "naive_blocks_ranked"),
    "hindsight ÷ naive": ("hindsight", "naive_blocks"),
}


def _fold_mean(metrics, level: str, metric: str, k: str, model: str) -> float | None:
    import polars as pl

    got = metrics.filter(
        (pl.col("level") == level)
        & (pl.col("metric") == metric)
        & (pl.col("k") == k)
        & (pl.col("model") == model)
    )["value"].drop_nans()
    return float(got.mean()) if got.len() else None


def _print_where_when(metrics) -> None:
    """The where-and-when table (mean over folds): plan coverage vs naive blocks and hindsight."""
    table = Table(
        title="where and when: share of the fold's timed crashes in the plan's places and hours"
    )
    for col in ("objective", "team-hours/week", *PLAN_MODELS, *RATIOS):
        table.add_column(col, justify="left" if col == "objective" else "right")
    shown = 0
    for level, objective in (("plan", "all injury"), ("plan_fatal_grievous", "fatal+grievous")):
        for k in ("300", "1200"):
            got = {m: _fold_mean(metrics, level, "coverage", k, m) for m in PLAN_MODELS}
            if got["naive_blocks"] is None:
                continue
            ratio = [
                got[a] / got[b] if got[a] is not None and got[b] else None
                for a, b in RATIOS.values()
            ]
            table.add_row(
                objective, k, *[_fmt(got[m]) for m in PLAN_MODELS], *[_fmt(r, 2) for r in ratio]
            )
            shown += 1
    if not shown:
        return
    Console(width=220).print(table)
    peak = _fold_mean(metrics, "peak_window", "coverage", "top100", "risk_list")
    naive = _fold_mean(metrics, "peak_window", "coverage", "top100", "naive_blocks")
    ranked = _fold_mean(metrics, "peak_window", "coverage", "top100", "naive_blocks_ranked")
    hours = _fold_mean(metrics, "peak_window", "cell_hours", "top100", "risk_list")
    own = _fold_mean(metrics, "peak_window", "coverage", "top100", "naive_windows")
    closure = _fold_mean(metrics, "unit", "closure", "budget100", "lightgbm")
    if peak is not None and naive:
        Console().print(
            f"risk list top 100 during their peak windows ({hours:.0f} cell-hours a week): "
            f"{peak:.3f} vs naive blocks {naive:.3f} (x{peak / naive:.2f})"
            + (f", ranked naive blocks {ranked:.3f} (x{peak / ranked:.2f})" if ranked else "")
            + (f", vs the same places in their busiest past blocks {own:.3f}" if own else "")
        )
    if closure is not None:
        Console().print(
            f"where alone, top 100: LightGBM closes {closure:.2f} of the gap from the best naive "
            "list (last year or last 3 years) to the hindsight list"
        )


def _fmt(value: float | None, digits: int = 3) -> str:
    return "" if value is None else f"{value:.{digits}f}"


@handle_errors
def forecast(
    ctx: typer.Context,
    start: str | None = typer.Option(None, "--start", help="First day (default: today)."),
    end: str | None = typer.Option(
        None, "--end", help="Last day, inclusive (default: start + 6 days)."
    ),
    force: bool = typer.Option(False, "--force", help="Recompute even if this run exists."),
) -> None:
    """Write the champion's forecast for every unit from --start to --end; print the run id."""
    from roadsafety.forecasts.pipeline import forecast as run_forecast

    first, last = window_option(
        parse_date_option(start, "--start"), parse_date_option(end, "--end")
    )
    typer.echo(run_forecast(settings_of(ctx), first, last, force=force))


def register(app: typer.Typer) -> None:
    """Add the forecasting commands."""
    app.command("retrain")(retrain)
    app.command("backtest")(backtest)
    app.command("forecast")(forecast)
