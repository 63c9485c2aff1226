"""The budgeted allocation: never over budget, shifts never overlap, windows parse back exactly."""

from __future__ import annotations

import numpy as np
import pytest

from roadsafety.models import allocation
from roadsafety.models.profile import ALL_DAY, parse_peak_window


def _bins(text: str) -> set[int]:
    return {d * 24 + h for d, h in parse_peak_window(text)}


@pytest.mark.parametrize("seed", range(40))
def test_random_intensities_never_exceed_budget_and_windows_parse_back(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 40))
    values = rng.gamma(0.3, 1.0, (n, 168)) * (rng.random((n, 1)) < 0.8)
    cells = rng.integers(1, 4, n)
    budget = allocation.Budget(float(rng.uniform(1, 400)), int(rng.integers(1, 8)))
    shifts = allocation.allocate(values, budget, cells)
    cost = float((budget.shift_hours * cells[shifts["unit"].to_numpy()]).sum())
    assert cost <= budget.team_hours + 1e-9
    mask = allocation.covered_mask(shifts, n, budget.shift_hours)
    assert mask.sum() == shifts.height * budget.shift_hours  # shifts on a unit never overlap
    for u in set(shifts["unit"].to_list()):
        text = allocation.window_text(mask[u])
        assert _bins(text) == set(np.flatnonzero(mask[u]).tolist()), text
    covered = sum(
        values[u, (s + np.arange(budget.shift_hours)) % 168].sum() for u, s, _ in shifts.iter_rows()
    )
    assert covered == pytest.approx(shifts["covered"].sum())


@pytest.mark.parametrize("seed", range(30))
def test_any_mask_renders_to_a_window_that_parses_back(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    mask = rng.random(168) < rng.uniform(0.02, 0.98)
    if seed % 5 == 0:
        mask[:] = False
        start = int(rng.integers(168))
        mask[(start + np.arange(int(rng.integers(20, 60)))) % 168] = True  # long runs over midnight
    text = allocation.window_text(mask)
    assert _bins(text) == set(np.flatnonzero(mask).tolist())


def test_whole_week_and_midnight_windows() -> None:
    assert allocation.window_text(np.ones(168, bool)) == ALL_DAY
    mask = np.zeros(168, bool)
    for day in (4, 5, 6):  # Fri-Sun 22:00-01:00, passing midnight
        mask[(day * 24 + 22 + np.arange(3)) % 168] = True
    assert allocation.window_text(mask) == "Fri-Sun 22:00-01:00"
    mask[[8, 9, 10]] = True
    assert allocation.window_text(mask) == "Mon 08:00-11:00; Fri-Sun 22:00-01:00"


def test_greedy_takes_the_best_shifts_and_spends_the_budget_where_it_catches_most() -> None:
    values = np.full((3, 168), 0.01)
    values[0, 22:25] = 5.0  # Mon 22:00-01:00 at a very risky place
    values[1, 100:103] = 2.0
    values[2, :] = 0.5  # a place risky all week: several shifts there beat the others' quiet hours
    shifts = allocation.allocate(values, allocation.Budget(12, 3))
    got = list(shifts.select("unit", "start_bin").iter_rows())
    assert got[:2] == [(0, 22), (1, 100)]
    assert [u for u, _ in got[2:]] == [2, 2]
    assert allocation.allocate(values, allocation.Budget(2, 3)).is_empty()  # less than one shift


def test_corridor_rows_cost_hours_times_cells() -> None:
    values = np.ones((2, 168))
    values[0] *= 2.5  # a 3-cell corridor: 2.5x the crashes of a cell but 3x the cost
    shifts = allocation.allocate(values, allocation.Budget(9, 3), cells=np.array([3, 1]))
    assert set(shifts["unit"].to_list()) == {1}  # per team-hour the single cell wins
    assert allocation.allocate(values, allocation.Budget(9, 3), cells=np.array([3, 3])).height == 1


@pytest.mark.parametrize("bad", [0, -3, float("nan"), float("inf")])
def test_bad_budgets_are_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="team_hours"):
        allocation.Budget(bad)
    with pytest.raises(ValueError, match="shift_hours"):
        allocation.Budget(10, 0)


def test_best_windows_is_the_peak_window_rule_on_intensities() -> None:
    values = np.full((2, 168), 0.1)
    for day in (4, 5):
        values[0, day * 24 + 23] = values[0, (day * 24 + 24) % 168] = values[0, day * 24 + 25] = 3
    out = allocation.best_windows(["night", "flat"], values)
    assert out.row(0) == ("night", "Fri-Sat 23:00-02:00")
    assert out.row(1) == ("flat", ALL_DAY)
