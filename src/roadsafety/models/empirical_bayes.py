"""Negative-binomial safety performance function (SPF) and Empirical Bayes estimate per unit.

Pure functions, no I/O. The Highway Safety Manual method on exposure-free covariates:

1. :func:`fit_spf` fits ``crashes ~ covariates`` with a negative binomial (NB2: statsmodels GLM by
   IRLS for a given ``k``, ``k`` by profile likelihood) and ``exposure = years`` observed, so
   ``exp(Xβ)`` is the SPF's expected crashes **per year** (μ) for a unit like this one, and
   ``alpha`` is the overdispersion ``k``.
2. :func:`empirical_bayes` combines μ with each unit's own record over its observation period: ``Σμ
   = μ · years``, ``w = 1 / (1 + k·Σμ)``, ``EB = w·Σμ + (1 − w)·observed`` (the posterior mean of
   the unit's gamma-distributed rate), then rescales it to the forecast window (``window_years``).

Input frame (one row per unit; ``units``): ``unit_id``, the count column (default ``crashes``:
crashes over the observation period), ``years`` (observation length in years, > 0; partial years
allowed) and any covariates. Covariates are named by keyword (``categorical=``, ``numeric=``);
columns absent from the frame are dropped with a logged warning (missing inputs drop features, never
the run). Null categories become ``'unknown'``; levels with fewer than ``min_level_units`` units or
``min_level_crashes`` crashes are pooled into ``'other'`` (or the reference level); null numerics
get the training median.

Robustness: when the NB fit fails, does not converge, or gives a non-finite/implausible result, the
SPF falls back to a Poisson GLM with a method-of-moments ``k`` (logged warning); with too few units
for the covariates it drops them (intercept only); with no crashes at all μ is 0 and EB is 0. Never
raises on data; raises ``ValueError`` naming missing required columns.

Output of :func:`empirical_bayes` (one row per unit, :data:`EB_COLUMNS`): ``unit_id, spf_mu`` (SPF
expectation for the window), ``eb_expected`` (EB expectation for the window), ``weight`` (w),
``observed``, ``sum_mu`` (Σμ over the observation period) and the EB predictive (negative binomial)
interval bounds for the window ``lo80, hi80, lo95, hi95``.

:class:`SpfModel` is a frozen dataclass; ``to_dict()`` / ``SpfModel.from_dict()`` give a JSON-safe
form for the model registry.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import polars as pl
from scipy import optimize, stats

log = logging.getLogger(__name__)

EB_COLUMNS = (
    "unit_id",
    "spf_mu",
    "eb_expected",
    "weight",
    "observed",
    "sum_mu",
    "lo80",
    "hi80",
    "lo95",
    "hi95",
)
DEFAULT_CATEGORICAL = ("road_category", "kind")
DEFAULT_NUMERIC = ("log_neighbour_crashes",)
MIN_K = 1e-6
MAX_COEF = 25.0
UNITS_PER_PARAM = 5
K_BOUNDS = (float(np.log(1e-4)), float(np.log(50.0)))


@dataclass(frozen=True)
class SpfModel:
    """A fitted SPF: coefficients per design column, overdispersion ``k`` and how it was fitted.

    Attributes:
        params: coefficient per design column (``const``, ``<cat>=<level>``, numeric names).
        k: NB overdispersion (alpha of NB2: var = μ + k·μ²); 0 means Poisson.
        method: ``'nb'``, ``'poisson_mom'`` (fallback), ``'intercept_mom'`` or ``'zero'``.
        levels: kept levels per categorical covariate (others map to ``'other'``).
        fill: median used for nulls per numeric covariate.
        count_col: the fitted count column; n_units: training rows; converged: optimiser flag.
    """

    params: dict[str, float]
    k: float
    method: str
    levels: dict[str, list[str]] = field(default_factory=dict)
    fill: dict[str, float] = field(default_factory=dict)
    count_col: str = "crashes"
    n_units: int = 0
    converged: bool = True

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary of the model."""
        return asdict(self)

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> SpfModel:
        """Rebuild a model from :meth:`to_dict` output."""
        return cls(**doc)


def _check_columns(units: pl.DataFrame, required: tuple[str, ...]) -> None:
    missing = [c for c in required if c not in units.columns]
    if missing:
        raise ValueError(f"units frame lacks required column(s): {', '.join(missing)}")


