"""The export tests' world: the hand-made warehouse of ``worlds.export_world``, built once."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from worlds import ExportWorld, export_world

from roadsafety.store.connection import copy_warehouse


@pytest.fixture(scope="session")
def export_template(tmp_path_factory: pytest.TempPathFactory) -> ExportWorld:
    """The export world built once per session; tests get private copies."""
    return export_world(tmp_path_factory.mktemp("exports") / "wh.duckdb")


@pytest.fixture()
def world(export_template: ExportWorld, tmp_path: Path) -> ExportWorld:
    """A private copy of the export world's warehouse (a champion, one run, a few accidents)."""
    db = tmp_path / "wh.duckdb"
    copy_warehouse(export_template.db_path, db)
    return replace(export_template, db_path=db)
