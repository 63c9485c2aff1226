"""Build one forecast run of a model version: every unit's row of ``forecasts`` plus the run's
``period_forecasts`` and ``unit_hour_profile`` rows (no warehouse writes here; the pipeline writes).

Choices (documented in docs/forecasting.md):

- features at ``origin = min(window start, model cut-off)``; the window ``[start, end]`` sets the
  exposure and calendar composition;
- ``expected_crashes`` from the crash model, ``expected_fatal_grievous`` from the fatal+grievous
  model; without a trained model (tiny data) the 3-year naive rate stands in (logged);
- intervals: negative binomial around the mean with the version's backtest dispersion;
- ``rank``: by ``expected_crashes`` (ties: ``expected_fatal_grievous``, then ``unit_id``: the risk
  list's default order), places (cells, stretches) first, then road-wide ``POLICE STATION | ROAD``
  units; ``risk_band`` from cut points on ``expected_crashes`` within those two groups
  (:func:`roadsafety.vocabulary.band_cuts`): at least the value of the top 1% ``very_high``, of the
  top 5% ``high``, of the top 20% ``medium``, the rest ``low`` (monotone in rank);
- ``peak_window``, ``unit_hour_profile`` and ``unit_week_intensity``: from the where-and-when
  model (:mod:`roadsafety.forecasts.where_when`): each unit's expected crashes spread over the hours
  of the week; the peak window is the best window of those intensities, so a risk-list row and a
  drive plan never disagree about when a place is dangerous.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

import polars as pl

from roadsafety.config import Settings
from roadsafety.errors import WindowError
from roadsafety.features import panel
from roadsafety.forecasts import explain, where_when
from roadsafety.models import backtest, lgbm, periods, registry
from roadsafety.store import model_store
from roadsafety.store.connection import read_connection
from roadsafety.vocabulary import band_counts, band_cuts, band_of

log = logging.getLogger(__name__)

CALIBRATION_DAYS = 364  # the year before the cut-off, whose outcome is known
CALIBRATION_CLIP = (0.25, 4.0)
MAX_WINDOW_DAYS = 367  # a calendar year, leap day and an inclusive end day included


def check_window(start: date, end: date) -> None:
    """Raise :class:`WindowError` unless ``start <= end`` and the window is at most a year."""
    if end < start:
        raise WindowError(f"window end {end} is before its start {start}")
    if (end - start).days + 1 > MAX_WINDOW_DAYS:
        raise WindowError(f"window {start}..{end} is longer than {MAX_WINDOW_DAYS} days")


def run_id_for(version_id: str, start: date, end: date) -> str:
    """Deterministic run id: one run per version and window."""
    return f"fc_{version_id}_{start:%Y%m%d}_{end:%Y%m%d}"


def _expected(prep, pair: backtest.ModelPair, frame: pl.DataFrame) -> pl.DataFrame:
    """Add ``expected_crashes`` and ``expected_fatal_grievous`` (with naive fallbacks)."""
    if "expected_lightgbm" in frame.columns:
        frame = frame.with_columns(expected_crashes=pl.col("expected_lightgbm"))
    else:
        log.warning("no trained crash model: forecasting with the 3-year naive rate")
        frame = frame.with_columns(expected_crashes=pl.col("expected_naive_3y"))
    if "expected_lightgbm_fg" in frame.columns:
        return frame.with_columns(expected_fatal_grievous=pl.col("expected_lightgbm_fg"))
    fg, n = pl.col(panel.roll_name("fatal_grievous", 156)), pl.col(panel.roll_name("crashes", 156))
    return frame.with_columns(
        expected_fatal_grievous=pl.col("expected_crashes") * (fg + 1) / (n + 2)
    )


def _calibration(
    prep, pair: backtest.ModelPair, units: pl.DataFrame, cfg: panel.PanelConfig
) -> float:
    """Scale that makes the model's total for the year before the cut-off equal what happened there.

    Applied to every unit alike, it leaves the ranking unchanged and keeps totals (the app's KPI
    cards) honest: without it, empty neighbour cells and the window-length offset inflate the sum of
    unit forecasts. Features for that year are computed at its start (data before it only).
    """
    if pair.crashes is None:
        return 1.0
    origin = prep.cutoff - CALIBRATION_DAYS
    samples = panel.forecast_samples(units, origin, origin, CALIBRATION_DAYS)
    frame = panel.add_targets(backtest.predict_frame(prep.ctx, pair, samples, cfg), prep.ctx.own)
    predicted, actual = frame["expected_lightgbm"].sum(), frame["y_crashes"].sum()
    if not predicted or not actual:
        return 1.0
    factor = min(max(actual / predicted, CALIBRATION_CLIP[0]), CALIBRATION_CLIP[1])
    log.info(
        "calibration: %.0f crashes predicted for the year before the cut-off, %d happened: x%.3f",
        predicted,
        actual,
        factor,
    )
    return factor


def _consistent(frame: pl.DataFrame, factor: float) -> pl.DataFrame:
    """Apply the calibration; expected fatal+grievous never exceeds expected crashes."""
    crashes = pl.col("expected_crashes") * factor
    return frame.with_columns(
        expected_crashes=crashes,
        expected_fatal_grievous=pl.min_horizontal(
            pl.col("expected_fatal_grievous") * factor, crashes
        ),
    )


def _rank(frame: pl.DataFrame) -> pl.DataFrame:
    """Rank 1 = riskiest, by expected crashes (ties: expected fatal+grievous, then unit id: the
    risk list's default order); risk bands from cut points on expected crashes.

    Places (cells, stretches) and road-wide units (``kind = 'ps_road'``: a whole road in a station
    area) are not comparable: places take ranks 1..n first, road-wide units follow, and each group
    gets its own cut points (:func:`roadsafety.vocabulary.band_cuts`: the value of its top 1%, 5%
    and 20%). A band is a threshold on the ranked value, so it never rises down the ranking.
    """
    road_wide = (
        (pl.col("kind") == "ps_road").fill_null(False) if "kind" in frame.columns else pl.lit(False)
    )
    ranked = (
        frame.with_columns(_g=road_wide.cast(pl.Int8))
        .sort(
            ["_g", "expected_crashes", "expected_fatal_grievous", "unit_id"],
            descending=[False, True, True, False],
        )
        .with_row_index("rank", offset=1)
    )
    parts = [ranked.with_columns(risk_band=pl.lit("low")).clear()]
    for group in ranked.partition_by("_g", maintain_order=True):
        values = group["expected_crashes"]
        cuts = band_cuts(values, band_counts(values.drop_nulls().len()))
        parts.append(group.with_columns(risk_band=band_of(pl.col("expected_crashes"), cuts)))
    return pl.concat(parts).with_columns(rank=pl.col("rank").cast(pl.Int32)).drop("_g")


def _intervals(frame: pl.DataFrame, alpha: float) -> pl.DataFrame:
    lo80, hi80 = lgbm.nb_interval(frame["expected_crashes"], alpha, 0.8)
    lo95, hi95 = lgbm.nb_interval(frame["expected_crashes"], alpha, 0.95)
    return frame.with_columns(
        crashes_lo80=lo80, crashes_hi80=hi80, crashes_lo95=lo95, crashes_hi95=hi95
    )


def _factors(pair: backtest.ModelPair, frame: pl.DataFrame, units: pl.DataFrame) -> pl.DataFrame:
    feats = frame.join(
        units.select("unit_idx", "road_name", "police_station", "district", "kind"),
        on="unit_idx",
        how="left",
        maintain_order="left",
    )
    if pair.crashes is None:
        return feats.select("unit_idx", top_factors=pl.lit(explain.NONE_TEXT))
    contrib = lgbm.contributions(pair.crashes, feats)
    return explain.top_factors(contrib, feats)


def _periods(
    settings: Settings, accidents: pl.DataFrame, origin: date, start: date, end: date
) -> pl.DataFrame:
    """District × week forecasts; a failure fails the whole run (nothing is written)."""
    counts = accidents.select(
        week_start=pl.col("occurred_at").dt.date(), district="district", crashes=pl.lit(1)
    )
    return periods.forecast_periods(counts, settings.calendar, as_of=origin, start=start, end=end)


def build_run(
    settings: Settings, prep, champ: dict, start: date, end: date
) -> tuple[dict, tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]]:
    """Compute a full run for ``[start, end]`` with the champion row ``champ``.

    Returns:
        ``(forecast_runs row, (forecasts, period_forecasts, unit_hour_profile,
        unit_week_intensity))``.
    """
    from pathlib import Path

    pair, meta = registry.read_artifacts(Path(champ["artifact_dir"]))
    cfg = panel.PanelConfig(
        **{
            k: tuple(map(tuple, v))
            if k == "horizon_mix"
            else (tuple(v) if isinstance(v, list) else v)
            for k, v in meta["panel"].items()
        }
    )
    units = prep.ctx.inputs.units
    samples = panel.forecast_samples(
        units, prep.cutoff, panel.to_day(start), (end - start).days + 1
    )
    frame = backtest.predict_frame(prep.ctx, pair, samples, cfg)
    frame = _consistent(_expected(prep, pair, frame), _calibration(prep, pair, units, cfg))
    alpha = pair.crashes.alpha if pair.crashes is not None else 0.5
    frame = frame.join(units.select("unit_idx", "unit_id", "kind"), on="unit_idx", how="left")
    frame = _intervals(_rank(frame), alpha).drop("kind")
    frame = frame.join(_factors(pair, frame, units), on="unit_idx", how="left")
    origin = date(1970, 1, 1) + timedelta(days=prep.cutoff)
    frame = frame.join(_recent(settings, origin), on="unit_id", how="left")
    windows = where_when.run_windows(prep.ctx.inputs.events, units, frame, prep.cutoff, start, end)
    frame = frame.join(windows.peak, on="unit_idx", how="left")
    forecasts = _forecast_rows(frame, start, end)
    run = {
        "run_id": run_id_for(champ["version_id"], start, end),
        "version_id": champ["version_id"],
        "created_at": datetime.now().replace(microsecond=0),
        "window_start": start,
        "window_end": end,
        "status": "complete",
        "n_units": forecasts.height,
        "data_cutoff": origin,
    }
    periods_frame = _periods(settings, prep.accidents, origin, start, end)
    return run, (forecasts, periods_frame, windows.profile, windows.intensity)


def _recent(settings: Settings, origin: date) -> pl.DataFrame:
    with read_connection(settings.db_path) as con:
        return model_store.recent_challans(con, origin - timedelta(days=90), origin)


def _forecast_rows(frame: pl.DataFrame, start: date, end: date) -> pl.DataFrame:
    eb = (
        pl.col("expected_empirical_bayes")
        if "expected_empirical_bayes" in frame.columns
        else pl.lit(None)
    )
    return frame.select(
        "unit_id",
        window_start=pl.lit(start),
        window_end=pl.lit(end),
        expected_crashes="expected_crashes",
        expected_fatal_grievous="expected_fatal_grievous",
        crashes_lo80="crashes_lo80",
        crashes_hi80="crashes_hi80",
        crashes_lo95="crashes_lo95",
        crashes_hi95="crashes_hi95",
        eb_expected=eb.cast(pl.Float64),
        risk_band="risk_band",
        rank="rank",
        peak_window="peak_window",
        top_factors="top_factors",
        morth_blackspot=pl.col("morth_blackspot").fill_null(False),
        recent_challans=pl.col("recent_challans").fill_null(0).cast(pl.Int64),
    ).sort("rank")
