"""Empirical Bayes expected crashes of each drive part over its history (SPF + prior; pure).

The SPF is the existing negative-binomial SPF (:mod:`roadsafety.models.empirical_bayes`), fitted once
per history period on every unit of the universe (records' units and their H3 neighbours, the
drives' own units included: they were drawn from that population), with the same covariates as the
EB baseline: road category, unit kind and log(1 + crashes in the k=1 neighbour cells) over the
history. A part's SPF expectation is ``share·μ·years``. The EB step uses the prior chosen in
:class:`~roadsafety.models.drive_effect.StudyOptions`: ``fitted`` estimates the distribution of
(true rate ÷ μ) from the units of the same kind and road category (:mod:`roadsafety.models.eb_mixing`;
all units pooled when a stratum has fewer than :data:`MIN_STRATUM_UNITS` units or
:data:`MIN_STRATUM_CRASHES` crashes), ``gamma`` is the HSM's gamma with the SPF's ``k``.
"""

from __future__ import annotations

import logging
from datetime import date

import numpy as np
import polars as pl

from roadsafety.features.units import ring_pairs
from roadsafety.models import drive_effect as de
from roadsafety.models import empirical_bayes as eb
from roadsafety.models.drive_effect import StudyOptions
from roadsafety.models.eb_mixing import MixingPrior, fit_mixing_prior

log = logging.getLogger(__name__)

DAYS_PER_YEAR = 365.25
MIN_STRATUM_UNITS = 300
MIN_STRATUM_CRASHES = 100


def _window_counts(crashes: pl.DataFrame, first: date, last: date) -> pl.DataFrame:
    return (
        crashes.filter(pl.col("day").is_between(first, last) & pl.col("unit_id").is_not_null())
        .group_by("unit_id")
        .agg(pl.len().alias("crashes"))
    )


def _spf_frame(
    units: pl.DataFrame, pairs: pl.DataFrame, counts: pl.DataFrame, years: float
) -> pl.DataFrame:
    """Units with their before-period count, years and covariates (neighbour crashes for cells)."""
    nbr = (
        pairs.join(counts, left_on="nbr_unit_id", right_on="unit_id")
        .group_by("unit_idx")
        .agg(pl.col("crashes").sum().alias("nbr"))
    )
    frame = units.join(counts, on="unit_id", how="left").join(nbr, on="unit_idx", how="left")
    is_cell = pl.col("h3_cell").is_not_null()
    return frame.select(
        "unit_id",
        "road_category",
        "kind",
        pl.col("crashes").fill_null(0),
        pl.lit(years).alias("years"),
        pl.when(is_cell).then(pl.col("nbr").fill_null(0).log1p()).alias("log_neighbour_crashes"),
    )


def stratum(frame: pl.DataFrame) -> pl.Series:
    """The prior's stratum of each unit: its kind and road category."""
    return frame.select(
        pl.concat_str(
            [pl.col("kind").fill_null("?"), pl.col("road_category").fill_null("?")], separator="|"
        )
    ).to_series()


def fit_priors(frame: pl.DataFrame, expected: np.ndarray) -> dict[str, MixingPrior]:
    """Fitted priors per stratum with enough units and crashes, and the pooled one (key ``*``)."""
    keys = stratum(frame).to_numpy()
    observed = frame["crashes"].to_numpy()
    priors = {"*": fit_mixing_prior(observed, expected)}
    for key in np.unique(keys):
        rows = keys == key
        if rows.sum() >= MIN_STRATUM_UNITS and observed[rows].sum() >= MIN_STRATUM_CRASHES:
            priors[key] = fit_mixing_prior(observed[rows], expected[rows])
    return priors


