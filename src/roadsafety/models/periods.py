"""High-risk periods: district × week crash counts forecast with SARIMAX (ETS / mean fallbacks).

Pure functions, no I/O. API:

- :func:`weekly_counts` ``(counts, as_of=...)`` → complete district × week grid (zeros filled) of
  the weeks that ended before ``as_of``, plus the region total under :data:`ALL` (``'(all)'``; rows
  with a null district count there only). ``counts`` may hold weekly counts or one row per day/crash
  date: dates are truncated to their Monday and summed.
- :func:`forecast_periods` ``(counts, cal, as_of=, start=, end=)`` → one row per district (and
  ``'(all)'``) and Monday-starting week touching ``[start, end]``, columns exactly those of table
  ``period_forecasts`` minus ``run_id`` (:data:`PERIOD_COLUMNS`).
- :func:`backtest_periods` ``(counts, cal, origins=, horizon_weeks=)`` → long frame ``fold,
  fold_start, fold_end, metric, value`` with ``coverage80``, ``coverage95``, ``mae`` over held-out
  district-weeks.

Model per series (documented choices):

- Weekly counts regressed on the calendar with AR(1) errors and a constant (statsmodels ``ARIMA``,
  i.e. SARIMAX(1,0,0) with exogenous regressors, estimated by Burg + feasible GLS because numerical
  MLE is ~10x slower; forecasts and their variance come from the state-space model). Regressors:
  calendar shares of the week (fog, monsoon, festival, holiday from
  :mod:`roadsafety.features.calendar`) and, with two years or more of history, two annual Fourier
  pairs anchored on the day of year. Regressors constant over the history are dropped. History is
  capped at :data:`MAX_HISTORY_WEEKS` (4 years: the constant follows the recent level); statsmodels
  warnings are silenced.
- When SARIMAX fails or gives non-finite output: ETS (additive error, no trend/season). When the
  series is short (< :data:`MIN_WEEKS` weeks) or has fewer than :data:`MIN_CRASHES` crashes: the
  mean of the last 52 weeks with Poisson intervals.
- Intervals: the model's Gaussian sd is widened by a factor learnt on the last year of history
  (refit without it, compare errors with the predicted variance: :func:`_interval_scale`, 1-3), then
  the interval is the union of that Gaussian interval and the Poisson interval around the forecast
  mean (counts are never tighter than Poisson), floored at 0.
- ``high_risk``: the forecast is at least :data:`HIGH_RISK_UPLIFT` above the district's typical week
  (mean of its last 52 weeks), or the week is among the top :data:`TOP_WEEK_SHARE` of the district's
  forecast weeks and above typical.
- ``drivers``: '; '-joined readable reasons for the week: festival names in the week (``Diwali``…),
  ``public holiday``, ``fog season``, ``monsoon`` (each only when the fitted coefficient raises the
  count, or always for the fallbacks) and ``seasonal high`` (annual cycle ≥ 5% above typical).
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import polars as pl
from scipy import stats

from roadsafety import schemas
from roadsafety.config import CalendarConfig
from roadsafety.features.calendar import calendar_weeks
from roadsafety.vocabulary import ALL

log = logging.getLogger(__name__)

PERIOD_COLUMNS = tuple(schemas.PERIOD_FORECASTS)
CALENDAR_REGRESSORS = {
    "fog_share": "fog season",
    "monsoon_share": "monsoon",
    "festival_share": "festival",
    "holiday_share": "public holiday",
}
FOURIER = ("sin1", "cos1", "sin2", "cos2")
MIN_WEEKS = 16
MIN_CRASHES = 10
FOURIER_MIN_WEEKS = 104
MAX_HISTORY_WEEKS = 208
HIGH_RISK_UPLIFT = 0.10
TOP_WEEK_SHARE = 0.10
SEASONAL_DRIVER = 0.05
CALIBRATION_WEEKS = 52
MAX_SCALE = 3.0
Z = {0.80: stats.norm.ppf(0.90), 0.95: stats.norm.ppf(0.975)}


@dataclass
class SeriesForecast:
    """Forecast of one series: mean and interval bounds per future week, and how it was made."""

    mean: np.ndarray
    sd: np.ndarray
    method: str
    coefs: dict[str, float] = field(default_factory=dict)


def monday(day: date) -> date:
    """The Monday on or before ``day``."""
    return day - timedelta(days=day.weekday())


def weekly_counts(
    counts: pl.DataFrame,
    *,
    as_of: date,
    date_col: str = "week_start",
    district_col: str = "district",
    count_col: str = "crashes",
) -> pl.DataFrame:
    """Complete ``district, week_start, crashes`` grid of the weeks ending before ``as_of``.

    Args:
        counts: rows with a date (any day; truncated to Monday), a district and a count.
        as_of: cut-off: only weeks with ``week_start + 7 days <= as_of`` are kept.
        date_col, district_col, count_col: column names in ``counts``.

    Returns:
        Every district × every week from the first week in the data (at most
        :data:`MAX_HISTORY_WEEKS`), plus :data:`ALL`; missing weeks are 0.
    """
    missing = [c for c in (date_col, district_col, count_col) if c not in counts.columns]
    if missing:
        raise ValueError(f"counts frame lacks column(s): {', '.join(missing)}")
    last = monday(as_of) - timedelta(days=7)
    rows = counts.select(
        pl.col(date_col).cast(pl.Date).dt.truncate("1w").alias("week_start"),
        pl.col(district_col).cast(pl.Utf8).alias("district"),
        pl.col(count_col).cast(pl.Float64).fill_null(0.0).alias("crashes"),
    ).filter(pl.col("week_start") <= last)
    if rows.is_empty():
        return pl.DataFrame(
            schema={"district": pl.Utf8, "week_start": pl.Date, "crashes": pl.Float64}
        )
    earliest = last - timedelta(weeks=MAX_HISTORY_WEEKS - 1)
    first = max(rows["week_start"].min(), earliest)  # type: ignore[type-var]
    weeks = pl.DataFrame({"week_start": pl.date_range(first, last, "1w", eager=True)})
    total = rows.with_columns(district=pl.lit(ALL))
    both = pl.concat([rows.filter(pl.col("district").is_not_null()), total])
    summed = both.group_by("district", "week_start").agg(pl.col("crashes").sum())
    grid = both.select("district").unique().join(weeks, how="cross")
    return (
        grid.join(summed, on=["district", "week_start"], how="left")
        .with_columns(pl.col("crashes").fill_null(0.0))
        .sort("district", "week_start")
    )


def _regressor_frame(
    first: date, last: date, cal: CalendarConfig, fog_from_day: int
) -> pl.DataFrame:
    """Calendar shares and annual Fourier terms for every week from ``first`` to ``last``."""
    weeks = calendar_weeks(first, last + timedelta(days=6), cal, fog_from_day=fog_from_day)
    angle = 2 * np.pi * (pl.col("week_start").dt.ordinal_day().cast(pl.Float64) + 3.0) / 365.25
    return weeks.with_columns(
        sin1=angle.sin(), cos1=angle.cos(), sin2=(2 * angle).sin(), cos2=(2 * angle).cos()
    )


def to_design_matrix(frame: pl.DataFrame, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The only place a period frame becomes numpy: ``(crashes or empty, regressors)``."""
    y = frame["crashes"].to_numpy().astype(float) if "crashes" in frame.columns else np.empty(0)
    x = frame.select(names).to_numpy().astype(float) if names else np.empty((frame.height, 0))
    return y, x


