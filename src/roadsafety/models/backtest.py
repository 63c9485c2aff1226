"""Rolling-origin backtest: train on data before each fold origin, score the following window.

Fold ``f`` has origin ``cutoff - f·horizon`` (year-ahead by default, the horizon an SP plans drives
over). For each fold: the LightGBM pair is trained on samples whose targets end before the
origin, every model predicts the window for the units known (with history or a neighbour with
history) at the origin, and the predictions are scored against the crashes that happened
(:mod:`roadsafety.models.metrics`) at two levels: ``unit`` and ``unit_window`` (unit × 3-hour block
of the week; the unit's expected count is split over blocks by its own timed history shrunk toward
the region's, :func:`block_shares`). The hit-rate denominator is every crash in the window, also in
units the models never saw.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from roadsafety import schemas
from roadsafety.features import build, panel
from roadsafety.models import baselines, lgbm, metrics
from roadsafety.models import profile as sp

log = logging.getLogger(__name__)

BLOCK_PRIOR = 10.0
METRICS_SCHEMA = schemas.BACKTEST_METRICS
PAIR_MODELS = ("lightgbm", "naive_3y", "empirical_bayes")


@dataclass(frozen=True)
class Fold:
    """One backtest fold: features before ``origin``, scored on ``[origin, origin + horizon)``."""

    fold: int
    origin: int
    horizon: int

    def dates(self) -> tuple[date, date]:
        """First and last (inclusive) day of the scored window."""
        first = date(1970, 1, 1) + timedelta(days=self.origin)
        return first, first + timedelta(days=self.horizon - 1)


@dataclass
class ModelPair:
    """The crash and fatal+grievous models trained together on one feature set."""

    crashes: lgbm.CountModel | None
    fatal_grievous: lgbm.CountModel | None
    features: list[str]
    n_rows: int


def plan_folds(
    data_start: int, cutoff: int, n_folds: int = 2, horizon: int = 364, min_train_days: int = 364
) -> list[Fold]:
    """Fold origins stepping back one horizon at a time, each with enough history before it."""
    folds = []
    for f in range(1, n_folds + 1):
        origin = cutoff - f * horizon
        if origin - data_start >= min_train_days:
            folds.append(Fold(fold=f, origin=origin, horizon=horizon))
    return folds


def fit_pair(
    ctx: build.FeatureContext,
    eligible: pl.DataFrame,
    cutoff: int,
    cfg: panel.PanelConfig,
    params: lgbm.LgbmParams,
    *,
    with_fg: bool = True,
) -> ModelPair:
    """Train the crash model (and the fatal+grievous one) on samples whose targets end by ``cutoff``."""
    samples = panel.training_samples(eligible, cutoff, ctx.inputs.data_start, cfg)
    names = build.feature_names(ctx, cfg)
    if samples.height < 50:
        log.warning("only %d training samples before cut-off: LightGBM skipped", samples.height)
        return ModelPair(None, None, names, samples.height)
    frame = panel.add_targets(build.build_features(samples, ctx, cfg), ctx.own)
    log.info("training on %d unit-window samples, %d features", frame.height, len(names))
    crash = lgbm.fit_count_model(frame, names, "y_crashes", params)
    fg = (
        lgbm.fit_count_model(frame, names, "y_fatal_grievous", params)
        if with_fg and frame["y_fatal_grievous"].sum() > 0
        else None
    )
    return ModelPair(crash, fg, names, frame.height)


def scored_units(eligible: pl.DataFrame, origin: int) -> pl.DataFrame:
    """Units in the scored universe at ``origin`` (a crash, or a neighbour's, before it)."""
    return eligible.filter(pl.col("eligible_day") < origin).select("unit_idx").sort("unit_idx")


def block_shares(events: pl.DataFrame, origin: int, years: int = 3) -> pl.DataFrame:
    """Share of each unit's crashes per 3-hour block of the week, shrunk toward the region's.

    Returns:
        ``unit_idx, block, share`` for every unit with timed crashes, plus ``unit_idx = -1`` rows
        holding the regional profile (used for units without timed history).
    """
    timed = events.filter(
        (pl.col("day") < origin)
        & (pl.col("day") >= origin - 364 * years)
        & pl.col("hour").is_not_null()
    )
    timed = timed.with_columns(block=((pl.col("day") + 3) % 7) * 8 + pl.col("hour") // 3)
    blocks = pl.DataFrame({"block": list(range(56))}, schema={"block": pl.Int64})
    glob = (
        blocks.join(timed.group_by("block").len(), on="block", how="left")
        .with_columns(
            g=(pl.col("len").fill_null(0) + 1.0) / (pl.col("len").fill_null(0).sum() + 56.0)
        )
        .select("block", "g")
    )
    per = timed.group_by("unit_idx", "block").agg(c=pl.len().cast(pl.Float64))
    tot = per.group_by("unit_idx").agg(n=pl.col("c").sum())
    grid = tot.join(blocks, how="cross").join(per, on=["unit_idx", "block"], how="left")
    grid = grid.join(glob, on="block").with_columns(
        share=(pl.col("c").fill_null(0.0) + BLOCK_PRIOR * pl.col("g")) / (pl.col("n") + BLOCK_PRIOR)
    )
    regional = glob.select(unit_idx=pl.lit(-1, pl.Int64), block="block", share="g")
    return pl.concat([grid.select("unit_idx", "block", "share"), regional])


def predict_frame(
    ctx: build.FeatureContext, pair: ModelPair, samples: pl.DataFrame, cfg: panel.PanelConfig
) -> pl.DataFrame:
    """Features and every model's expected count (``expected_<model>``, ``score_<model>``)."""
    frame = baselines.morth_counts(build.build_features(samples, ctx, cfg), ctx.own)
    frame = frame.join(baselines.baseline_predictions(frame), on="unit_idx", how="left")
    eb = baselines.empirical_bayes_predictions(frame, ctx.inputs.units)
    if eb is not None:
        frame = frame.join(eb, on="unit_idx", how="left")
    if pair.crashes is not None:
        mean = lgbm.predict_mean(pair.crashes, frame)
        frame = frame.with_columns(expected_lightgbm=mean, score_lightgbm=mean)
    if pair.fatal_grievous is not None:
        frame = frame.with_columns(
            expected_lightgbm_fg=lgbm.predict_mean(pair.fatal_grievous, frame)
        )
    if "expected_lightgbm" in frame.columns and "expected_empirical_bayes" in frame.columns:
        blend = (pl.col("expected_lightgbm") + pl.col("expected_empirical_bayes")) / 2
        frame = frame.with_columns(expected_blend=blend, score_blend=blend)
    return frame


def fold_frame(
    ctx: build.FeatureContext,
    pair: ModelPair,
    fold: Fold,
    units: pl.DataFrame,
    cfg: panel.PanelConfig,
) -> pl.DataFrame:
    """Predictions plus actuals (``y_crashes``, ``y_fatal_grievous``) for the fold's scored units."""
    samples = panel.forecast_samples(units, fold.origin, fold.origin, fold.horizon)
    return panel.add_targets(predict_frame(ctx, pair, samples, cfg), ctx.own)


def model_names(frame: pl.DataFrame) -> list[str]:
    """Models with predictions in a fold frame."""
    return [c.removeprefix("score_") for c in frame.columns if c.startswith("score_")]


def unit_metrics(frame: pl.DataFrame, total: float, alpha: float) -> pl.DataFrame:
    """Unit-level metrics of every model in the fold frame."""
    parts = []
    for model in model_names(frame):
        m = metrics.ranking_metrics(frame, f"score_{model}", "y_crashes", "unit_idx", total)
        if model != "morth_rule":
            f = frame
            iv = None
            if model == "lightgbm":
                lo80, hi80 = lgbm.nb_interval(frame["expected_lightgbm"], alpha, 0.8)
                lo95, hi95 = lgbm.nb_interval(frame["expected_lightgbm"], alpha, 0.95)
                f = frame.with_columns(lo80=lo80, hi80=hi80, lo95=lo95, hi95=hi95)
                iv = {"coverage80": ("lo80", "hi80"), "coverage95": ("lo95", "hi95")}
            m = pl.concat([m, metrics.count_metrics(f, f"expected_{model}", "y_crashes", iv)])
        parts.append(m.with_columns(model=pl.lit(model), level=pl.lit("unit")))
    if "expected_lightgbm_fg" in frame.columns:
        fg = metrics.ranking_metrics(frame, "expected_lightgbm_fg", "y_fatal_grievous", "unit_idx")
        parts.append(fg.with_columns(model=pl.lit("lightgbm_fg"), level=pl.lit("unit")))
    return pl.concat(parts) if parts else pl.DataFrame()


def profile_block_shares(
    accidents: pl.DataFrame, units: pl.DataFrame, origin: int
) -> pl.DataFrame | None:
    """Block shares from the shrunk hour-of-week profiles of :mod:`roadsafety.models.profile`.

    Only the history before ``origin`` is used.

    Returns:
        ``unit_idx, block, share`` (block = dow·8 + hour//3) for units with crashes, or None when
        there are no crashes before ``origin``.
    """
    before = date(1970, 1, 1) + timedelta(days=origin)
    ev = accidents.filter(
        pl.col("unit_id").is_not_null() & (pl.col("occurred_at").dt.date() < before)
    )
    ev = ev.select(
        "unit_id", "occurred_at", "has_time", district=pl.col("district").fill_null(sp.REGION)
    )
    if ev.is_empty():
        return None
    blocks = sp.block_shares(sp.hour_profiles(ev))
    return blocks.join(units.select("unit_id", "unit_idx"), on="unit_id", how="inner").select(
        "unit_idx", block=(pl.col("dow") * 8 + pl.col("block")).cast(pl.Int64), share="share"
    )


def pair_metrics(
    frame: pl.DataFrame, events: pl.DataFrame, fold: Fold, unit_shares: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Unit × 3-hour-block-of-week metrics for :data:`PAIR_MODELS`.

    ``unit_shares`` (``unit_idx, block, share``, e.g. :func:`profile_block_shares`) replaces this
    module's simple shrunk shares (:func:`block_shares`) for the units it covers.
    """
    test = events.filter(
        (pl.col("day") >= fold.origin)
        & (pl.col("day") < fold.origin + fold.horizon)
        & pl.col("hour").is_not_null()
    )
    if test.is_empty():
        log.info("no timed crashes in fold %d: unit x time-window metrics skipped", fold.fold)
        return pl.DataFrame()
    shares = block_shares(events, fold.origin)
    own = shares.filter(pl.col("unit_idx") >= 0) if unit_shares is None else unit_shares
    regional = shares.filter(pl.col("unit_idx") < 0).drop("unit_idx")
    units = frame.select("unit_idx")
    has_own = units.join(own.select("unit_idx").unique(), on="unit_idx", how="semi")
    no_own = units.join(has_own, on="unit_idx", how="anti").join(regional, how="cross")
    grid = pl.concat([own.join(has_own, on="unit_idx", how="semi"), no_own.select(own.columns)])
    actual = (
        test.with_columns(block=((pl.col("day") + 3) % 7) * 8 + pl.col("hour") // 3)
        .group_by("unit_idx", "block")
        .agg(y=pl.len().cast(pl.Float64))
    )
    grid = grid.join(actual, on=["unit_idx", "block"], how="left").with_columns(
        pl.col("y").fill_null(0.0)
    )
    grid = grid.with_columns(key=pl.col("unit_idx") * 100 + pl.col("block"))
    parts = []
    for model in [m for m in PAIR_MODELS if f"expected_{m}" in frame.columns]:
        g = grid.join(frame.select("unit_idx", e=f"expected_{model}"), on="unit_idx").with_columns(
            s=pl.col("e") * pl.col("share")
        )
        m = metrics.ranking_metrics(g, "s", "y", "key", float(test.height))
        parts.append(m.with_columns(model=pl.lit(model), level=pl.lit("unit_window")))
    return pl.concat(parts) if parts else pl.DataFrame()


def label(frame: pl.DataFrame, fold: Fold) -> pl.DataFrame:
    """Add the fold columns and order as :data:`METRICS_SCHEMA`."""
    start, end = fold.dates()
    return frame.with_columns(
        fold=pl.lit(fold.fold, pl.Int32), fold_start=pl.lit(start), fold_end=pl.lit(end)
    ).select([pl.col(c).cast(t) for c, t in METRICS_SCHEMA.items()])
