"""MoRTH rule and naive baselines on hand-made events."""

from __future__ import annotations

from datetime import date

import polars as pl

from roadsafety.features.panel import crash_index, to_day
from roadsafety.models.baselines import morth_counts


def test_morth_rule_uses_the_last_three_calendar_years() -> None:
    def ev(unit: int, d: date, fg: int, killed: int = 0) -> dict:
        return {
            "unit_idx": unit,
            "day": to_day(d),
            "fg": fg,
            "killed": killed,
            "timed": 0,
            "night": 0,
        }

    rows = [ev(0, date(2019, 5, 1), 1) for _ in range(5)]  # 5 fg in 2019: flagged
    rows += [ev(1, date(2017, 5, 1), 1) for _ in range(5)]  # too old
    rows += [ev(2, date(2021, 2, 1), 1) for _ in range(5)]  # current year: not counted
    rows += [ev(3, date(2020, 1, 1), 0, killed=10)]  # 10 deaths
    index = crash_index(pl.DataFrame(rows))
    samples = pl.DataFrame({"unit_idx": [0, 1, 2, 3], "origin": [to_day(date(2021, 6, 1))] * 4})
    got = morth_counts(samples, index)
    assert got["morth_blackspot"].to_list() == [True, False, False, True]
    assert got["morth_fg_3y"].to_list() == [5.0, 0.0, 0.0, 0.0]
