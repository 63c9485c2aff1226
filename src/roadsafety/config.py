"""Typed, frozen settings, loaded once (by the CLI, the job entry point) with pydantic-settings.

:func:`load_settings` merges, highest first: the explicit ``db_path`` argument (``--db``), the
environment variables of :data:`ENV_VARS` (``ROADSAFETY_*``), a TOML file (``config_path``,
``--config`` or ``ROADSAFETY_CONFIG``), then the defaults below. Every value is validated; a key the
settings do not have — in the file or as a ``ROADSAFETY_*`` variable — is refused with a
:class:`~roadsafety.errors.ConfigError` naming the key and where it came from. Functions receive the
sub-config they need (``settings.region``, ``settings.job``), never a dict, and nothing else reads
the environment for settings.

``Settings(...)`` built directly (tests, scripts) holds exactly what it is given plus the defaults:
no environment variable or file is read. The sub-configs are frozen dataclasses
(``dataclasses.replace`` works on them); a changed copy of ``Settings`` is
``settings.model_copy(update={...})`` (or :func:`with_db`).

Region and calendar are settings, not assumptions: with no region every valid WGS84 coordinate is
accepted, and with no country the calendar features use only generic seasonality.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import field, fields, is_dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.dataclasses import dataclass
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from roadsafety.errors import ConfigError

DEFAULT_DB = Path("data/roadsafety.duckdb")
DEFAULT_LOCK_TIMEOUT_S = 600.0
# A district's weekly drive plan by default: e.g. five teams on eight 3-hour shifts a week.
DEFAULT_PLAN_TEAM_HOURS = 120.0
HARYANA_BBOX = (74.45, 27.6, 77.6, 31.0)

ENV_VARS: dict[str, tuple[str, ...]] = {
    "ROADSAFETY_DB": ("db_path",),
    "ROADSAFETY_ARTIFACTS": ("artifacts_dir",),
    "ROADSAFETY_LOCK_TIMEOUT": ("lock_timeout_s",),
    "ROADSAFETY_REGION_BBOX": ("region", "bbox"),
    "ROADSAFETY_H3_RESOLUTION": ("region", "h3_resolution"),
    "ROADSAFETY_COUNTRY": ("calendar", "country"),
    "ROADSAFETY_SUBDIVISION": ("calendar", "subdivision"),
    "ROADSAFETY_KEY_FILE": ("privacy", "key_path"),
    "ROADSAFETY_INBOX": ("job", "inbox"),
    "ROADSAFETY_OUTBOX": ("job", "outbox"),
    "ROADSAFETY_LOGS": ("job", "logs"),
    "ROADSAFETY_TILE_URL": ("app", "tile_url"),
    "ROADSAFETY_TILE_ATTRIBUTION": ("app", "tile_attribution"),
    "ROADSAFETY_SECURE_COOKIES": ("app", "secure_cookies"),
}
# ROADSAFETY_* variables that are not settings: the config file itself, the app's session key
# (dash_app.auth), the demo's password (``demo --password``), and the tests' real-data folder and
# example count.
OTHER_VARS = (
    "ROADSAFETY_CONFIG",
    "ROADSAFETY_SECRET_KEY",
    "ROADSAFETY_DEMO_PASSWORD",
    "ROADSAFETY_REAL_DATA",
    "ROADSAFETY_HYPOTHESIS_EXAMPLES",
)
TOML_ONLY_KEYS = {"privacy": ("extra_personal_fields",)}  # keys a file may hold beyond the fields
STRICT = ConfigDict(extra="forbid")
Month = Annotated[int, Field(ge=1, le=12)]


def _default_key_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "roadsafety" / "pii.key"


@dataclass(frozen=True, config=STRICT)
class RegionConfig:
    """Where located records must fall, and the spatial units.

    Attributes:
        bbox: ``(min_lon, min_lat, max_lon, max_lat)``; None accepts any valid WGS84 point. May be
            written ``"74.45,27.6,77.6,31.0"``.
        h3_resolution: H3 resolution of located units.
        stretch_km: length of the road stretches (``ROAD | km A-B``) of unlocated km-marked records.
        blackspot_km: length of a MoRTH blackspot stretch.
    """

    bbox: tuple[float, float, float, float] | None = None
    h3_resolution: int = Field(8, ge=0, le=15)
    stretch_km: float = Field(1.0, gt=0)
    blackspot_km: float = Field(0.5, gt=0)

    @field_validator("bbox", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        return [p.strip() for p in value.split(",")] if isinstance(value, str) else value

    @field_validator("bbox")
    @classmethod
    def _valid_box(
        cls, box: tuple[float, float, float, float] | None
    ) -> tuple[float, float, float, float] | None:
        if box is not None:
            min_lon, min_lat, max_lon, max_lat = box
            if not (-180 <= min_lon < max_lon <= 180 and -90 <= min_lat < max_lat <= 90):
                raise ValueError(f"{box} is not a WGS84 box (min < max, within range)")
        return box

    def contains(self, lon: float, lat: float) -> bool:
        """True when the point lies in the configured box (or no box is configured)."""
        if self.bbox is None:
            return -180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0
        min_lon, min_lat, max_lon, max_lat = self.bbox
        return min_lon <= lon <= max_lon and min_lat <= lat <= max_lat


@dataclass(frozen=True, config=STRICT)
class CalendarConfig:
    """Which public-holiday calendar (``holidays`` country code) and seasons apply."""

    country: str | None = None
    subdivision: str | None = None
    fog_months: tuple[Month, ...] = ()
    monsoon_months: tuple[Month, ...] = ()

    @field_validator("country", "subdivision")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None


# Source column names that hold personal data (regular expressions, searched in the name made lower
# case with every run of other characters as one '_': 'Owner Name' -> 'owner_name'). Such columns
# are never kept in the stored copy of source rows (``raw``). See docs/security.md.
DEFAULT_PERSONAL_FIELDS = (
    r"(^|_)(vehicle_?)?(reg|regn|regd|registration)(_?(no|num|number))?($|_)",
    r"(^|_)(vehicle|veh)_?(no|num|number)($|_)",
    r"(^|_)(number_?plate|plate(_?(no|num|number))?)($|_)",
    r"(^|_)(chassis|engine)(_?(no|num|number))?($|_)",
    r"^(full_?|first_?|last_?|middle_?|given_?|family_?|sur|fore)?name$",
    r"(owner|driver|offender|accused|victim|complainant|person|father|mother|husband|wife"
    r"|guardian|witness|applicant|passenger|pedestrian|rider)s?_?(full_?|first_?|last_?)?name",
    r"phone|mobile|telephone|whatsapp|(^|_)tel($|_)|(^|_)contact(_?(no|num|number))?($|_)",
    r"e_?mail",
    r"address|(^|_)addr($|_)",
    r"licen[cs]e|(^|_)dl(_?(no|num|number))?($|_)",
    r"aadh?aa?r|(^|_)uid(ai)?($|_)",
    r"(^|_)pan(_?(no|num|number|card))?($|_)|passport|voter_?id|(^|_)epic($|_)",
    r"(^|_)(dob|date_of_birth|birth_?date)($|_)",
)


@dataclass(frozen=True, config=STRICT)
class PrivacyConfig:
    """Personal data: where the HMAC key lives (never inside the warehouse) and which source
    column names count as personal (``[privacy] personal_fields`` replaces the defaults,
    ``extra_personal_fields`` adds to them)."""

    key_path: Path = field(default_factory=_default_key_path)
    personal_fields: tuple[str, ...] = DEFAULT_PERSONAL_FIELDS

    @model_validator(mode="before")
    @classmethod
    def _add_extra_fields(cls, data: Any) -> Any:
        """``extra_personal_fields`` (a TOML key) adds patterns to ``personal_fields``."""
        if isinstance(data, dict) and "extra_personal_fields" in data:
            data = dict(data)
            extra = tuple(data.pop("extra_personal_fields"))
            data["personal_fields"] = (
                *data.get("personal_fields", DEFAULT_PERSONAL_FIELDS),
                *extra,
            )
        return data

    @field_validator("personal_fields")
    @classmethod
    def _regexes(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a regular expression ({exc})") from exc
        return patterns


@dataclass(frozen=True, config=STRICT)
class JobConfig:
    """The unattended retrain job: folders and the drift/freshness thresholds that warn or block.

    Ratios compare the last ``recent_days`` before the cut-off with the same-length windows of the
    year before it. A check past its ``block`` threshold keeps the champion (the new version is still
    trained, backtested and registered, but not promoted).

    Each run also writes next Monday-Sunday's drive plan per district to the outbox, within
    ``plan_team_hours`` team-hours a week per district, shifts of ``plan_shift_hours`` hours, aimed
    at ``plan_objective`` (``all`` crashes or ``fatal_grievous``).
    """

    inbox: Path | None = None  # default: inbox/ beside the warehouse
    outbox: Path | None = None  # default: outbox/ beside the warehouse
    logs: Path | None = None  # default: logs/ beside the warehouse
    recent_days: int = Field(28, ge=1)
    volume_warn: tuple[float, float] = (0.6, 1.6)
    volume_block: tuple[float, float] = (0.3, 3.0)
    offence_mix_warn: float = Field(0.15, ge=0)
    offence_mix_block: float = Field(0.30, ge=0)
    missing_days_warn: int = Field(2, ge=0)
    missing_days_block: int = Field(7, ge=0)
    standard_windows: tuple[Annotated[int, Field(ge=1, le=367)], ...] = (7, 30)
    plan_team_hours: float = Field(DEFAULT_PLAN_TEAM_HOURS, gt=0, allow_inf_nan=False)
    plan_shift_hours: int = Field(3, ge=1, le=12)
    plan_objective: Literal["all", "fatal_grievous"] = "all"

    @model_validator(mode="after")
    def _plan_fits_a_shift(self) -> JobConfig:
        if self.plan_team_hours < self.plan_shift_hours:
            raise ValueError(
                f"plan_team_hours {self.plan_team_hours:g} is less than one shift "
                f"(plan_shift_hours {self.plan_shift_hours})"
            )
        return self

    @field_validator("volume_warn", "volume_block")
    @classmethod
    def _ratio_band(cls, band: tuple[float, float]) -> tuple[float, float]:
        low, high = band
        if not 0 < low < 1 < high:
            raise ValueError(f"expected [low, high] with 0 < low < 1 < high, got {list(band)}")
        return band


@dataclass(frozen=True, config=STRICT)
class AppConfig:
    """The web app: an optional basemap (the app works without internet) and HTTPS-only cookies."""

    tile_url: str | None = None
    tile_attribution: str | None = None
    secure_cookies: bool = False


class Settings(BaseSettings):
    """All settings; :func:`load_settings` reads them from the environment and a TOML file."""

    model_config = SettingsConfigDict(frozen=True, extra="forbid", validate_by_name=True)

    db_path: Path = Field(DEFAULT_DB, validation_alias=AliasChoices("db_path", "db"))
    artifacts_dir: Path | None = None
    lock_timeout_s: float = Field(DEFAULT_LOCK_TIMEOUT_S, gt=0)
    region: RegionConfig = Field(default_factory=RegionConfig)
    calendar: CalendarConfig = Field(default_factory=CalendarConfig)
    privacy: PrivacyConfig = Field(default_factory=PrivacyConfig)
    job: JobConfig = Field(default_factory=JobConfig)
    app: AppConfig = Field(default_factory=AppConfig)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Built directly, settings are what they are given (the loader adds env and file)."""
        return (init_settings,)

    @property
    def models_dir(self) -> Path:
        """Directory holding model artifacts (beside the warehouse unless configured)."""
        return self.artifacts_dir or self.db_path.parent / "models"

    def job_dir(self, name: str) -> Path:
        """The job's ``inbox``, ``outbox`` or ``logs`` folder (beside the warehouse unless configured)."""
        return getattr(self.job, name) or self.db_path.parent / name