def _usable(history: pl.DataFrame) -> list[str]:
    """Regressors that vary over the history (constant ones are collinear with the constant)."""
    names = list(CALENDAR_REGRESSORS)
    if history.height >= FOURIER_MIN_WEEKS:
        names += list(FOURIER)
    return [n for n in names if history[n].n_unique() > 1]


def _fit_sarimax(
    y: np.ndarray, x: np.ndarray, x_new: np.ndarray, names: list[str]
) -> SeriesForecast:
    """Regression on the calendar with AR(1) errors (statsmodels ARIMA, SARIMAX state space).

    Estimated by Burg + feasible GLS (closed form, ~10x faster than numerical MLE), forecast by
    the state-space model with those parameters.
    """
    from statsmodels.tsa.arima.model import ARIMA

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = ARIMA(y, exog=x if names else None, order=(1, 0, 0), trend="c")
        res = model.fit(method="burg", gls=True)
        pred = res.get_forecast(len(x_new), exog=x_new if names else None)
    mean, sd = np.asarray(pred.predicted_mean), np.sqrt(np.asarray(pred.var_pred_mean))
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(sd))):
        raise ValueError("non-finite SARIMAX forecast")
    params = np.asarray(res.params, dtype=float)
    return SeriesForecast(
        mean, sd, "sarimax", {n: float(params[i + 1]) for i, n in enumerate(names)}
    )


