"""The before/after index of effectiveness: periods, θ and its interval, verdicts, priors."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import polars as pl
import pytest
from scipy import stats

from roadsafety.models import drive_effect as de
from roadsafety.models.eb_mixing import fit_mixing_prior, posterior_moments
from roadsafety.models.empirical_bayes import eb_combine

DATA = (date(2020, 1, 1), date(2025, 12, 31))


def test_full_year_after_and_the_year_before() -> None:
    p = de.study_periods(date(2024, 3, 1), *DATA, after_months=12, history_years=3)
    assert (p.after_start, p.after_end) == (date(2024, 3, 1), date(2025, 2, 28))
    assert (p.before_start, p.before_end) == (date(2023, 3, 1), date(2024, 2, 29))
    assert (p.history_start, p.history_end) == (date(2021, 3, 1), date(2024, 2, 29))
    assert p.after_days == 365 and p.before_days == 366


def test_short_after_period_is_matched_to_the_same_days_a_year_earlier() -> None:
    p = de.study_periods(date(2025, 11, 22), *DATA, after_months=12)
    assert p.after_days == 40
    assert (p.before_start, p.before_end) == (date(2024, 11, 22), date(2024, 12, 31))


def test_no_after_data_and_clipped_before_data() -> None:
    late = de.study_periods(date(2026, 2, 1), *DATA, after_months=12)
    assert late.after_end is None and late.after_days == 0
    early = de.study_periods(date(2020, 4, 1), *DATA, after_months=12, history_years=3)
    assert early.before_start == date(2020, 1, 1) and early.before_days == 91
    assert early.history_start == date(2020, 1, 1)
    none = de.study_periods(date(2020, 1, 1), *DATA, after_months=12)
    assert none.before_days == 0 and none.history_days == 0


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="after_months"):
        de.StudyOptions(after_months=13)
    with pytest.raises(ValueError, match="prior"):
        de.StudyOptions(prior="flat")


def test_comparison_ratio_is_bias_corrected() -> None:
    ratio, var = de.comparison_ratio(pl.lit(100.0), pl.lit(90.0))
    got = pl.select(ratio.alias("r"), var.alias("v")).row(0)
    assert got[0] == pytest.approx(0.9 / 1.01)
    assert got[1] == pytest.approx(got[0] ** 2 * (1 / 90 + 1 / 100))


def _summary(lam: int, pi: float, var: float) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "crashes_after": [lam],
            "expected_after_without_drive": [pi],
            "var_expected": [var],
        }
    )


def test_effect_index_follows_hauer() -> None:
    lam, pi, var = 70, 100.0, 25.0
    row = de.effect_index(_summary(lam, pi, var), 0.90).row(0, named=True)
    rel = var / pi**2
    theta = (lam / pi) / (1 + rel)
    assert row["theta"] == pytest.approx(theta)
    assert row["change_pct"] == pytest.approx(100 * (theta - 1))
    sd = math.sqrt(1 / lam + rel) / (1 + rel)
    z = stats.norm.ppf(0.95)
    assert row["ci_low_pct"] == pytest.approx(100 * (theta * math.exp(-z * sd) - 1))
    assert row["ci_high_pct"] == pytest.approx(100 * (theta * math.exp(z * sd) - 1))


def test_effect_index_without_crashes_after_or_without_expectation() -> None:
    zero = de.effect_index(_summary(0, 8.0, 1.0)).row(0, named=True)
    assert zero["change_pct"] == pytest.approx(-100.0)
    assert -100 < zero["ci_high_pct"] < 0  # the interval uses lambda floored at 0.5
    nothing = de.effect_index(_summary(0, 0.0, 0.0)).row(0, named=True)
    assert nothing["change_pct"] is None and nothing["ci_low_pct"] is None


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ({"after_days": 40, "before_days": 40}, "too early: 40 days of after-data"),
        ({"after_days": 0, "before_days": 365}, "too early: 0 days of after-data"),
        ({"after_days": 365, "before_days": 30}, "too little data before the drive: 30 days"),
        ({"ci_low_pct": -45.0, "ci_high_pct": -8.0}, "crashes fell: likely the drive"),
        ({"ci_low_pct": 5.0, "ci_high_pct": 40.0}, "crashes rose"),
        ({"ci_low_pct": -30.0, "ci_high_pct": 12.0}, "no clear change"),
        (
            {"ci_low_pct": -80.0, "ci_high_pct": 200.0, "crashes_after": 1, "expected": 2.0},
            "no clear change (too few crashes to tell)",
        ),
        ({"ci_low_pct": None, "ci_high_pct": None}, "no clear change (too few crashes to tell)"),
    ],
)
def test_verdicts_in_plain_words(row: dict, expected: str) -> None:
    full = {
        "after_days": 365,
        "before_days": 365,
        "crashes_after": 50,
        "expected_after_without_drive": row.pop("expected", 60.0),
    } | row
    assert de.verdict(full, de.StudyOptions()) == expected


def test_naive_change() -> None:
    assert de.naive_change_pct(40, 30) == pytest.approx(-25.0)
    assert de.naive_change_pct(0, 3) is None


def test_gamma_prior_is_the_hsm_formula() -> None:
    observed, expected = np.array([0.0, 4.0, 20.0]), np.array([2.0, 2.0, 2.0])
    estimate, variance = de.eb_history(observed, expected, 0.5, None)
    weight, eb = eb_combine(expected, observed, 0.5)
    np.testing.assert_allclose(estimate, eb)
    np.testing.assert_allclose(variance, (1 - weight) * eb)
    assert estimate[2] < 20.0 and estimate[0] > 0.0  # pulled towards the SPF both ways


def test_fitted_prior_recovers_a_heavy_tail_the_gamma_misses() -> None:
    """Most units at the SPF rate, 3% five times worse: a unit with 12 crashes is one of those."""
    rng = np.random.default_rng(3)
    n = 6000
    expected = rng.uniform(1.0, 3.0, n)
    hot = rng.random(n) < 0.03
    observed = rng.poisson(expected * np.where(hot, 5.0, 1.0)).astype(float)
    prior = fit_mixing_prior(observed, expected)
    assert prior.weights.sum() == pytest.approx(1.0)
    assert prior.mean == pytest.approx(1.12, abs=0.05)
    fitted, _ = posterior_moments(prior, np.array([12.0]), np.array([2.0]))
    moments_k = max(0.0, float(np.sum((observed - expected) ** 2 - observed) / np.sum(expected**2)))
    gamma, _ = de.eb_history(np.array([12.0]), np.array([2.0]), moments_k, None)
    assert fitted[0] == pytest.approx(10.0, abs=1.5)  # the true rate of a hot unit: 5 x 2
    assert gamma[0] < fitted[0] - 2.0  # the gamma pulls it far back towards 2


def test_posterior_is_zero_without_expectation_and_prior_without_information() -> None:
    prior = fit_mixing_prior(np.array([0.0, 0.0]), np.array([0.0, 0.0]))
    assert prior.grid.tolist() == [1.0] and prior.iterations == 0
    mean, var = posterior_moments(prior, np.array([3.0]), np.array([0.0]))
    assert mean[0] == 0.0 and var[0] == 0.0


def test_the_swing_of_places_widens_the_interval_not_the_estimate() -> None:
    plain = de.effect_index(_summary(70, 100.0, 25.0)).row(0, named=True)
    swung = de.effect_index(
        _summary(70, 100.0, 25.0).with_columns(pl.lit(300.0).alias("var_swing"))
    )
    swung = swung.row(0, named=True)
    assert swung["change_pct"] == pytest.approx(plain["change_pct"])
    assert swung["ci_low_pct"] < plain["ci_low_pct"] and swung["ci_high_pct"] > plain["ci_high_pct"]
    sd = math.sqrt((70 + 300) / 70**2 + 25.0 / 100**2) / (1 + 25.0 / 100**2)
    theta = swung["theta"]
    assert swung["ci_high_pct"] == pytest.approx(
        100 * (theta * math.exp(stats.norm.ppf(0.95) * sd) - 1)
    )
