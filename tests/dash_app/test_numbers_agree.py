"""The Overview's numbers agree with themselves (issue 16, items 1 and 2), on a world whose
"today" is a Wednesday: cards, weeks ahead and the Periods chart sum one weekly forecast the same
way, weeks "ahead" start today or later, last year means the same weekdays, part-weeks are marked."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from worlds import app_world

from dash_app import figures, queries
from dash_app.pages import periods
from roadsafety.store.connection import read_connection, write_connection

TODAY = date(2026, 11, 25)  # a Wednesday
MONDAY = TODAY - timedelta(days=TODAY.weekday())


@pytest.fixture(scope="module")
def wednesday_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return app_world(tmp_path_factory.mktemp("wed") / "wed.duckdb", seed=3, today=TODAY)


@pytest.fixture
def wed_db(wednesday_template: Path, tmp_path: Path) -> Path:
    db = tmp_path / "wed.duckdb"
    db.write_bytes(wednesday_template.read_bytes())
    return db


def _store(db: Path) -> queries.AppStore:
    return queries.AppStore(db, today=lambda: TODAY)


def _pro_rata(db: Path, start: date, end: date) -> float:
    """The state weekly forecast over [start, end], each week counted by its days inside."""
    with read_connection(db) as con:
        rows = con.execute(
            """SELECT period_start, expected FROM period_forecasts
               WHERE run_id = 'run-30' AND district = '(all)'"""
        ).fetchall()
    total = 0.0
    for monday, expected in rows:
        days = sum(1 for d in range(7) if start <= monday + timedelta(days=d) <= end)
        total += expected * days / 7
    return total


def test_cards_and_weeks_ahead_are_one_sum(wed_db: Path) -> None:
    store = _store(wed_db)
    cards = dict(queries.kpis(store, None))
    assert set(cards) == {7, 30}
    for total in cards.values():
        assert total.source == "weekly"
        assert total.crashes == pytest.approx(_pro_rata(wed_db, total.start, total.end))
    # the 30-day window holds the two uplifted (fog, Diwali) weeks: the places' sum is lower
    units = queries.forecast_units(store, 30, None)["expected_crashes"].sum()
    assert cards[30].crashes > units * 1.05
    for row, week in queries.alerts(store, None):
        assert week.crashes == pytest.approx(row["expected"])
        same = queries.forecast_total(store, None, row["period_start"], row["period_end"])
        assert same == week


def test_weeks_ahead_start_today_or_later(wed_db: Path) -> None:
    with write_connection(wed_db) as con:  # flag the week already under way
        con.execute("UPDATE period_forecasts SET high_risk = TRUE WHERE period_start = ?", [MONDAY])
    weeks = queries.alerts(_store(wed_db), "Karnal")
    assert weeks and all(row["period_start"] >= TODAY for row, _ in weeks)
    assert [r["period_start"] for r, _ in weeks] == [MONDAY + timedelta(weeks=w) for w in (2, 3)]
    _, forecast = queries.period_series(_store(wed_db), None)
    shown = periods.calendar_rows(forecast, TODAY)
    assert len(shown) == 9  # weeks 1..9: the week of Monday 23 Nov is not "upcoming"


def test_last_year_is_the_same_weekdays_and_matches_the_weekly_bars(wed_db: Path) -> None:
    store = _store(wed_db)
    history, _ = queries.period_series(store, None)
    for row, week in queries.alerts(store, None):
        bar = history.filter(pl.col("week") == row["period_start"] - timedelta(days=364))
        assert week.last_year_crashes == bar["crashes"][0]
    card = dict(queries.kpis(store, "Panipat"))[7]
    with read_connection(wed_db) as con:
        n = con.execute(
            """SELECT count(*) FROM accidents WHERE district = 'Panipat'
               AND CAST(occurred_at AS DATE) BETWEEN ? AND ?""",
            [card.start - timedelta(days=364), card.end - timedelta(days=364)],
        ).fetchone()[0]
    assert card.last_year_crashes == n


def test_change_sign_follows_the_weekly_forecast(wed_db: Path) -> None:
    """Last year's 30 days set between the places' sum and the weekly forecast: the card must
    say "up", as the weekly forecast line stands above last year's weeks."""
    store = _store(wed_db)
    card = dict(queries.kpis(store, None))[30]
    places = queries.forecast_units(store, 30, None)["expected_crashes"].sum()
    target = int((places + card.crashes) / 2)
    lo, hi = card.start - timedelta(days=364), card.end - timedelta(days=364)
    with write_connection(wed_db) as con:  # exactly `target` crashes on those days
        con.execute(
            "DELETE FROM accidents WHERE CAST(occurred_at AS DATE) BETWEEN ? AND ?", [lo, hi]
        )
        con.execute(
            """INSERT INTO accidents SELECT a.* REPLACE ('LY' || i AS accident_id,
                   CAST(? AS TIMESTAMP) + to_days(CAST(i % 30 AS INTEGER)) + INTERVAL 9 HOUR AS occurred_at)
               FROM (SELECT * FROM accidents LIMIT 1) a, range(?) t(i)""",
            [lo, target],
        )
    card = dict(queries.kpis(_store(wed_db), None))[30]
    assert card.last_year_crashes == target
    assert card.crashes > card.last_year_crashes
    assert figures.change_text(card.crashes, card.last_year_crashes).startswith("+")


def test_part_week_is_marked(wed_db: Path) -> None:
    history, forecast = queries.period_series(_store(wed_db), None)
    last = history.sort("week").row(-1, named=True)
    with read_connection(wed_db) as con:
        end = con.execute("SELECT CAST(max(occurred_at) AS DATE) FROM accidents").fetchone()[0]
    days = (end - MONDAY).days + 1
    assert last["week"] == MONDAY and last["days"] == days < 7  # data ends before Sunday
    assert history.sort("week")["days"][:-1].min() == 7  # earlier weeks whole (first one too)
    fig = figures.weekly_figure(history, forecast, "t")
    part = [tr for tr in fig.data if tr.name == "Part-week (days so far)"]
    assert len(part) == 1 and part[0].text == (f"{days} of 7 days",)
    assert part[0].marker.pattern.shape == "/"
    assert any(tr.name == "Same week last year" for tr in fig.data)
