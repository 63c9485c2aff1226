"""The app's only data access: read-only, pre-aggregated, cached per warehouse file version.

:class:`AppStore` opens connections only through ``roadsafety.store.connection.read_connection``.
On the first request after the warehouse file changes (its mtime/size/inode), it reads one
:class:`Snapshot` of what the pages need (the champion's latest complete 7- and 30-day forecast runs
joined with their units, district totals, period forecasts, profiles, freshness); callbacks then filter
small Polars frames in memory. Per-unit detail and risk lists are memoised per file version too.
Every read takes the caller's district scope: ``district=None`` means all districts.

The app never computes forecasts: it shows the runs the batch job (or ``demo``) wrote.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from dash_app.queries import snapshot as snap
from dash_app.queries.unit import read_unit_detail
from roadsafety.store.connection import read_connection
from roadsafety.store.users import UserRecord, read_user

log = logging.getLogger(__name__)

STANDARD_WINDOWS = (7, 30)
MEMO_LIMIT = 256


@dataclass(frozen=True)
class Scope:
    """Who is asking: their role and district scope (None = every district)."""

    username: str
    role: str
    district: str | None

    @property
    def can_download(self) -> bool:
        """Analysts and admins may download lists; viewers only look."""
        return self.role in ("analyst", "admin")

    def district_for(self, requested: str | None) -> str | None:
        """The district a read may cover: a scoped user always gets their own district."""
        if self.district:
            return self.district
        return requested or None

    def allows(self, district: str | None) -> bool:
        """True when a record of ``district`` may be shown to this user."""
        return self.district is None or (district or "").casefold() == self.district.casefold()


@dataclass
class _Memo:
    version: tuple = ()
    values: dict[Any, Any] = field(default_factory=dict)


class AppStore:
    """Cached read-only access to one warehouse file (one instance per app)."""

    def __init__(self, db_path: Path | str, today: Callable[[], date] = date.today) -> None:
        """``today`` is the app's clock for "ahead" and "last year" (a seam for tests)."""
        self.db_path = Path(db_path)
        self.today = today
        self._lock = threading.RLock()
        self._build_lock = threading.Lock()
        self._memo = _Memo()

    def version(self) -> tuple:
        """Identity of the warehouse file's current content (changes on every swap)."""
        try:
            st = os.stat(self.db_path)
        except FileNotFoundError:
            return ("missing",)
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def memo(self, key: Any, compute: Callable[[], Any]) -> Any:
        """Return the cached value for ``key`` under the current file version, computing it once."""
        current = self.version()
        with self._lock:
            if self._memo.version != current:
                self._memo = _Memo(version=current)
            if key in self._memo.values:
                return self._memo.values[key]
        value = compute()
        with self._lock:
            if self._memo.version == current:
                if len(self._memo.values) >= MEMO_LIMIT:
                    self._memo.values.pop(next(iter(self._memo.values)))
                self._memo.values[key] = value
        return value

    def read(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn(con, *args)`` on a fresh read-only connection."""
        with read_connection(self.db_path) as con:
            return fn(con, *args)

    # --- users -----------------------------------------------------------------------------------
    def user(self, username: str) -> UserRecord | None:
        """The stored user (cached per warehouse version)."""
        if not self.db_path.exists():
            return None
        return self.memo(("user", username), lambda: self.read(read_user, username))

    # --- snapshot --------------------------------------------------------------------------------
    def snapshot(self) -> snap.Snapshot:
        """Everything the pages need, read once per warehouse version.

        One build at a time: a request arriving while ``serve``'s background thread builds waits
        for that build instead of starting a second one (same memory, no doubled CPU)."""
        today = self.today()
        with self._build_lock:
            return self.memo(("snapshot", today), lambda: self._build_snapshot(today))

    def _build_snapshot(self, today: date) -> snap.Snapshot:
        t0 = time.perf_counter()
        built = self.read(snap.build_snapshot, STANDARD_WINDOWS, today)
        log.info(
            "app snapshot of %s built in %.1f s (%s)",
            self.db_path.name,
            time.perf_counter() - t0,
            snap.describe(built),
        )
        return built


# --- reads used by the pages (all take a district scope) ----------------------------------------


def _in_district(
    frame: pl.DataFrame, district: str | None, column: str = "district"
) -> pl.DataFrame:
    if district is None or frame.is_empty():
        return frame
    return frame.filter(pl.col(column).str.to_lowercase() == district.casefold())


def districts(store: AppStore, scope: Scope) -> list[str]:
    """Districts the user may choose."""
    names = store.snapshot().districts
    return [d for d in names if scope.allows(d)]


def police_stations(store: AppStore, district: str | None) -> list[str]:
    """Police stations with forecast units (in ``district`` when given)."""
    units = _in_district(store.snapshot().units, district)
    if units.is_empty():
        return []
    return sorted(units["police_station"].drop_nulls().unique().to_list())


def run_of(store: AppStore, window_days: int) -> snap.RunRef | None:
    """The forecast run shown for a standard window (None when no forecast exists)."""
    return store.snapshot().runs.get(window_days)


def forecast_units(store: AppStore, window_days: int, district: str | None) -> pl.DataFrame:
    """Forecast rows (one per unit) of the window's run, with unit attributes."""
    units = store.snapshot().units
    if units.is_empty():
        return units
    return _in_district(units.filter(pl.col("window_days") == window_days), district)


@dataclass(frozen=True)
class Total:
    """Expected crashes over some days and what happened on the same weekdays a year earlier.

    ``source`` is ``weekly`` (the district weekly forecast, the Overview's one source of totals) or
    ``places`` (the places' forecast summed, only when no weekly forecast covers the days).
    """

    start: date
    end: date
    crashes: float
    fatal_grievous: float
    last_year_crashes: int
    last_year_fatal_grievous: int
    source: str


def _weekly_sum(periods: pl.DataFrame, start: date, end: date) -> tuple[float, int]:
    """(expected crashes, days covered) of ``[start, end]``: each week's forecast pro rata."""
    total, covered = 0.0, 0
    for row in periods.iter_rows(named=True):
        lo, hi = max(start, row["period_start"]), min(end, row["period_end"])
        if hi < lo:
            continue
        days = (hi - lo).days + 1
        total += row["expected"] * days / ((row["period_end"] - row["period_start"]).days + 1)
        covered += days
    return total, covered


def _severe_share(store: AppStore, district: str | None) -> float:
    """Fatal+grievous share of expected crashes in the places' 30-day (else 7-day) forecast."""
    for days in (30, 7):
        units = forecast_units(store, days, district)
        if not units.is_empty() and units["expected_crashes"].sum() > 0:
            return float(units["expected_fatal_grievous"].sum() / units["expected_crashes"].sum())
    return 0.0


def forecast_total(store: AppStore, district: str | None, start: date, end: date) -> Total:
    """The one way the Overview sums a forecast: the district (or state) weekly forecast over
    ``[start, end]`` (a week partly inside counts pro rata), against the same weekdays 364 days
    earlier. Fatal+grievous = that total times the places' fatal+grievous share.

    When no weekly forecast covers every day, the places' forecast for the window stands in.
    """
    s = store.snapshot()
    key = district or snap.ALL_DISTRICTS
    crashes, covered = _weekly_sum(_in_district(s.periods, key), start, end)
    severe = crashes * _severe_share(store, district)
    source = "weekly"
    if covered < (end - start).days + 1:
        days = (end - start).days + 1
        units = forecast_units(store, days, district)
        crashes = float(units["expected_crashes"].sum()) if not units.is_empty() else 0.0
        severe = float(units["expected_fatal_grievous"].sum()) if not units.is_empty() else 0.0
        source = "places"
    lag = timedelta(days=snap.LAST_YEAR_DAYS)
    past = _in_district(s.daily_last_year, key)
    if not past.is_empty():
        past = past.filter(pl.col("day").is_between(start - lag, end - lag))
    ly = int(past["crashes"].sum()) if not past.is_empty() else 0
    ly_severe = int(past["fatal_grievous"].sum()) if not past.is_empty() else 0
    return Total(start, end, crashes, severe, ly, ly_severe, source)


def kpis(store: AppStore, district: str | None) -> list[tuple[int, Total]]:
    """Per standard window shown: its length in days and its :func:`forecast_total`."""
    return [
        (days, forecast_total(store, district, run.window_start, run.window_end))
        for days, run in sorted(store.snapshot().runs.items())
    ]


def alerts(store: AppStore, district: str | None, weeks: int = 6) -> list[tuple[dict, Total]]:
    """Weeks starting today or later (within ``weeks``) flagged ``high_risk`` or with named
    drivers (fog, festivals), each with its :func:`forecast_total` (same sum as the cards)."""
    s = store.snapshot()
    if s.periods.is_empty():
        return []
    today = store.today()
    rows = _in_district(s.periods, district or snap.ALL_DISTRICTS).filter(
        (pl.col("high_risk") | (pl.col("drivers").fill_null("") != ""))
        & (pl.col("period_start") >= today)
        & (pl.col("period_start") <= today + timedelta(weeks=weeks))
    )
    return [
        (r, forecast_total(store, district, r["period_start"], r["period_end"]))
        for r in rows.sort("period_start").iter_rows(named=True)
    ]


def period_series(store: AppStore, district: str | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(weekly history of crashes, weekly forecast with 80/95% bands) for a district or the state."""
    s = store.snapshot()
    key = district or snap.ALL_DISTRICTS
    history = _in_district(s.weekly_history, key)
    forecast = _in_district(s.periods, key)
    return (
        history.sort("week") if not history.is_empty() else history,
        forecast.sort("period_start") if not forecast.is_empty() else forecast,
    )


def data_end(store: AppStore) -> date:
    """The last day with recorded crashes (the app's today when there are none)."""
    history = _in_district(store.snapshot().weekly_history, snap.ALL_DISTRICTS)
    if history.is_empty():
        return store.today()
    last = history.sort("week").row(-1, named=True)
    return last["week"] + timedelta(days=int(last.get("days") or 7) - 1)


def hour_profile(store: AppStore, district: str | None) -> pl.DataFrame:
    """Expected share of crashes per (dow, hour), summed over the district's units."""
    return _in_district(store.snapshot().district_profile, district or snap.ALL_DISTRICTS)


def _list_rows(store: AppStore, window_days: int, params: dict, reader, ranker) -> pl.DataFrame:
    """An exports list of the window's run, memoised per reader and filter set (none: no run).

    The run's units come from the snapshot (read once per warehouse version, by ``serve``'s
    background builder), so a first view of a filter only ranks them (``ranker``); a run the
    snapshot does not hold goes through the exports' own read (``reader``)."""
    s = store.snapshot()
    run = s.runs.get(window_days)
    if run is None:
        return pl.DataFrame()
    key = (reader.__name__, run.run_id, tuple(sorted(params.items())))
    read = s.lists.get(run.run_id)
    if read is None:
        return store.memo(key, lambda: store.read(reader, run.run_id, params))
    return store.memo(key, lambda: ranker(read, params))


def risk_rows(store: AppStore, window_days: int, params: dict) -> pl.DataFrame:
    """The risk list exactly as ``export risk-list`` builds it (memoised per filter set)."""
    return _list_rows(store, window_days, params, snap.read_risk_rows, snap.rank_risk_rows)


def unit_detail(
    store: AppStore, unit_ids: tuple[str, ...], district: str | None = None
) -> snap.UnitDetail:
    """History, recent crashes and challans (no personal fields) of one unit or a corridor's cells.

    With a ``district`` (a scoped user), record-level parts (monthly history, recent crashes and
    challans, offence mix) leave out records of other districts that fall in a border cell.
    """
    s = store.snapshot()
    runs = tuple(r.run_id for r in s.runs.values())
    key = ("unit", unit_ids, district.casefold() if district else None)
    return store.memo(
        key, lambda: store.read(read_unit_detail, unit_ids, runs, district, s.challans)
    )


def enforcement(store: AppStore, window_days: int, district: str | None) -> pl.DataFrame:
    """Every forecast unit with the exports' gap measures (90-day expected crashes vs challans)."""
    from roadsafety.exports.enforcement_gap import gap_measures

    units = forecast_units(store, window_days, district)
    run = run_of(store, window_days)
    if units.is_empty() or run is None:
        return units
    dated = units.with_columns(
        pl.lit(run.window_start).alias("window_start"), pl.lit(run.window_end).alias("window_end")
    )
    return gap_measures(dated)


def enforcement_gap(store: AppStore, window_days: int, params: dict) -> pl.DataFrame:
    """The enforcement-gap list exactly as ``export enforcement-gap`` builds it."""
    return _list_rows(store, window_days, params, snap.read_gap_rows, snap.rank_gap_rows)


def export_meta(store: AppStore, window_days: int) -> snap.RunRef | None:
    """The run behind a window's lists (for file titles and footers)."""
    return run_of(store, window_days)


def offence_mix(store: AppStore, district: str | None) -> pl.DataFrame:
    """Challans by offence in the last 90 days of data, for the district or the state."""
    return _in_district(store.snapshot().offences, district)


def model_health(store: AppStore, scope: Scope) -> snap.Health:
    """Champion, cut-off, backtest summary, freshness and the last retrain outcome, for ``scope``.

    Data freshness counts only the scope's district; recent loads (statewide files) are shown to
    state-level users only.
    """
    health = store.snapshot().health
    fresh = health.freshness
    if scope.district is not None:
        fresh = fresh.filter(pl.col("district").str.to_lowercase() == scope.district.casefold())
    fresh = (
        fresh.group_by("records", maintain_order=True)
        .agg(pl.col("n").sum(), pl.col("first").min(), pl.col("latest").max())
        .sort("records")
    )
    for kind in ("accidents", "challans"):
        if kind not in fresh["records"].to_list():
            fresh = pl.concat(
                [fresh, pl.DataFrame({"records": [kind], "n": [0]})], how="diagonal_relaxed"
            )
    ingests = health.ingests if scope.district is None else health.ingests.clear()
    return replace(health, freshness=fresh.sort("records"), ingests=ingests)


def now() -> datetime:
    """The server's clock (a seam for tests)."""
    return datetime.now()


def export_bundle(store: AppStore, window_days: int, params: dict, fmt: str) -> Any:
    """What ``export risk-list`` writes for these filters in ``fmt`` (rows, road-wide units, and for
    a workbook the enforcement-gap and blackspot lists), as an ``ExportBundle``."""
    run = run_of(store, window_days)
    if run is None:
        return None
    return store.read(snap.read_bundle, run.run_id, params, fmt)


def members_of(store: AppStore, unit_id: str) -> tuple[str, ...]:
    """The stretch units of a run of stretches (``corridor:ROAD | km A-B``), else ``(unit_id,)``."""
    from roadsafety.exports.corridors import run_span

    span = run_span(unit_id)
    units = store.snapshot().units
    if span is None or units.is_empty():
        return (unit_id,)
    road, lo, hi = span
    inside = units.filter(
        (pl.col("kind") == "stretch")
        & (pl.col("road_name") == road)
        & (pl.col("km_from") >= lo - 1e-9)
        & (pl.col("km_to") <= hi + 1e-9)
    )
    return tuple(sorted(set(inside["unit_id"]))) or (unit_id,)


def stretch_paths(store: AppStore) -> dict:
    """``unit_id -> [(lat, lon), ...]``: the road line of each forecast stretch (for the map)."""
    return store.snapshot().paths


def audit_events(store: AppStore, limit: int = 50) -> pl.DataFrame:
    """The latest app audit events (newest first; admins only see this)."""
    from roadsafety.store.users import read_audit_log

    events = read_audit_log(store.db_path)[-limit:][::-1]
    if not events:
        return pl.DataFrame()
    return pl.DataFrame(
        [{**e, "detail": json.dumps(e.get("detail", {}), default=str)} for e in events]
    ).select("when", "user", "action", "detail")