def _fit_ets(y: np.ndarray, steps: int, maxiter: int) -> SeriesForecast:
    """ETS(A,N,N): simple exponential smoothing, analytic variance σ²(1 + (h−1)α²)."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = ETSModel(y, error="add", trend=None).fit(disp=False, maxiter=maxiter)
        mean = np.asarray(res.forecast(steps), dtype=float)
    alpha = float(res.params[0])
    sd = np.sqrt(float(res.mse) * (1 + np.arange(steps) * alpha**2))
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(sd))):
        raise ValueError("non-finite ETS forecast")
    return SeriesForecast(mean, sd, "ets")


def _mean_forecast(y: np.ndarray, steps: int) -> SeriesForecast:
    level = float(np.mean(y[-52:])) if len(y) else 0.0
    return SeriesForecast(np.full(steps, level), np.zeros(steps), "mean")


def _interval_scale(y: np.ndarray, x: np.ndarray, names: list[str]) -> float:
    """Widening factor for the model's sd, from a hold-out of the last year of history.

    Refits without the last :data:`CALIBRATION_WEEKS` weeks, forecasts them, and returns
    ``sqrt(mean(error²) / mean(predicted variance))`` clipped to ``[1, MAX_SCALE]`` (1 when the
    history is too short). The model's own variance ignores level drift and parameter error.
    """
    cut = len(y) - CALIBRATION_WEEKS
    if cut < max(MIN_WEEKS, CALIBRATION_WEEKS) or y[:cut].sum() < MIN_CRASHES:
        return 1.0
    kept = [n for i, n in enumerate(names) if np.ptp(x[:cut, i]) > 0]
    cols = [names.index(n) for n in kept]
    try:
        held = _fit_sarimax(y[:cut], x[:cut][:, cols], x[cut:][:, cols], kept)
    except (ValueError, np.linalg.LinAlgError, IndexError):
        return 1.0
    ratio = np.mean((y[cut:] - held.mean) ** 2) / max(float(np.mean(held.sd**2)), 1e-9)
    return float(np.clip(np.sqrt(ratio), 1.0, MAX_SCALE))


def forecast_series(
    y: np.ndarray, x: np.ndarray, x_new: np.ndarray, names: list[str], *, maxiter: int = 50
) -> SeriesForecast:
    """Forecast one weekly series: SARIMAX, else ETS, else the recent mean (module docstring)."""
    steps = len(x_new)
    if len(y) < MIN_WEEKS or y.sum() < MIN_CRASHES:
        return _mean_forecast(y, steps)
    try:
        fc = _fit_sarimax(y, x, x_new, names)
        fc.sd = fc.sd * _interval_scale(y, x, names)
        return fc
    except (ValueError, np.linalg.LinAlgError, IndexError) as exc:
        log.warning("periods: SARIMAX failed (%s); ETS", exc)
    try:
        return _fit_ets(y, steps, maxiter)
    except (ValueError, np.linalg.LinAlgError, IndexError) as exc:
        log.warning("periods: ETS failed (%s); recent mean", exc)
    return _mean_forecast(y, steps)


def _intervals(fc: SeriesForecast) -> dict[str, np.ndarray]:
    """Union of Gaussian and Poisson intervals around the (non-negative) mean."""
    mean = np.maximum(fc.mean, 0.0)
    out: dict[str, np.ndarray] = {"expected": mean}
    for level, tag in ((0.80, "80"), (0.95, "95")):
        tail = (1 - level) / 2
        p_lo, p_hi = stats.poisson.ppf(tail, mean), stats.poisson.ppf(1 - tail, mean)
        g_lo, g_hi = fc.mean - Z[level] * fc.sd, fc.mean + Z[level] * fc.sd
        out[f"lo{tag}"] = np.maximum(np.minimum(g_lo, np.nan_to_num(p_lo)), 0.0)
        out[f"hi{tag}"] = np.maximum(g_hi, np.nan_to_num(p_hi))
    return out


def _drivers(future: pl.DataFrame, fc: SeriesForecast, typical: float) -> list[str]:
    """Readable reasons per future week (module docstring)."""
    raises = {n: fc.method != "sarimax" or fc.coefs.get(n, 0.0) > 0 for n in CALENDAR_REGRESSORS}
    season = np.zeros(future.height)
    if all(n in fc.coefs for n in FOURIER):
        season = future.select(FOURIER).to_numpy() @ np.array([fc.coefs[n] for n in FOURIER])
    texts = []
    for row, seas in zip(future.iter_rows(named=True), season):
        parts = [f for f in row["festivals"].split("; ") if f] if raises["festival_share"] else []
        if raises["holiday_share"] and row["holiday_share"] > 0 and not parts:
            parts.append("public holiday")
        parts += [
            CALENDAR_REGRESSORS[n]
            for n in ("fog_share", "monsoon_share")
            if raises[n] and row[n] > 0
        ]
        if typical > 0 and seas >= SEASONAL_DRIVER * typical:
            parts.append("seasonal high")
        texts.append("; ".join(parts))
    return texts


def _high_risk(expected: np.ndarray, typical: float) -> np.ndarray:
    above = expected >= (1 + HIGH_RISK_UPLIFT) * typical if typical > 0 else expected > 0
    if len(expected) == 0:
        return above
    cut = np.quantile(expected, 1 - TOP_WEEK_SHARE)
    return above | ((expected >= cut) & (expected > typical) & (expected > 0))


def _forecast_district(history: pl.DataFrame, future: pl.DataFrame, maxiter: int) -> pl.DataFrame:
    """Forecast one district's weekly series over ``future`` (rows of the regressor frame)."""
    names = _usable(history) if history.height >= MIN_WEEKS else []
    y, x = to_design_matrix(history, names)
    _, x_new = to_design_matrix(future, names)
    fc = forecast_series(y, x, x_new, names, maxiter=maxiter)
    typical = float(np.mean(y[-52:])) if len(y) else 0.0
    bounds = _intervals(fc)
    return future.select(period_start="week_start", period_end="week_end").with_columns(
        **{k: pl.Series(v, dtype=pl.Float64) for k, v in bounds.items()},
        high_risk=pl.Series(_high_risk(bounds["expected"], typical), dtype=pl.Boolean),
        drivers=pl.Series(_drivers(future, fc, typical), dtype=pl.Utf8),
    )


