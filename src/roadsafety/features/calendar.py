"""Calendar features shared by every model: days, weeks and whole forecast windows.

Pure Polars, no I/O. Everything regional comes from :class:`roadsafety.config.CalendarConfig`: with
``country=None`` there are no holidays and no festivals (all those flags are false) and the seasons
are on only when their months are configured; nothing assumes India.

API (all frames are eager ``pl.DataFrame``):

- :func:`calendar_days` ``(start, end, cal)`` → one row per day, columns :data:`DAY_COLUMNS`:
  ``date, dow (0=Mon), month, is_weekend, is_holiday, holiday_name, is_holiday_window, festival,
  is_festival, is_fog_season, is_monsoon``.
- :func:`calendar_weeks` ``(start, end, cal)`` → one row per Monday-starting week touching the
  range, columns ``week_start, week_end`` + the share columns below + ``festivals`` (names, ``';
  '``-joined).
- :func:`window_calendar` ``(start, end, cal)`` → dict with ``n_days`` and the shares
  :data:`SHARE_COLUMNS` (``fog_share, monsoon_share, holiday_share, holiday_window_share,
  festival_share, weekend_share``) plus ``festivals`` for any window (one day to years).

Rules (documented choices):

- Holidays: ``holidays.country_holidays(cal.country, subdiv=cal.subdivision)`` with English names
  when the country offers them. An unknown country/subdivision logs a warning and yields no
  holidays.
- Holiday window: within ±:data:`HOLIDAY_HALF_WIDTH` days of any public holiday.
- Festival: within ±:data:`FESTIVAL_HALF_WIDTH` days of a *named* high-traffic festival found in the
  country's holiday names (:data:`NAMED_FESTIVALS`: Diwali, Holi, Dussehra, Eid al-Fitr, Christmas),
  plus New Year's Eve (31 Dec and 1 Jan only) whenever the country's holiday calendar loaded. The
  ``festival`` column holds the name (the earliest-listed one when windows overlap).
- Fog season: the month is in ``cal.fog_months``. Finer rule: ``fog_from_day`` (default 1) makes
  each contiguous run of fog months (wrapping over the year end) start on that day of its first
  month, e.g. ``fog_months=(12, 1), fog_from_day=15`` gives 15 December to 31 January (Haryana).
- Monsoon: the month is in ``cal.monsoon_months``.
"""

from __future__ import annotations

import functools
import logging
import re
from datetime import date, timedelta

import holidays
import polars as pl

from roadsafety.config import CalendarConfig

log = logging.getLogger(__name__)

HOLIDAY_HALF_WIDTH = 1
FESTIVAL_HALF_WIDTH = 2
NEW_YEARS_EVE = "New Year's Eve"
NAMED_FESTIVALS: dict[str, str] = {
    "Diwali": r"\b(diwali|deepavali)\b",
    "Holi": r"\bholi\b",
    "Dussehra": r"\b(dussehra|vijaya dashami|vijayadashami)\b",
    "Eid al-Fitr": r"\beid al-fitr\b",
    "Christmas": r"\bchristmas\b",
}
SHARE_COLUMNS = (
    "fog_share",
    "monsoon_share",
    "holiday_share",
    "holiday_window_share",
    "festival_share",
    "weekend_share",
)
DAY_COLUMNS = (
    "date",
    "dow",
    "month",
    "is_weekend",
    "is_holiday",
    "holiday_name",
    "is_holiday_window",
    "festival",
    "is_festival",
    "is_fog_season",
    "is_monsoon",
)
_FLAG_OF_SHARE = {
    "fog_share": "is_fog_season",
    "monsoon_share": "is_monsoon",
    "holiday_share": "is_holiday",
    "holiday_window_share": "is_holiday_window",
    "festival_share": "is_festival",
    "weekend_share": "is_weekend",
}


@functools.lru_cache(maxsize=32)
def _holiday_table(country: str, subdivision: str | None, years: range) -> dict | None:
    """The ``holidays`` table (English names when offered), or None (logged) when unknown."""
    try:
        table = holidays.country_holidays(country, subdiv=subdivision, years=years)
        if "en_US" in getattr(table, "supported_languages", ()):
            table = holidays.country_holidays(
                country, subdiv=subdivision, years=years, language="en_US"
            )
    except NotImplementedError as exc:
        log.warning("no holiday calendar for %s/%s (%s)", country, subdivision, exc)
        return None
    return table


def public_holidays(start: date, end: date, cal: CalendarConfig) -> dict[date, str]:
    """Public holidays between ``start`` and ``end`` (inclusive) for the configured country.

    Args:
        start: first day.
        end: last day (inclusive).
        cal: calendar settings; ``country=None`` gives no holidays; an unknown subdivision falls
            back to the country's national holidays, an unknown country to none (both logged).

    Returns:
        Mapping date → holiday name ('; '-joined when several fall on one day).
    """
    if cal.country is None or end < start:
        return {}
    years = range(start.year - 1, end.year + 2)
    table = _holiday_table(cal.country, cal.subdivision, years)
    if table is None and cal.subdivision is not None:
        table = _holiday_table(cal.country, None, years)
    if table is None:
        return {}
    return {d: str(name) for d, name in sorted(table.items())}


def _festival_offsets(name: str) -> range:
    """Day offsets around a festival's date: ±FESTIVAL_HALF_WIDTH; New Year's Eve: 31 Dec-1 Jan."""
    if name == NEW_YEARS_EVE:
        return range(2)
    return range(-FESTIVAL_HALF_WIDTH, FESTIVAL_HALF_WIDTH + 1)


