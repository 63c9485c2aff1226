"""Seeded test worlds, built one way: frames of warehouse rows, written with :func:`insert_frames`.

``tests/`` is on ``sys.path`` (pytest's rootdir insertion; scripts and benchmarks add it), so tests
import this module as ``worlds``. Three worlds, each a function of its seed and size:

- :func:`crash_world` ``(seed, ...)`` → ``(accidents, truth)``: crash records on H3 cells around a
  made-up centre plus police station + road units, with planted hot units; for the forecasting
  tests, which load it through the real ingest (:func:`ingest_crashes`).
- :func:`app_world` ``(db_path, seed=, years=, scale=, ...)``: every table the app reads (facts,
  units, a champion with 7- and 30-day runs, period forecasts, hour profiles, where-and-when
  intensities, backtest metrics with drive-plan coverage, users), without the forecasting pipeline; also the benchmark's and the screenshots' warehouse.
- :func:`export_world` ``(db_path)`` → :class:`ExportWorld`: a small hand-made warehouse whose
  rows the export tests know one by one (a road of adjacent cells, ties, a ghost cell, road
  stretches on a road with a km fit and on one without, police station + road units with and
  without coordinates, blackspot history).

A champion is registered with :func:`add_champion` and its runs published with :func:`publish_run`
(a run header and the run's rows, conformed to the declared schemas), the way the forecasting
pipeline stores them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import h3
import numpy as np
import polars as pl

from roadsafety import schemas
from roadsafety.store.connection import write_connection
from roadsafety.store.facts import append_relation

CENTRE = (10.0, 20.0)  # the crash world is deliberately nowhere in particular
SECRET_HASH = "f00dfeedcafe0000deadbeef"  # planted vehicle_reg_hash: must never reach a page
PASSWORD = "correct horse battery"
_HOURS = np.array([2, 2, 2, 2, 2, 3, 4, 5, 6, 5, 4, 4, 4, 4, 4, 5, 6, 7, 8, 7, 6, 4, 3, 2], float)
_HOURS = _HOURS / _HOURS.sum()
_RUN_TABLES = {
    "forecasts": schemas.FORECASTS,
    "period_forecasts": schemas.PERIOD_FORECASTS,
    "unit_hour_profile": schemas.UNIT_HOUR_PROFILE,
    "unit_week_intensity": schemas.UNIT_WEEK_INTENSITY,
}


# --- writing ------------------------------------------------------------------------------------


def insert_frames(con: duckdb.DuckDBPyConnection, **tables: pl.DataFrame) -> None:
    """Insert each frame into the table of its keyword, by column name (others stay null)."""
    for table, frame in tables.items():
        con.register("frame_in", frame.to_arrow())
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM frame_in")
        con.unregister("frame_in")


def publish_run(
    con: duckdb.DuckDBPyConnection,
    version: str,
    run_id: str,
    start: date,
    end: date,
    *,
    created: datetime,
    cutoff: date | None,
    **rows: pl.DataFrame,
) -> None:
    """A complete forecast run: its header and its rows (``forecasts=``, ``period_forecasts=``,
    ``unit_hour_profile=``; columns and types as declared in :mod:`roadsafety.schemas`)."""
    n_units = rows["forecasts"].height if "forecasts" in rows else 0
    run = [(run_id, version, created, start, end, "complete", n_units, cutoff)]
    insert_frames(con, forecast_runs=pl.DataFrame(run, schema=schemas.FORECAST_RUNS, orient="row"))
    for table, frame in rows.items():
        typed = schemas.conform(frame, _RUN_TABLES[table], table)
        insert_frames(con, **{table: typed.with_columns(run_id=pl.lit(run_id))})


def add_champion(con: duckdb.DuckDBPyConnection, version: str, as_of: date, when: datetime) -> None:
    """Register ``version`` (trained on data before ``as_of``) and make it the champion."""
    con.execute(
        "INSERT INTO model_versions (version_id, created_at, as_of, status, score, params, "
        "metrics, artifact_dir, promoted_at, message) "
        "VALUES (?, ?, ?, 'champion', 0.42, '{}', '{}', '', ?, 'promoted')",
        [version, when, as_of, when],
    )
    con.execute("INSERT INTO champion VALUES ('default', ?, ?)", [version, when])


# --- the crash world (forecasting tests) --------------------------------------------------------

_CRASH_SCHEMA = {
    "unit_id": pl.Utf8,
    "occurred_at": pl.Datetime("us"),
    "has_time": pl.Boolean,
    "severity": pl.Utf8,
    "killed": pl.Int32,
    "h3_cell": pl.Utf8,
    "latitude": pl.Float64,
    "longitude": pl.Float64,
    "road_name": pl.Utf8,
    "road_category": pl.Utf8,
    "police_station": pl.Utf8,
    "district": pl.Utf8,
    "located": pl.Boolean,
}


def crash_world(
    seed: int = 7,
    *,
    start: date = date(2019, 1, 1),
    years: int = 4,
    n_cells: int = 60,
    n_hot: int = 6,
    n_ps_units: int = 8,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Crash records and the planted truth.

    Returns:
        ``(accidents, truth)``: accidents with the stored columns the forecasting engine reads;
        truth ``unit_id, rate_per_year, hot`` (planted hot units have ~6x the base rate).
    """
    rng = np.random.default_rng(seed)
    disk = sorted(h3.grid_disk(h3.latlng_to_cell(*CENTRE, 8), 6))
    cells = [disk[i] for i in rng.choice(len(disk), n_cells, replace=False)]
    units = cells + [f"PS {chr(65 + i % 4)} | ROAD {i}" for i in range(n_ps_units)]
    base = rng.gamma(2.0, 0.6, len(units))
    hot = np.zeros(len(units), bool)
    hot[rng.choice(len(units), n_hot, replace=False)] = True
    rate = np.where(hot, base * 6 + 4, base)
    rows = []
    for i, (unit, r) in enumerate(zip(units, rate)):
        for _ in range(rng.poisson(r * years)):
            day = start + timedelta(days=int(rng.integers(365 * years)))
            rows.append(_crash(rng, unit, i < n_cells, day))
    acc = (
        pl.DataFrame(rows, orient="row", schema=_CRASH_SCHEMA)
        .with_row_index("n")
        .with_columns(accident_id=pl.format("A{}", pl.col("n")), source=pl.lit("test"))
        .drop("n")
    )
    return acc, pl.DataFrame({"unit_id": units, "rate_per_year": rate, "hot": hot})


