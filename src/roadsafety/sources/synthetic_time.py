"""Temporal structure of the synthetic world: hour grid, festivals, fog, monsoon, hour-of-week.

Everything works on an hourly grid (``numpy.datetime64[h]``) covering the generated period; a
profile is one non-negative weight per hour. See docs/synthetic.md for the numbers and why.
"""

from __future__ import annotations

import datetime as dt
import logging
import warnings
from dataclasses import dataclass

import holidays
import numpy as np

log = logging.getLogger(__name__)

# Festival dates the ``holidays`` India calendar lacks (it covers Diwali/Holi for 2001-2035, but
# not Holi 2002 and 2011); outside that range we fall back to a typical date (documented).
FESTIVAL_FALLBACK: dict[str, dict[int, dt.date]] = {
    "Holi": {2002: dt.date(2002, 3, 29), 2011: dt.date(2011, 3, 20), 2000: dt.date(2000, 3, 20)},
    "Diwali": {2000: dt.date(2000, 10, 26)},
}
FESTIVAL_TYPICAL = {"Holi": (3, 15), "Diwali": (11, 1)}

# Hour-of-day crash weights (0..23) per profile class.
HOUR_WEIGHTS = {
    "highway": [
        1.45,
        1.5,
        1.55,
        1.5,
        1.25,
        0.85,
        0.7,
        0.75,
        0.85,
        0.85,
        0.85,
        0.85,
        0.85,
        0.85,
        0.85,
        0.9,
        0.95,
        1.05,
        1.15,
        1.2,
        1.2,
        1.25,
        1.4,
        1.45,
    ],
    "urban": [
        0.55,
        0.45,
        0.35,
        0.3,
        0.3,
        0.4,
        0.6,
        0.8,
        1.1,
        1.2,
        1.0,
        0.95,
        0.95,
        0.95,
        0.95,
        1.0,
        1.15,
        1.55,
        1.8,
        1.85,
        1.65,
        1.4,
        1.0,
        0.8,
    ],
    "rural": [
        0.7,
        0.65,
        0.6,
        0.6,
        0.6,
        0.7,
        0.8,
        0.9,
        1.0,
        1.0,
        0.95,
        0.95,
        0.95,
        0.95,
        1.0,
        1.05,
        1.15,
        1.35,
        1.45,
        1.4,
        1.25,
        1.05,
        0.85,
        0.75,
    ],
}
WEEKEND_NIGHT = {"highway": 1.2, "urban": 1.7, "rural": 1.3}
FOG_UPLIFT = {"highway": 3.0, "urban": 1.5, "rural": 2.0}
MONSOON_UPLIFT = {"highway": 1.15, "urban": 1.1, "rural": 1.2}
FOG_HOURS = (4, 9)  # 04:00-09:00
NIGHT_FROM, NIGHT_TO = 22, 5  # 22:00-05:00
STATE_DAY, STATE_NIGHT, STATE_FOG = 0, 1, 2


@dataclass(frozen=True)
class HourGrid:
    """Calendar attributes of every hour in ``[start, stop)`` (local time)."""

    hours: np.ndarray  # datetime64[h]
    hod: np.ndarray
    dow: np.ndarray  # 0 = Monday
    month: np.ndarray
    dom: np.ndarray
    years_from_start: np.ndarray

    @property
    def n(self) -> int:
        """Number of hours."""
        return len(self.hours)


def hour_grid(start: dt.date, stop: dt.date) -> HourGrid:
    """The hourly grid from ``start`` 00:00 up to (excluding) ``stop`` 00:00."""
    hours = np.arange(np.datetime64(start, "h"), np.datetime64(stop, "h"), dtype="datetime64[h]")
    days = hours.astype("datetime64[D]")
    months = days.astype("datetime64[M]")
    return HourGrid(
        hours=hours,
        hod=(hours - days.astype("datetime64[h]")).astype(np.int64),
        dow=(days.astype(np.int64) + 3) % 7,
        month=months.astype(np.int64) % 12 + 1,
        dom=(days - months.astype("datetime64[D]")).astype(np.int64) + 1,
        years_from_start=np.arange(len(hours)) / 8766.0,
    )


