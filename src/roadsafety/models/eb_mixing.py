"""The Empirical Bayes prior estimated from the data instead of assumed gamma (pure numpy).

The HSM Empirical Bayes step assumes each unit's true crash rate is the SPF's ``μ`` times a
multiplier ``u`` drawn from a gamma distribution with mean 1 and variance ``k``. When a few places
are far worse than anything the SPF's covariates can explain (blackspots), that gamma is too
thin-tailed: the EB pulls the worst places too far back towards ``μ`` and so over-corrects the
regression to the mean. Here the distribution ``G`` of ``u`` is estimated from every unit's record
(nonparametric maximum likelihood on a fixed grid, by EM; Robbins 1956, Kiefer–Wolfowitz 1956,
Koenker & Mizera 2014): ``K_i ~ Poisson(m_i·u_i)``, ``u_i ~ G``, with ``m_i`` the SPF's expected
crashes over the period. The posterior of ``u`` given a place's count then gives its EB expectation
``m·E[u | K]`` and variance ``m²·Var(u | K)``; with a gamma ``G`` this is exactly the HSM formula.

Units are grouped by their count and ``m`` (on a fine log grid) before EM, so the cost does not grow
with the number of units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln

GRID = (1e-3, 1e3)
GRID_SIZE = 160
M_BINS_PER_DECADE = 50
MIN_EXPECTED = 1e-6


@dataclass(frozen=True)
class MixingPrior:
    """A discrete prior for the multiplier ``u``: ``weights[j]`` on ``grid[j]``."""

    grid: np.ndarray
    weights: np.ndarray
    iterations: int

    @property
    def mean(self) -> float:
        """Mean multiplier (about 1 when the SPF is calibrated)."""
        return float(np.sum(self.grid * self.weights))


def _likelihood(observed: np.ndarray, expected: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Poisson likelihood of each count under each grid multiplier, scaled per row (max 1)."""
    rate = np.maximum(expected[:, None] * grid[None, :], 1e-300)
    log_l = observed[:, None] * np.log(rate) - rate - gammaln(observed + 1.0)[:, None]
    return np.exp(log_l - log_l.max(axis=1, keepdims=True))


def _grouped(observed: np.ndarray, expected: np.ndarray) -> tuple[np.ndarray, ...]:
    """Distinct (count, binned expected) pairs and how many units share each."""
    keep = expected > MIN_EXPECTED
    obs, exp_ = observed[keep], expected[keep]
    binned = np.round(np.log10(exp_) * M_BINS_PER_DECADE) / M_BINS_PER_DECADE
    pairs, counts = np.unique(np.column_stack([obs, binned]), axis=0, return_counts=True)
    return pairs[:, 0], 10.0 ** pairs[:, 1], counts.astype(float)


def fit_mixing_prior(
    observed: np.ndarray,
    expected: np.ndarray,
    *,
    grid_size: int = GRID_SIZE,
    max_iter: int = 3000,
    tol: float = 1e-8,
) -> MixingPrior:
    """Nonparametric maximum-likelihood prior of the multiplier ``u`` (EM on a log grid).

    Args:
        observed: crashes of each unit over the period.
        expected: the SPF's expected crashes of each unit over the same period (``m``).
        grid_size: points of the log-spaced grid over :data:`GRID`.
        max_iter: EM iteration cap.
        tol: stop when the mean log-likelihood improves by less than this.

    Returns:
        The fitted :class:`MixingPrior` (a point mass at 1 when no unit carries information).
    """
    grid = np.geomspace(*GRID, grid_size)
    obs, exp_, n = _grouped(np.asarray(observed, float), np.asarray(expected, float))
    if obs.size == 0:
        return MixingPrior(np.array([1.0]), np.array([1.0]), 0)
    lik = _likelihood(obs, exp_, grid)
    weights = np.full(grid_size, 1.0 / grid_size)
    last, iterations = -np.inf, 0
    while iterations < max_iter:
        iterations += 1
        mix = lik @ weights
        gain = float(np.sum(n * np.log(mix)) / n.sum())
        weights = weights * ((lik / mix[:, None]).T @ n) / n.sum()
        if gain - last < tol:
            break
        last = gain
    return MixingPrior(grid, weights / weights.sum(), iterations)


def posterior_moments(
    prior: MixingPrior, observed: np.ndarray, expected: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Posterior mean and variance of the expected crashes ``m·u`` given each count.

    Args:
        prior: from :func:`fit_mixing_prior`.
        observed: crashes over the period.
        expected: the SPF's expected crashes over the same period.

    Returns:
        ``(EB expectation, its variance)`` over the period (0 where ``expected`` is 0).
    """
    obs, exp_ = np.asarray(observed, float), np.asarray(expected, float)
    post = _likelihood(obs, np.maximum(exp_, MIN_EXPECTED), prior.grid) * prior.weights[None, :]
    post /= post.sum(axis=1, keepdims=True)
    mean_u = post @ prior.grid
    var_u = np.maximum(post @ prior.grid**2 - mean_u**2, 0.0)
    zero = exp_ <= 0
    return np.where(zero, 0.0, exp_ * mean_u), np.where(zero, 0.0, exp_**2 * var_u)
