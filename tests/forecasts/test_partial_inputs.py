"""Every model runs on what there is: dates without times, no coordinates, short or tiny history."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from worlds import crash_world, ingest_crashes

from roadsafety.config import PrivacyConfig, Settings
from roadsafety.forecasts import pipeline
from roadsafety.store.connection import read_connection


def _world(kind: str) -> tuple[pl.DataFrame, date]:
    if kind == "dates_only":
        acc, _ = crash_world(seed=5, years=3)
        return acc.with_columns(
            has_time=pl.lit(False), occurred_at=pl.col("occurred_at").dt.truncate("1d")
        ), date(2022, 1, 1)
    if kind == "no_coordinates":
        acc, _ = crash_world(seed=5, years=3, n_cells=0, n_hot=2, n_ps_units=30)
        return acc, date(2022, 1, 1)
    if kind == "two_years":
        acc, _ = crash_world(seed=5, years=2)
        return acc, date(2021, 1, 1)
    if kind == "tiny":
        acc, _ = crash_world(seed=5, years=1, n_cells=5, n_hot=1, n_ps_units=2)
        return acc.head(40), date(2020, 1, 1)
    raise ValueError(kind)


@pytest.mark.parametrize("kind", ["dates_only", "no_coordinates", "two_years", "tiny"])
def test_retrain_and_forecast_run_on_partial_inputs(tmp_path: Path, kind: str) -> None:
    settings = Settings(
        db_path=tmp_path / "wh.duckdb", privacy=PrivacyConfig(key_path=tmp_path / "k")
    )
    acc, as_of = _world(kind)
    ingest_crashes(settings, acc, tmp_path / "acc.csv")
    result = pipeline.retrain(settings, as_of)
    assert result.promoted
    run_id = pipeline.ensure_forecast(settings, as_of, date(as_of.year, 12, 31))
    with read_connection(settings.db_path) as con:
        rows = con.execute("SELECT * FROM forecasts WHERE run_id = ?", [run_id]).pl()
    assert rows.height >= acc["unit_id"].n_unique() - 2
    assert (
        rows.select("expected_crashes", "peak_window", "top_factors", "rank")
        .null_count()
        .sum_horizontal()
        .item()
        == 0
    )
    assert (rows["expected_crashes"] >= 0).all()
