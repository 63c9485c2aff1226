"""Retrain → backtest → register → promote, and forecasts of the champion on demand.

Public API (used by the CLI, the exports and the app):

- :func:`retrain` ``(settings, as_of=None) -> RetrainResult``: train on records strictly before
  ``as_of`` (default: the day after the latest accident), backtest on rolling year-ahead folds,
  write the artifacts to a new version directory, then register the version, its metrics and the
  promotion decision in one atomic warehouse write. A failed or killed retrain leaves the champion
  serving (the failure is recorded as a ``failed`` version when the warehouse can be written).
- :func:`ensure_forecast` ``(settings, start, end) -> run_id``: a complete forecast run of the
  champion for ``[start, end]`` (inclusive), created when absent.
- :func:`forecast` ``(settings, start, end, force=False) -> run_id``: same, ``force`` recomputes.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta

import polars as pl

from roadsafety.config import Settings
from roadsafety.errors import ForecastError
from roadsafety.features import build, panel
from roadsafety.features.enforcement import ENFORCEMENT_OFFENCES
from roadsafety.features.units import build_units, ring_pairs
from roadsafety.forecasts import run as forecast_run
from roadsafety.models import backtest, lgbm, plan_backtest, registry
from roadsafety.store import model_store
from roadsafety.store.connection import StoreError, read_connection, write_connection

log = logging.getLogger(__name__)

SCORE_METRIC = ("unit", "hit_rate", "budget100")


@dataclass
class RetrainResult:
    """What a retrain did."""

    version_id: str
    as_of: date
    score: float | None
    promoted: bool
    reason: str
    n_units: int
    n_train_rows: int
    artifact_dir: str
    seconds: float
    metrics: pl.DataFrame = field(repr=False, default_factory=pl.DataFrame)


@dataclass
class Prepared:
    """Inputs indexed for one data cut-off."""

    ctx: build.FeatureContext
    eligible: pl.DataFrame
    cutoff: int
    accidents: pl.DataFrame


def load_inputs(
    settings: Settings, before: date
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame | None]:
    """Accidents, spatial units and unit-day challans strictly before ``before``."""
    with read_connection(settings.db_path) as con:
        acc = model_store.read_accidents(con, before)
        known = model_store.read_spatial_units(con)
        challans = model_store.read_challan_days(con, before, ENFORCEMENT_OFFENCES)
    return acc, known, challans


def prepare(settings: Settings, before: date) -> Prepared:
    """Read the data before ``before`` and build every feature index."""
    acc, known, challans = load_inputs(settings, before)
    events = panel.prepare_events(acc)
    if events.is_empty():
        raise ForecastError(f"no accidents with a spatial unit before {before}: ingest data first")
    units = build_units(acc, known)
    events = panel.with_unit_idx(events, units)
    inputs = build.FeatureInputs(
        units=units,
        events=events,
        challan_days=challans,
        calendar=settings.calendar,
        data_start=int(events["day"].min()),
    )
    ctx = build.prepare_context(inputs)
    eligible = panel.eligible_from(units, events, ring_pairs(units, 1))
    log.info(
        "%d accidents, %d units (%d with history), challans: %s",
        acc.height,
        units.height,
        events["unit_idx"].n_unique(),
        "yes" if challans is not None else "none",
    )
    return Prepared(ctx=ctx, eligible=eligible, cutoff=panel.to_day(before), accidents=acc)


def run_backtest(
    prep: Prepared, cfg: panel.PanelConfig, params: lgbm.LgbmParams, n_folds: int
) -> tuple[pl.DataFrame, float | None, dict[str, float]]:
    """Backtest folds → (long metrics, promotion score, NB dispersions for crashes and fg)."""
    folds = backtest.plan_folds(prep.ctx.inputs.data_start, prep.cutoff, n_folds)
    frames = []
    for fold in folds:
        log.info("backtest fold %d: %s to %s", fold.fold, *fold.dates())
        fold_cfg = replace(cfg, max_rows=cfg.max_rows // 2)
        pair = backtest.fit_pair(
            prep.ctx, prep.eligible, fold.origin, fold_cfg, params, with_fg=fold.fold == 1
        )
        units = backtest.scored_units(prep.eligible, fold.origin)
        frames.append((fold, backtest.fold_frame(prep.ctx, pair, fold, units, cfg)))
    alphas = _dispersions([f for _, f in frames])
    parts = []
    for i, (fold, frame) in enumerate(frames):
        other = alphas["per_fold"][i - 1] if len(frames) > 1 else alphas["crashes"]
        total = _window_total(prep, fold)
        unit = backtest.unit_metrics(frame, total, other)
        parts.append(backtest.label(unit, fold))
        parts.append(backtest.label(where_when_metrics(prep, frame, fold, unit), fold))
        shares = backtest.profile_block_shares(prep.accidents, prep.ctx.inputs.units, fold.origin)
        pm = backtest.pair_metrics(frame, prep.ctx.inputs.events, fold, shares)
        if not pm.is_empty():
            parts.append(backtest.label(pm, fold))
    metrics = pl.concat(parts) if parts else pl.DataFrame(schema=backtest.METRICS_SCHEMA)
    return metrics, _score(metrics), {"crashes": alphas["crashes"], "fatal_grievous": alphas["fg"]}


def where_when_metrics(
    prep: Prepared, frame: pl.DataFrame, fold: backtest.Fold, unit: pl.DataFrame
) -> pl.DataFrame:
    """The fold's drive-plan, peak-window and where-alone closure metrics."""
    window = plan_backtest.Window(fold.origin, fold.horizon)
    events, units = prep.ctx.inputs.events, prep.ctx.inputs.units
    return pl.concat(
        [
            plan_backtest.fold_plan_metrics(frame, events, units, window),
            plan_backtest.where_closure(unit),
        ]
    )