def festival_dates(years: range) -> dict[str, list[dt.date]]:
    """Diwali, Holi, Dussehra and New Year's Eve dates for ``years``.

    ``holidays.India`` supplies Diwali/Holi/Dussehra where it has them; gaps use
    :data:`FESTIVAL_FALLBACK`, then a typical date (:data:`FESTIVAL_TYPICAL`).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cal = holidays.India(years=list(years))
    out: dict[str, list[dt.date]] = {"Diwali": [], "Holi": [], "Dussehra": [], "New Year's Eve": []}
    for day, names in sorted(cal.items()):
        for name in ("Diwali", "Holi", "Dussehra"):
            if name in [n.strip() for n in names.split(";")]:
                out[name].append(day)
    for name in ("Diwali", "Holi"):
        have = {d.year for d in out[name]}
        for year in years:
            if year not in have:
                fallback = FESTIVAL_FALLBACK[name].get(year, dt.date(year, *FESTIVAL_TYPICAL[name]))
                log.debug("%s %d not in holidays.India; using %s", name, year, fallback)
                out[name].append(fallback)
    out["New Year's Eve"] = [dt.date(y, 12, 31) for y in years]
    return out


def fog_season(grid: HourGrid) -> np.ndarray:
    """True for hours from 15 December to 31 January."""
    return ((grid.month == 12) & (grid.dom >= 15)) | (grid.month == 1)


def condition_state(grid: HourGrid) -> np.ndarray:
    """Per hour: 0 day, 1 night (22:00-05:00), 2 fog (fog season, 04:00-09:00)."""
    night = (grid.hod >= NIGHT_FROM) | (grid.hod < NIGHT_TO)
    fog = fog_season(grid) & (grid.hod >= FOG_HOURS[0]) & (grid.hod < FOG_HOURS[1])
    return np.where(fog, STATE_FOG, np.where(night, STATE_NIGHT, STATE_DAY)).astype(np.int8)


def _window(grid: HourGrid, day: dt.date, from_hour: int, n_hours: int) -> slice:
    first = (
        int((np.datetime64(day, "h") + from_hour - grid.hours[0]).astype(np.int64)) if grid.n else 0
    )
    return slice(max(first, 0), max(min(first + n_hours, grid.n), 0))


def festival_multiplier(
    grid: HourGrid, klass: str, festivals: dict[str, list[dt.date]]
) -> np.ndarray:
    """Crash uplift around Diwali, Holi, Dussehra and New Year's Eve."""
    mult = np.ones(grid.n)
    nye = 2.5 if klass == "urban" else 1.8
    rules = {  # name: [(from_hour, n_hours, factor), ...] relative to the festival day 00:00
        "Diwali": [(0, 18, 1.3), (18, 9, 2.0)],
        "Holi": [(8, 12, 1.8)],
        "Dussehra": [(16, 8, 1.3)],
        "New Year's Eve": [(20, 7, nye)],
    }
    for name, days in festivals.items():
        for day in days:
            for from_hour, n_hours, factor in rules[name]:
                mult[_window(grid, day, from_hour, n_hours)] *= factor
    return mult


def accident_profile(grid: HourGrid, klass: str, festivals: dict[str, list[dt.date]]) -> np.ndarray:
    """Relative crash intensity per hour for a profile class (before the district trend)."""
    w = np.asarray(HOUR_WEIGHTS[klass])[grid.hod]
    weekend_night = (
        ((grid.dow == 4) & (grid.hod >= 21))
        | ((grid.dow == 5) | (grid.dow == 6)) & ((grid.hod >= 21) | (grid.hod < 4))
        | ((grid.dow == 0) & (grid.hod < 4))
    )
    w = w * np.where(weekend_night, WEEKEND_NIGHT[klass], 1.0)
    fog = fog_season(grid) & (grid.hod >= FOG_HOURS[0]) & (grid.hod < FOG_HOURS[1])
    w = w * np.where(fog, FOG_UPLIFT[klass], 1.0)
    w = w * np.where(np.isin(grid.month, (7, 8, 9)), MONSOON_UPLIFT[klass], 1.0)
    return w * festival_multiplier(grid, klass, festivals)


def sample_hours(weights: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Draw ``n`` hour indices with probability proportional to ``weights``."""
    cum = np.cumsum(weights)
    return np.searchsorted(cum, rng.random(n) * cum[-1], side="right").clip(0, len(weights) - 1)
