"""Where-and-when intensity: expected crashes per unit and hour of the week (pure, no I/O).

The model behind the drive plan and the risk list's ``peak_window``. It factorises each unit's
expected crashes into *where* × *when*:

    λ(u, h) = E(u) · s(u, h)

``E(u)`` is the unit's expected count for the window (the forecast run's ``expected_crashes`` —
LightGBM, calibrated — or, in the backtest's ``intensity_naive3y``, the unit's 3-year rate);
``s(u, ·)`` is a 168-bin hour-of-week profile (bin = dow·24 + hour, 0 = Monday 00h) estimated by
hierarchical Dirichlet-multinomial shrinkage of the unit's timed crashes of the last
:attr:`IntensityPriors.history_weeks` weeks (before the cut-off only) toward ever wider groups:

    region → road category → district × category → area × category → unit

where *area* is the unit's H3 parent at :attr:`IntensityPriors.area_resolution` (about 36 km² at
6) or, for police-station + road units, the police station. Each level is ``(c_g + κ·P_g) / (n_g +
κ)`` with ``P_g`` the mean of its members' parent profiles and κ the level's strength in equivalent
crashes. Before shrinking, Monday-Thursday counts are pooled toward their mean (day-type pooling,
:attr:`IntensityPriors.day_type`): crash hours on ordinary weekdays differ little, Friday to
Sunday differ a lot. Fatal+grievous crashes get their own profile by the same hierarchy on their
own counts (deaths cluster at night on highways while minor crashes follow traffic), and their own
``E_fg(u)``.

The unit level is a two-model mixture (:func:`local_weights`): hard shrinkage toward the group
(strength :attr:`IntensityPriors.unit`), or a pattern of the unit's own (strength
:attr:`IntensityPriors.local`), weighted by each unit's posterior from the two Dirichlet-multinomial
marginal likelihoods, with the prior share of "own pattern" units fitted by EM. On the real files
that share comes out near zero — no unit's hours depart detectably from its area × road-category
profile, so hard shrinkage is what scores best — while a place whose crashes really cluster (a
planted night hot spot) keeps its own window.

The strengths were chosen on validation years only (BAAC France 2016-2017, Delhi fatal forms
2020, the seeded synthetic Haryana world 2021-2022; never the test years) by the plan's coverage
against naive (unit, 3-hour block) counts at 300 and 1,200 team-hours a week and the held-out
log-likelihood of the validation years' (unit, block) counts; see docs/forecasting.md "Where and
when" for the experiment log.

API: :func:`week_shares` → :class:`WeekShares`; :func:`window_bins` turns shares and window totals
into expected crashes per bin over a window; :func:`history_rates` gives a unit's past rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import h3
import numpy as np
import polars as pl
from scipy.special import expit, gammaln

BINS = 168
DAY_TYPE_GROUP = 4  # Monday..Thursday are pooled
MIN_LOCAL_SHARE = 1e-6  # floor of the fitted share of units with a pattern of their own


@dataclass(frozen=True)
class IntensityPriors:
    """Prior strengths (equivalent crashes) and layout of the hierarchy (module docstring)."""

    unit: float = 1000.0
    local: float = 100.0
    area: float = 2000.0
    district: float = 2000.0
    category: float = 300.0
    day_type: float = 3.0
    area_resolution: int = 6
    history_weeks: int = 260
    local_iterations: int = 25


@dataclass(frozen=True)
class WeekShares:
    """Hour-of-week shares per unit, rows aligned with ``unit_idx`` 0..n-1.

    Attributes:
        crashes: ``[n, 168]`` shares of all crashes (rows sum to 1).
        fatal_grievous: ``[n, 168]`` shares of fatal+grievous crashes (rows sum to 1).
    """

    crashes: np.ndarray
    fatal_grievous: np.ndarray


def timed_counts(
    events: pl.DataFrame, n_units: int, cutoff: int, weeks: int, *, fg_only: bool = False
) -> np.ndarray:
    """Timed crashes per unit and hour-of-week bin in ``[cutoff - 7·weeks, cutoff)``.

    Args:
        events: ``unit_idx, day, hour`` (null hour = time unknown, left out) and ``fg``.
        n_units: number of units (rows of the result).
        cutoff: first day number NOT used.
        weeks: history length.
        fg_only: count fatal+grievous crashes only.
    """
    keep = (
        (pl.col("day") < cutoff)
        & (pl.col("day") >= cutoff - 7 * weeks)
        & pl.col("hour").is_not_null()
    )
    if fg_only:
        keep &= pl.col("fg") > 0
    flat = events.filter(keep).select(
        pl.col("unit_idx") * BINS + ((pl.col("day") + 3) % 7) * 24 + pl.col("hour")
    )
    counts = np.bincount(flat.to_series().to_numpy().astype(np.int64), minlength=n_units * BINS)
    return counts[: n_units * BINS].reshape(n_units, BINS).astype(np.float64)


def pool_day_types(counts: np.ndarray, strength: float) -> np.ndarray:
    """Shrink each of Monday..Thursday toward their mean day (``(c_d + k·mean) / (1 + k)``)."""
    if strength <= 0:
        return counts
    week = counts.reshape(-1, 7, 24).copy()
    mean = week[:, :DAY_TYPE_GROUP].mean(axis=1, keepdims=True)
    week[:, :DAY_TYPE_GROUP] = (week[:, :DAY_TYPE_GROUP] + strength * mean) / (1 + strength)
    return week.reshape(-1, BINS)


def shrink_level(
    counts: np.ndarray, keys: np.ndarray, parent: np.ndarray, kappa: float
) -> np.ndarray:
    """One level of the hierarchy: each row gets its group's profile shrunk toward the group's parent.

    Args:
        counts: ``[n, 168]`` counts per unit.
        keys: group key per unit (``[n]``).
        parent: ``[n, 168]`` parent profile per unit (rows sum to 1); a group's prior is the mean
            of its members' parents.
        kappa: prior strength in equivalent crashes.

    Returns:
        ``[n, 168]`` the group profile of each unit's group.
    """
    _, inv = np.unique(keys, return_inverse=True)
    n_groups = int(inv.max()) + 1 if inv.size else 0
    group = np.zeros((n_groups, BINS))
    prior = np.zeros((n_groups, BINS))
    np.add.at(group, inv, counts)
    np.add.at(prior, inv, parent)
    prior /= np.bincount(inv, minlength=n_groups)[:, None]
    shares = (group + kappa * prior) / (group.sum(axis=1, keepdims=True) + kappa)
    return shares[inv]


def area_keys(units: pl.DataFrame, resolution: int) -> np.ndarray:
    """Area of each unit: its H3 parent cell, else ``district | police station`` (unit order)."""
    out = []
    for cell, station, district in units.select(
        "h3_cell", "police_station", "district"
    ).iter_rows():
        if cell:
            res = h3.get_resolution(cell)
            out.append(h3.cell_to_parent(cell, resolution) if res > resolution else cell)
        else:
            out.append(f"{district or '?'} | {station or '?'}")
    return np.array(out, dtype=object)


def _group_keys(units: pl.DataFrame, priors: IntensityPriors) -> list[tuple[np.ndarray, float]]:
    """The levels below the region, widest first: (keys per unit, strength)."""
    category = units["road_category"].fill_null("?").to_numpy().astype(object)
    district = units["district"].fill_null("?").to_numpy().astype(object)
    area = area_keys(units, priors.area_resolution)
    return [
        (category, priors.category),
        (district + "\x1f" + category, priors.district),
        (area + "\x1f" + category, priors.area),
    ]


def dm_log_likelihood(counts: np.ndarray, mean: np.ndarray, kappa: float) -> np.ndarray:
    """Dirichlet-multinomial log-likelihood of each row of ``counts`` around ``mean`` (rows sum to
    1) with strength ``kappa``, without the multinomial coefficient (the same for every model)."""
    alpha = kappa * mean
    n = counts.sum(axis=1)
    return gammaln(kappa) - gammaln(n + kappa) + (gammaln(counts + alpha) - gammaln(alpha)).sum(1)


def local_weights(counts: np.ndarray, parent: np.ndarray, priors: IntensityPriors) -> np.ndarray:
    """Posterior probability that each unit's hours follow a pattern of its own.

    Two models of a unit's counts: its group's profile with strength :attr:`IntensityPriors.unit`
    (hard), or a pattern of its own around it with strength :attr:`IntensityPriors.local`. The
    prior share of units with their own pattern is fitted by EM over the units with crashes (floor
    :data:`MIN_LOCAL_SHARE`); each unit's weight is then its posterior from the two marginal
    likelihoods. On real data the fitted share is close to 0 (no unit departs detectably from its
    area × road-category profile), while a planted night hot spot gets a weight of 1.
    """
    ratio = dm_log_likelihood(counts, parent, priors.local) - dm_log_likelihood(
        counts, parent, priors.unit
    )
    seen = counts.sum(axis=1) > 0
    share = 0.1
    for _ in range(priors.local_iterations if seen.any() else 0):
        weights = expit(ratio + np.log(share / (1 - share)))
        share = float(np.clip(weights[seen].mean(), MIN_LOCAL_SHARE, 0.5))
    return expit(ratio + np.log(share / (1 - share)))


def hierarchy_shares(
    counts: np.ndarray, units: pl.DataFrame, priors: IntensityPriors
) -> np.ndarray:
    """``[n, 168]`` unit profiles from counts by the hierarchy (module docstring).

    Args:
        counts: timed crashes per unit and bin (rows in ``units`` order).
        units: ``h3_cell, police_station, district, road_category`` per unit.
        priors: strengths.
    """
    pooled = pool_day_types(counts, priors.day_type)
    region = pooled.sum(axis=0, keepdims=True) + 1.0  # one crash spread evenly: never a zero bin
    parent = np.broadcast_to(region / region.sum(), pooled.shape)
    for keys, kappa in _group_keys(units, priors):
        parent = shrink_level(pooled, keys, parent, kappa)
    n = pooled.sum(axis=1, keepdims=True)
    local = local_weights(pooled, parent, priors)[:, None]
    hard = (pooled + priors.unit * parent) / (n + priors.unit)
    own = (pooled + priors.local * parent) / (n + priors.local)
    return local * own + (1 - local) * hard


def week_shares(
    events: pl.DataFrame,
    units: pl.DataFrame,
    cutoff: int,
    priors: IntensityPriors = IntensityPriors(),
) -> WeekShares:
    """Hour-of-week shares of every unit from timed crashes before ``cutoff`` (no leakage).

    Args:
        events: ``unit_idx, day, hour, fg`` (:func:`roadsafety.features.panel.prepare_events`
            with ``unit_idx``); rows on or after ``cutoff`` are ignored.
        units: the universe with ``unit_idx`` 0..n-1 (sorted) and the attributes of
            :func:`hierarchy_shares`.
        cutoff: first day number not used.
        priors: strengths.
    """
    n = units.height
    crashes = timed_counts(events, n, cutoff, priors.history_weeks)
    fg = timed_counts(events, n, cutoff, priors.history_weeks, fg_only=True)
    return WeekShares(
        crashes=hierarchy_shares(crashes, units, priors),
        fatal_grievous=hierarchy_shares(fg, units, priors),
    )


def history_rates(
    events: pl.DataFrame, n_units: int, cutoff: int, weeks: int, *, fg_only: bool = False
) -> np.ndarray:
    """Crashes per day of each unit over the last ``weeks`` weeks before ``cutoff`` (timed or not).

    The history actually available is used when shorter (at least 28 days).
    """
    start = max(cutoff - 7 * weeks, int(events["day"].min()) if events.height else cutoff)
    keep = (pl.col("day") < cutoff) & (pl.col("day") >= start)
    if fg_only:
        keep &= pl.col("fg") > 0
    idx = events.filter(keep)["unit_idx"].to_numpy().astype(np.int64)
    return np.bincount(idx, minlength=n_units)[:n_units] / max(cutoff - start, 28)


def day_counts(start: date, end: date) -> np.ndarray:
    """How many times each weekday (0 = Monday) occurs in ``[start, end]``."""
    days = (end - start).days + 1
    counts = np.full(7, days // 7, dtype=np.float64)
    for i in range(days % 7):
        counts[(start + timedelta(days=i)).weekday()] += 1
    return counts


def window_bins(shares: np.ndarray, totals: np.ndarray, start: date, end: date) -> np.ndarray:
    """Expected crashes per unit and hour-of-week bin over the window ``[start, end]``.

    Each unit's total is spread over the bins by its shares weighted by how often each weekday
    occurs in the window, so every row sums to the unit's total exactly.

    Args:
        shares: ``[n, 168]`` hour-of-week shares (a week with one of each day).
        totals: ``[n]`` expected crashes over the window.
        start: first day; end: last day (inclusive).
    """
    weight = np.repeat(day_counts(start, end), 24)[None, :] * shares
    norm = weight.sum(axis=1, keepdims=True)
    return np.where(norm > 0, weight / np.where(norm > 0, norm, 1.0), 0.0) * totals[:, None]


def cap_fatal_grievous(fg: np.ndarray, crashes: np.ndarray) -> np.ndarray:
    """Fatal+grievous values never above all crashes in any bin, row totals kept where possible.

    The two profiles are estimated separately, so a unit whose fatal crashes cluster at night can
    get more expected fatal+grievous than expected crashes in a night bin. The excess of each row
    moves to its bins with room (``crashes − fg``) in proportion to that room; one pass suffices
    when the row's fatal+grievous total does not exceed its crash total (else the rest is dropped).
    """
    capped = np.minimum(fg, crashes)
    excess = (fg - capped).sum(axis=1, keepdims=True)
    room = crashes - capped
    space = room.sum(axis=1, keepdims=True)
    ratio = np.where(space > 0, np.minimum(excess / np.where(space > 0, space, 1.0), 1.0), 0.0)
    return capped + room * ratio


def window_intensities(
    shares: WeekShares, totals: np.ndarray, fg_totals: np.ndarray, start: date, end: date
) -> tuple[np.ndarray, np.ndarray]:
    """``(crashes, fatal_grievous)`` expected per unit and bin over ``[start, end]``.

    :func:`window_bins` of each, the fatal+grievous values capped by :func:`cap_fatal_grievous`.
    """
    crashes = window_bins(shares.crashes, totals, start, end)
    fg = window_bins(shares.fatal_grievous, np.minimum(fg_totals, totals), start, end)
    return crashes, cap_fatal_grievous(fg, crashes)