def _window_total(prep: Prepared, fold: backtest.Fold) -> float:
    day = prep.ctx.inputs.events["day"]
    return float(((day >= fold.origin) & (day < fold.origin + fold.horizon)).sum())


def _dispersions(frames: list[pl.DataFrame]) -> dict:
    per, per_fg = [], []
    for f in frames:
        if "expected_lightgbm" in f.columns:
            per.append(lgbm.moment_dispersion(f["expected_lightgbm"], f["y_crashes"]))
        if "expected_lightgbm_fg" in f.columns:
            per_fg.append(lgbm.moment_dispersion(f["expected_lightgbm_fg"], f["y_fatal_grievous"]))
    mean = sum(per) / len(per) if per else 0.5
    return {
        "per_fold": per or [mean],
        "crashes": mean,
        "fg": sum(per_fg) / len(per_fg) if per_fg else mean,
    }


def _score(metrics: pl.DataFrame) -> float | None:
    level, metric, k = SCORE_METRIC
    sel = metrics.filter(
        (pl.col("model") == "lightgbm")
        & (pl.col("level") == level)
        & (pl.col("metric") == metric)
        & (pl.col("k") == k)
    )["value"].drop_nans()
    return float(sel.mean()) if sel.len() else None


def _summary(metrics: pl.DataFrame) -> dict:
    unit = metrics.filter((pl.col("level") == "unit") & pl.col("metric").is_in(["hit_rate", "pai"]))
    agg = (
        unit.group_by("model", "metric", "k")
        .agg(pl.col("value").mean())
        .sort("model", "metric", "k")
    )
    return {f"{r['model']}.{r['metric']}.{r['k']}": r["value"] for r in agg.iter_rows(named=True)}


def default_as_of(settings: Settings) -> date:
    """The day after the latest accident in the warehouse."""
    with read_connection(settings.db_path) as con:
        _, last = model_store.accident_range(con)
    if last is None:
        raise ForecastError("the warehouse has no accidents: ingest data before retraining")
    return last + timedelta(days=1)


def retrain(
    settings: Settings,
    as_of: date | None = None,
    *,
    cfg: panel.PanelConfig | None = None,
    params: lgbm.LgbmParams | None = None,
    n_folds: int = 2,
    policy: registry.PromotionPolicy | None = None,
    block_promotion: str | None = None,
) -> RetrainResult:
    """Train, backtest, register and (maybe) promote a new version; see the module docstring.

    ``block_promotion`` (a reason, e.g. a failed data check of the batch job) keeps the current
    champion serving whatever the score; with no champion at all the version is still promoted.
    """
    cfg, params = cfg or panel.PanelConfig(), params or lgbm.LgbmParams()
    began, now = time.monotonic(), datetime.now().replace(microsecond=0)
    as_of = as_of or default_as_of(settings)
    settings.models_dir.mkdir(parents=True, exist_ok=True)
    with read_connection(settings.db_path) as con:
        taken = model_store.version_ids(con)
    registry.remove_orphans(settings.models_dir, taken)
    vid = registry.new_version_id(now, settings.models_dir, taken)
    try:
        prep = prepare(settings, as_of)
        metrics, score, alphas = run_backtest(prep, cfg, params, n_folds)
        pair = backtest.fit_pair(prep.ctx, prep.eligible, prep.cutoff, cfg, params)
        for model, key in ((pair.crashes, "crashes"), (pair.fatal_grievous, "fatal_grievous")):
            if model is not None:
                model.alpha = alphas[key]
        meta = {
            "as_of": as_of.isoformat(),
            "panel": asdict(cfg),
            "lgbm": asdict(params),
            "alphas": alphas,
            "n_rows": pair.n_rows,
            "score": score,
        }
        art = registry.write_artifacts(settings.models_dir, vid, pair, meta)
    except Exception as exc:
        _record_failure(settings, vid, now, as_of, exc)
        raise
    promoted, reason = _register(
        settings, vid, now, as_of, score, meta, metrics, art, policy, block_promotion
    )
    registry.mark_registered(art)
    log.info(
        "version %s: score %s, %s (%s)",
        vid,
        score,
        "promoted" if promoted else "not promoted",
        reason,
    )
    return RetrainResult(
        vid,
        as_of,
        score,
        promoted,
        reason,
        prep.ctx.inputs.units.height,
        pair.n_rows,
        str(art),
        time.monotonic() - began,
        metrics,
    )


