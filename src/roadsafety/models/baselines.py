"""Honest baselines, always run beside the models (pure Polars).

Each baseline gives an expected count for the sample's window and a ranking score:

- ``naive_1y``: crashes of the last 52 weeks, scaled to the window (ties broken by the 3-year count);
- ``naive_3y``: crashes of the last 156 weeks as a yearly rate (over the history actually available
  when shorter), scaled to the window (ties broken by the last year);
- ``seasonal_naive``: crashes in the same window one year earlier (for a year window: the last year);
- ``morth_rule``: the MoRTH blackspot rule — at least 5 fatal-or-grievous crashes or at least 10 deaths
  in the last 3 complete calendar years before the origin. It flags, it does not rank: flagged units
  come first, ordered by their fatal+grievous count then deaths; its expected count is its 3-year
  crash rate for flagged units and 0 otherwise.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

import numpy as np
import polars as pl

from roadsafety.features.events import EventIndex, window_sum
from roadsafety.features.panel import roll_name
from roadsafety.models import empirical_bayes as eb
from roadsafety.models.morth import MORTH_FG, MORTH_KILLED

log = logging.getLogger(__name__)

BASELINES = ("naive_1y", "naive_3y", "seasonal_naive", "morth_rule")


def _jan1(day_number: int, years_back: int) -> int:
    d = date(1970, 1, 1) + timedelta(days=int(day_number))
    return (date(d.year - years_back, 1, 1) - date(1970, 1, 1)).days


def morth_counts(samples: pl.DataFrame, index: EventIndex) -> pl.DataFrame:
    """Fatal+grievous crashes, deaths and crashes of each unit in the 3 calendar years before origin.

    Args:
        samples: ``unit_idx, origin`` rows.
        index: crash index by ``unit_idx`` with ``fg`` and ``killed`` weights.

    Returns:
        ``samples`` with ``morth_fg_3y, morth_killed_3y, morth_crashes_3y, morth_blackspot``.
    """
    origins = samples.select("origin").unique()
    bounds = origins.with_columns(
        _lo=pl.col("origin").map_elements(lambda t: _jan1(t, 3), return_dtype=pl.Int64),
        _hi=pl.col("origin").map_elements(lambda t: _jan1(t, 0), return_dtype=pl.Int64),
    )
    s = samples.join(bounds, on="origin", how="left", maintain_order="left")
    u, lo, hi = s["unit_idx"], s["_lo"], s["_hi"]
    out = s.with_columns(
        morth_fg_3y=window_sum(index, u, lo, hi, "fg"),
        morth_killed_3y=window_sum(index, u, lo, hi, "killed"),
        morth_crashes_3y=window_sum(index, u, lo, hi),
    ).drop("_lo", "_hi")
    return out.with_columns(
        morth_blackspot=(pl.col("morth_fg_3y") >= MORTH_FG)
        | (pl.col("morth_killed_3y") >= MORTH_KILLED)
    )


def baseline_predictions(frame: pl.DataFrame) -> pl.DataFrame:
    """Expected counts and ranking scores of every baseline.

    Args:
        frame: features (:mod:`roadsafety.features.build`) plus :func:`morth_counts` columns.

    Returns:
        ``unit_idx`` plus ``expected_<b>`` and ``score_<b>`` for each baseline in :data:`BASELINES`.
    """
    h = pl.col("horizon").cast(pl.Float64)
    w52, w156 = pl.col(roll_name("crashes", 52)), pl.col(roll_name("crashes", 156))
    years3 = pl.col("history_days").clip(28, 156 * 7) / 364.0
    rate3 = w156 / years3
    flagged = pl.col("morth_blackspot")
    return frame.select(
        "unit_idx",
        expected_naive_1y=w52 * h / 364.0,
        score_naive_1y=w52 + 0.001 * w156,
        expected_naive_3y=rate3 * h / 364.0,
        score_naive_3y=rate3 + 0.001 * w52,
        expected_seasonal_naive=pl.col("crashes_same_window_last_year") * (h / h.clip(1, 364)),
        score_seasonal_naive=pl.col("crashes_same_window_last_year") + 0.001 * w156,
        expected_morth_rule=pl.when(flagged)
        .then(pl.col("morth_crashes_3y") / 3.0 * h / 364.0)
        .otherwise(0.0),
        score_morth_rule=flagged.cast(pl.Float64) * 1e6
        + pl.col("morth_fg_3y") * 100.0
        + pl.col("morth_killed_3y"),
    )


def empirical_bayes_predictions(frame: pl.DataFrame, units: pl.DataFrame) -> pl.DataFrame | None:
    """The negative-binomial SPF + Empirical Bayes of :mod:`roadsafety.models.empirical_bayes`,
    fitted on the history before the origin.

    Observed counts are each unit's crashes of the last 156 weeks over the history it had (years),
    covariates road category, unit kind and log(1 + k=1 neighbour crashes). All samples must share
    one window length. Returns ``unit_idx, expected_empirical_bayes, score_empirical_bayes`` or None
    (logged) when the fit fails: the backtest goes on without this baseline.
    """
    horizon = float(frame["horizon"][0]) if frame.height else 364.0
    data = frame.join(
        units.select("unit_idx", "unit_id", "road_category", "kind"),
        on="unit_idx",
        how="left",
        maintain_order="left",
    ).select(
        "unit_idx",
        "unit_id",
        crashes=pl.col(roll_name("crashes", 156)),
        years=pl.col("history_days").clip(28, 156 * 7) / 365.25,
        road_category=pl.col("road_category"),
        kind=pl.col("kind"),
        log_neighbour_crashes=pl.col(f"nbr_k1_{roll_name('crashes', 156)}").log1p(),
    )
    try:
        model = eb.fit_spf(data)
        out = eb.empirical_bayes(data, model, window_years=horizon / 365.25)
    except (ValueError, RuntimeError, ArithmeticError, np.linalg.LinAlgError) as exc:
        log.warning("Empirical Bayes failed (%s): baseline off for this run", exc)
        return None
    res = data.select("unit_idx", "unit_id").join(
        out.select("unit_id", "eb_expected"), on="unit_id", how="left", maintain_order="left"
    )
    return res.select(
        "unit_idx",
        expected_empirical_bayes=pl.col("eb_expected").fill_null(0.0),
        score_empirical_bayes=pl.col("eb_expected").fill_null(0.0),
    )
