"""Forecast writes are checked against the declared schemas; the declarations match the tables."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest

from roadsafety import schemas
from roadsafety.errors import TableSchemaError
from roadsafety.store import model_store
from roadsafety.store.connection import read_connection, write_connection

RUN = {
    "run_id": "fc_v1_20250101_20250107",
    "version_id": "v1",
    "created_at": datetime(2025, 1, 1, 2),
    "window_start": date(2025, 1, 1),
    "window_end": date(2025, 1, 7),
    "status": "complete",
    "n_units": 2,
    "data_cutoff": date(2025, 1, 1),
}


def forecasts() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "unit_id": ["a", "b"],
            "window_start": [date(2025, 1, 1)] * 2,
            "window_end": [date(2025, 1, 7)] * 2,
            "expected_crashes": [2.0, 0.5],
            "expected_fatal_grievous": [1.0, 0.1],
            "crashes_lo80": [1.0, 0.0],
            "crashes_hi80": [3.0, 1.0],
            "crashes_lo95": [0.0, 0.0],
            "crashes_hi95": [5.0, 2.0],
            "eb_expected": [None, 0.4],
            "risk_band": ["very_high", "low"],
            "rank": [1, 2],
            "peak_window": ["Fri-Sun 22:00-01:00", "daily 00:00-24:00"],
            "top_factors": ["fog season", None],
            "morth_blackspot": [True, False],
            "recent_challans": [3, 0],
        }
    )


def periods() -> pl.DataFrame:
    week = (date(2024, 12, 30), date(2025, 1, 5))
    row = ("(all)", *week, 10.0, 6.0, 14.0, 4.0, 17.0, False, "")
    return pl.DataFrame([row], schema=schemas.PERIOD_FORECASTS, orient="row")


def profile() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "unit_id": ["a"] * 168,
            "dow": [b // 24 for b in range(168)],
            "hour": [b % 24 for b in range(168)],
            "share": [1 / 168] * 168,
        }
    )


def write(db, **changes) -> None:
    frames = {"forecasts": forecasts(), "periods": periods(), "profile": profile()} | changes
    with write_connection(db) as con:
        model_store.write_forecast_run(
            con,
            RUN,
            frames["forecasts"],
            frames["periods"],
            frames["profile"],
            frames.get("intensity"),
        )


def count(db, table: str) -> int:
    with read_connection(db) as con:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_declared_schemas_are_the_warehouse_tables(tmp_store) -> None:
    declared = {
        "forecast_runs": schemas.FORECAST_RUNS,
        "forecasts": {"run_id": pl.Utf8(), **schemas.FORECASTS},
        "period_forecasts": {"run_id": pl.Utf8(), **schemas.PERIOD_FORECASTS},
        "unit_hour_profile": {"run_id": pl.Utf8(), **schemas.UNIT_HOUR_PROFILE},
        "unit_week_intensity": {"run_id": pl.Utf8(), **schemas.UNIT_WEEK_INTENSITY},
        "backtest_metrics": {"version_id": pl.Utf8(), **schemas.BACKTEST_METRICS},
    }
    with read_connection(tmp_store) as con:
        for table, schema in declared.items():
            stored = con.execute(f"DESCRIBE {table}").fetchall()
            assert [(r[0], r[1]) for r in stored] == [
                (c, schemas.duck_type(t)) for c, t in schema.items()
            ], table


def test_a_valid_run_is_written_with_its_rows(tmp_store) -> None:
    write(tmp_store)
    assert [
        count(tmp_store, t)
        for t in ("forecast_runs", "forecasts", "period_forecasts", "unit_hour_profile")
    ] == [1, 2, 1, 168]
    write(tmp_store)  # the same run again replaces its rows
    assert count(tmp_store, "forecasts") == 2


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"forecasts": forecasts().drop("peak_window")}, "missing columns \\['peak_window'\\]"),
        (
            {"forecasts": forecasts().with_columns(extra=pl.lit(1))},
            "unexpected columns \\['extra'\\]",
        ),
        (
            {"forecasts": forecasts().with_columns(risk_band=pl.lit("severe"))},
            "risk_band is a band",
        ),
        (
            {"forecasts": forecasts().with_columns(rank=pl.lit(None, pl.Int32))},
            "null values in \\['rank'\\]",
        ),
        (
            {"forecasts": forecasts().with_columns(expected_fatal_grievous=pl.lit(9.0))},
            "expected_fatal_grievous <= expected_crashes",
        ),
        ({"forecasts": forecasts().with_columns(window_end=pl.lit("next week"))}, "'window_end'"),
        ({"periods": periods().with_columns(hi80=pl.lit(1.0))}, "lo80 <= hi80"),
        ({"profile": profile().with_columns(hour=pl.lit(24))}, "hour in 0..23"),
        ({"periods": pl.DataFrame()}, "period_forecasts: missing columns"),
        (
            {"intensity": pl.DataFrame({"unit_id": ["a"], "crashes": [[1.0] * 7]})},
            "unit_week_intensity: missing columns \\['fatal_grievous'\\]",
        ),
    ],
)
def test_rows_that_do_not_fit_are_refused_and_nothing_is_written(
    tmp_store, changes, message
) -> None:
    with pytest.raises(TableSchemaError, match=message):
        write(tmp_store, **changes)
    assert count(tmp_store, "forecast_runs") == count(tmp_store, "forecasts") == 0


def test_challan_days_take_canonical_offences_only(tmp_store) -> None:
    with read_connection(tmp_store) as con:
        with pytest.raises(ValueError, match="speeding"):
            model_store.read_challan_days(con, date(2025, 1, 1), ("speeding",))
        assert model_store.read_challan_days(con, date(2025, 1, 1), ("no_helmet",)) is None
