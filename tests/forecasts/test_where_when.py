"""A run's where-and-when tables: data before the cut-off only, which units are stored."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from roadsafety.forecasts import where_when

CUTOFF = 19_000


def _inputs(n: int = 40) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(2)
    units = pl.DataFrame(
        {
            "unit_idx": np.arange(n, dtype=np.int64),
            "unit_id": [f"PS {i % 4} | ROAD {i}" for i in range(n)],
            "h3_cell": [None] * n,
            "police_station": [f"PS {i % 4}" for i in range(n)],
            "district": ["A" if i < 30 else "B" for i in range(n)],
            "road_category": ["urban"] * n,
        }
    )
    events = pl.DataFrame(
        {
            "unit_idx": rng.integers(0, n, 3000),
            "day": CUTOFF - rng.integers(1, 900, 3000),
            "hour": rng.integers(0, 24, 3000),
            "fg": rng.integers(0, 2, 3000),
        }
    )
    ranked = pl.DataFrame(
        {
            "unit_idx": np.arange(n, dtype=np.int64),
            "rank": np.arange(1, n + 1),
            "expected_crashes": np.linspace(5, 0.1, n),
            "expected_fatal_grievous": np.linspace(2, 0.05, n),
        }
    )
    return events, units, ranked


def test_intensities_at_a_cutoff_use_earlier_crashes_only() -> None:
    events, units, ranked = _inputs()
    args = (units, ranked, CUTOFF, date(2022, 1, 9), date(2022, 2, 5))
    before = where_when.run_windows(events, *args)
    future = events.with_columns(day=pl.col("day") + 2000, hour=(pl.col("hour") + 7) % 24)
    after = where_when.run_windows(pl.concat([events, future]), *args)
    assert before.peak.equals(after.peak) and before.profile.equals(after.profile)
    assert before.intensity.equals(after.intensity)


def test_stored_units_are_the_best_of_each_district_and_station(monkeypatch) -> None:
    events, units, ranked = _inputs()
    monkeypatch.setattr(where_when, "PLAN_UNITS_PER_DISTRICT", 5)
    monkeypatch.setattr(where_when, "PLAN_UNITS_PER_STATION", 2)
    out = where_when.run_windows(events, units, ranked, CUTOFF, date(2022, 1, 9), date(2022, 2, 5))
    kept = set(out.intensity["unit_id"])
    best_a = {f"PS {i % 4} | ROAD {i}" for i in range(5)}
    best_b = {f"PS {i % 4} | ROAD {i}" for i in range(30, 35)}
    assert best_a | best_b <= kept
    for station in range(4):  # two best of each station of each district
        ids = [i for i in range(30) if i % 4 == station][:2]
        assert {f"PS {station} | ROAD {i}" for i in ids} <= kept
    assert len(kept) < 40 and out.peak.height == 40
    sums = out.intensity["crashes"].to_numpy().sum(axis=1)
    assert np.allclose(sorted(sums, reverse=True)[:1], [5.0], rtol=1e-5)