class EnvVarsSource(PydanticBaseSettingsSource):
    """The ``ROADSAFETY_*`` variables of :data:`ENV_VARS` as nested settings (blank = unset)."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        super().__init__(settings_cls)
        self.environ = environ

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        """Unused: :meth:`__call__` maps the variables itself."""
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        """The set variables as a nested dict, e.g. ``{"region": {"bbox": "74,27,77,31"}}``."""
        unknown = sorted(
            name
            for name in self.environ
            if name.startswith("ROADSAFETY_") and name not in ENV_VARS and name not in OTHER_VARS
        )
        if unknown:
            raise ConfigError(
                f"environment variable {unknown[0]}: unknown setting "
                f"(known: {', '.join(sorted(ENV_VARS))})"
            )
        values: dict[str, Any] = {}
        for name, path in ENV_VARS.items():
            if self.environ.get(name):
                _set(values, path, self.environ[name])
        return values


def _set(tree: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        tree = tree.setdefault(key, {})
    tree[path[-1]] = value


def _toml_source(path: Path) -> TomlConfigSettingsSource:
    """The TOML file's values; a missing or unreadable file is a :class:`ConfigError`."""
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist")
    try:
        return TomlConfigSettingsSource(Settings, toml_file=path)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path}: {exc}") from exc


