"""Tests for roadsafety.features.calendar (days, weeks, windows)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from roadsafety.config import CalendarConfig
from roadsafety.features.calendar import (
    DAY_COLUMNS,
    SHARE_COLUMNS,
    calendar_days,
    calendar_weeks,
    window_calendar,
)

HARYANA = CalendarConfig(
    country="IN", subdivision="HR", fog_months=(12, 1), monsoon_months=(7, 8, 9)
)
GENERIC = CalendarConfig()


def test_days_one_row_per_day_with_columns() -> None:
    days = calendar_days(date(2023, 12, 30), date(2024, 1, 2), GENERIC)
    assert days.columns == list(DAY_COLUMNS)
    assert days["date"].to_list() == [
        date(2023, 12, 30),
        date(2023, 12, 31),
        date(2024, 1, 1),
        date(2024, 1, 2),
    ]
    assert days["dow"].to_list() == [5, 6, 0, 1]
    assert days["is_weekend"].to_list() == [True, True, False, False]


def test_empty_range_gives_empty_frame() -> None:
    days = calendar_days(date(2024, 1, 5), date(2024, 1, 1), HARYANA)
    assert days.height == 0 and days.columns == list(DAY_COLUMNS)
    assert window_calendar(date(2024, 1, 5), date(2024, 1, 1), HARYANA)["n_days"] == 0


def test_no_country_means_no_holidays_or_festivals_or_seasons() -> None:
    days = calendar_days(date(2023, 1, 1), date(2023, 12, 31), GENERIC)
    for flag in ("is_holiday", "is_holiday_window", "is_festival", "is_fog_season", "is_monsoon"):
        assert not days[flag].any(), flag
    assert days["festival"].null_count() == days.height


def test_haryana_diwali_window_and_monsoon() -> None:
    days = calendar_days(date(2023, 11, 1), date(2023, 11, 30), HARYANA)
    diwali = days.filter(pl.col("festival") == "Diwali")["date"].to_list()
    assert diwali == [date(2023, 11, d) for d in range(10, 15)]  # 12 Nov ± 2 days
    assert days.filter(pl.col("date") == date(2023, 11, 12))["is_holiday"].item()
    monsoon = calendar_days(date(2023, 6, 30), date(2023, 7, 1), HARYANA)["is_monsoon"].to_list()
    assert monsoon == [False, True]


def test_holi_found_and_new_years_eve_added() -> None:
    days = calendar_days(date(2023, 3, 1), date(2024, 1, 2), HARYANA)
    assert date(2023, 3, 8) in days.filter(pl.col("festival") == "Holi")["date"].to_list()
    nye = days.filter(pl.col("festival") == "New Year's Eve")["date"].to_list()
    assert nye == [date(2023, 12, 31), date(2024, 1, 1)]


def test_fog_months_and_finer_start_day() -> None:
    whole = calendar_days(date(2023, 11, 30), date(2024, 2, 1), HARYANA)
    assert whole.filter(pl.col("is_fog_season"))["date"].min() == date(2023, 12, 1)
    finer = calendar_days(date(2023, 11, 30), date(2024, 2, 1), HARYANA, fog_from_day=15)
    fog = finer.filter(pl.col("is_fog_season"))["date"]
    assert (fog.min(), fog.max(), fog.len()) == (date(2023, 12, 15), date(2024, 1, 31), 48)


def test_unknown_country_logs_and_continues(caplog: pytest.LogCaptureFixture) -> None:
    days = calendar_days(date(2023, 1, 1), date(2023, 12, 31), CalendarConfig(country="XX"))
    assert not days["is_holiday"].any() and not days["is_festival"].any()
    assert "no holiday calendar" in caplog.text


def test_other_country_gets_christmas_in_english() -> None:
    share = window_calendar(date(2019, 12, 1), date(2019, 12, 31), CalendarConfig(country="FR"))
    assert "Christmas" in str(share["festivals"])
    assert share["holiday_share"] == pytest.approx(1 / 31)


def test_weeks_are_full_mondays_and_shares_match_days() -> None:
    weeks = calendar_weeks(date(2023, 11, 1), date(2023, 11, 30), HARYANA)
    assert all(d.weekday() == 0 for d in weeks["week_start"].to_list())
    assert weeks["week_start"].min() == date(2023, 10, 30)
    assert weeks["week_end"].max() == date(2023, 12, 3)
    assert weeks["weekend_share"].to_list() == pytest.approx([2 / 7] * weeks.height)
    diwali_week = weeks.filter(pl.col("week_start") == date(2023, 11, 6))
    assert diwali_week["festival_share"].item() == pytest.approx(3 / 7)
    assert diwali_week["festivals"].item() == "Diwali"


def test_window_shares_bounded_and_consistent() -> None:
    share = window_calendar(date(2023, 12, 1), date(2024, 1, 31), HARYANA)
    assert share["n_days"] == 62
    assert share["fog_share"] == pytest.approx(1.0)
    for col in SHARE_COLUMNS:
        assert 0.0 <= float(share[col]) <= 1.0
    one = window_calendar(date(2023, 11, 12), date(2023, 11, 12), HARYANA)
    assert one["holiday_share"] == 1.0 and one["festivals"] == "Diwali"


def test_unknown_subdivision_falls_back_to_national_holidays(
    caplog: pytest.LogCaptureFixture,
) -> None:
    cal = CalendarConfig(country="IN", subdivision="ZZ")
    days = calendar_days(date(2023, 1, 1), date(2023, 12, 31), cal)
    assert days.filter(pl.col("date") == date(2023, 1, 26))["is_holiday"].item()  # Republic Day
    assert "no holiday calendar for IN/ZZ" in caplog.text
