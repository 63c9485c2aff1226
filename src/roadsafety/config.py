"""Typed, frozen configuration loaded once by the CLI.

Settings come from (highest first): environment variables ``ROADSAFETY_*``, a TOML config file
(``ROADSAFETY_CONFIG`` or ``--config``), then the defaults below. Functions receive the sub-config
they need, never a dict.

Region and calendar are settings, not assumptions: with no region every valid WGS84 coordinate is
accepted, and with no country the calendar features use only generic seasonality.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from roadsafety.errors import ConfigError

DEFAULT_DB = Path("data/roadsafety.duckdb")

HARYANA_BBOX = (74.45, 27.6, 77.6, 31.0)


@dataclass(frozen=True)
class RegionConfig:
    """Where located records must fall, and the spatial unit resolution."""

    bbox: tuple[float, float, float, float] | None = None
    h3_resolution: int = 8

    def contains(self, lon: float, lat: float) -> bool:
        """True when the point lies in the configured box (or no box is configured)."""
        if self.bbox is None:
            return -180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0
        min_lon, min_lat, max_lon, max_lat = self.bbox
        return min_lon <= lon <= max_lon and min_lat <= lat <= max_lat


@dataclass(frozen=True)
class CalendarConfig:
    """Which public-holiday calendar (``holidays`` country code) and seasons apply."""

    country: str | None = None
    subdivision: str | None = None
    fog_months: tuple[int, ...] = ()
    monsoon_months: tuple[int, ...] = ()


@dataclass(frozen=True)
class PrivacyConfig:
    """Where the HMAC key for personal data lives (never inside the warehouse)."""

    key_path: Path = field(
        default_factory=lambda: (
            Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config"))
            / "roadsafety"
            / "pii.key"
        )
    )


@dataclass(frozen=True)
class JobConfig:
    """The unattended retrain job: folders and the drift/freshness thresholds that warn or block.

    Ratios compare the last ``recent_days`` before the cut-off with the same-length windows of the
    year before it. A check past its ``block`` threshold keeps the champion (the new version is still
    trained, backtested and registered, but not promoted).
    """

    inbox: Path | None = None  # default: inbox/ beside the warehouse
    outbox: Path | None = None  # default: outbox/ beside the warehouse
    logs: Path | None = None  # default: logs/ beside the warehouse
    recent_days: int = 28
    volume_warn: tuple[float, float] = (0.6, 1.6)
    volume_block: tuple[float, float] = (0.3, 3.0)
    offence_mix_warn: float = 0.15
    offence_mix_block: float = 0.30
    missing_days_warn: int = 2
    missing_days_block: int = 7
    standard_windows: tuple[int, ...] = (7, 30)


@dataclass(frozen=True)
class Settings:
    """All settings; build with :func:`load_settings`."""

    db_path: Path = DEFAULT_DB
    artifacts_dir: Path | None = None
    region: RegionConfig = field(default_factory=RegionConfig)
    calendar: CalendarConfig = field(default_factory=CalendarConfig)
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)
    job: JobConfig = field(default_factory=JobConfig)

    @property
    def models_dir(self) -> Path:
        """Directory holding model artifacts (beside the warehouse unless configured)."""
        return self.artifacts_dir or self.db_path.parent / "models"

    def job_dir(self, name: str) -> Path:
        """The job's ``inbox``, ``outbox`` or ``logs`` folder (beside the warehouse unless configured)."""
        return getattr(self.job, name) or self.db_path.parent / name


def parse_bbox(
    text: str, source: str = "ROADSAFETY_REGION_BBOX"
) -> tuple[float, float, float, float]:
    """Parse ``min_lon,min_lat,max_lon,max_lat`` into a checked tuple.

    Raises:
        ConfigError: when the text is not four numbers forming a valid WGS84 box.
    """
    parts = [p.strip() for p in str(text).split(",")]
    try:
        values = tuple(float(p) for p in parts)
    except ValueError as exc:
        raise ConfigError(
            f"{source}: expected min_lon,min_lat,max_lon,max_lat, got {text!r}"
        ) from exc
    if len(values) != 4:
        raise ConfigError(f"{source}: expected 4 numbers, got {len(values)} in {text!r}")
    min_lon, min_lat, max_lon, max_lat = values
    if not (-180 <= min_lon < max_lon <= 180 and -90 <= min_lat < max_lat <= 90):
        raise ConfigError(f"{source}: {text!r} is not a valid WGS84 box (min < max, within range)")
    return values  # type: ignore[return-value]