def _crash(rng: np.random.Generator, unit: str, located: bool, day: date) -> tuple:
    sev = rng.choice(["fatal", "grievous", "minor", "non_injury"], p=[0.25, 0.3, 0.35, 0.1])
    has_time = bool(rng.random() > 0.05)
    hour = int(rng.choice(24, p=_HOURS))
    when = datetime(day.year, day.month, day.day, hour if has_time else 0, int(rng.integers(60)))
    killed = int(rng.integers(1, 3)) if sev == "fatal" else 0
    if not located:
        ps, road = unit.split(" | ")
        return (
            unit,
            when,
            has_time,
            sev,
            killed,
            None,
            None,
            None,
            road,
            "urban",
            ps,
            "North",
            False,
        )
    lat, lon = h3.cell_to_latlng(unit)
    road = f"NH-{int(h3.str_to_int(unit) % 3) + 1}"
    district = "North" if lat > CENTRE[0] else "South"
    return (unit, when, has_time, sev, killed, unit, lat, lon, road, "NH", "PS A", district, True)


def to_canonical(acc: pl.DataFrame) -> pl.DataFrame:
    """The crash world as a canonical input frame (date-only text when the time is unknown)."""
    when = (
        pl.when(pl.col("has_time"))
        .then(pl.col("occurred_at").dt.strftime("%Y-%m-%d %H:%M:%S"))
        .otherwise(pl.col("occurred_at").dt.strftime("%Y-%m-%d"))
    )
    return acc.with_columns(occurred_at=when).select(
        [pl.col(c) if c in acc.columns else pl.lit(None).alias(c) for c in schemas.ACCIDENT_INPUT]
    )


def ingest_crashes(settings, acc: pl.DataFrame, path: Path) -> None:
    """Write the crashes as canonical CSV at ``path`` and load them with the real ingest."""
    from roadsafety.sources.canonical import read_canonical_accidents
    from roadsafety.store.ingest import ingest_batch

    to_canonical(acc).write_csv(path)
    ingest_batch(settings, read_canonical_accidents(path), "canonical")


# --- the app world ------------------------------------------------------------------------------

DISTRICTS = {"Karnal": (29.686, 76.990), "Panipat": (29.391, 76.963), "Gurugram": (28.459, 77.027)}
ROADS = {
    "Karnal": ("NH-44", "SH-8"),
    "Panipat": ("NH-44", "MDR-118"),
    "Gurugram": ("NH-48", "MG Road"),
}
_UNIT_COLUMNS = "unit_id kind h3_cell road_name police_station district latitude longitude".split()
_UNIT_COLUMNS.append("chainage_km")