def _festival_days(hols: dict[date, str], start: date, end: date) -> pl.DataFrame:
    """One row per (festival day, name) including the ±FESTIVAL_HALF_WIDTH window around it."""
    centres: list[tuple[date, str, int]] = []
    order = {name: i for i, name in enumerate([*NAMED_FESTIVALS, NEW_YEARS_EVE])}
    for day, text in hols.items():
        for name, pattern in NAMED_FESTIVALS.items():
            if re.search(pattern, text, flags=re.IGNORECASE):
                centres.append((day, name, order[name]))
    if hols:  # a working country calendar
        centres += [
            (date(y, 12, 31), NEW_YEARS_EVE, order[NEW_YEARS_EVE])
            for y in range(start.year - 1, end.year + 1)
        ]
    rows = [
        (centre + timedelta(days=off), name, rank)
        for centre, name, rank in centres
        for off in _festival_offsets(name)
    ]
    frame = pl.DataFrame(
        rows, schema={"date": pl.Date, "festival": pl.Utf8, "_rank": pl.Int32}, orient="row"
    )
    return frame.sort("_rank", "date").unique("date", keep="first").drop("_rank")


def _fog_days(cal: CalendarConfig, fog_from_day: int) -> pl.Expr:
    """Boolean expression: the day is in the fog season (see module docstring)."""
    months = set(cal.fog_months)
    in_month = pl.col("month").is_in(sorted(months)) if months else pl.lit(False)
    if fog_from_day <= 1 or not months:
        return in_month
    run_starts = sorted(m for m in months if ((m - 2) % 12) + 1 not in months)
    late_start = pl.col("month").is_in(run_starts) & (pl.col("date").dt.day() < fog_from_day)
    return in_month & ~late_start


def calendar_days(
    start: date, end: date, cal: CalendarConfig, *, fog_from_day: int = 1
) -> pl.DataFrame:
    """One row per day from ``start`` to ``end`` (inclusive) with calendar flags.

    Args:
        start: first day.
        end: last day (inclusive); an empty frame when before ``start``.
        cal: calendar settings (country, subdivision, fog and monsoon months).
        fog_from_day: day of month on which each run of fog months starts (1 = whole months).

    Returns:
        Frame with :data:`DAY_COLUMNS`, sorted by date.
    """
    days = pl.DataFrame({"date": pl.date_range(start, max(start, end), "1d", eager=True)})
    if end < start:
        days = days.clear()
    hols = public_holidays(start, end, cal)
    hol_frame = pl.DataFrame(
        {"date": list(hols), "holiday_name": list(hols.values())},
        schema={"date": pl.Date, "holiday_name": pl.Utf8},
    )
    near = sorted(
        {
            d + timedelta(days=o)
            for d in hols
            for o in range(-HOLIDAY_HALF_WIDTH, HOLIDAY_HALF_WIDTH + 1)
        }
    )
    out = (
        days.join(hol_frame, on="date", how="left")
        .join(_festival_days(hols, start, end), on="date", how="left")
        .with_columns(
            dow=pl.col("date").dt.weekday().cast(pl.Int8) - 1,
            month=pl.col("date").dt.month().cast(pl.Int8),
            is_holiday=pl.col("holiday_name").is_not_null(),
            is_holiday_window=pl.col("date").is_in(pl.Series(near, dtype=pl.Date)),
            is_festival=pl.col("festival").is_not_null(),
        )
        .with_columns(
            is_weekend=pl.col("dow") >= 5,
            is_fog_season=_fog_days(cal, fog_from_day),
            is_monsoon=pl.col("month").is_in(sorted(cal.monsoon_months))
            if cal.monsoon_months
            else pl.lit(False),
        )
    )
    return out.select(DAY_COLUMNS).sort("date")


def _shares() -> list[pl.Expr]:
    """Aggregations: the share columns and the festival names of a group of days."""
    return [
        *(
            pl.col(flag).cast(pl.Float64).mean().alias(share)
            for share, flag in _FLAG_OF_SHARE.items()
        ),
        pl.col("festival")
        .drop_nulls()
        .unique(maintain_order=True)
        .str.join("; ")
        .alias("festivals"),
    ]


def calendar_weeks(
    start: date, end: date, cal: CalendarConfig, *, fog_from_day: int = 1
) -> pl.DataFrame:
    """Calendar shares per Monday-starting week for every week touching ``[start, end]``.

    Weeks are always complete (the first week starts on the Monday on/before ``start``).

    Returns:
        Frame ``week_start, week_end`` + :data:`SHARE_COLUMNS` + ``festivals``, sorted by week.
    """
    first = start - timedelta(days=start.weekday())
    last = end + timedelta(days=6 - end.weekday())
    days = calendar_days(first, last, cal, fog_from_day=fog_from_day)
    weeks = (
        days.with_columns(week_start=pl.col("date").dt.truncate("1w"))
        .group_by("week_start")
        .agg(_shares())
        .with_columns(week_end=pl.col("week_start") + pl.duration(days=6))
    )
    return weeks.select("week_start", "week_end", *SHARE_COLUMNS, "festivals").sort("week_start")


def window_calendar(
    start: date, end: date, cal: CalendarConfig, *, fog_from_day: int = 1
) -> dict[str, float | int | str]:
    """Calendar composition of one window ``[start, end]`` (inclusive).

    Returns:
        ``{"n_days": int, <SHARE_COLUMNS>: float in [0, 1], "festivals": str}``; shares are 0 for an
        empty window.
    """
    days = calendar_days(start, end, cal, fog_from_day=fog_from_day)
    if days.is_empty():
        return {"n_days": 0, **{s: 0.0 for s in SHARE_COLUMNS}, "festivals": ""}
    row = days.select(_shares()).row(0, named=True)
    return {
        "n_days": days.height,
        **{s: float(row[s]) for s in SHARE_COLUMNS},
        "festivals": row["festivals"] or "",
    }