def _months(value: object, name: str) -> tuple[int, ...]:
    try:
        months = tuple(int(v) for v in value)  # type: ignore[union-attr]
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{name}: expected a list of month numbers, got {value!r}") from exc
    if any(not 1 <= m <= 12 for m in months):
        raise ConfigError(f"{name}: months must be 1..12, got {months}")
    return months


def _from_toml(path: Path) -> dict:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"config file {path} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path}: {exc}") from exc


def load_settings(
    db_path: Path | str | None = None, config_path: Path | str | None = None
) -> Settings:
    """Build settings from defaults, an optional TOML file and ``ROADSAFETY_*`` variables.

    The TOML file may hold ``db``, ``artifacts_dir``, ``[region] bbox = [..] / h3_resolution``,
    ``[calendar] country / subdivision / fog_months / monsoon_months`` and ``[privacy] key_path``.
    """
    env = os.environ
    config_path = config_path or env.get("ROADSAFETY_CONFIG")
    doc = _from_toml(Path(config_path)) if config_path else {}
    region_doc, cal_doc = doc.get("region", {}), doc.get("calendar", {})
    priv_doc = doc.get("privacy", {})

    bbox = region_doc.get("bbox")
    if isinstance(bbox, list):
        bbox = parse_bbox(",".join(str(v) for v in bbox), f"{config_path}: region.bbox")
    if env.get("ROADSAFETY_REGION_BBOX"):
        bbox = parse_bbox(env["ROADSAFETY_REGION_BBOX"])
    res = int(env.get("ROADSAFETY_H3_RESOLUTION", region_doc.get("h3_resolution", 8)))
    if not 0 <= res <= 15:
        raise ConfigError(f"h3 resolution must be 0..15, got {res}")

    country = env.get("ROADSAFETY_COUNTRY", cal_doc.get("country")) or None
    calendar = CalendarConfig(
        country=country,
        subdivision=env.get("ROADSAFETY_SUBDIVISION", cal_doc.get("subdivision")) or None,
        fog_months=_months(cal_doc.get("fog_months", ()), "calendar.fog_months"),
        monsoon_months=_months(cal_doc.get("monsoon_months", ()), "calendar.monsoon_months"),
    )
    db = db_path or env.get("ROADSAFETY_DB") or doc.get("db") or DEFAULT_DB
    key = env.get("ROADSAFETY_KEY_FILE") or priv_doc.get("key_path")
    privacy = PrivacyConfig(key_path=Path(key)) if key else PrivacyConfig()
    artifacts = env.get("ROADSAFETY_ARTIFACTS") or doc.get("artifacts_dir")
    job = _job_config(doc.get("job", {}), env)
    return Settings(
        db_path=Path(db),
        artifacts_dir=Path(artifacts) if artifacts else None,
        region=RegionConfig(bbox=bbox, h3_resolution=res),
        calendar=calendar,
        privacy=privacy,
        job=job,
    )


def _job_config(doc: dict, env: os._Environ | dict) -> JobConfig:
    """Job settings from the ``[job]`` table and ``ROADSAFETY_INBOX/OUTBOX/LOGS``."""
    base = JobConfig()
    values: dict = {}
    for name, var in (
        ("inbox", "ROADSAFETY_INBOX"),
        ("outbox", "ROADSAFETY_OUTBOX"),
        ("logs", "ROADSAFETY_LOGS"),
    ):
        if env.get(var) or doc.get(name):
            values[name] = Path(env.get(var) or doc[name])
    for name in ("recent_days", "missing_days_warn", "missing_days_block"):
        if name in doc:
            values[name] = int(doc[name])
    for name in ("offence_mix_warn", "offence_mix_block"):
        if name in doc:
            values[name] = float(doc[name])
    for name in ("volume_warn", "volume_block"):
        if name in doc:
            low, high = (float(v) for v in doc[name])
            if not 0 < low < 1 < high:
                raise ConfigError(f"job.{name}: expected [low < 1, high > 1], got {doc[name]}")
            values[name] = (low, high)
    if "standard_windows" in doc:
        values["standard_windows"] = tuple(int(v) for v in doc["standard_windows"])
    return replace(base, **values)


def with_db(settings: Settings, db_path: Path | str) -> Settings:
    """Return a copy of ``settings`` pointing at another warehouse file."""
    return replace(settings, db_path=Path(db_path))
