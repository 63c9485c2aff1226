"""Settings through pydantic-settings: TOML + ROADSAFETY_* variables, validated, unknown keys refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from roadsafety.config import (
    ENV_VARS,
    OTHER_VARS,
    CalendarConfig,
    RegionConfig,
    Settings,
    load_settings,
    with_db,
)
from roadsafety.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]


def toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "path", [REPO / "config" / "haryana.toml", REPO / "src/roadsafety/sources/data/haryana.toml"]
)
def test_the_shipped_config_files_load(path: Path) -> None:
    settings = load_settings(config_path=path, environ={})
    assert settings.region == RegionConfig(bbox=(74.45, 27.6, 77.6, 31.0), h3_resolution=8)
    assert settings.calendar == CalendarConfig(
        country="IN", subdivision="HR", fog_months=(12, 1), monsoon_months=(7, 8, 9)
    )


def test_db_option_beats_environment_beats_file_beats_default(tmp_path: Path) -> None:
    path = toml(tmp_path, 'db = "file.duckdb"\nlock_timeout_s = 30\n[region]\nh3_resolution = 7\n')
    env = {"ROADSAFETY_DB": "env.duckdb", "ROADSAFETY_H3_RESOLUTION": "9"}
    assert load_settings(environ={}).db_path == Path("data/roadsafety.duckdb")
    assert load_settings(config_path=path, environ={}).db_path == Path("file.duckdb")
    both = load_settings(config_path=path, environ=env)
    assert (both.db_path, both.region.h3_resolution, both.lock_timeout_s) == (
        Path("env.duckdb"),
        9,
        30.0,
    )
    assert load_settings("cli.duckdb", path, environ=env).db_path == Path("cli.duckdb")
    via_env = load_settings(environ={"ROADSAFETY_CONFIG": str(path)})
    assert via_env.region.h3_resolution == 7


def test_every_documented_variable_is_read(tmp_path: Path) -> None:
    env = {
        "ROADSAFETY_REGION_BBOX": "74.45, 27.6, 77.6, 31.0",
        "ROADSAFETY_COUNTRY": "IN",
        "ROADSAFETY_SUBDIVISION": "HR",
        "ROADSAFETY_KEY_FILE": str(tmp_path / "pii.key"),
        "ROADSAFETY_ARTIFACTS": str(tmp_path / "models"),
        "ROADSAFETY_LOCK_TIMEOUT": "12.5",
        "ROADSAFETY_INBOX": str(tmp_path / "in"),
        "ROADSAFETY_OUTBOX": str(tmp_path / "out"),
        "ROADSAFETY_LOGS": str(tmp_path / "logs"),
        "ROADSAFETY_TILE_URL": "https://tiles.example/{z}/{x}/{y}.png",
        "ROADSAFETY_TILE_ATTRIBUTION": "© example",
        "ROADSAFETY_SECURE_COOKIES": "yes",
        "ROADSAFETY_SECRET_KEY": "read by the app itself",
    }
    s = load_settings(environ=env)
    assert s.region.bbox == (74.45, 27.6, 77.6, 31.0) and s.calendar.subdivision == "HR"
    assert s.privacy.key_path == tmp_path / "pii.key" and s.models_dir == tmp_path / "models"
    assert s.lock_timeout_s == 12.5 and s.job_dir("outbox") == tmp_path / "out"
    assert s.app.secure_cookies and s.app.tile_url.startswith("https://")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`(ROADSAFETY_[A-Z0-9_]+)`", readme))
    assert documented <= set(ENV_VARS) | set(OTHER_VARS), documented - set(ENV_VARS)
    assert set(ENV_VARS) <= documented


@pytest.mark.parametrize(
    "text, expected",
    [
        ('colour = "red"\n', r"settings.toml: colour: unknown setting \(known: app, .*db"),
        (
            "[region]\nbox = [1, 2]\n",
            r"settings.toml: region.box: unknown setting \(known: bbox, blackspot_km, h3_resolution, stretch_km\)",
        ),
        ("[jobs]\nrecent_days = 3\n", r"settings.toml: jobs: unknown setting"),
        (
            "[region]\nh3_resolution = 20\n",
            r"settings.toml: region.h3_resolution: .*less than or equal to 15",
        ),
        ("[region]\nbbox = [77, 27, 74, 31]\n", r"region.bbox: .*not a WGS84 box"),
        ("[calendar]\nfog_months = [13]\n", r"calendar.fog_months: .*less than or equal to 12"),
        ("[job]\nvolume_warn = [1.2, 2]\n", r"job.volume_warn: .*0 < low < 1 < high"),
        ("lock_timeout_s = -1\n", r"lock_timeout_s: .*greater than 0"),
        ("[region]\nstretch_km = 0\n", r"region.stretch_km: .*greater than 0"),
        ("[region\n", r"settings.toml: "),
    ],
)
def test_bad_file_names_the_key_and_the_file(tmp_path: Path, text: str, expected: str) -> None:
    path = toml(tmp_path, text)
    with pytest.raises(ConfigError, match=expected) as info:
        load_settings(config_path=path, environ={})
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    "env, expected",
    [
        (
            {"ROADSAFETY_H3_RESOLUTION": "eight"},
            "environment variable ROADSAFETY_H3_RESOLUTION: region.h3_resolution",
        ),
        (
            {"ROADSAFETY_REGION_BBOX": "1,2,3"},
            "environment variable ROADSAFETY_REGION_BBOX: region.bbox",
        ),
        (
            {"ROADSAFETY_REGION_BOX": "1,2,3,4"},
            "environment variable ROADSAFETY_REGION_BOX: unknown setting",
        ),
        ({"ROADSAFETY_SECURE_COOKIES": "perhaps"}, "ROADSAFETY_SECURE_COOKIES: app.secure_cookies"),
    ],
)
def test_bad_variable_names_the_variable(env: dict, expected: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(expected)):
        load_settings(environ=env)


def test_a_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="nope.toml does not exist"):
        load_settings(config_path=tmp_path / "nope.toml", environ={})


def test_built_settings_ignore_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROADSAFETY_DB", "from-env.duckdb")
    monkeypatch.setenv("ROADSAFETY_H3_RESOLUTION", "5")
    built = Settings(db_path=Path("mine.duckdb"))
    assert built.db_path == Path("mine.duckdb") and built.region.h3_resolution == 8
    assert with_db(built, "other.duckdb").db_path == Path("other.duckdb")
    assert load_settings().region.h3_resolution == 5  # the loader reads os.environ by default


def test_cli_reports_a_bad_config_file_with_exit_code_2(tmp_path: Path) -> None:
    from roadsafety.cli import app

    path = toml(tmp_path, "[region]\nbbbox = [1, 2, 3, 4]\n")
    result = CliRunner().invoke(app, ["--config", str(path), "status"])
    assert result.exit_code == 2
    assert "region.bbbox: unknown setting" in result.output and str(path) in result.output