def _stratified(
    observed: np.ndarray,
    expected: np.ndarray,
    keys: np.ndarray,
    priors: dict[str, MixingPrior] | None,
    k: float,
) -> tuple[np.ndarray, np.ndarray]:
    """EB expectation and variance with each row's stratum prior (or the HSM gamma)."""
    if priors is None:
        return de.eb_history(observed, expected, k, None)
    estimate, variance = np.zeros(len(keys)), np.zeros(len(keys))
    for key in np.unique(keys):
        rows = keys == key
        prior = priors.get(key, priors["*"])
        estimate[rows], variance[rows] = de.eb_history(observed[rows], expected[rows], k, prior)
    return estimate, variance


def _window_estimates(
    frame: pl.DataFrame, mine: pl.DataFrame, years: float, options: StudyOptions
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Fit the SPF (and the priors) on one history's units; EB of its parts and of every unit."""
    model = eb.fit_spf(frame)
    expected = eb.predict_spf(frame, model) * years
    priors = fit_priors(frame, expected) if options.prior == "fitted" else None
    keys = stratum(frame).to_numpy()
    unit_eb, unit_var = _stratified(frame["crashes"].to_numpy(), expected, keys, priors, model.k)
    units = frame.select("unit_id", "crashes").with_columns(
        pl.Series("stratum", keys),
        pl.Series("mu", expected / years),
        pl.Series("eb_history", unit_eb),
        pl.Series("var_eb", unit_var),
    )
    parts = mine.join(units.select("unit_id", "stratum", "mu"), on="unit_id", how="left")
    parts = parts.with_columns(
        pl.lit(model.k).alias("k"), (pl.col("share") * pl.col("mu") * years).alias("sum_mu")
    )
    estimate, variance = _stratified(
        parts["crashes_history"].to_numpy(),
        parts["sum_mu"].fill_null(0.0).to_numpy(),
        parts["stratum"].fill_null("*").to_numpy(),
        priors,
        model.k,
    )
    log.info(
        "SPF %s on %d units, k = %.3f; %s prior",
        model.method,
        model.n_units,
        model.k,
        options.prior,
    )
    parts = parts.drop("stratum").with_columns(
        pl.Series("eb_history", estimate), pl.Series("var_eb", variance)
    )
    return parts, units.drop("stratum", "mu", "crashes")


def history_estimates(
    crashes: pl.DataFrame, units: pl.DataFrame, parts: pl.DataFrame, options: StudyOptions
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """EB expectation over the history (``eb_history``, ``var_eb``) of every part and every unit.

    One SPF per distinct history period, fitted on the whole universe (the drives' own units
    included); parts of drives without history get 0.

    Args:
        crashes: the records.
        units: the universe (:func:`~roadsafety.models.drive_study.unit_universe`).
        parts: ``place_parts`` rows with their drive's ``history_start, history_end``.
        options: the study's choices (``prior``).

    Returns:
        ``(parts with mu, k, sum_mu, eb_history, var_eb; per history period and unit of the
        universe: history_start, history_end, unit_id, eb_history, var_eb)``.
    """
    pairs = ring_pairs(units, 1)
    out = [
        parts.filter(pl.col("history_start").is_null()).with_columns(
            *[pl.lit(None, pl.Float64).alias(c) for c in ("mu", "k", "sum_mu")],
            *[pl.lit(0.0).alias(c) for c in ("eb_history", "var_eb")],
        )
    ]
    every = []
    windows = parts.filter(pl.col("history_start").is_not_null())
    for (first, last), mine in windows.group_by(
        "history_start", "history_end", maintain_order=True
    ):
        years = ((last - first).days + 1) / DAYS_PER_YEAR
        frame = _spf_frame(units, pairs, _window_counts(crashes, first, last), years)
        estimated, all_units = _window_estimates(frame, mine, years, options)
        out.append(estimated)
        every.append(
            all_units.with_columns(
                pl.lit(first).alias("history_start"), pl.lit(last).alias("history_end")
            )
        )
    schema = {
        "unit_id": pl.Utf8,
        "eb_history": pl.Float64,
        "var_eb": pl.Float64,
        "history_start": pl.Date,
        "history_end": pl.Date,
    }
    return pl.concat(out, how="diagonal_relaxed"), pl.concat(every) if every else pl.DataFrame(
        schema=schema
    )
