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


@pytest.fixture()
def bundle_of():
    """``bundle_of(world, fmt, **filters) -> (ExportBundle, ExportMeta)``: the risk-list bundle of
    the world's run for a format (corridors merged unless the filters say otherwise)."""
    from datetime import date

    from roadsafety.exports.bundle import risk_list_bundle
    from roadsafety.exports.meta import ExportMeta
    from roadsafety.exports.risk_list import RiskListFilter, load_run
    from roadsafety.store.connection import read_connection

    def build(world: ExportWorld, fmt: str, **kw):
        filters = RiskListFilter(**{"merge": True, **kw})
        with read_connection(world.db_path) as con:
            info = load_run(con, world.run_id)
            built = risk_list_bundle(con, world.run_id, filters, fmt, cutoff=date(2025, 1, 1))
        meta = ExportMeta(
            "risk_list",
            world.run_id,
            info.version_id,
            info.window_start,
            info.window_end,
            info.data_cutoff,
            filters.as_params(),
        )
        return built, meta

    return build
