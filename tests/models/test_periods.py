"""Tests for roadsafety.models.periods (district × week forecasts with intervals)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from roadsafety.config import CalendarConfig
from roadsafety.features.calendar import calendar_days
from roadsafety.models import periods
from roadsafety.models.periods import (
    ALL,
    PERIOD_COLUMNS,
    backtest_periods,
    forecast_periods,
    weekly_counts,
)

FOGGY = CalendarConfig(country=None, fog_months=(12, 1))


def daily_world(
    cal: CalendarConfig = FOGGY, fog_uplift: float = 1.0, seed: int = 3
) -> pl.DataFrame:
    """Seeded daily Poisson counts for three districts, 2019-2023, with a fog-season uplift."""
    rng = np.random.default_rng(seed)
    days = calendar_days(date(2019, 1, 1), date(2023, 12, 31), cal)
    fog = days["is_fog_season"].cast(pl.Float64).to_numpy()
    frames = [
        pl.DataFrame(
            {
                "date": days["date"],
                "district": name,
                "crashes": rng.poisson(rate * (1 + fog_uplift * fog)),
            }
        )
        for name, rate in (("North", 2.0), ("South", 1.0), ("East", 0.5))
    ]
    return pl.concat(frames)


def test_weekly_counts_fills_zeros_and_builds_total() -> None:
    counts = pl.DataFrame(
        {
            "date": [
                date(2024, 1, 2),
                date(2024, 1, 3),
                date(2024, 1, 17),
                date(2024, 1, 10),
                date(2024, 1, 23),
            ],
            "district": ["A", "A", "B", None, "A"],
            "crashes": [1, 2, 5, 4, 9],
        }
    )
    grid = weekly_counts(
        counts, as_of=date(2024, 1, 24), date_col="date"
    )  # week of 22 Jan incomplete
    assert grid["week_start"].unique().sort().to_list() == [
        date(2024, 1, 1),
        date(2024, 1, 8),
        date(2024, 1, 15),
    ]
    assert set(grid["district"]) == {"A", "B", ALL}
    a = grid.filter(pl.col("district") == "A")["crashes"].to_list()
    total = grid.filter(pl.col("district") == ALL)["crashes"].to_list()
    assert a == [3.0, 0.0, 0.0] and total == [3.0, 4.0, 5.0]


def test_forecast_shape_and_interval_order() -> None:
    out = forecast_periods(
        daily_world(),
        FOGGY,
        as_of=date(2023, 1, 1),
        start=date(2023, 1, 4),
        end=date(2023, 3, 31),
        date_col="date",
    )
    assert out.columns == list(PERIOD_COLUMNS)
    assert set(out["district"]) == {"North", "South", "East", ALL}
    starts = out.filter(pl.col("district") == ALL)["period_start"].to_list()
    assert starts[0] == date(2023, 1, 2) and starts[-1] == date(2023, 3, 27)
    assert all(d.weekday() == 0 for d in starts)
    assert (out["period_end"] == out["period_start"] + timedelta(days=6)).all()
    assert (out["lo95"] <= out["lo80"]).all() and (out["lo80"] <= out["expected"]).all()
    assert (out["expected"] <= out["hi80"]).all() and (out["hi80"] <= out["hi95"]).all()
    assert (out["lo95"] >= 0).all()


def test_fog_season_is_forecast_higher_and_flagged() -> None:
    out = forecast_periods(
        daily_world(fog_uplift=1.0),
        FOGGY,
        as_of=date(2023, 3, 6),
        start=date(2023, 3, 6),
        end=date(2024, 2, 25),
        date_col="date",
    )
    north = out.filter(pl.col("district") == "North")
    fog = north.filter(pl.col("period_start").dt.month().is_in([12, 1]))
    clear = north.filter(pl.col("period_start").dt.month().is_in([4, 5, 6, 7, 8, 9]))
    assert fog["expected"].mean() > 1.5 * clear["expected"].mean()
    assert fog["high_risk"].mean() > 0.8 and clear["high_risk"].mean() < 0.2
    assert all("fog season" in d for d in fog["drivers"].to_list())


def test_no_leakage_from_data_after_cutoff() -> None:
    world = daily_world()
    as_of = date(2022, 6, 6)
    altered = world.with_columns(
        crashes=pl.when(pl.col("date") >= as_of)
        .then(pl.col("crashes") * 10)
        .otherwise(pl.col("crashes"))
    )
    a = forecast_periods(
        world, FOGGY, as_of=as_of, start=as_of, end=date(2022, 9, 1), date_col="date"
    )
    b = forecast_periods(
        altered, FOGGY, as_of=as_of, start=as_of, end=date(2022, 9, 1), date_col="date"
    )
    assert a.equals(b)


def test_short_and_empty_history_fall_back_to_mean() -> None:
    counts = pl.DataFrame(
        {
            "date": [date(2024, 1, 1), date(2024, 1, 9)],
            "district": ["Tiny", "Tiny"],
            "crashes": [2, 4],
        }
    )
    out = forecast_periods(
        counts,
        CalendarConfig(),
        as_of=date(2024, 1, 15),
        start=date(2024, 1, 15),
        end=date(2024, 1, 28),
        date_col="date",
        districts=["Empty"],
    )
    tiny = out.filter(pl.col("district") == "Tiny")
    assert tiny["expected"].to_list() == pytest.approx([3.0, 3.0])
    assert tiny["hi95"].to_list() == [7.0, 7.0]  # Poisson(3) 97.5% quantile
    empty = out.filter(pl.col("district") == "Empty")
    assert empty.height == 2 and (empty["expected"] == 0).all() and (empty["hi95"] == 0).all()
    assert not out["high_risk"].any()


def test_no_data_at_all_still_returns_rows() -> None:
    empty = pl.DataFrame(schema={"week_start": pl.Date, "district": pl.Utf8, "crashes": pl.Int64})
    out = forecast_periods(
        empty,
        CalendarConfig(),
        as_of=date(2024, 1, 1),
        start=date(2024, 1, 1),
        end=date(2024, 1, 7),
    )
    assert out["district"].to_list() == [ALL] and out["expected"].to_list() == [0.0]


def test_sarimax_failure_falls_back_to_ets(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_: object, **__: object) -> None:
        raise np.linalg.LinAlgError("singular")

    monkeypatch.setattr(periods, "_fit_sarimax", broken)
    out = forecast_periods(
        daily_world(),
        FOGGY,
        as_of=date(2023, 1, 2),
        start=date(2023, 1, 2),
        end=date(2023, 1, 29),
        date_col="date",
    )
    assert "ETS" in caplog.text
    north = out.filter(pl.col("district") == "North")["expected"]
    assert north.min() > 5 and north.max() < 40  # around North's ~14-28 crashes a week


def test_backtest_reports_sensible_coverage() -> None:
    world = daily_world(fog_uplift=0.0)
    metrics = backtest_periods(
        world, FOGGY, origins=[date(2022, 7, 4), date(2023, 1, 2)], horizon_weeks=8, date_col="date"
    )
    assert set(metrics["metric"]) == {"coverage80", "coverage95", "mae"}
    assert metrics["fold"].unique().sort().to_list() == [0, 1]
    cov80 = metrics.filter(pl.col("metric") == "coverage80")["value"]
    cov95 = metrics.filter(pl.col("metric") == "coverage95")["value"]
    assert (cov80 >= 0.6).all() and (cov95 >= cov80).all() and (cov95 >= 0.85).all()


@pytest.mark.realdata
@pytest.mark.slow
def test_baac_departement_weeks_coverage_and_accuracy(real_data) -> None:
    """Validation years only (2016-2017); the project's test years 2018-2019 are never used here."""
    path = real_data / "baac_france_5dep.csv.gz"
    if not path.exists():
        pytest.skip(f"{path} absent")
    from roadsafety.sources.france import read_baac

    frame = read_baac(path).frame
    counts = frame.select(
        date=pl.col("occurred_at").str.slice(0, 10).str.to_date(),
        district="district",
        crashes=pl.lit(1),
    )
    origins = [date(2016, 1, 4), date(2017, 1, 2)]
    metrics = backtest_periods(
        counts, CalendarConfig(country="FR"), origins=origins, horizon_weeks=52, date_col="date"
    )
    value = {
        m: metrics.filter(pl.col("metric") == m)["value"].mean()
        for m in ("coverage80", "coverage95", "mae")
    }
    assert 0.65 <= value["coverage80"] <= 0.95 and value["coverage95"] >= 0.85
    naive = []
    for origin in origins:
        grid = weekly_counts(counts, as_of=date(origin.year + 1, 1, 2), date_col="date")
        level = grid.filter(
            pl.col("week_start") < origin, pl.col("week_start") >= origin - timedelta(weeks=52)
        )
        level = level.group_by("district").agg(m=pl.col("crashes").mean())
        future = grid.filter(pl.col("week_start") >= origin).join(level, on="district")
        naive.append(future.select((pl.col("crashes") - pl.col("m")).abs().mean()).item())
    assert value["mae"] <= float(np.mean(naive))  # beats last year's weekly mean