def _road_cell(lat: float, lon: float, k: int, road_i: int, cells_per_road: int) -> str:
    """The k-th cell of a district's road: a line of cells, or a dense block at benchmark scale."""
    if cells_per_road <= 40:
        step = (0.006 * k * (1 if road_i == 0 else 0.3), 0.006 * k * (0.2 if road_i == 0 else 1))
    else:
        step = (0.0055 * (k % 40), 0.0055 * (k // 40) + 0.25 * road_i)
    return h3.latlng_to_cell(lat + step[0], lon + step[1], 8)


def _app_units(rng: np.random.Generator, cells_per_road: int) -> pl.DataFrame:
    rows = []
    for d, (lat, lon) in DISTRICTS.items():
        for r_i, road in enumerate(ROADS[d]):
            station = f"PS {d} {'Sadar' if r_i == 0 else 'City'}"
            for k in range(cells_per_road):
                cell = _road_cell(lat, lon, k, r_i, cells_per_road)
                clat, clon = h3.cell_to_latlng(cell)
                rows.append((cell, "h3", cell, road, station, d, clat, clon, float(k)))
        bypass = f"PS {d.upper()} CITY | OLD BYPASS"
        rows.append((bypass, "ps_road", None, "Old Bypass", f"PS {d} City", d, None, None, None))
    frame = pl.DataFrame(rows, schema=_UNIT_COLUMNS, orient="row")
    frame = frame.unique("unit_id", keep="first", maintain_order=True)
    rate = rng.lognormal(mean=0.0, sigma=0.9, size=frame.height) * 2.5
    return frame.with_columns(pl.Series("rate", rate))


# one road stretch per district (no GPS, a km marker), on a road with a km fit (NH-44 runs from
# Panipat, km 0, to Karnal, km 33; NH-48 east from Gurugram)
STRETCHES = {"Karnal": ("NH-44", 30.0), "Panipat": ("NH-44", 5.0), "Gurugram": ("NH-48", 2.0)}
FIT = {
    "NH-44": [(0.0, 29.391, 76.963), (33.0, 29.686, 76.990)],
    "NH-48": [(0.0, 28.459, 77.027), (10.0, 28.459, 77.129)],
}


def _road_point(road: str, km: float) -> tuple[float, float]:
    (k0, a0, o0), (k1, a1, o1) = FIT[road]
    t = (km - k0) / (k1 - k0)
    return a0 + t * (a1 - a0), o0 + t * (o1 - o0)


def _app_stretches(seed: int) -> pl.DataFrame:
    """Stretch units (kind 'stretch'), placed at their road's fitted mid-point."""
    rows = []
    for d, (road, km) in STRETCHES.items():
        lat, lon = _road_point(road, km + 0.5)
        unit = f"{road} | km {km:g}-{km + 1:g}"
        rows.append((unit, "stretch", None, road, f"PS {d} Sadar", d, lat, lon, None, km, km + 1))
    frame = pl.DataFrame(rows, schema=[*_UNIT_COLUMNS, "km_from", "km_to"], orient="row")
    rate = np.random.default_rng(seed + 1).lognormal(0.0, 0.5, frame.height) * 4.0
    return frame.with_columns(pl.Series("rate", rate))


def _app_accidents(
    rng: np.random.Generator, units: pl.DataFrame, start: date, years: int, scale: float
) -> pl.DataFrame:
    counts = rng.poisson(units["rate"].to_numpy() * years * scale)
    idx = np.repeat(np.arange(units.height), counts)
    n = idx.size
    secs = rng.integers(0, years * 365 * 86400, size=n)
    sev = rng.choice(["fatal", "grievous", "minor", "non_injury"], size=n, p=[0.35, 0.35, 0.2, 0.1])
    u = units[idx]
    first = datetime.combine(start, datetime.min.time())
    return u.select(
        "latitude",
        "longitude",
        "district",
        "police_station",
        "road_name",
        "chainage_km",
        "h3_cell",
        "unit_id",
    ).with_columns(
        accident_id=pl.Series([f"A{i:07d}" for i in range(n)]),
        occurred_at=pl.Series([first + timedelta(seconds=int(s)) for s in secs]),
        severity=pl.Series(sev),
        killed=pl.Series(np.where(sev == "fatal", 1, 0).astype(np.int32)),
        injured=pl.Series(np.where(sev == "fatal", 0, 1).astype(np.int32)),
        road_category=pl.lit("NH"),
        vehicle_types=pl.lit("truck;car"),
        weather=pl.lit("clear"),
        light=pl.lit("day"),
        cause=pl.lit("overspeeding"),
        has_time=pl.lit(True),
        located=u["h3_cell"].is_not_null(),
        source=pl.lit("world"),
        source_file=pl.lit("world.csv"),
        source_row=pl.Series(np.arange(n)),
        raw=pl.lit("{}"),
        content_hash=pl.lit("x"),
        ingest_run_id=pl.lit("ingest-1"),
    )


def _challan_sql(n: int, start: date, days: int, seed: int, n_units: int) -> str:
    """Challans generated in SQL (millions at benchmark scale), each carrying SECRET_HASH: a
    SELECT of the fact files' columns, stored with :func:`~roadsafety.store.facts.append_relation`."""
    offences = "['no_helmet','overspeeding','no_seatbelt','red_light','drunk_driving','wrong_side']"
    return f"""SELECT 'C' || i AS challan_id,
               TIMESTAMP '{start}' + to_seconds(CAST(hash(i, {seed}) % ({days} * 86400) AS BIGINT)) AS issued_at,
               u.latitude, u.longitude, {offences}[1 + CAST(hash(i, 7) % 6 AS INTEGER)] AS offence,
               'Sec 194D MVA' AS offence_raw, 'two_wheeler' AS vehicle_class, 1000.0 AS fine_amount,
               u.district, u.police_station, u.road_name, NULL::VARCHAR AS camera_id,
               '{SECRET_HASH}' AS vehicle_reg_hash, 'challan' AS challan_type, TRUE AS has_time,
               u.h3_cell IS NOT NULL AS located, u.h3_cell, u.unit_id, 'world' AS source,
               'world.csv' AS source_file, i AS source_row, '{{}}' AS raw, 'ingest-2' AS ingest_run_id
        FROM range({n}) t(i)
        JOIN (SELECT *, row_number() OVER (ORDER BY unit_id) - 1 AS k FROM spatial_units) u
          ON u.k = hash(i, {seed + 1}) % {n_units}"""


def _app_forecasts(units: pl.DataFrame, start: date, end: date) -> pl.DataFrame:
    """Expected crashes = rate pro rata; bands by rank share 10/25/60%; a few blackspots."""
    e = pl.col("expected_crashes")
    days = (end - start).days + 1
    frame = units.select("unit_id", expected_crashes=pl.col("rate") * days / 365.0)
    frame = frame.sort(["expected_crashes", "unit_id"], descending=[True, False])
    q = pl.int_range(1, frame.height + 1) / frame.height
    band = pl.when(q <= 0.1).then(pl.lit("very_high")).when(q <= 0.25).then(pl.lit("high"))
    return frame.with_columns(
        window_start=pl.lit(start),
        window_end=pl.lit(end),
        expected_fatal_grievous=e * 0.7,
        crashes_lo80=e * 0.5,
        crashes_hi80=e * 1.6,
        crashes_lo95=e * 0.3,
        crashes_hi95=e * 2.0,
        eb_expected=e,
        risk_band=band.when(q <= 0.6).then(pl.lit("medium")).otherwise(pl.lit("low")),
        rank=pl.int_range(1, frame.height + 1),
        peak_window=pl.lit("Fri-Sun 22:00-02:00"),
        top_factors=pl.lit("3 fatal crashes in the last 90 days; night truck traffic"),
        morth_blackspot=pl.int_range(1, frame.height + 1) <= 3,
        recent_challans=pl.int_range(1, frame.height + 1) * 7 % 40,
    )


def _app_periods(start: date, units: pl.DataFrame) -> pl.DataFrame:
    """Ten weeks per district and for the region; weeks 3 and 4 high (fog season; Diwali)."""
    monday = start - timedelta(days=start.weekday())
    weekly = units.group_by("district").agg(pl.col("rate").sum() * 7 / 365)
    per = dict(zip(weekly["district"], weekly["rate"]))
    rows = []
    for d in [*DISTRICTS, "(all)"]:
        base = sum(per.values()) if d == "(all)" else per[d]
        for w in range(10):
            e, high = base * (1.3 if w in (2, 3) else 1.0), w in (2, 3)
            start_w = monday + timedelta(weeks=w)
            drivers = "fog season; Diwali" if high else ""
            rows.append(
                (d, start_w, start_w + timedelta(days=6), e, e * 0.8, e * 1.2, e * 0.7, e * 1.3)
                + (high, drivers)
            )
    return pl.DataFrame(rows, schema=schemas.PERIOD_FORECASTS, orient="row")


def _app_profile(units: pl.DataFrame) -> pl.DataFrame:
    """Every unit: weekend and night hours weigh more."""
    hours = np.arange(168)
    w = 1.0 + 2.0 * ((hours % 24 >= 22) | (hours % 24 < 3)) + 1.0 * (hours // 24 >= 4)
    return pl.DataFrame(
        {
            "unit_id": np.repeat(units["unit_id"].to_numpy(), 168),
            "dow": np.tile(hours // 24, units.height),
            "hour": np.tile(hours % 24, units.height),
            "share": np.tile(w / w.sum(), units.height),
        }
    )


def _app_intensity(
    forecasts: pl.DataFrame, profile: pl.DataFrame, start: date, end: date
) -> pl.DataFrame:
    """Where-and-when intensities of a run: each unit's expected crashes (and fatal + grievous)
    spread over the 168 hours of the week by its hour profile times how often each weekday
    occurs in ``[start, end]`` (as the forecasting pipeline stores them)."""
    days = np.zeros(7)
    for i in range((end - start).days + 1):
        days[(start + timedelta(days=i)).weekday()] += 1
    by_unit = profile.sort("unit_id", "dow", "hour").group_by("unit_id", maintain_order=True)
    shares = by_unit.agg(pl.col("share")).join(forecasts, on="unit_id")
    weight = np.stack(shares["share"].to_list()) * np.repeat(days, 24)[None, :]
    weight /= weight.sum(axis=1, keepdims=True)
    week = pl.Array(pl.Float32, 168)
    return pl.DataFrame(
        {
            "unit_id": shares["unit_id"],
            "crashes": pl.Series(
                weight * shares["expected_crashes"].to_numpy()[:, None], dtype=week
            ),
            "fatal_grievous": pl.Series(
                weight * shares["expected_fatal_grievous"].to_numpy()[:, None], dtype=week
            ),
        }
    )


def _plan_backtest(rows: list) -> None:
    """Drive-plan coverage of the model and of naive (place, 3-hour block) counts per budget."""
    when = (date(2025, 1, 1), date(2025, 12, 31))
    for level, model, budget, value in (
        ("plan", "intensity", "300", 0.12),
        ("plan", "naive_blocks", "300", 0.08),
        ("plan", "intensity", "1200", 0.30),
        ("plan", "naive_blocks", "1200", 0.24),
        ("plan_fatal_grievous", "intensity", "300", 0.15),
        ("plan_fatal_grievous", "naive_blocks", "300", 0.09),
    ):
        rows.append((model, 1, *when, level, "coverage", budget, value))


def _app_backtest(version: str) -> pl.DataFrame:
    rows = []
    models = (
        ("lightgbm", 0.42),
        ("naive_1y", 0.36),
        ("empirical_bayes", 0.38),
        ("naive_3y", 0.33),
        ("morth_rule", 0.2),
    )
    for model, base in models:
        for fold in range(3):
            for metric, k, v in (
                ("hit_rate", "budget100", base),
                ("hit_rate", "top1pct", base / 3),
                ("pai", "top1pct", base * 20),
                ("poisson_deviance", "", 1 - base),
            ):
                when = (date(2025, 1, 1), date(2025, 12, 31))
                rows.append((model, fold, *when, "unit", metric, k, v + fold * 0.01))
    _plan_backtest(rows)
    frame = pl.DataFrame(rows, schema=schemas.BACKTEST_METRICS, orient="row")
    return frame.with_columns(version_id=pl.lit(version))


def app_world(
    db_path: Path,
    *,
    seed: int = 0,
    years: int = 3,
    scale: float = 1.0,
    cells_per_road: int = 8,
    challans_per_year: int = 2000,
    today: date | None = None,
) -> Path:
    """Create the app's warehouse at ``db_path`` (see the module docstring); return the path.

    ``scale`` multiplies record volumes (``years=10, scale=1`` gives about 100,000 accidents and
    ``challans_per_year * 10`` challans, for the benchmark).
    """
    from roadsafety.store.users import add_user

    rng = np.random.default_rng(seed)
    today = today or date.today()
    now = datetime.now().replace(microsecond=0)
    units = _app_units(rng, cells_per_road)
    first = today - timedelta(days=365 * years)
    accidents = _app_accidents(rng, units, first, years, scale)  # stretches have no records
    units = pl.concat([units, _app_stretches(seed)], how="diagonal_relaxed")
    fit = [(road, k, a, o, 10) for road, knots in FIT.items() for k, a, o in knots]
    with write_connection(db_path) as con:
        insert_frames(
            con,
            spatial_units=units.drop("rate").with_columns(h3_resolution=pl.lit(8)),
            accidents=accidents,
            road_km_fit=pl.DataFrame(fit, schema=schemas.ROAD_KM_FIT, orient="row"),
            districts=pl.DataFrame(
                [(d, "Haryana", a, o) for d, (a, o) in DISTRICTS.items()],
                schema=["district", "state", "latitude", "longitude"],
                orient="row",
            ),
        )
        n_challans = int(challans_per_year * years * scale)
        append_relation(
            con,
            db_path,
            "challans",
            _challan_sql(n_challans, first, 365 * years, seed, units.height),
            "ingest-2",
        )
        add_champion(con, "v1", today, now)
        con.execute(
            "INSERT INTO model_versions VALUES "
            "('v2', ?, ?, 'rejected', 0.30, '{}', '{}', '', NULL, 'worse than champion')",
            [now + timedelta(minutes=1), today],
        )
        old = (today - timedelta(days=9), today - timedelta(days=3))
        publish_run(con, "v1", "run-old", *old, created=now - timedelta(days=9), cutoff=old[0])
        for run_id, days in {"run-7": 7, "run-30": 30}.items():
            end = today + timedelta(days=days - 1)
            forecasts, profile = _app_forecasts(units, today, end), _app_profile(units)
            frames = {
                "forecasts": forecasts,
                "unit_hour_profile": profile,
                "unit_week_intensity": _app_intensity(forecasts, profile, today, end),
            }
            if days == 30:
                frames["period_forecasts"] = _app_periods(today, units)
            publish_run(con, "v1", run_id, today, end, created=now, cutoff=today, **frames)
        insert_frames(con, backtest_metrics=_app_backtest("v1"))
        con.execute(
            "INSERT INTO ingest_runs (run_id, kind, source, format, finished_at, rows_read, "
            "loaded, quarantined, status) VALUES ('ingest-1', 'accidents', 'world', 'canonical', "
            "now(), 10, 10, 0, 'ok')"
        )
        add_user(con, "admin", PASSWORD, "admin", None)
        add_user(con, "karnal_sp", PASSWORD, "analyst", "Karnal")
        add_user(con, "viewer", PASSWORD, "viewer", None)
    return db_path


# --- the export world (hand-made rows) ----------------------------------------------------------

EXPORT_RUN = "run-test-1"
EXPORT_VERSION = "v20250101T000000"
EXPORT_WINDOW = (date(2025, 1, 1), date(2025, 1, 7))


@dataclass(frozen=True)
class ExportWorld:
    """What :func:`export_world` built."""

    db_path: Path
    run_id: str
    road_cells: list[str]  # NH-44, adjacent cells, Karnal: the top three form a corridor
    lone_cell: str  # a high cell in Panipat on another road
    ghost_cell: str  # forecast but not in spatial_units
    ps_unit: str  # police station + road, with a centroid
    ps_unit_nogeo: str  # police station + road, no coordinates
    stretches: tuple[str, str] = ("NH-48 | km 20-21", "NH-48 | km 21-22")  # NH-48 has a km fit
    unmapped_stretch: str = "SH-7 | km 5-6"  # no fit for SH-7


def nh48(km: float) -> tuple[float, float]:
    """NH-48 of the export world: due east along latitude 29.70 from 76.80 at km 15."""
    return 29.70, 76.80 + (km - 15.0) / 96.7


def _export_units(w: ExportWorld) -> pl.DataFrame:
    rows = [
        (cell, "h3", cell, 8, "NH-44", "NH", "SADAR KARNAL", "Karnal", *h3.cell_to_latlng(cell))
        + (110.0 + i,)
        for i, cell in enumerate(w.road_cells)
    ]
    lat, lon = h3.cell_to_latlng(w.lone_cell)
    for name, (lo, hi) in zip(
        (*w.stretches, w.unmapped_stretch), ((20.0, 21.0), (21.0, 22.0), (5.0, 6.0))
    ):
        road = name.split(" | ")[0]
        at = nh48((lo + hi) / 2) if road == "NH-48" else (None, None)
        rows.append(
            (name, "stretch", None, None, road, "NH", "SADAR KARNAL", "Karnal", *at, None, lo, hi)
        )
    rows += [
        (w.lone_cell, "h3", w.lone_cell, 8, "SH-10", "SH", "MODEL TOWN", "Panipat", lat, lon, None),
        (w.ps_unit, "ps_road", None, None, "GT ROAD", "urban", "CITY PANIPAT", "Panipat")
        + (29.39, 76.97, None),
        (w.ps_unit_nogeo, "ps_road", None, None, "DELHI ROAD", "urban", "CITY PANIPAT", "Panipat")
        + (None, None, None),
    ]
    columns = ["unit_id", "kind", "h3_cell", "h3_resolution", "road_name", "road_category"]
    columns += ["police_station", "district", "latitude", "longitude", "chainage_km"]
    rows = [r if len(r) == 13 else (*r, None, None) for r in rows]
    return pl.DataFrame(rows, schema=[*columns, "km_from", "km_to"], orient="row")


# unit, expected crashes, expected fatal+grievous, band, peak window, factors, recent challans
def _export_forecasts(w: ExportWorld) -> pl.DataFrame:
    night = "fog season; 3 fatal crashes in the last 90 days"
    values = [
        (w.road_cells[0], 4.0, 1.5, "very_high", "Fri-Sun 22:00-02:00", night, 2),
        (w.road_cells[1], 3.0, 1.0, "very_high", "daily 18:00-21:00", "night truck traffic", 40),
        (
            w.road_cells[2],
            2.5,
            0.9,
            "high",
            "Mon,Wed 08:00-10:00",
            "overspeeding challans rising",
            5,
        ),
        (w.road_cells[3], 0.5, 0.1, "medium", "daily 09:00-12:00", None, 1),
        (w.road_cells[4], 0.4, 0.1, "low", "daily 09:00-12:00", None, 0),
        # the 6th road cell: high, but not adjacent to the top three
        (w.road_cells[5], 2.2, 0.4, "high", "daily 07:00-09:00", "high-risk neighbouring cells", 0),
        (
            w.lone_cell,
            3.5,
            2.0,
            "very_high",
            "Sat,Sun 20:00-23:00",
            "3 fatal crashes in the last 90 days",
            0,
        ),
        # road-wide: never ranked against the places
        (w.ps_unit, 3.0, 1.0, "very_high", "daily 17:00-20:00", "monsoon", 100),
        (w.ps_unit_nogeo, 1.0, 0.2, "medium", "daily 10:00-12:00", None, 0),
        (w.ghost_cell, 0.3, 0.0, "low", "daily 00:00-24:00", None, 0),
        # the two NH-48 stretches (adjacent, high: a run; the first ties road cell 2) and SH-7's
        (w.stretches[0], 3.0, 1.0, "high", "daily 22:00-04:00", "night truck traffic", 3),
        (w.stretches[1], 2.3, 0.7, "high", "daily 22:00-04:00", None, 0),
        (w.unmapped_stretch, 0.6, 0.2, "medium", "daily 09:00-12:00", None, 0),
    ]
    columns = ["unit_id", "expected_crashes", "expected_fatal_grievous", "risk_band"]
    frame = pl.DataFrame(
        values, schema=[*columns, "peak_window", "top_factors", "recent_challans"], orient="row"
    )
    e = pl.col("expected_crashes")
    return frame.with_columns(
        window_start=pl.lit(EXPORT_WINDOW[0]),
        window_end=pl.lit(EXPORT_WINDOW[1]),
        crashes_lo80=e * 0.5,
        crashes_hi80=e * 1.5,
        crashes_lo95=e * 0.3,
        crashes_hi95=e * 2,
        eb_expected=e,
        rank=pl.int_range(1, frame.height + 1),
        morth_blackspot=pl.lit(False),
    )


def _export_accidents(w: ExportWorld) -> pl.DataFrame:
    rows = []
    for year in (2022, 2023, 2024):  # 6 grievous in 3 years: a blackspot by the 5-crash rule
        rows += [(w.road_cells[0], datetime(year, 3, 1, 22), "grievous", 0)]
        rows += [(w.road_cells[0], datetime(year, 9, 1, 23), "grievous", 0)]
    rows += [(w.lone_cell, datetime(2023, 5, 5), "fatal", 6)] * 2  # 12 deaths: blackspot by deaths
    rows += [
        (w.ps_unit, datetime(2024, 2, 2), "fatal", None),
        (w.road_cells[1], datetime(2021, 2, 2), "fatal", 20),  # too old: before the 3 years
        (w.road_cells[1], datetime(2025, 1, 2), "fatal", 20),  # after the cut-off
    ]
    frame = pl.DataFrame(
        rows, schema=["unit_id", "occurred_at", "severity", "killed"], orient="row"
    )
    return frame.with_columns(
        accident_id=pl.format("A{}", pl.int_range(1, frame.height + 1)), source=pl.lit("test")
    )


def export_world(db_path: Path) -> ExportWorld:
    """A fresh warehouse with a champion, one complete run, a few accidents and the NH-48 km fit
    (module docstring)."""
    a, b = h3.latlng_to_cell(29.60, 76.98, 8), h3.latlng_to_cell(29.64, 76.98, 8)
    lone = h3.latlng_to_cell(29.39, 76.90, 8)
    w = ExportWorld(
        db_path,
        EXPORT_RUN,
        list(h3.grid_path_cells(a, b))[:6],
        lone,
        h3.grid_ring(lone, 2)[0],
        "CITY PANIPAT | GT ROAD",
        "CITY PANIPAT | DELHI ROAD",
    )
    with write_connection(db_path) as con:
        add_champion(con, EXPORT_VERSION, date(2025, 1, 1), datetime(2025, 1, 1))
        publish_run(
            con,
            EXPORT_VERSION,
            EXPORT_RUN,
            *EXPORT_WINDOW,
            created=datetime(2025, 1, 1, 1),
            cutoff=date(2025, 1, 1),
            forecasts=_export_forecasts(w),
        )
        fit = [("NH-48", km, *nh48(km), 5) for km in (15.0, 18.0, 21.0, 24.0, 27.0)]
        insert_frames(
            con,
            spatial_units=_export_units(w),
            accidents=_export_accidents(w),
            road_km_fit=pl.DataFrame(fit, schema=schemas.ROAD_KM_FIT, orient="row"),
        )
    return w


# --- a real-data world --------------------------------------------------------------------------


def baac_located(real_data: Path, resolution: int = 8) -> pl.DataFrame:
    """The real BAAC crashes (``baac_france_5dep.csv.gz``) that have coordinates, read as canonical
    rows by the France adapter, with their H3 cell as ``unit_id``; the test is skipped without it."""
    import pytest

    from roadsafety.sources.france import read_baac

    path = real_data / "baac_france_5dep.csv.gz"
    if not path.exists():
        pytest.skip(f"{path} absent")
    raw = read_baac(path).frame.filter(
        pl.col("latitude").is_not_null(), pl.col("longitude").is_not_null()
    )
    cells = [h3.latlng_to_cell(a, b, resolution) for a, b in zip(raw["latitude"], raw["longitude"])]
    return raw.with_columns(unit_id=pl.Series(cells, dtype=pl.Utf8))


def add_drives(db_path: Path, folder: Path) -> list[str]:
    """Two evaluated drives in an :func:`app_world` (4 Karnal cells, 4 Panipat cells, 60 days from
    200 days ago); returns their ids. Writes a drives file into ``folder``."""
    from roadsafety.config import with_db
    from roadsafety.forecasts.drive_checks import scratch_settings
    from roadsafety.forecasts.drive_runs import evaluate_and_store, import_drives_file
    from roadsafety.store.connection import read_connection

    with read_connection(db_path) as con:
        cells = con.execute(
            "SELECT district, unit_id FROM spatial_units WHERE kind = 'h3' "
            "AND district IN ('Karnal', 'Panipat') ORDER BY district, unit_id"
        ).pl()
    start = date.today() - timedelta(days=200)
    lines = ["drive_id,name,start_date,end_date,unit_id"]
    for district, code in (("Karnal", "KNL"), ("Panipat", "PNP")):
        for unit in cells.filter(pl.col("district") == district)["unit_id"].head(4).to_list():
            lines.append(
                f"{code}-1,{district} NH checks,{start},{start + timedelta(days=60)},{unit}"
            )
    (folder / "drives.csv").write_text("\n".join(lines) + "\n")
    settings = with_db(scratch_settings(folder), db_path)
    import_drives_file(settings, folder / "drives.csv")
    evaluate_and_store(settings)
    return ["KNL-1", "PNP-1"]
