"""Shared fixtures: a fresh warehouse per test, settings with a private HMAC key, real-data paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from roadsafety.config import CalendarConfig, PrivacyConfig, RegionConfig, Settings

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def tmp_settings(tmp_path: Path) -> Settings:
    """Settings pointing at a fresh warehouse and key file under tmp_path (no region, res 8)."""
    return Settings(
        db_path=tmp_path / "wh.duckdb",
        region=RegionConfig(bbox=None, h3_resolution=8),
        calendar=CalendarConfig(),
        privacy=PrivacyConfig(key_path=tmp_path / "keys" / "pii.key"),
    )


@pytest.fixture(scope="session")
def empty_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse with every migration applied and no rows, made once per session."""
    from roadsafety.store.connection import ensure_warehouse

    path = tmp_path_factory.mktemp("empty") / "wh.duckdb"
    ensure_warehouse(path)
    return path


@pytest.fixture
def tmp_store(tmp_settings: Settings, empty_warehouse: Path) -> Path:
    """Path of a fresh warehouse with every migration applied (a copy of the empty one)."""
    from roadsafety.store.connection import copy_warehouse

    copy_warehouse(empty_warehouse, tmp_settings.db_path)
    return tmp_settings.db_path


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Environment for running the CLI against a tmp warehouse and key."""
    env = {
        "ROADSAFETY_DB": str(tmp_path / "cli.duckdb"),
        "ROADSAFETY_KEY_FILE": str(tmp_path / "keys" / "pii.key"),
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("ROADSAFETY_REGION_BBOX", raising=False)
    monkeypatch.delenv("ROADSAFETY_CONFIG", raising=False)
    return env


def real_data_dir() -> Path:
    """Where the real public files live (env ROADSAFETY_REAL_DATA, default ../shared/data)."""
    return Path(os.environ.get("ROADSAFETY_REAL_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture
def real_data() -> Path:
    """The real-data folder, or skip the test with the reason."""
    path = real_data_dir()
    if not path.is_dir():
        pytest.skip(f"real data not found at {path} (set ROADSAFETY_REAL_DATA)")
    return path
