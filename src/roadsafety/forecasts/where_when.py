"""Where and when for one forecast run: every unit's ``peak_window``, the app's hour profiles and
the intensities the drive plan allocates on — all from one model (:mod:`roadsafety.models.intensity`).

Each unit's expected crashes for the run's window (the run's calibrated ``expected_crashes``, and
``expected_fatal_grievous``) are spread over the 168 hours of the week by the unit's shrunk
hour-of-week shares, weighted by how often each weekday occurs in the window
(:func:`roadsafety.models.intensity.window_bins`). Then:

- ``peak_window`` of every unit is :func:`roadsafety.models.allocation.best_windows` of those values
  (computed from the same float32 values that are stored, so the stored intensities give back the
  risk list's window exactly);
- ``unit_hour_profile`` rows (the app's hour-of-week chart) are the values' shares for the
  :data:`PROFILE_TOP` best-ranked units;
- ``unit_week_intensity`` rows are stored for the :data:`PLAN_UNITS_PER_DISTRICT` best-ranked units
  of each district and the :data:`PLAN_UNITS_PER_STATION` best of each police station (a plan never
  needs more places: 300 places are 16,800 shift-starts a week per district), which keeps a run's
  rows to a few MB.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from roadsafety.models import allocation, intensity

PROFILE_TOP = 500
PLAN_UNITS_PER_DISTRICT = 300
PLAN_UNITS_PER_STATION = 10
WEEK = pl.Array(pl.Float32, intensity.BINS)


@dataclass(frozen=True)
class RunWindows:
    """The where-and-when tables of a run.

    Attributes:
        peak: ``unit_idx, peak_window`` for every unit.
        profile: ``unit_id, dow, hour, share`` for the :data:`PROFILE_TOP` best-ranked units.
        intensity: ``unit_id, crashes, fatal_grievous`` (168 float32 each) for the stored units.
    """

    peak: pl.DataFrame
    profile: pl.DataFrame
    intensity: pl.DataFrame


def window_values(
    shares: intensity.WeekShares, ranked: pl.DataFrame, start: date, end: date
) -> tuple[np.ndarray, np.ndarray]:
    """``(crashes, fatal_grievous)`` float32 ``[n, 168]`` expected per bin over ``[start, end]``.

    ``ranked`` has one row per unit with ``unit_idx`` (0..n-1), ``expected_crashes`` and
    ``expected_fatal_grievous``.
    """
    order = ranked.sort("unit_idx")
    crashes = order["expected_crashes"].fill_null(0.0).to_numpy()
    fg = order["expected_fatal_grievous"].fill_null(0.0).to_numpy()
    values, fg_values = intensity.window_intensities(shares, crashes, fg, start, end)
    return values.astype(np.float32), fg_values.astype(np.float32)


def _profile_rows(ids: list[str], values: np.ndarray) -> pl.DataFrame:
    """``unit_id, dow, hour, share`` rows (168 per unit) from expected values per bin."""
    total = values.sum(axis=1, keepdims=True, dtype=np.float64)
    shares = np.where(total > 0, values / np.where(total > 0, total, 1.0), 1.0 / intensity.BINS)
    bins = np.arange(intensity.BINS, dtype=np.int32)
    return pl.DataFrame(
        {
            "unit_id": np.repeat(np.asarray(ids, dtype=object), intensity.BINS),
            "dow": np.tile(bins // 24, len(ids)),
            "hour": np.tile(bins % 24, len(ids)),
            "share": shares.reshape(-1),
        },
        schema={"unit_id": pl.Utf8, "dow": pl.Int32, "hour": pl.Int32, "share": pl.Float64},
    )


def stored_units(keyed: pl.DataFrame) -> pl.Series:
    """``unit_idx`` of the units whose intensities are stored (module docstring).

    ``keyed``: ``unit_idx, rank, district, police_station`` per unit.
    """
    by = pl.col("rank").rank("ordinal")
    district = pl.col("district").fill_null("")
    station = pl.concat_str([district, pl.col("police_station").fill_null("")], separator="|")
    keep = (by.over(district) <= PLAN_UNITS_PER_DISTRICT) | (
        by.over(station) <= PLAN_UNITS_PER_STATION
    )
    return keyed.filter(keep)["unit_idx"].sort()


def run_windows(
    events: pl.DataFrame,
    units: pl.DataFrame,
    ranked: pl.DataFrame,
    cutoff: int,
    start: date,
    end: date,
    priors: intensity.IntensityPriors = intensity.IntensityPriors(),
) -> RunWindows:
    """The where-and-when tables of a run (module docstring).

    Args:
        events: crash events ``unit_idx, day, hour, fg`` (only days before ``cutoff`` are used).
        units: the universe (``unit_idx`` 0..n-1 and the attributes of the hierarchy).
        ranked: the run's rows: ``unit_idx, rank, expected_crashes, expected_fatal_grievous``.
        cutoff: the run's data cut-off (day number).
        start: first day of the window; end: last day (inclusive).
        priors: the intensity model's strengths.
    """
    shares = intensity.week_shares(events, units, cutoff, priors)
    crashes, fg = window_values(shares, ranked, start, end)
    ids = units.sort("unit_idx")["unit_id"].to_list()
    peak = allocation.best_windows(ids, crashes).join(
        units.select("unit_id", "unit_idx"), on="unit_id", how="left"
    )
    keyed = ranked.select("unit_idx", "rank").join(
        units.select("unit_idx", "district", "police_station"), on="unit_idx", how="left"
    )
    top = keyed.filter(pl.col("rank") <= PROFILE_TOP)["unit_idx"].sort().to_numpy()
    kept = stored_units(keyed).to_numpy()
    stored = pl.DataFrame(
        {
            "unit_id": [ids[i] for i in kept],
            "crashes": pl.Series(crashes[kept], dtype=WEEK),
            "fatal_grievous": pl.Series(fg[kept], dtype=WEEK),
        }
    )
    return RunWindows(
        peak=peak.select("unit_idx", "peak_window"),
        profile=_profile_rows([ids[i] for i in top], crashes[top]),
        intensity=stored,
    )
