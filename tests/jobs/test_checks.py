"""Drift and freshness checks: levels from small hand-made aggregates."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from roadsafety.config import JobConfig
from roadsafety.jobs import checks

CFG = JobConfig()
CUTOFF = date(2026, 6, 1)


def test_volume_levels_follow_the_thresholds():
    # 365 accidents a year → 28 expected in a 28-day window.
    volumes = pl.DataFrame(
        {
            "district": ["A", "B", "C", "D", "tiny"],
            "recent": [28, 14, 5, 100, 0],
            "history": [365, 365, 365, 365, 20],
        }
    )
    got = {c.name: c.level for c in checks.volume_checks(volumes, CFG)}
    assert got == {"volume:A": "ok", "volume:B": "warn", "volume:C": "block", "volume:D": "block"}


def test_offence_mix_shift():
    same = pl.DataFrame(
        {"offence": ["no_helmet", "overspeeding"], "recent": [300, 300], "history": [5000, 5000]}
    )
    shifted = same.with_columns(recent=pl.Series([590, 10]))
    assert [c.level for c in checks.offence_mix_check(same, CFG)] == ["ok"]
    assert [c.level for c in checks.offence_mix_check(shifted, CFG)] == ["block"]
    assert (
        checks.offence_mix_check(same.with_columns(recent=pl.Series([5, 5])), CFG) == []
    )  # too few


def _daily(days_missing: set[int]) -> pl.DataFrame:
    start = CUTOFF - timedelta(days=28 + 365)
    days = [start + timedelta(days=i) for i in range(28 + 365)]
    recent = [d for d in days if d >= CUTOFF - timedelta(days=28)]
    keep = [d for d in days if d not in {recent[i] for i in days_missing}]
    return pl.DataFrame({"day": keep, "n": [5] * len(keep)})


def test_missing_days_and_stale_data():
    assert checks.missing_days_check(_daily(set()), CUTOFF, CUTOFF, CFG)[0].level == "ok"
    assert checks.missing_days_check(_daily({3, 4}), CUTOFF, CUTOFF, CFG)[0].level == "warn"
    stale = checks.missing_days_check(_daily(set()), CUTOFF, CUTOFF + timedelta(days=10), CFG)[0]
    assert stale.level == "block" and "10 day(s)" in stale.detail
    assert (
        checks.worst(checks.missing_days_check(_daily(set(range(8))), CUTOFF, CUTOFF, CFG))
        == "block"
    )