def _present(units: pl.DataFrame, names: tuple[str, ...], kind: str) -> tuple[str, ...]:
    absent = [n for n in names if n not in units.columns]
    if absent:
        log.warning("SPF: %s covariate(s) absent, dropped: %s", kind, ", ".join(absent))
    return tuple(n for n in names if n in units.columns)


def _learn_levels(
    units: pl.DataFrame, cats: tuple[str, ...], count_col: str, min_units: int, min_crashes: int
) -> dict[str, list[str]]:
    """Kept levels per categorical, most common first (the reference).

    A level is kept when it has at least ``min_units`` units and ``min_crashes`` crashes; the rest
    are pooled into ``'other'`` when that pool passes the same test, else into the reference.
    """
    levels: dict[str, list[str]] = {}
    for col in cats:
        counts = (
            units.select(
                pl.col(col).cast(pl.Utf8).fill_null("unknown").alias("v"),
                pl.col(count_col).cast(pl.Float64).fill_null(0.0).alias("y"),
            )
            .group_by("v")
            .agg(pl.len().alias("n"), pl.col("y").sum())
            .sort(["n", "v"], descending=[True, False])
        )
        ok = (pl.col("n") >= min_units) & (pl.col("y") >= min_crashes)
        kept = counts.filter(ok & (pl.col("v") != "other"))["v"].to_list()
        rest = counts.filter(~pl.col("v").is_in(kept))
        if kept and rest["n"].sum() >= min_units and rest["y"].sum() >= min_crashes:
            kept.append("other")
        if len(kept) >= 2:
            levels[col] = kept
    return levels


def _learn_fill(units: pl.DataFrame, nums: tuple[str, ...]) -> dict[str, float]:
    fill: dict[str, float] = {}
    for col in nums:
        series = units[col].cast(pl.Float64).drop_nulls()
        series = series.filter(series.is_finite())
        if series.n_unique() >= 2:
            fill[col] = float(series.median())  # type: ignore[arg-type]
    return fill


def to_design_matrix(units: pl.DataFrame, model: SpfModel) -> tuple[np.ndarray, list[str]]:
    """The only place a units frame becomes numpy: constant, one-hot levels, numerics.

    The first (most common) level of each categorical is the reference and gets no column; levels
    not kept at fit time map to ``'other'`` when it is a kept level, else to the reference.

    Returns:
        ``(X, column names)`` with rows in the frame's order.
    """
    exprs: list[pl.Expr] = [pl.lit(1.0).alias("const")]
    for col, levels in model.levels.items():
        value = (
            pl.col(col).cast(pl.Utf8).fill_null("unknown")
            if col in units.columns
            else pl.lit("unknown")
        )
        unseen = "other" if "other" in levels else levels[0]
        value = pl.when(value.is_in(levels)).then(value).otherwise(pl.lit(unseen))
        exprs += [(value == lvl).cast(pl.Float64).alias(f"{col}={lvl}") for lvl in levels[1:]]
    for col, med in model.fill.items():
        value = pl.col(col).cast(pl.Float64) if col in units.columns else pl.lit(None, pl.Float64)
        exprs.append(pl.when(value.is_finite()).then(value).otherwise(med).alias(col))
    names = [e.meta.output_name() for e in exprs]
    frame = units.with_columns(exprs).select(names)  # with_columns broadcasts the constant
    return frame.to_numpy().astype(np.float64), names


def _mom_k(y: np.ndarray, mu: np.ndarray) -> float:
    """Method-of-moments overdispersion: Σ((y−μ)² − y) / Σμ², floored at 0."""
    denom = float(np.sum(mu**2))
    return max(0.0, float(np.sum((y - mu) ** 2 - y)) / denom) if denom > 0 else 0.0


