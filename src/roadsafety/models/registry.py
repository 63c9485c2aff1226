"""Model versions on disk and the champion/challenger promotion rule.

A version's artifacts live in ``<models_dir>/<version_id>/``: ``crashes.txt|json``,
``fatal_grievous.txt|json`` (LightGBM boosters and their feature lists) and ``meta.json`` (data
cut-off, panel and LightGBM settings, summary metrics). They are written to a hidden temporary
directory (``.tmp-<version>-<pid>``) and renamed into place, so a killed retrain never leaves a
half-written version; the warehouse registers the version only after that (see
:mod:`roadsafety.forecasts.pipeline`), which then calls :func:`mark_registered` to delete the
version's ``.unregistered`` marker (the writer's process id). What a killed retrain leaves (its
temporary directory, or a version still marked unregistered) is removed by :func:`remove_orphans`
at the start of the next retrain, once the writing process is gone. A folder without the marker
is never touched (another warehouse may share the models folder).

Promotion (:func:`decide_promotion`): the challenger replaces the champion unless its score (the
year-ahead hit rate at the 100-unit budget, mean over backtest folds) is worse than the champion's
by more than ``max(abs_tol, rel_tol × champion score)``. A challenger without a score (too little
history for any fold) is promoted only when there is no champion, or when the champion has no score.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from roadsafety.models import lgbm
from roadsafety.models.backtest import ModelPair

MODEL_FILES = {"crashes": "crashes", "fatal_grievous": "fatal_grievous"}
UNREGISTERED = ".unregistered"  # marker file in a version folder until the warehouse registers it
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PromotionPolicy:
    """Tolerances of the promotion rule."""

    abs_tol: float = 0.02
    rel_tol: float = 0.05


def new_version_id(now: datetime, models_dir: Path, taken: frozenset[str] = frozenset()) -> str:
    """A fresh version id like ``v20261128T220501`` (suffixed when that directory or id exists)."""
    base = "v" + now.strftime("%Y%m%dT%H%M%S")
    vid, n = base, 1
    while (models_dir / vid).exists() or vid in taken:
        vid, n = f"{base}_{n}", n + 1
    return vid


def write_artifacts(models_dir: Path, version_id: str, pair: ModelPair, meta: dict) -> Path:
    """Write the models and ``meta.json`` atomically into ``models_dir/version_id``."""
    final = models_dir / version_id
    tmp = models_dir / f".tmp-{version_id}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for attr, name in MODEL_FILES.items():
        model = getattr(pair, attr)
        if model is not None:
            lgbm.save_model(model, tmp, name)
    (tmp / "meta.json").write_text(
        json.dumps({**meta, "features": pair.features}, indent=2, default=str)
    )
    (tmp / UNREGISTERED).write_text(str(os.getpid()))
    tmp.rename(final)
    return final


def _alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def mark_registered(directory: Path) -> None:
    """The warehouse now holds this version: drop its ``.unregistered`` marker."""
    (directory / UNREGISTERED).unlink(missing_ok=True)


def _writer_pid(directory: Path) -> int | None:
    try:
        text = (directory / UNREGISTERED).read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else 0


def remove_orphans(models_dir: Path, registered: frozenset[str] | set[str]) -> list[Path]:
    """Remove what killed retrains left: temporary directories and never-registered versions.

    Only folders whose writing process is gone are touched (a running retrain's are kept).
    """
    removed = []
    for path in sorted(models_dir.glob(".tmp-*")) if models_dir.is_dir() else []:
        pid = path.name.rsplit("-", 1)[-1]
        if path.is_dir() and not (pid.isdigit() and _alive(int(pid))):
            removed.append(path)
    for path in sorted(models_dir.glob("v*")) if models_dir.is_dir() else []:
        pid = _writer_pid(path) if path.is_dir() and path.name not in registered else None
        if pid is not None and not _alive(pid):
            removed.append(path)
    for path in removed:
        log.warning("removing %s left by an interrupted retrain", path)
        shutil.rmtree(path, ignore_errors=True)
    return removed


def read_artifacts(directory: Path) -> tuple[ModelPair, dict]:
    """Load a version written by :func:`write_artifacts`.

    Raises:
        FileNotFoundError: when the directory or its ``meta.json`` is missing.
    """
    meta = json.loads((directory / "meta.json").read_text())
    models = {}
    for attr, name in MODEL_FILES.items():
        models[attr] = (
            lgbm.load_model(directory, name) if (directory / f"{name}.txt").exists() else None
        )
    pair = ModelPair(
        crashes=models["crashes"],
        fatal_grievous=models["fatal_grievous"],
        features=list(meta["features"]),
        n_rows=int(meta.get("n_rows", 0)),
    )
    return pair, meta


def decide_promotion(
    new_score: float | None,
    champion_score: float | None,
    has_champion: bool,
    policy: PromotionPolicy = PromotionPolicy(),
) -> tuple[bool, str]:
    """Whether the challenger becomes champion, and why (see the module docstring)."""
    if not has_champion:
        return True, "no champion yet"
    if champion_score is None:
        return True, "champion has no backtest score"
    if new_score is None:
        return False, "challenger has no backtest score (too little history) and a champion exists"
    margin = max(policy.abs_tol, policy.rel_tol * champion_score)
    if new_score >= champion_score - margin:
        return (
            True,
            f"score {new_score:.4f} vs champion {champion_score:.4f} (tolerance {margin:.4f})",
        )
    return (
        False,
        f"score {new_score:.4f} worse than champion {champion_score:.4f} beyond {margin:.4f}",
    )
