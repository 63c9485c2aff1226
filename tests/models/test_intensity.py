"""The where-and-when intensity model: shares, no leakage, a planted night hot spot, window sums."""

from __future__ import annotations

from datetime import date

import h3
import numpy as np
import polars as pl
import pytest

from roadsafety.models import allocation, intensity
from roadsafety.models.profile import parse_peak_window

CUTOFF = 20_000  # a day number (2024-10-04)


def _world(seed: int = 3, hot_night: int = 150) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Twelve cells on one road and a police-station unit; cell 0 is a planted night hot spot."""
    rng = np.random.default_rng(seed)
    centre = h3.latlng_to_cell(29.0, 76.0, 8)
    cells = sorted(h3.grid_disk(centre, 2))[:12]
    units = (
        pl.DataFrame(
            {
                "unit_id": [*cells, "PS X | MAIN ROAD"],
                "h3_cell": [*cells, None],
                "police_station": ["PS X"] * 13,
                "district": ["D1"] * 13,
                "road_category": ["NH"] * 12 + ["urban"],
            }
        )
        .with_row_index("unit_idx")
        .with_columns(pl.col("unit_idx").cast(pl.Int64))
    )
    rows = []
    for u in range(13):  # daytime traffic crashes everywhere (peak 17-19h)
        for _ in range(60):
            rows.append(
                (
                    u,
                    CUTOFF - int(rng.integers(1, 1000)),
                    int(rng.choice([8, 9, 17, 18, 19])),
                    int(rng.random() < 0.3),
                )
            )
    for _ in range(hot_night):  # the hot spot: nights 23:00-02:00, mostly fatal or grievous
        rows.append((0, CUTOFF - int(rng.integers(1, 1000)), int(rng.choice([23, 0, 1])), 1))
    events = pl.DataFrame(
        rows, schema=["unit_idx", "day", "hour", "fg"], orient="row"
    ).with_columns(
        pl.col("unit_idx").cast(pl.Int64),
        pl.col("day").cast(pl.Int64),
        pl.col("hour").cast(pl.Int64),
    )
    return events, units


def test_shares_are_distributions_for_every_unit() -> None:
    events, units = _world()
    shares = intensity.week_shares(events, units, CUTOFF)
    for matrix in (shares.crashes, shares.fatal_grievous):
        assert matrix.shape == (13, 168)
        assert np.allclose(matrix.sum(axis=1), 1.0) and (matrix > 0).all()


def test_no_leakage_crashes_on_or_after_the_cutoff_change_nothing() -> None:
    events, units = _world()
    before = intensity.week_shares(events, units, CUTOFF)
    rng = np.random.default_rng(9)
    future = pl.DataFrame(
        {
            "unit_idx": rng.integers(0, 13, 500),
            "day": CUTOFF + rng.integers(0, 300, 500),
            "hour": rng.integers(0, 24, 500),
            "fg": rng.integers(0, 2, 500),
        }
    )
    after = intensity.week_shares(pl.concat([events, future]), units, CUTOFF)
    assert np.array_equal(before.crashes, after.crashes)
    assert np.array_equal(before.fatal_grievous, after.fatal_grievous)
    rates = intensity.history_rates(pl.concat([events, future]), 13, CUTOFF, 156)
    assert np.array_equal(rates, intensity.history_rates(events, 13, CUTOFF, 156))


def test_planted_night_hot_spot_gets_a_night_window() -> None:
    events, units = _world()
    shares = intensity.week_shares(events, units, CUTOFF)
    totals = intensity.history_rates(events, 13, CUTOFF, 156) * 365
    values = intensity.window_bins(shares.crashes, totals, date(2024, 10, 4), date(2025, 10, 3))
    windows = allocation.best_windows(units["unit_id"].to_list(), values)["peak_window"]
    night = parse_peak_window(windows[0])
    assert night and all(h in (22, 23, 0, 1, 2) for _, h in night), windows[0]
    assert all(h in range(7, 21) for _, h in parse_peak_window(windows[5])), windows[5]
    fg = intensity.window_bins(shares.fatal_grievous, totals, date(2024, 10, 4), date(2025, 10, 3))
    plan = allocation.allocate(fg, allocation.Budget(6, 3))
    assert plan["unit"].to_list() == [0, 0] and all(
        s % 24 in (22, 23, 0) for s in plan["start_bin"]
    )


def test_without_own_history_a_unit_takes_its_groups_profile() -> None:
    events, units = _world()
    quiet = events.filter(pl.col("unit_idx") != 7)
    shares = intensity.week_shares(quiet, units, CUTOFF).crashes
    assert np.argmax(shares[7]) % 24 in (8, 9, 17, 18, 19)


def test_window_bins_sum_to_the_totals_and_weight_weekdays_by_occurrence() -> None:
    shares = np.full((2, 168), 1 / 168)
    totals = np.array([10.0, 0.0])
    values = intensity.window_bins(shares, totals, date(2025, 1, 6), date(2025, 1, 13))  # Mon..Mon
    assert values.sum(axis=1) == pytest.approx([10.0, 0.0])
    assert values[0, 0] == pytest.approx(2 * values[0, 24])  # two Mondays, one Tuesday
    assert intensity.day_counts(date(2025, 1, 6), date(2025, 1, 13)).tolist() == [
        2,
        1,
        1,
        1,
        1,
        1,
        1,
    ]


def test_fatal_grievous_never_exceeds_crashes_in_a_bin_and_keeps_its_total() -> None:
    rng = np.random.default_rng(4)
    crashes = rng.gamma(1.0, 1.0, (20, 168))
    fg = rng.gamma(0.3, 1.0, (20, 168))
    fg *= (crashes.sum(axis=1, keepdims=True) * rng.uniform(0.1, 1.0, (20, 1))) / fg.sum(
        axis=1, keepdims=True
    )
    capped = intensity.cap_fatal_grievous(fg, crashes)
    assert (capped <= crashes + 1e-12).all() and (capped >= 0).all()
    assert capped.sum(axis=1) == pytest.approx(fg.sum(axis=1))


def test_only_a_unit_with_a_pattern_of_its_own_escapes_the_hard_shrinkage() -> None:
    events, units = _world()
    counts = intensity.timed_counts(events, 13, CUTOFF, 260)
    pooled = intensity.pool_day_types(counts, 3.0)
    group = pooled[1:12].sum(axis=0) + 1.0  # the daytime cells' profile, never 0
    parent = np.tile(group / group.sum(), (13, 1))
    weights = intensity.local_weights(pooled, parent, intensity.IntensityPriors())
    assert weights[0] > 0.99  # the night hot spot
    assert (weights[1:] < 0.1).all() and weights[1:].mean() < 0.03  # daytime cells: the group
    shares = intensity.week_shares(events, units, CUTOFF).crashes
    night = [d * 24 + h for d in range(7) for h in (23, 0, 1)]
    assert shares[0, night].sum() > 0.5 > shares[1, night].sum()
