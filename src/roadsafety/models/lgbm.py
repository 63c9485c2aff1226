"""LightGBM count models (Poisson with a log-exposure offset) for crashes and fatal+grievous crashes.

The window length enters as an offset: ``init_score = log(horizon_days)`` when training and
``exp(raw_score + log(horizon_days))`` when predicting, so one model serves one day to one year.
Training is deterministic (fixed seed, ``deterministic=True``, row-wise histograms) and uses one
OpenMP thread by default: on a shared 2-core machine two threads busy-wait and were measured up to
10x slower per row than one.
Predictive intervals come from a negative binomial around the mean, its dispersion estimated by the
method of moments on out-of-sample (backtest) residuals. :func:`to_design_matrix` is the only place
a frame becomes numpy.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import lightgbm as lgb
import numpy as np
import polars as pl
from scipy import stats

from roadsafety.errors import ModelError


@dataclass(frozen=True)
class LgbmParams:
    """LightGBM settings (the registry stores them with each version)."""

    num_leaves: int = 31
    learning_rate: float = 0.05
    rounds: int = 300
    min_data_in_leaf: int = 100
    feature_fraction: float = 0.8
    bagging_fraction: float = 0.8
    lambda_l2: float = 5.0
    max_bin: int = 127
    seed: int = 42
    threads: int = 1

    def booster_params(self, n_rows: int) -> dict:
        """The LightGBM parameter dict; leaf size adapts to tiny training sets."""
        return {
            "objective": "poisson",
            "verbosity": -1,
            "num_leaves": self.num_leaves,
            "learning_rate": self.learning_rate,
            "min_data_in_leaf": int(max(5, min(self.min_data_in_leaf, n_rows // 50))),
            "feature_fraction": self.feature_fraction,
            "bagging_fraction": self.bagging_fraction,
            "bagging_freq": 1,
            "lambda_l2": self.lambda_l2,
            "max_bin": self.max_bin,
            "seed": self.seed,
            "deterministic": True,
            "force_row_wise": True,
            "num_threads": self.threads,
            "poisson_max_delta_step": 0.7,
        }


@dataclass
class CountModel:
    """A fitted count model: booster, its feature list, target and NB dispersion."""

    booster: lgb.Booster
    features: list[str]
    target: str
    alpha: float = 0.0


def to_design_matrix(frame: pl.DataFrame, features: list[str]) -> np.ndarray:
    """The feature columns as a float64 matrix (null values → NaN, which LightGBM treats as missing).

    Raises:
        ModelError: naming the features the frame lacks (a model is never fed a whole column of
            unknowns: retrain to get a model of the features the data has).
    """
    missing = [f for f in features if f not in frame.columns]
    if missing:
        raise ModelError(
            f"the model needs features the data does not have: {', '.join(missing)}; "
            "retrain (roadsafety retrain) to fit a model on the current features"
        )
    return (
        frame.select([pl.col(f).cast(pl.Float64) for f in features]).to_numpy().astype(np.float64)
    )


def _offset(frame: pl.DataFrame) -> np.ndarray:
    return np.log(frame["horizon"].cast(pl.Float64).clip(1.0).to_numpy())


def fit_count_model(
    frame: pl.DataFrame, features: list[str], target: str, params: LgbmParams
) -> CountModel:
    """Fit a Poisson LightGBM on ``frame[target]`` with the log-window offset.

    Args:
        frame: training rows with the features, ``horizon`` and the target.
        features: feature column names.
        target: count column (``y_crashes`` or ``y_fatal_grievous``).
        params: LightGBM settings.

    Returns:
        The fitted model (``alpha`` 0 until :func:`set_dispersion`).
    """
    x = to_design_matrix(frame, features)
    y = frame[target].cast(pl.Float64).to_numpy()
    weight = frame["weight"].to_numpy() if "weight" in frame.columns else None
    data = lgb.Dataset(
        x,
        label=y,
        weight=weight,
        init_score=_offset(frame),
        feature_name=features,
        free_raw_data=True,
        params={"max_bin": params.max_bin, "verbosity": -1},
    )
    booster = lgb.train(params.booster_params(len(y)), data, num_boost_round=params.rounds)
    return CountModel(booster=booster, features=features, target=target)


def predict_mean(model: CountModel, frame: pl.DataFrame) -> pl.Series:
    """Expected count for each row's window (``exp(raw + log horizon)``)."""
    raw = model.booster.predict(to_design_matrix(frame, model.features), raw_score=True)
    return pl.Series("expected", np.exp(raw + _offset(frame)))


def contributions(model: CountModel, frame: pl.DataFrame) -> pl.DataFrame:
    """Per-row SHAP contributions on the log scale (``pred_contrib``), one column per feature."""
    contrib = model.booster.predict(to_design_matrix(frame, model.features), pred_contrib=True)
    return pl.DataFrame(contrib[:, : len(model.features)], schema=model.features, orient="row")


def moment_dispersion(mean: pl.Series, actual: pl.Series) -> float:
    """NB2 dispersion ``alpha`` (var = μ + αμ²) by the method of moments, ≥ 0."""
    mu = mean.to_numpy()
    y = actual.cast(pl.Float64).to_numpy()
    den = float(np.sum(mu**2))
    return max(0.0, float(np.sum((y - mu) ** 2 - y)) / den) if den > 0 else 0.0


def nb_interval(mean: pl.Series, alpha: float, level: float) -> tuple[pl.Series, pl.Series]:
    """Central predictive interval of a negative binomial (Poisson when ``alpha`` ≈ 0).

    Returns:
        ``(lo, hi)`` count quantiles at ``(1 - level) / 2`` and ``(1 + level) / 2``.
    """
    mu = np.clip(mean.to_numpy(), 1e-12, None)
    q = ((1 - level) / 2, (1 + level) / 2)
    if alpha < 1e-8:
        lo, hi = stats.poisson.ppf(q[0], mu), stats.poisson.ppf(q[1], mu)
    else:
        n = 1.0 / alpha
        p = n / (n + mu)
        lo, hi = stats.nbinom.ppf(q[0], n, p), stats.nbinom.ppf(q[1], n, p)
    return pl.Series("lo", lo, dtype=pl.Float64), pl.Series("hi", hi, dtype=pl.Float64)


def save_model(model: CountModel, directory: Path, name: str) -> Path:
    """Write ``<name>.txt`` (booster) and ``<name>.json`` (features, target, alpha)."""
    directory.mkdir(parents=True, exist_ok=True)
    model.booster.save_model(str(directory / f"{name}.txt"))
    meta = {"features": model.features, "target": model.target, "alpha": model.alpha}
    (directory / f"{name}.json").write_text(json.dumps(meta, indent=2))
    return directory / f"{name}.txt"


def load_model(directory: Path, name: str) -> CountModel:
    """Read a model written by :func:`save_model`."""
    meta = json.loads((directory / f"{name}.json").read_text())
    booster = lgb.Booster(model_file=str(directory / f"{name}.txt"))
    return CountModel(
        booster=booster,
        features=meta["features"],
        target=meta["target"],
        alpha=float(meta["alpha"]),
    )


def params_dict(params: LgbmParams) -> dict:
    """JSON-safe form of the parameters."""
    return asdict(params)