def forecast_periods(
    counts: pl.DataFrame,
    cal: CalendarConfig,
    *,
    as_of: date,
    start: date,
    end: date,
    date_col: str = "week_start",
    district_col: str = "district",
    count_col: str = "crashes",
    districts: list[str] | None = None,
    fog_from_day: int = 1,
    maxiter: int = 50,
) -> pl.DataFrame:
    """Weekly forecasts, 80%/95% intervals, high-risk flags and drivers per district and (all).

    Args:
        counts: crash counts by date (or week) and district, data strictly before ``as_of`` is used.
        cal: calendar settings for the regressors.
        as_of: data cut-off (training uses complete weeks ending on or before it).
        start, end: forecast window (inclusive); every Monday-week touching it gets a row.
        date_col, district_col, count_col: column names in ``counts``.
        districts: districts that must appear even without history (forecast 0).
        fog_from_day: see :func:`roadsafety.features.calendar.calendar_days`.
        maxiter: optimiser iteration cap per series.

    Returns:
        Frame with :data:`PERIOD_COLUMNS` (table ``period_forecasts`` minus ``run_id``).
    """
    grid = weekly_counts(
        counts, as_of=as_of, date_col=date_col, district_col=district_col, count_col=count_col
    )
    first_future, last_future = monday(as_of), monday(max(end, as_of))
    first_hist = grid["week_start"].min() if grid.height else first_future
    regs = _regressor_frame(first_hist, last_future, cal, fog_from_day)  # type: ignore[arg-type]
    future = regs.filter(pl.col("week_start") >= first_future)
    names = sorted(set(grid["district"].to_list()) | set(districts or []) | {ALL})
    frames = []
    for name in names:
        history = grid.filter(pl.col("district") == name).join(regs, on="week_start", how="left")
        frames.append(
            _forecast_district(history, future, maxiter).with_columns(district=pl.lit(name))
        )
    out = pl.concat(frames).filter(pl.col("period_end") >= start, pl.col("period_start") <= end)
    return out.select(PERIOD_COLUMNS).sort("district", "period_start")