def _key_paths(tree: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every key of a nested mapping as a path: tables and their keys."""
    out = []
    for key, value in tree.items():
        out.append((*prefix, key))
        if isinstance(value, Mapping):
            out += _key_paths(value, (*prefix, key))
    return out


def _known_keys(loc: tuple[str, ...]) -> list[str]:
    """The setting names allowed where ``loc``'s last key was found."""
    if len(loc) == 1:
        return sorted({*Settings.model_fields, "db"} - {"db_path"})
    section = Settings.model_fields.get(loc[0])
    kind = section.annotation if section else None
    names = [f.name for f in fields(kind)] if kind and is_dataclass(kind) else []
    return sorted([*names, *TOML_ONLY_KEYS.get(loc[0], ())])


def _describe(exc: ValidationError, origins: dict[tuple[str, ...], str]) -> str:
    """One line per problem: where it came from, the key, and what is wrong."""
    lines = []
    for err in exc.errors():
        loc = tuple(str(p) for p in err["loc"] if isinstance(p, str))
        origin = next((origins[loc[:i]] for i in range(len(loc), 0, -1) if loc[:i] in origins), "")
        if err["type"] in ("extra_forbidden", "unexpected_keyword_argument"):
            what = f"unknown setting (known: {', '.join(_known_keys(loc))})"
        else:
            what = f"{err['msg']} (got {err['input']!r})"
        lines.append(f"{origin or 'settings'}: {'.'.join(loc)}: {what}")
    return "; ".join(lines)


def load_settings(
    db_path: Path | str | None = None,
    config_path: Path | str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Settings from ``db_path``, ``ROADSAFETY_*`` variables, a TOML file and the defaults.

    The TOML file may hold ``db``, ``artifacts_dir``, ``lock_timeout_s`` and the tables
    ``[region]``, ``[calendar]``, ``[privacy]``, ``[job]`` and ``[app]`` with the fields of
    :class:`RegionConfig`, :class:`CalendarConfig`, :class:`PrivacyConfig`, :class:`JobConfig` and
    :class:`AppConfig`.

    Args:
        db_path: the warehouse, overriding everything else (``--db``).
        config_path: TOML file (default ``ROADSAFETY_CONFIG``; none: no file).
        environ: the environment to read (default ``os.environ``).

    Raises:
        ConfigError: naming the key and its source (file or variable) for an unknown key, a value
            that does not validate, or a missing or malformed file.
    """
    environ = os.environ if environ is None else environ
    path = config_path or environ.get("ROADSAFETY_CONFIG")
    init = {"db_path": db_path} if db_path else {}
    env = EnvVarsSource(Settings, environ)
    sources: list[PydanticBaseSettingsSource] = [InitSettingsSource(Settings, init), env]
    origins = {p: f"environment variable {v}" for v, p in ENV_VARS.items() if environ.get(v)}
    if path:
        toml = _toml_source(Path(path))
        sources.append(toml)
        origins = {p: f"config file {path}" for p in _key_paths(toml.toml_data)} | origins
    if ("db",) in origins:
        origins[("db_path",)] = origins[("db",)]
    if db_path:
        origins[("db_path",)] = "--db"
    try:
        return Settings(_build_sources=(tuple(sources), init))
    except ValidationError as exc:
        raise ConfigError(_describe(exc, origins)) from exc


def with_db(settings: Settings, db_path: Path | str) -> Settings:
    """Return a copy of ``settings`` pointing at another warehouse file."""
    return settings.model_copy(update={"db_path": Path(db_path)})
