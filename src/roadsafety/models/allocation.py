"""Budgeted deployment: which (unit, day, start hour) shifts catch the most expected crashes.

Pure functions, no I/O. Given expected crashes per unit and hour-of-week bin (``[n, 168]``, bin =
dow·24 + hour, 0 = Monday 00h; e.g. :func:`roadsafety.models.intensity.window_bins`), a weekly
budget of team-hours and a shift length in whole hours, :func:`allocate` chooses shifts — one team on
one unit for ``shift_hours`` consecutive hours starting on the hour, repeated each week — maximising
the expected crashes covered with the summed cost within the budget. A shift on a unit made of
``cells[u]`` cells (a corridor row) costs ``shift_hours × cells[u]``; a single cell or road unit
costs ``shift_hours``.

Method: greedy on expected crashes per team-hour with lazy re-evaluation (a unit's best remaining
shift only loses value as it gets shifts, so the heap top, once re-evaluated, is the true best).
Shifts on one unit never overlap; they may touch (two shifts 22-01 and 01-04 make one 6-hour
window) and may pass midnight or the end of the week. Whether the budget goes to many places with
short windows or a few places with long ones follows from the intensities alone. Greedy selection
is the standard approximation for this budgeted coverage problem (at least 1 − 1/e of the optimum;
here, with disjoint units and smooth profiles, close to it).

:func:`window_groups` / :func:`window_text` render a unit's covered bins in the risk list's
``peak_window`` format (``DAYS HH:MM-HH:MM`` joined by ``'; '``, see
:mod:`roadsafety.models.profile`), and :func:`best_windows` is the risk list's peak window of each
unit from the same intensities (the rule of :func:`roadsafety.models.profile.windows_from_week`).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
import polars as pl

from roadsafety.models import profile

BINS = 168
SHIFT_COLUMNS = {"unit": pl.Int64, "start_bin": pl.Int64, "covered": pl.Float64}


@dataclass(frozen=True)
class Budget:
    """A weekly deployment budget.

    Attributes:
        team_hours: team-hours per week (one team on one cell for one hour costs 1).
        shift_hours: whole hours per shift (1-24).
    """

    team_hours: float
    shift_hours: int = 3

    def __post_init__(self) -> None:
        if not 1 <= self.shift_hours <= 24:
            raise ValueError(f"shift_hours must be 1..24, got {self.shift_hours}")
        if not np.isfinite(self.team_hours) or self.team_hours <= 0:
            raise ValueError(f"team_hours must be a positive number, got {self.team_hours}")


def _window_sums(row: np.ndarray, free: np.ndarray, hours: int) -> np.ndarray:
    """Value of a shift starting at each bin of one unit; -inf where it would overlap a shift."""
    idx = (np.arange(BINS)[:, None] + np.arange(hours)[None, :]) % BINS
    sums = row[idx].sum(axis=1)
    return np.where(free[idx].all(axis=1), sums, -np.inf)


def _first_best(values: np.ndarray, hours: int) -> tuple[np.ndarray, np.ndarray]:
    """Best start bin and its value for every unit (nothing covered yet)."""
    sums = sum(np.roll(values, -i, axis=1) for i in range(hours))
    start = np.argmax(sums, axis=1)
    return start, sums[np.arange(values.shape[0]), start]


def allocate(values: np.ndarray, budget: Budget, cells: np.ndarray | None = None) -> pl.DataFrame:
    """Greedy budgeted choice of weekly shifts (module docstring).

    Args:
        values: ``[n, 168]`` expected crashes per unit and hour-of-week bin (non-negative).
        budget: team-hours per week and shift length.
        cells: cells per unit (cost multiplier), default 1 for every unit.

    Returns:
        One row per shift in the order chosen: ``unit`` (row of ``values``), ``start_bin`` and
        ``covered`` (expected crashes of the shift). The summed cost never exceeds the budget.
    """
    values = np.nan_to_num(np.asarray(values, dtype=np.float64).clip(min=0.0))
    n, hours = values.shape[0], budget.shift_hours
    cost = hours * (np.ones(n) if cells is None else np.asarray(cells, dtype=np.float64))
    start, best = _first_best(values, hours)
    heap = [(-best[u] / cost[u], u) for u in range(n) if best[u] > 0]
    heapq.heapify(heap)
    free = np.ones((n, BINS), dtype=bool)
    left, chosen = float(budget.team_hours), []
    while heap:
        neg_ratio, u = heapq.heappop(heap)
        if cost[u] > left + 1e-9:
            continue  # this unit never fits again; cheaper units may
        sums = _window_sums(values[u], free[u], hours)
        s = int(np.argmax(sums))
        if not sums[s] > 0:
            continue
        if sums[s] / cost[u] < -neg_ratio - 1e-12:
            heapq.heappush(heap, (-sums[s] / cost[u], u))  # stale: re-queue at its true value
            continue
        chosen.append((u, s, float(sums[s])))
        free[u, (s + np.arange(hours)) % BINS] = False
        left -= cost[u]
        heapq.heappush(heap, (neg_ratio, u))  # re-evaluated lazily on the next pop
    return pl.DataFrame(chosen, schema=SHIFT_COLUMNS, orient="row")


def covered_mask(shifts: pl.DataFrame, n_units: int, shift_hours: int) -> np.ndarray:
    """``[n_units, 168]`` booleans: the bins the shifts cover."""
    mask = np.zeros((n_units, BINS), dtype=bool)
    for u, s in shifts.select("unit", "start_bin").iter_rows():
        mask[u, (s + np.arange(shift_hours)) % BINS] = True
    return mask


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Maximal runs of covered bins as ``(start_bin, hours)`` (wrapping the end of the week)."""
    if mask.all():
        return [(0, BINS)]
    origin = int(np.flatnonzero(~mask)[0])
    runs, start = [], None
    for i in range(1, BINS + 1):
        b = (origin + i) % BINS
        if mask[b] and start is None:
            start = b
        elif not mask[b] and start is not None:
            runs.append((start, (b - start) % BINS))
            start = None
    return runs