def _fit_nb(
    y: np.ndarray, x: np.ndarray, years: np.ndarray, maxiter: int
) -> tuple[np.ndarray, float, bool]:
    """NB2 by profile likelihood: a GLM (IRLS) per overdispersion, Brent search over log k.

    Far steadier than joint Newton/BFGS maximum likelihood, which diverges (NaN) or stalls when a
    level has almost no crashes.
    """
    from statsmodels.genmod import families  # imported when fitting: ~1.5 s off every CLI start
    from statsmodels.genmod.generalized_linear_model import GLM

    offset = np.log(years)
    warm: dict[str, Any] = {"start": None}  # each fit starts from the previous coefficients

    def fit(log_k: float) -> Any:
        family = families.NegativeBinomial(alpha=float(np.exp(log_k)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = GLM(y, x, family=family, offset=offset).fit(
                start_params=warm["start"], maxiter=maxiter
            )
        if np.all(np.isfinite(res.params)):
            warm["start"] = res.params
        return res

    best = optimize.minimize_scalar(
        lambda log_k: -fit(log_k).llf,
        bounds=K_BOUNDS,
        method="bounded",
        options={"xatol": 1e-3},
    )
    res = fit(float(best.x))
    beta = np.asarray(res.params, dtype=float)
    return beta, float(np.exp(best.x)), bool(best.success and res.converged)


def _fit_poisson(y: np.ndarray, x: np.ndarray, years: np.ndarray, maxiter: int) -> np.ndarray:
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = GLM(y, x, family=families.Poisson(), exposure=years).fit(maxiter=maxiter)
    return np.asarray(res.params, dtype=float)


def _plausible(beta: np.ndarray, k: float | None = None) -> bool:
    ok = bool(np.all(np.isfinite(beta)) and np.all(np.abs(beta[1:]) < MAX_COEF))
    return ok and (k is None or (np.isfinite(k) and 0 <= k < 1e4))


def _estimate(
    y: np.ndarray, x: np.ndarray, years: np.ndarray, maxiter: int
) -> tuple[np.ndarray, float, str, bool]:
    """NB fit with fallbacks; returns (beta, k, method, converged)."""
    try:
        beta, k, converged = _fit_nb(y, x, years, maxiter)
        if converged and _plausible(beta, k):
            return beta, max(k, 0.0), "nb", True
        log.warning("SPF: NB fit did not converge or is implausible; Poisson GLM + moments k")
    except (ValueError, np.linalg.LinAlgError, OverflowError) as exc:
        log.warning("SPF: NB fit failed (%s); Poisson GLM + moments k", exc)
    try:
        beta = _fit_poisson(y, x, years, maxiter)
        if _plausible(beta):
            return beta, _mom_k(y, np.exp(x @ beta) * years), "poisson_mom", False
    except (ValueError, np.linalg.LinAlgError, OverflowError) as exc:
        log.warning("SPF: Poisson fit failed (%s); intercept only", exc)
    rate = float(y.sum() / years.sum())
    beta = np.zeros(x.shape[1])
    beta[0] = np.log(rate)
    return beta, _mom_k(y, rate * years), "intercept_mom", False


def fit_spf(
    units: pl.DataFrame,
    *,
    count_col: str = "crashes",
    years_col: str = "years",
    categorical: tuple[str, ...] = DEFAULT_CATEGORICAL,
    numeric: tuple[str, ...] = DEFAULT_NUMERIC,
    min_level_units: int = 10,
    min_level_crashes: int = 5,
    maxiter: int = 100,
) -> SpfModel:
    """Fit the negative-binomial SPF on one row per unit (see the module docstring).

    Args:
        units: ``unit_id``, ``count_col``, ``years_col`` and covariates.
        count_col: crashes over each unit's observation period.
        years_col: observation length in years (rows with years <= 0 are ignored).
        categorical: categorical covariates (absent ones are dropped with a warning).
        numeric: numeric covariates (absent or constant ones are dropped).
        min_level_units: levels with fewer units are pooled (see :func:`_learn_levels`).
        min_level_crashes: levels with fewer crashes are pooled too (avoids infinite coefficients).
        maxiter: optimiser iteration cap.

    Returns:
        The fitted :class:`SpfModel` (never raises on awkward data; see fallbacks).
    """
    _check_columns(units, ("unit_id", count_col, years_col))
    train = units.filter(pl.col(years_col) > 0)
    y = train[count_col].cast(pl.Float64).fill_null(0.0).to_numpy()
    if train.height == 0 or y.sum() <= 0:
        log.warning("SPF: no crashes to fit (%d units); μ = 0", train.height)
        return SpfModel({"const": -50.0}, 0.0, "zero", count_col=count_col, n_units=train.height)
    cats = _present(train, categorical, "categorical")
    nums = _present(train, numeric, "numeric")
    levels = _learn_levels(train, cats, count_col, min_level_units, min_level_crashes)
    spec = SpfModel({}, 0.0, "", levels, _learn_fill(train, nums), count_col, train.height)
    x, names = to_design_matrix(train, spec)
    if train.height < UNITS_PER_PARAM * x.shape[1] or y.sum() < 2 * x.shape[1]:
        log.warning(
            "SPF: %d units / %d crashes too few for %d covariates; intercept only",
            train.height,
            int(y.sum()),
            x.shape[1] - 1,
        )
        spec = SpfModel({}, 0.0, "", {}, {}, count_col, train.height)
        x, names = to_design_matrix(train, spec)
    years = train[years_col].cast(pl.Float64).to_numpy()
    beta, k, method, converged = _estimate(y, x, years, maxiter)
    log.info("SPF fitted by %s on %d units: k = %.3f", method, train.height, k)
    return SpfModel(
        dict(zip(names, map(float, beta))),
        float(k),
        method,
        spec.levels,
        spec.fill,
        count_col,
        train.height,
        converged,
    )


def predict_spf(units: pl.DataFrame, model: SpfModel) -> np.ndarray:
    """SPF expected crashes per year (μ) for each row of ``units``."""
    if model.method == "zero":
        return np.zeros(units.height)
    x, names = to_design_matrix(units, model)
    beta = np.array([model.params.get(n, 0.0) for n in names])
    return np.exp(np.clip(x @ beta, -50.0, 50.0))


def _nb_interval(
    shape: np.ndarray, scale: np.ndarray, level: float
) -> tuple[np.ndarray, np.ndarray]:
    """Central interval of a gamma-Poisson count with gamma(shape, scale) rate."""
    tail = (1.0 - level) / 2.0
    shape = np.maximum(shape, 1e-9)
    p = 1.0 / (1.0 + np.maximum(scale, 1e-300))
    lo = stats.nbinom.ppf(tail, shape, p)
    hi = stats.nbinom.ppf(1.0 - tail, shape, p)
    zero = scale <= 0
    return np.where(zero, 0.0, lo), np.where(zero, 0.0, hi)


def eb_combine(sum_mu: np.ndarray, observed: np.ndarray, k: float) -> tuple[np.ndarray, np.ndarray]:
    """The HSM Empirical Bayes step over one observation period.

    Args:
        sum_mu: SPF expected crashes over the period (Σμ).
        observed: crashes recorded over the same period.
        k: NB overdispersion of the SPF (floored at :data:`MIN_K`).

    Returns:
        ``(w, EB)``: the weight ``w = 1 / (1 + k·Σμ)`` and ``EB = w·Σμ + (1 − w)·observed``, the
        expected crashes over the period (posterior mean); its variance is ``(1 − w)·EB``.
    """
    weight = 1.0 / (1.0 + max(k, MIN_K) * sum_mu)
    return weight, weight * sum_mu + (1.0 - weight) * observed


def empirical_bayes(
    units: pl.DataFrame,
    model: SpfModel,
    *,
    window_years: float = 1.0,
    count_col: str | None = None,
    years_col: str = "years",
) -> pl.DataFrame:
    """HSM Empirical Bayes expected crashes per unit, scaled to a forecast window.

    Args:
        units: ``unit_id``, the count column, ``years_col`` and the model's covariates.
        model: a fitted :class:`SpfModel` (or a hand-made one).
        window_years: forecast window length in years (e.g. ``days / 365.25``).
        count_col: observed count column (default: the one the model was fitted on).
        years_col: observation length in years; 0 means no history (EB = SPF).

    Returns:
        One row per unit with :data:`EB_COLUMNS` (window-scaled expectations and intervals).
    """
    count_col = count_col or model.count_col
    _check_columns(units, ("unit_id", count_col, years_col))
    mu = predict_spf(units, model)
    years = units[years_col].cast(pl.Float64).fill_null(0.0).clip(lower_bound=0.0).to_numpy()
    observed = units[count_col].cast(pl.Float64).fill_null(0.0).to_numpy()
    sum_mu = mu * years
    k = max(model.k, MIN_K)
    weight, eb_period = eb_combine(sum_mu, observed, model.k)
    rate = np.where(years > 0, eb_period / np.where(years > 0, years, 1.0), mu)
    shape = 1.0 / k + np.where(years > 0, observed, 0.0)
    lo80, hi80 = _nb_interval(shape, rate * window_years / shape, 0.80)
    lo95, hi95 = _nb_interval(shape, rate * window_years / shape, 0.95)
    return pl.DataFrame(
        {
            "unit_id": units["unit_id"],
            "spf_mu": mu * window_years,
            "eb_expected": rate * window_years,
            "weight": weight,
            "observed": observed,
            "sum_mu": sum_mu,
            "lo80": lo80,
            "hi80": hi80,
            "lo95": lo95,
            "hi95": hi95,
        }
    ).select(EB_COLUMNS)