def _register(
    settings: Settings,
    vid: str,
    now: datetime,
    as_of: date,
    score: float | None,
    meta: dict,
    metrics: pl.DataFrame,
    art,
    policy,
    block: str | None,
) -> tuple[bool, str]:
    with write_connection(settings.db_path, lock_timeout_s=settings.lock_timeout_s) as con:
        champ = model_store.champion(con)
        promoted, reason = registry.decide_promotion(
            score,
            champ["score"] if champ else None,
            champ is not None,
            policy or registry.PromotionPolicy(),
        )
        if block and champ is not None:
            promoted, reason = False, f"promotion blocked: {block}"
        model_store.register_version(
            con,
            {
                "version_id": vid,
                "created_at": now,
                "as_of": as_of,
                "status": "candidate" if promoted else "rejected",
                "score": score,
                "params": {k: meta[k] for k in ("panel", "lgbm", "alphas")},
                "metrics": _summary(metrics),
                "artifact_dir": str(art),
                "message": reason,
            },
        )
        model_store.write_backtest_metrics(con, vid, metrics)
        if promoted:
            model_store.promote(con, vid, now)
    return promoted, reason


def _record_failure(
    settings: Settings, vid: str, now: datetime, as_of: date, exc: BaseException
) -> None:
    try:
        with write_connection(settings.db_path, lock_timeout_s=30) as con:
            model_store.register_version(
                con,
                {
                    "version_id": vid,
                    "created_at": now,
                    "as_of": as_of,
                    "status": "failed",
                    "message": f"{type(exc).__name__}: {exc}",
                },
            )
    except StoreError as err:
        log.warning("could not record the failed retrain: %s", err)


def current_champion(settings: Settings) -> dict | None:
    """The serving version's registry row (None without a champion)."""
    with read_connection(settings.db_path) as con:
        return model_store.champion(con)


def publish_standard_forecasts(settings: Settings, today: date) -> list[str]:
    """Champion forecasts for the standard windows from ``today`` (settings.job.standard_windows)."""
    return [
        ensure_forecast(settings, today, today + timedelta(days=days - 1))
        for days in settings.job.standard_windows
    ]


def ensure_forecast(settings: Settings, start: date, end: date) -> str:
    """Run id of a complete champion forecast for ``[start, end]``, created when absent."""
    return forecast(settings, start, end, force=False)


def forecast(settings: Settings, start: date, end: date, *, force: bool = False) -> str:
    """Create (or with ``force`` recreate) the champion's forecast run for ``[start, end]``."""
    forecast_run.check_window(start, end)
    with read_connection(settings.db_path) as con:
        champ = model_store.champion(con)
        existing = (
            model_store.find_forecast_run(con, champ["version_id"], start, end) if champ else None
        )
    if champ is None:
        raise ForecastError("no champion model: run `roadsafety retrain` first")
    if existing and not force:
        return existing
    before = min(start, champ["as_of"])
    prep = prepare(settings, before)
    run, tables = forecast_run.build_run(settings, prep, champ, start, end)
    with write_connection(settings.db_path, lock_timeout_s=settings.lock_timeout_s) as con:
        again = model_store.find_forecast_run(con, champ["version_id"], start, end)
        if again and not force:
            return again
        model_store.write_forecast_run(con, run, *tables)
    log.info("forecast run %s: %d units, %s to %s", run["run_id"], run["n_units"], start, end)
    return run["run_id"]
