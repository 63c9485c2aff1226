"""Model health in an SP's words (issue 16, item 6): which model is in use, what it caught in the
latest held-out year against last year's counts, plainly when a baseline does better, analyst
measures folded away."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl

from dash_app import queries
from dash_app.pages import model_health
from roadsafety.store.connection import write_connection


def _text(component: object) -> str:
    return json.dumps(component, default=lambda c: c.to_plotly_json())


def _latest(values: dict[tuple[str, str, str], float]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {"model": m, "level": "unit", "metric": metric, "k": k, "value": v}
            | {"fold_start": date(2025, 1, 1), "fold_end": date(2025, 12, 31)}
            for (m, metric, k), v in values.items()
        ]
    )


def test_sp_sentence_comes_from_the_latest_held_out_year(as_user, world_db: Path) -> None:
    store = queries.AppStore(world_db)
    latest = store.snapshot().health.latest_fold
    assert set(latest["fold_end"].to_list()) == {date(2025, 12, 31)}
    lines = model_health.verdict(latest)
    # the world's fold values are base + 0.01 per fold; every fold ends on the same day, so the
    # latest "year" is their mean: lightgbm 0.43, naive_1y 0.37, naive_3y 0.34
    assert "held 43 of every 100 crashes" in lines[0] and "would have caught 37" in lines[0]
    assert "The last 3 years' counts would have caught 34" in lines[0]
    assert lines[1].startswith("So the forecast does better")
    with as_user("admin"):
        page = _text(model_health.update("x"))
    assert "model version v1 (a LightGBM crash model)" in page
    assert "held 43 of every 100 crashes" in page and "no champion yet" not in page


def test_worse_than_a_baseline_is_said_plainly() -> None:
    lines = model_health.verdict(
        _latest(
            {
                ("lightgbm", "hit_rate", "budget100"): 0.30,
                ("naive_1y", "hit_rate", "budget100"): 0.31,
                ("naive_3y", "hit_rate", "budget100"): 0.36,
                ("lightgbm", "poisson_deviance", ""): 0.474,
                ("empirical_bayes", "poisson_deviance", ""): 0.323,
                ("naive_3y", "poisson_deviance", ""): 0.327,
            }
        )
    )
    text = " ".join(lines)
    assert "caught fewer crashes than the last 3 years' counts (30 vs 36 of every 100)" in text
    assert "further from what happened than the smoothed 3-year counts" in text
    level = model_health.verdict(
        _latest(
            {
                ("lightgbm", "hit_rate", "budget100"): 0.305,
                ("naive_1y", "hit_rate", "budget100"): 0.30,
            }
        )
    )
    assert level[1].startswith("So the forecast finds crash places about as well")
    assert model_health.verdict(pl.DataFrame())[0].startswith("No test on a held-out year")


def test_first_model_is_explained_and_analyst_measures_fold_away(as_user, world_db: Path) -> None:
    with write_connection(world_db) as con:
        con.execute("UPDATE model_versions SET message = 'no champion yet' WHERE version_id = 'v1'")
    with as_user("admin"):
        body = model_health.update("x")
    details = [c for c in body if c.__class__.__name__ == "Details"]
    assert (
        len(details) == 1
        and "PEI*" in _text(details[0])
        and "open" not in details[0].to_plotly_json()["props"]
    )
    outside = _text([c for c in body if c.__class__.__name__ != "Details"])
    assert "because it was the first one trained" in outside and "no champion yet" not in outside
    assert "PAI" not in outside.replace("PAI,", "") and "deviance" not in outside.lower()
