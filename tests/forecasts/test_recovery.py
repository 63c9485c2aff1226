"""Synthetic recovery: the model's top 40 holds most of the planted top-20 units of a seeded world."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from roadsafety.config import PrivacyConfig, RegionConfig, Settings
from roadsafety.forecasts import pipeline
from roadsafety.store.connection import read_connection

END = date(2025, 1, 1)


@pytest.mark.slow
def test_planted_top20_units_are_in_the_model_top40(tmp_path: Path) -> None:
    from roadsafety.sources.canonical import read_canonical_accidents
    from roadsafety.sources.synthetic import generate_world
    from roadsafety.store.ingest import ingest_batch

    settings = Settings(
        db_path=tmp_path / "wh.duckdb",
        region=RegionConfig(h3_resolution=8),
        privacy=PrivacyConfig(key_path=tmp_path / "pii.key"),
    )
    generate_world(tmp_path / "w", years=3, scale=0.15, seed=21, end=END, progress=False)
    ingest_batch(settings, read_canonical_accidents(tmp_path / "w" / "accidents.csv"), "canonical")
    pipeline.retrain(settings, END, n_folds=1)
    run_id = pipeline.ensure_forecast(settings, END, date(2025, 12, 31))
    with read_connection(settings.db_path) as con:
        top40 = set(
            con.execute(
                "SELECT unit_id FROM forecasts WHERE run_id = ? AND rank <= 40", [run_id]
            ).pl()["unit_id"]
        )
    truth = pl.read_csv(tmp_path / "w" / "truth.csv").sort("true_rank")
    planted = set(truth.head(20)["unit_id"])
    found = len(planted & top40)
    assert found >= 14, f"only {found} of the planted top 20 in the model's top 40"
