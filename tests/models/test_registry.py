"""Promotion rule and atomic artifacts."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl

from roadsafety.models import lgbm
from roadsafety.models.backtest import ModelPair
from roadsafety.models.registry import (
    PromotionPolicy,
    decide_promotion,
    new_version_id,
    read_artifacts,
    write_artifacts,
)


def test_promotion_rule() -> None:
    assert decide_promotion(0.1, None, False)[0]
    assert decide_promotion(None, 0.5, True)[0] is False
    assert decide_promotion(0.49, 0.5, True)[0]  # within tolerance
    assert decide_promotion(0.40, 0.5, True)[0] is False  # worse beyond tolerance
    assert decide_promotion(0.40, 0.5, True, PromotionPolicy(abs_tol=0.2))[0]


def test_artifacts_round_trip(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {
            "a": [float(i % 7) for i in range(300)],
            "horizon": [28] * 300,
            "y": [float(i % 3) for i in range(300)],
        }
    )
    model = lgbm.fit_count_model(frame, ["a"], "y", lgbm.LgbmParams(rounds=5))
    model.alpha = 0.3
    vid = new_version_id(datetime(2026, 1, 2, 3, 4, 5), tmp_path)
    path = write_artifacts(
        tmp_path, vid, ModelPair(model, None, ["a"], 300), {"as_of": "2026-01-01"}
    )
    assert path.name == "v20260102T030405" and not list(tmp_path.glob(".tmp-*"))
    pair, meta = read_artifacts(path)
    assert (
        pair.fatal_grievous is None and pair.crashes.alpha == 0.3 and meta["as_of"] == "2026-01-01"
    )
    assert (
        lgbm.predict_mean(pair.crashes, frame).to_list()
        == lgbm.predict_mean(model, frame).to_list()
    )
    assert new_version_id(datetime(2026, 1, 2, 3, 4, 5), tmp_path) == "v20260102T030405_1"


def _dead_pid() -> int:
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_orphans_of_killed_retrains_are_removed(tmp_path: Path) -> None:
    import os

    from roadsafety.models.registry import UNREGISTERED, remove_orphans

    dead, alive = _dead_pid(), os.getpid()
    folders = {
        "half": tmp_path / f".tmp-v20260101T000000-{dead}",
        "running": tmp_path / f".tmp-v20260101T000001-{alive}",
        "orphan": tmp_path / "v20260101T000002",
        "in_flight": tmp_path / "v20260101T000003",
        "registered": tmp_path / "v20260101T000004",
        "other_warehouse": tmp_path / "v20260101T000005",
    }
    for path in folders.values():
        path.mkdir()
    (folders["orphan"] / UNREGISTERED).write_text(str(dead))
    (folders["in_flight"] / UNREGISTERED).write_text(str(alive))
    (folders["registered"] / UNREGISTERED).write_text(str(dead))
    removed = remove_orphans(tmp_path, {"v20260101T000004"})
    assert sorted(removed) == sorted([folders["half"], folders["orphan"]])
    assert [k for k, p in folders.items() if p.exists()] == [
        "running",
        "in_flight",
        "registered",
        "other_warehouse",
    ]