def window_groups(mask: np.ndarray) -> list[tuple[list[int], int, int]]:
    """One unit's covered bins as ``(days, start_hour, hours)`` groups (hours ≤ 24).

    Runs longer than a day are cut into 24-hour pieces; pieces with the same start hour and length
    share one group (``Fri-Sun 22:00-01:00``). Groups are ordered by first day, then start hour.
    """
    pieces: dict[tuple[int, int], list[int]] = {}
    for start, length in _runs(np.asarray(mask, dtype=bool)):
        for offset in range(0, length, 24):
            b = (start + offset) % BINS
            pieces.setdefault((b % 24, min(24, length - offset)), []).append(b // 24)
    groups = [(sorted(days), hour, hours) for (hour, hours), days in pieces.items()]
    return sorted(groups, key=lambda g: (g[0][0], g[1], g[2]))


def window_text(mask: np.ndarray) -> str:
    """Covered bins in the ``peak_window`` format, e.g. ``'Fri-Sun 22:00-01:00; Mon 08:00-11:00'``.

    A whole week is :data:`roadsafety.models.profile.ALL_DAY`; nothing covered is ``''``.
    """
    mask = np.asarray(mask, dtype=bool)
    if mask.all():
        return profile.ALL_DAY
    return "; ".join(profile.format_window(d, h, n) for d, h, n in window_groups(mask))


def best_windows(unit_ids: list[str], values: np.ndarray, *, hours: int = 3) -> pl.DataFrame:
    """The risk list's ``peak_window`` of each unit from its intensities (``unit_id, peak_window``).

    Args:
        unit_ids: one id per row of ``values``.
        values: ``[n, 168]`` expected crashes (or shares) per hour-of-week bin.
        hours: window length.
    """
    week = np.asarray(values, dtype=np.float64).reshape(-1, 7, 24)
    return profile.windows_from_week(list(unit_ids), week, hours=hours)
