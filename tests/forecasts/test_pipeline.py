"""End to end on a tiny world: retrain → register/promote → forecast runs; failures keep the champion."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner
from worlds import crash_world, ingest_crashes

from roadsafety.config import PrivacyConfig, Settings
from roadsafety.errors import ModelError
from roadsafety.forecasts import pipeline
from roadsafety.store import model_store
from roadsafety.store.connection import read_connection

AS_OF = date(2022, 6, 1)
PEAK = re.compile(r"^(daily|[A-Z][a-z]{2}([-,][A-Z][a-z]{2})*) \d\d:\d\d-\d\d:\d\d(; .+)?$")


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, pipeline.RetrainResult]:
    root = tmp_path_factory.mktemp("pipeline")
    settings = Settings(
        db_path=root / "wh.duckdb", privacy=PrivacyConfig(key_path=root / "k" / "pii.key")
    )
    acc, _ = crash_world(seed=11)
    ingest_crashes(settings, acc, root / "acc.csv")
    return settings, pipeline.retrain(settings, AS_OF)


def _read(settings: Settings, sql: str, params: list | None = None) -> pl.DataFrame:
    with read_connection(settings.db_path) as con:
        return con.execute(sql, params or []).pl()


def test_retrain_registers_and_promotes_first_version(trained) -> None:
    settings, result = trained
    assert result.promoted and result.score is not None and 0 <= result.score <= 1
    champ = _read(settings, "SELECT * FROM champion")
    assert champ["version_id"].to_list() == [result.version_id]
    metrics = _read(settings, "SELECT DISTINCT model, level FROM backtest_metrics")
    models = set(metrics.filter(pl.col("level") == "unit")["model"])
    assert {"lightgbm", "naive_1y", "naive_3y", "seasonal_naive", "morth_rule"} <= models
    assert "unit_window" in set(metrics["level"])
    assert Path(result.artifact_dir, "crashes.txt").exists()
    assert not Path(result.artifact_dir, ".unregistered").exists()  # registered: not an orphan


@pytest.mark.parametrize("days", [1, 30, 365])
def test_forecast_fills_every_column_for_every_unit(trained, days: int) -> None:
    settings, _ = trained
    start = date(2022, 6, 1)
    end = date.fromordinal(start.toordinal() + days - 1)
    run_id = pipeline.ensure_forecast(settings, start, end)
    rows = _read(settings, "SELECT * FROM forecasts WHERE run_id = ? ORDER BY rank", [run_id])
    run = _read(settings, "SELECT * FROM forecast_runs WHERE run_id = ?", [run_id]).row(
        0, named=True
    )
    assert run["status"] == "complete" and run["n_units"] == rows.height > 60
    required = [c for c in rows.columns if c != "eb_expected"]
    assert rows.select(required).null_count().sum_horizontal().item() == 0
    assert rows["rank"].to_list() == list(range(1, rows.height + 1))
    assert (rows["crashes_lo80"] <= rows["expected_crashes"] + 1).all()
    assert (rows["crashes_hi95"] >= rows["crashes_hi80"]).all()
    assert rows["risk_band"].head(1).item() == "very_high"
    assert all(PEAK.match(p) for p in rows["peak_window"]), rows["peak_window"].head(5)
    from roadsafety.models.profile import parse_peak_window

    assert all(parse_peak_window(p) for p in rows["peak_window"].unique())
    assert (rows["expected_fatal_grievous"] <= rows["expected_crashes"] + 1e-9).all()
    last_year = _read(
        settings,
        "SELECT count(*) AS n FROM accidents WHERE unit_id IS NOT NULL AND "
        "occurred_at >= ? - INTERVAL 364 DAY AND occurred_at < ?",
        [start, start],
    )["n"][0]
    # Calibrated totals: the stationary tiny world's next `days` look like its last year, pro rata.
    assert rows["expected_crashes"].sum() == pytest.approx(last_year * days / 364, rel=0.35)
    assert (
        _read(settings, "SELECT count(*) AS n FROM unit_hour_profile WHERE run_id = ?", [run_id])[
            "n"
        ][0]
        > 0
    )


def test_ensure_forecast_is_idempotent(trained) -> None:
    settings, _ = trained
    first = pipeline.ensure_forecast(settings, date(2022, 7, 1), date(2022, 7, 7))
    n = _read(settings, "SELECT count(*) AS n FROM forecasts")["n"][0]
    assert pipeline.ensure_forecast(settings, date(2022, 7, 1), date(2022, 7, 7)) == first
    assert _read(settings, "SELECT count(*) AS n FROM forecasts")["n"][0] == n


def test_year_forecast_ranks_hot_units_high(trained) -> None:
    settings, _ = trained
    _, truth = crash_world(seed=11)
    run_id = pipeline.ensure_forecast(settings, date(2022, 6, 1), date(2023, 5, 31))
    top = set(
        _read(settings, "SELECT unit_id FROM forecasts WHERE run_id = ? AND rank <= 12", [run_id])[
            "unit_id"
        ]
    )
    hot = set(truth.filter("hot")["unit_id"])
    assert len(hot & top) >= 4


def test_failed_retrain_keeps_champion_and_records_failure(trained, monkeypatch) -> None:
    settings, result = trained

    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(pipeline.backtest, "fit_pair", boom)
    with pytest.raises(RuntimeError, match="disk on fire"):
        pipeline.retrain(settings, AS_OF)
    with read_connection(settings.db_path) as con:
        assert model_store.champion(con)["version_id"] == result.version_id
    failed = _read(settings, "SELECT * FROM model_versions WHERE status = 'failed'")
    assert failed.height == 1 and "disk on fire" in failed["message"][0]


def test_worse_challenger_is_not_promoted(trained, monkeypatch) -> None:
    settings, result = trained
    monkeypatch.setattr(pipeline, "_score", lambda metrics: 0.0)
    second = pipeline.retrain(settings, AS_OF, n_folds=1)
    assert not second.promoted
    with read_connection(settings.db_path) as con:
        assert model_store.champion(con)["version_id"] == result.version_id
        assert model_store.version(con, second.version_id)["status"] == "rejected"


def test_cli_backtest_and_forecast(trained) -> None:
    from roadsafety.cli import app

    settings, _ = trained
    runner = CliRunner()
    out = runner.invoke(app, ["--db", str(settings.db_path), "backtest"])
    assert out.exit_code == 0, out.output
    assert "lightgbm" in out.output and "naive_3y" in out.output
    out = runner.invoke(
        app,
        ["--db", str(settings.db_path), "forecast", "--start", "2022-06-01", "--end", "2022-05-01"],
    )
    assert out.exit_code == 2 and "--end" in out.output


def test_no_data_is_a_clear_error(tmp_path: Path) -> None:
    from roadsafety.store.connection import ensure_warehouse

    settings = Settings(
        db_path=tmp_path / "empty.duckdb", privacy=PrivacyConfig(key_path=tmp_path / "k")
    )
    ensure_warehouse(settings.db_path)
    with pytest.raises(pipeline.ForecastError, match="no accidents"):
        pipeline.retrain(settings)
    with pytest.raises(pipeline.ForecastError, match="retrain"):
        pipeline.ensure_forecast(settings, date(2022, 1, 1), date(2022, 1, 7))


def test_blocked_promotion_keeps_champion(trained) -> None:
    settings, _ = trained
    with read_connection(settings.db_path) as con:
        before = model_store.champion(con)["version_id"]
    result = pipeline.retrain(
        settings, AS_OF, n_folds=1, block_promotion="volume drop in district X"
    )
    assert not result.promoted and "volume drop" in result.reason
    with read_connection(settings.db_path) as con:
        assert model_store.champion(con)["version_id"] == before


def test_failed_period_forecast_fails_the_run_and_writes_nothing(trained, monkeypatch) -> None:
    settings, _ = trained
    runs_before = _read(settings, "SELECT count(*) AS n FROM forecast_runs")["n"][0]

    def broken(*args, **kwargs):
        raise ValueError("singular matrix in district X")

    monkeypatch.setattr(pipeline.forecast_run.periods, "forecast_periods", broken)
    with pytest.raises(ValueError, match="singular matrix"):
        pipeline.forecast(settings, date(2022, 8, 1), date(2022, 8, 7))
    assert _read(settings, "SELECT count(*) AS n FROM forecast_runs")["n"][0] == runs_before
    assert (
        _read(
            settings,
            "SELECT count(*) AS n FROM forecasts WHERE window_start = ?",
            [date(2022, 8, 1)],
        )["n"][0]
        == 0
    )


def test_a_model_missing_features_is_refused(trained, monkeypatch) -> None:
    settings, _ = trained
    champ = pipeline.current_champion(settings)
    pair, meta = pipeline.registry.read_artifacts(Path(champ["artifact_dir"]))
    pair.crashes.features.append("feature_the_data_lacks")
    monkeypatch.setattr(pipeline.forecast_run.registry, "read_artifacts", lambda _: (pair, meta))
    with pytest.raises(ModelError, match="feature_the_data_lacks"):
        pipeline.forecast(settings, date(2022, 9, 1), date(2022, 9, 7), force=True)
