"""The export tests' world: the hand-made warehouse of ``worlds.export_world``."""

from __future__ import annotations

from pathlib import Path

import pytest
from worlds import ExportWorld, export_world


@pytest.fixture()
def world(tmp_path: Path) -> ExportWorld:
    """A fresh warehouse with a champion, one complete run and a few accidents."""
    return export_world(tmp_path / "wh.duckdb")