def backtest_periods(
    counts: pl.DataFrame,
    cal: CalendarConfig,
    *,
    origins: list[date],
    horizon_weeks: int = 13,
    date_col: str = "week_start",
    district_col: str = "district",
    count_col: str = "crashes",
    maxiter: int = 50,
) -> pl.DataFrame:
    """Rolling-origin check of the period forecasts on held-out weeks.

    For each origin the model sees complete weeks before it and forecasts the next
    ``horizon_weeks`` weeks; these are compared with the actual counts (all districts and
    ``'(all)'``).

    Returns:
        Long frame ``fold, fold_start, fold_end, metric, value`` with metrics ``coverage80``,
        ``coverage95`` (share of district-weeks inside the interval) and ``mae``.
    """
    cols = {"date_col": date_col, "district_col": district_col, "count_col": count_col}
    rows = []
    for fold, origin in enumerate(sorted(origins)):
        start = monday(origin) if origin.weekday() == 0 else monday(origin) + timedelta(days=7)
        end = start + timedelta(weeks=horizon_weeks) - timedelta(days=1)
        fc = forecast_periods(
            counts, cal, as_of=start, start=start, end=end, maxiter=maxiter, **cols
        )
        actual = weekly_counts(counts, as_of=end + timedelta(days=1), **cols)
        rows += [(fold, start, end, m, v) for m, v in _score(fc, actual).items()]
    schema = {
        "fold": pl.Int32,
        "fold_start": pl.Date,
        "fold_end": pl.Date,
        "metric": pl.Utf8,
        "value": pl.Float64,
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


def _score(forecast: pl.DataFrame, actual: pl.DataFrame) -> dict[str, float]:
    """Interval coverage and MAE of weekly forecasts against the actual weekly counts."""
    both = forecast.join(
        actual,
        left_on=["district", "period_start"],
        right_on=["district", "week_start"],
        how="left",
    )
    y = pl.col("crashes").fill_null(0.0)
    row = both.select(
        coverage80=((y >= pl.col("lo80")) & (y <= pl.col("hi80"))).mean(),
        coverage95=((y >= pl.col("lo95")) & (y <= pl.col("hi95"))).mean(),
        mae=(y - pl.col("expected")).abs().mean(),
    ).row(0, named=True)
    return {name: float(value) for name, value in row.items()}
