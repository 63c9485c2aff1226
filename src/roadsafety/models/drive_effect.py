"""Did the drive cut crashes? The Empirical Bayes before/after index of effectiveness (pure functions).

Hauer's EB before/after study with a comparison group (HSM Part B), for the crash records of a
drive's places, split into *parts* (one per place and spatial unit it touches):

1. ``EB``: the Empirical Bayes expected crashes of a part over the *history* (up to
   ``history_years`` before the drive), from the negative-binomial SPF of
   :mod:`roadsafety.models.empirical_bayes` (``Σμ = share·μ·years``, ``w = 1/(1 + k·Σμ)``,
   ``EB = w·Σμ + (1 − w)·K``). It corrects regression to the mean: places picked for a drive
   because last year was bad are expected to improve by themselves; several years of history make
   one bad year weigh less (Hauer). By default the distribution of the true rate around ``μ`` is
   estimated from every unit (:mod:`roadsafety.models.eb_mixing`) rather than assumed gamma with the
   SPF's ``k``: with blackspots far above what the SPF explains, the gamma pulls the worst places
   too far back and over-corrects (``prior='gamma'`` gives the HSM formula).
2. ``π = r·EB``: the crashes expected in the after period had there been no drive, where ``r`` is
   the ratio of crashes after ÷ over the history in comparable untreated places (same district and
   road category, falling back to the district, the road category, then everything when fewer
   than ``min_group_crashes`` over the history), bias-corrected ``r = (C_a/C_h)/(1 + 1/C_h)``. It
   carries the trend, the season and the period lengths. The same group gives the expectation of
   the season-matched before period (``EB·C_b/C_h``), shown beside the recorded count.
3. With ``λ`` the crashes recorded after: ``θ = (λ/π)/(1 + Var(π)/π²)``,
   ``Var(θ) = θ²(Var(λ)/λ² + Var(π)/π²)/(1 + Var(π)/π²)²``, where ``Var(π) = Σ r²·Var(EB)`` plus,
   per comparison group, ``(Σ EB)²·Var(r)`` with ``Var(r) = r²(1/C_a + 1/C_h)`` (parts sharing a
   group share its error). Hauer takes ``Var(λ) = λ`` (chance alone); real places also swing from
   year to year, so ``Var(λ) = λ + Σ φ·π²`` with ``φ`` measured on the places without a drive
   over the same periods (:func:`~roadsafety.models.drive_study.extra_variation`; 0 in a world
   of pure chance). ``change_pct = 100(θ − 1)``; the interval is ``θ·exp(±z·sd(ln θ))`` (``z``
   for a two-sided ``level``, 90% by default), with ``λ`` floored at 0.5 when no crash happened
   after.

Periods (:func:`study_periods`): the after period starts on the drive's first day and runs up to
``after_months`` months (to the end of the data); the before period has the same length and covers
the same days of the year one year earlier (season-matched), clipped to the start of the data.
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl
from scipy import stats

from roadsafety.models.eb_mixing import MixingPrior, posterior_moments
from roadsafety.models.empirical_bayes import eb_combine
from roadsafety.vocabulary import plural

FELL = "crashes fell: likely the drive"
ROSE = "crashes rose"
NO_CHANGE = "no clear change"
FEW = "no clear change (too few crashes to tell)"
FEW_CRASHES = 5.0
PRIORS = ("fitted", "gamma")
LAMBDA_FLOOR = 0.5
SUMS = ("crashes_before", "crashes_after", "fatal_grievous_before", "fatal_grievous_after")


@dataclass(frozen=True)
class StudyOptions:
    """Choices of the before/after study.

    Attributes:
        after_months: length of the after period (1-12 months from the drive's first day).
        history_years: years of records before the drive the EB estimate uses (1-5; Hauer
            recommends several: the fewer, the more an unusual last year weighs).
        min_after_days: fewer days of after-data give the verdict "too early".
        min_before_days: fewer days of before-data give "too little data before the drive".
        level: two-sided interval level (0.90).
        prior: ``fitted`` (the multiplier's distribution estimated from every unit,
            :mod:`roadsafety.models.eb_mixing`) or ``gamma`` (the HSM's gamma with the SPF's k).
        min_group_crashes: a comparison group needs this many crashes over the history.
    """

    after_months: int = 12
    history_years: int = 3
    prior: str = "fitted"
    min_after_days: int = 90
    min_before_days: int = 90
    level: float = 0.90
    min_group_crashes: int = 30

    def __post_init__(self) -> None:
        if not 1 <= self.after_months <= 12:
            raise ValueError(f"after_months must be 1..12, got {self.after_months}")
        if self.prior not in PRIORS:
            raise ValueError(f"prior must be one of {PRIORS}, got {self.prior!r}")
        if not 1 <= self.history_years <= 5:
            raise ValueError(f"history_years must be 1..5, got {self.history_years}")
        if not 0.5 <= self.level < 1:
            raise ValueError(f"level must be in [0.5, 1), got {self.level}")


@dataclass(frozen=True)
class Periods:
    """Periods of one drive (inclusive days; None when there is no such data).

    ``before`` is the season-matched period of the same length as ``after``; ``history`` is every
    day of data in the ``history_years`` before the drive (it contains ``before``).
    """

    before_start: date | None
    before_end: date | None
    after_start: date
    after_end: date | None
    history_start: date | None = None

    @property
    def history_end(self) -> date | None:
        """The day before the drive (None without history)."""
        return None if self.history_start is None else self.after_start - timedelta(days=1)

    @property
    def history_days(self) -> int:
        """Days of history before the drive."""
        return 0 if self.history_start is None else (self.after_start - self.history_start).days

    @property
    def after_days(self) -> int:
        """Days of after-data (0 when the data ends before the drive starts)."""
        return 0 if self.after_end is None else (self.after_end - self.after_start).days + 1

    @property
    def before_days(self) -> int:
        """Days of before-data."""
        if self.before_start is None or self.before_end is None:
            return 0
        return (self.before_end - self.before_start).days + 1


def add_months(day: date, months: int) -> date:
    """The same day ``months`` calendar months later (clipped to the month's last day)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def study_periods(
    start: date, data_start: date, data_end: date, after_months: int, history_years: int = 1
) -> Periods:
    """Equal, season-matched before and after periods around a drive starting on ``start``.

    Args:
        start: the drive's first day (the first day of the after period).
        data_start: first day with crash data.
        data_end: last day with crash data.
        after_months: the after period's full length in months (1-12).
        history_years: years of history before the drive used by the EB estimate.

    Returns:
        The periods; the after period is cut at ``data_end`` and the before period covers the
        same dates one year earlier, cut at ``data_start``; the history
        runs from ``history_years`` before ``start`` (or ``data_start``) to the day before.
    """
    full_end = add_months(start, after_months) - timedelta(days=1)
    after_end = min(full_end, data_end) if data_end >= start else None
    day_after = (after_end or full_end) + timedelta(days=1)
    before_start = max(add_months(start, -12), data_start)
    before_end = min(add_months(day_after, -12), start) - timedelta(days=1)
    history_start = max(add_months(start, -12 * history_years), data_start)
    history = history_start if history_start < start else None
    if before_end < before_start:
        return Periods(None, None, start, after_end, history)
    return Periods(before_start, before_end, start, after_end, history)


def comparison_ratio(before: pl.Expr, after: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Bias-corrected after/before ratio of comparison crashes and its variance (Poisson counts).

    ``before`` is the comparison count over the period the EB estimate covers (the history).
    """
    ratio = (after / before) / (1.0 + 1.0 / before)
    return ratio, ratio**2 * (1.0 / after.clip(lower_bound=1) + 1.0 / before)


def part_estimates(parts: pl.DataFrame) -> pl.DataFrame:
    """Add each part's expected crashes without the drive, before and after, and their variance.

    Args:
        parts: ``eb_history`` and ``var_eb`` (EB expectation over the history and its variance),
            ``ratio`` (comparison crashes after ÷ over the history), ``before_share``
            (comparison crashes in the before period ÷ over the history) and ``phi`` (the
            places' swing beyond chance, :func:`~roadsafety.models.drive_study.extra_variation`;
            null counts as 0).

    Returns:
        ``parts`` with ``expected_before`` (the EB expectation of the season-matched before
        period), ``expected_after`` (π of the part), ``var_own`` (its variance given the ratio:
        ``r²·Var(EB)``) and ``var_swing`` (``φ·π²``: how much more than chance the after-count
        varies).
    """
    phi = pl.col("phi").fill_null(0.0) if "phi" in parts.columns else pl.lit(0.0)
    out = parts.with_columns(
        (pl.col("before_share") * pl.col("eb_history")).fill_null(0.0).alias("expected_before"),
        (pl.col("ratio") * pl.col("eb_history")).fill_null(0.0).alias("expected_after"),
        (pl.col("ratio") ** 2 * pl.col("var_eb")).fill_null(0.0).alias("var_own"),
    )
    return out.with_columns((phi * pl.col("expected_after") ** 2).alias("var_swing"))


def eb_history(
    observed: np.ndarray, expected: np.ndarray, k: float, prior: MixingPrior | None
) -> tuple[np.ndarray, np.ndarray]:
    """EB expectation over the history and its variance: HSM gamma prior, or the fitted one.

    Args:
        observed: the parts' crashes over the history.
        expected: their SPF expectation over the history (``share·μ·years``).
        k: the SPF's overdispersion (used by the gamma prior).
        prior: a fitted prior (:mod:`roadsafety.models.eb_mixing`), or None for the HSM gamma.
    """
    if prior is not None:
        return posterior_moments(prior, observed, expected)
    weight, eb = eb_combine(expected, observed, k)
    return eb, (1.0 - weight) * eb


def summarise(parts: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """Sum parts into one row per ``by`` group with ``λ``, ``π``, ``Var(π)`` and the counts.

    Args:
        parts: :func:`part_estimates` output plus ``cmp_key`` (comparison group, including its
            periods) and ``ratio_var``; parts of one ``cmp_key`` share the ratio's error.
        by: grouping columns (at least one).

    Returns:
        ``by`` columns, :data:`SUMS`, ``expected_before``, ``expected_after_without_drive`` (π),
        ``var_expected`` (Var(π)) and ``var_swing`` (the after-count's variance beyond chance).
    """
    cols = (*SUMS, "expected_before", "expected_after", "var_own", "var_swing", "eb_history")
    per_group = parts.group_by(*by, "cmp_key").agg(
        *[pl.col(c).sum() for c in cols], pl.col("ratio_var").first()
    )
    shared = pl.col("eb_history") ** 2 * pl.col("ratio_var").fill_null(0.0)
    return (
        per_group.with_columns(shared.alias("var_ratio"))
        .group_by(*by)
        .agg(
            *[pl.col(c).sum() for c in SUMS],
            pl.col("expected_before").sum(),
            pl.col("expected_after").sum().alias("expected_after_without_drive"),
            (pl.col("var_own").sum() + pl.col("var_ratio").sum()).alias("var_expected"),
            pl.col("var_swing").sum(),
        )
        .sort(by)
    )


def effect_index(frame: pl.DataFrame, level: float = 0.90) -> pl.DataFrame:
    """Add ``theta``, ``change_pct``, ``ci_low_pct``, ``ci_high_pct`` to :func:`summarise` rows.

    The after-count varies by ``λ + var_swing`` (chance plus the swing places show without a drive;
    ``var_swing`` absent counts as 0). Null when nothing was expected (π = 0).
    """
    z = float(stats.norm.ppf(0.5 + level / 2.0))
    lam, pi = pl.col("crashes_after").cast(pl.Float64), pl.col("expected_after_without_drive")
    swing = pl.col("var_swing").fill_null(0.0) if "var_swing" in frame.columns else pl.lit(0.0)
    rel = pl.col("var_expected") / pi**2
    theta = (lam / pi) / (1.0 + rel)
    floor = lam.clip(lower_bound=LAMBDA_FLOOR)
    floored = (floor / pi) / (1.0 + rel)
    sd_log = ((floor + swing) / floor**2 + rel).sqrt() / (1.0 + rel)
    ok = pi > 0
    return frame.with_columns(
        pl.when(ok).then(theta).alias("theta"),
        pl.when(ok).then(100.0 * (theta - 1.0)).alias("change_pct"),
        pl.when(ok).then(100.0 * (floored * (-z * sd_log).exp() - 1.0)).alias("ci_low_pct"),
        pl.when(ok).then(100.0 * (floored * (z * sd_log).exp() - 1.0)).alias("ci_high_pct"),
    )


def verdict(row: dict, options: StudyOptions) -> str:
    """The plain-words verdict of one result row (see the module docstring for the rules).

    Args:
        row: ``after_days, before_days, ci_low_pct, ci_high_pct, crashes_after,
            expected_after_without_drive``.
        options: the study's thresholds.
    """
    if row["after_days"] < options.min_after_days:
        return f"too early: {plural(row['after_days'], 'day')} of after-data"
    if row["before_days"] < options.min_before_days:
        return f"too little data before the drive: {row['before_days']} days"
    lo, hi = row.get("ci_low_pct"), row.get("ci_high_pct")
    if lo is None or hi is None or math.isnan(lo) or math.isnan(hi):
        return FEW
    if hi < 0:
        return FELL
    if lo > 0:
        return ROSE
    seen = (row.get("crashes_after") or 0) + (row.get("expected_after_without_drive") or 0.0)
    return FEW if seen < FEW_CRASHES else NO_CHANGE


def naive_change_pct(crashes_before: int, crashes_after: int) -> float | None:
    """What a plain before/after comparison claims: 100·(after/before − 1) (None without before)."""
    return None if not crashes_before else 100.0 * (crashes_after / crashes_before - 1.0)
