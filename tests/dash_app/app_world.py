"""A seeded, hand-made warehouse for the app's tests, benchmark and screenshots.

Fills every table the app reads (facts, units, a champion with 7- and 30-day forecast runs, period
forecasts, hour profiles, backtest metrics, users) without the forecasting pipeline, so the app can
be tested on its own. ``scale`` multiplies record volumes (``years=10, scale=1`` gives about 100,000
accidents and ``challans_per_year * 10`` challans, for the benchmark).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import h3
import numpy as np
import polars as pl

from roadsafety.store.connection import write_connection
from roadsafety.store.users import add_user

DISTRICTS = {"Karnal": (29.686, 76.990), "Panipat": (29.391, 76.963), "Gurugram": (28.459, 77.027)}
ROADS = {
    "Karnal": ("NH-44", "SH-8"),
    "Panipat": ("NH-44", "MDR-118"),
    "Gurugram": ("NH-48", "MG Road"),
}
SECRET_HASH = "f00dfeedcafe0000deadbeef"  # planted vehicle_reg_hash: must never reach a page
PASSWORD = "correct horse battery"
BANDS = ("very_high", "high", "medium", "low")
UNIT_FIELDS = [
    "unit_id",
    "kind",
    "h3_cell",
    "road_name",
    "police_station",
    "district",
    "latitude",
    "longitude",
    "chainage_km",
]


def _units(rng: np.random.Generator, cells_per_road: int) -> pl.DataFrame:
    rows = []
    for d, (lat, lon) in DISTRICTS.items():
        for r_i, road in enumerate(ROADS[d]):
            for k in range(cells_per_road):
                if cells_per_road <= 40:  # a short road: a line of cells
                    la, lo = (
                        lat + 0.006 * k * (1 if r_i == 0 else 0.3),
                        lon + 0.006 * k * (0.2 if r_i == 0 else 1),
                    )
                else:  # benchmark scale: a dense block of cells per road
                    la, lo = lat + 0.0055 * (k % 40), lon + 0.0055 * (k // 40) + 0.25 * r_i
                cell = h3.latlng_to_cell(la, lo, 8)
                clat, clon = h3.cell_to_latlng(cell)
                rows.append(
                    (
                        cell,
                        "h3",
                        cell,
                        road,
                        f"PS {d} {'Sadar' if r_i == 0 else 'City'}",
                        d,
                        clat,
                        clon,
                        float(k),
                    )
                )
        rows.append(
            (
                f"PS {d.upper()} CITY | OLD BYPASS",
                "ps_road",
                None,
                "Old Bypass",
                f"PS {d} City",
                d,
                None,
                None,
                None,
            )
        )
    frame = pl.DataFrame(
        rows,
        schema=UNIT_FIELDS,
        orient="row",
    )
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


def _stretches(seed: int) -> pl.DataFrame:
    """Stretch units (kind 'stretch'), placed at their road's fitted mid-point."""
    rows = []
    for d, (road, km) in STRETCHES.items():
        lat, lon = _road_point(road, km + 0.5)
        unit = f"{road} | km {km:g}-{km + 1:g}"
        rows.append((unit, "stretch", None, road, f"PS {d} Sadar", d, lat, lon, None, km, km + 1))
    frame = pl.DataFrame(
        rows,
        schema=[*UNIT_FIELDS, "km_from", "km_to"],
        orient="row",
    )
    rate = np.random.default_rng(seed + 1).lognormal(0.0, 0.5, frame.height) * 4.0
    return frame.with_columns(pl.Series("rate", rate))


def _fit_rows() -> pl.DataFrame:
    rows = [(road, k, a, o, 10) for road, knots in FIT.items() for k, a, o in knots]
    return pl.DataFrame(
        rows, schema=["road_name", "km", "latitude", "longitude", "n_records"], orient="row"
    )


def _accidents(
    rng: np.random.Generator, units: pl.DataFrame, start: date, years: int, scale: float
) -> pl.DataFrame:
    counts = rng.poisson(units["rate"].to_numpy() * years * scale)
    idx = np.repeat(np.arange(units.height), counts)
    n = idx.size
    secs = rng.integers(0, years * 365 * 86400, size=n)
    sev = rng.choice(["fatal", "grievous", "minor", "non_injury"], size=n, p=[0.35, 0.35, 0.2, 0.1])
    u = units[idx]
    return pl.DataFrame(
        {
            "accident_id": [f"A{i:07d}" for i in range(n)],
            "occurred_at": [
                datetime.combine(start, datetime.min.time()) + timedelta(seconds=int(s))
                for s in secs
            ],
            "latitude": u["latitude"],
            "longitude": u["longitude"],
            "severity": sev,
            "killed": np.where(sev == "fatal", 1, 0).astype(np.int32),
            "injured": np.where(sev == "fatal", 0, 1).astype(np.int32),
            "district": u["district"],
            "police_station": u["police_station"],
            "road_name": u["road_name"],
            "road_category": "NH",
            "chainage_km": u["chainage_km"],
            "vehicle_types": "truck;car",
            "weather": "clear",
            "light": "day",
            "cause": "overspeeding",
            "has_time": True,
            "located": u["h3_cell"].is_not_null(),
            "h3_cell": u["h3_cell"],
            "unit_id": u["unit_id"],
            "source": "world",
            "source_file": "world.csv",
            "source_row": np.arange(n),
            "raw": "{}",
            "content_hash": "x",
            "ingest_run_id": "ingest-1",
        }
    )


def _challan_sql(n: int, start: date, days: int, seed: int, n_units: int) -> str:
    offences = "['no_helmet','overspeeding','no_seatbelt','red_light','drunk_driving','wrong_side']"
    return f"""INSERT INTO challans (challan_id, issued_at, latitude, longitude, offence, offence_raw,
        vehicle_class, fine_amount, district, police_station, road_name, camera_id, vehicle_reg_hash,
        challan_type, has_time, located, h3_cell, unit_id, source, source_file, source_row, raw,
        content_hash, ingest_run_id)
        SELECT 'C' || i, TIMESTAMP '{start}' + to_seconds(CAST(hash(i, {seed}) % ({days} * 86400) AS BIGINT)),
               u.latitude, u.longitude, {offences}[1 + CAST(hash(i, 7) % 6 AS INTEGER)], 'Sec 194D MVA',
               'two_wheeler', 1000, u.district, u.police_station, u.road_name, NULL, '{SECRET_HASH}',
               'challan', TRUE, u.h3_cell IS NOT NULL, u.h3_cell, u.unit_id, 'world', 'world.csv', i, '{{}}', 'x', 'ingest-2'
        FROM range({n}) t(i)
        JOIN (SELECT *, row_number() OVER (ORDER BY unit_id) - 1 AS k FROM spatial_units) u
          ON u.k = hash(i, {seed + 1}) % {n_units}"""


def _forecasts(units: pl.DataFrame, run_id: str, days: int) -> pl.DataFrame:
    exp = units["rate"] * days / 365.0
    f = units.select("unit_id").with_columns(
        pl.lit(run_id).alias("run_id"),
        exp.alias("expected_crashes"),
        (exp * 0.7).alias("expected_fatal_grievous"),
    )
    f = f.sort(["expected_crashes", "unit_id"], descending=[True, False]).with_columns(
        pl.int_range(1, f.height + 1).cast(pl.Int32).alias("rank")
    )
    q = pl.col("rank") / f.height
    band = (
        pl.when(q <= 0.1)
        .then(pl.lit("very_high"))
        .when(q <= 0.25)
        .then(pl.lit("high"))
        .when(q <= 0.6)
        .then(pl.lit("medium"))
        .otherwise(pl.lit("low"))
    )
    e = pl.col("expected_crashes")
    return f.with_columns(
        (e * 0.5).alias("crashes_lo80"),
        (e * 1.6).alias("crashes_hi80"),
        (e * 0.3).alias("crashes_lo95"),
        (e * 2.0).alias("crashes_hi95"),
        e.alias("eb_expected"),
        band.alias("risk_band"),
        pl.lit("Fri-Sun 22:00-02:00").alias("peak_window"),
        pl.lit("3 fatal crashes in the last 90 days; night truck traffic").alias("top_factors"),
        (pl.col("rank") <= 3).alias("morth_blackspot"),
        (pl.col("rank") * 7 % 40).cast(pl.Int64).alias("recent_challans"),
    )


def _periods(run_id: str, start: date, units: pl.DataFrame) -> pl.DataFrame:
    rows = []
    monday = start - timedelta(days=start.weekday())
    weekly = units.group_by("district").agg(pl.col("rate").sum() * 7 / 365)
    per = dict(zip(weekly["district"], weekly["rate"]))
    for d in [*DISTRICTS, "(all)"]:
        base = sum(per.values()) if d == "(all)" else per[d]
        for w in range(10):
            e = base * (1.3 if w in (2, 3) else 1.0)
            rows.append(
                (
                    run_id,
                    d,
                    monday + timedelta(weeks=w),
                    monday + timedelta(weeks=w, days=6),
                    e,
                    e * 0.8,
                    e * 1.2,
                    e * 0.7,
                    e * 1.3,
                    w in (2, 3),
                    "fog season; Diwali" if w in (2, 3) else "",
                )
            )
    return pl.DataFrame(
        rows,
        schema=[
            "run_id",
            "district",
            "period_start",
            "period_end",
            "expected",
            "lo80",
            "hi80",
            "lo95",
            "hi95",
            "high_risk",
            "drivers",
        ],
        orient="row",
    )


def _profile(units: pl.DataFrame, run_id: str) -> pl.DataFrame:
    hours = np.arange(168)
    w = 1.0 + 2.0 * ((hours % 24 >= 22) | (hours % 24 < 3)) + 1.0 * (hours // 24 >= 4)
    share = w / w.sum()
    return pl.DataFrame(
        {
            "run_id": run_id,
            "unit_id": np.repeat(units["unit_id"].to_numpy(), 168),
            "dow": np.tile(hours // 24, units.height).astype(np.int32),
            "hour": np.tile(hours % 24, units.height).astype(np.int32),
            "share": np.tile(share, units.height),
        }
    )


def _backtest(version: str) -> pl.DataFrame:
    rows = []
    for model, base in (
        ("lightgbm", 0.42),
        ("empirical_bayes", 0.38),
        ("naive_3y", 0.33),
        ("morth_rule", 0.2),
    ):
        for fold in range(3):
            for metric, k, v in (
                ("hit_rate", "budget100", base),
                ("hit_rate", "top1pct", base / 3),
                ("pai", "top1pct", base * 20),
                ("poisson_deviance", "", 1 - base),
            ):
                rows.append(
                    (
                        version,
                        model,
                        fold,
                        date(2025, 1, 1),
                        date(2025, 12, 31),
                        "unit",
                        metric,
                        k,
                        v + fold * 0.01,
                    )
                )
    return pl.DataFrame(
        rows,
        schema=[
            "version_id",
            "model",
            "fold",
            "fold_start",
            "fold_end",
            "level",
            "metric",
            "k",
            "value",
        ],
        orient="row",
    )


def build_world(
    db_path: Path,
    *,
    seed: int = 0,
    years: int = 3,
    scale: float = 1.0,
    cells_per_road: int = 8,
    challans_per_year: int = 2000,
    today: date | None = None,
) -> Path:
    """Create a warehouse at ``db_path`` filled with a small consistent world; return the path."""
    rng = np.random.default_rng(seed)
    today = today or date.today()
    units = _units(rng, cells_per_road)
    acc = _accidents(rng, units, today - timedelta(days=365 * years), years, scale)
    units = pl.concat([units, _stretches(seed)], how="diagonal_relaxed")
    runs = {"run-7": 7, "run-30": 30}
    with write_connection(db_path) as con:
        for name, frame in (
            ("spatial_units", units.drop("rate").with_columns(pl.lit(8).alias("h3_resolution"))),
            ("accidents", acc),
            ("road_km_fit", _fit_rows()),
        ):
            con.register("frame", frame.to_arrow())
            con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM frame")
            con.unregister("frame")
        con.execute(
            "INSERT INTO districts SELECT * FROM (VALUES "
            + ", ".join(f"('{d}', 'Haryana', {a}, {o})" for d, (a, o) in DISTRICTS.items())
            + ")"
        )
        con.execute(
            _challan_sql(
                int(challans_per_year * years * scale),
                today - timedelta(days=365 * years),
                365 * years,
                seed,
                units.height,
            )
        )
        con.execute(
            "INSERT INTO model_versions VALUES ('v1', now(), ?, 'champion', 0.42, '{}', '{}', '', now(), 'promoted'), "
            "('v2', now() + INTERVAL 1 MINUTE, ?, 'rejected', 0.30, '{}', '{}', '', NULL, 'worse than champion')",
            [today, today],
        )
        con.execute("INSERT INTO champion VALUES ('default', 'v1', now())")
        con.execute(
            "INSERT INTO forecast_runs VALUES ('run-old', 'v1', now() - INTERVAL 9 DAY, ?, ?, 'complete', 0, ?)",
            [today - timedelta(days=9), today - timedelta(days=3), today - timedelta(days=9)],
        )
        for run_id, days in runs.items():
            con.execute(
                "INSERT INTO forecast_runs VALUES (?, 'v1', now(), ?, ?, 'complete', ?, ?)",
                [run_id, today, today + timedelta(days=days - 1), units.height, today],
            )
            for name, frame in (
                ("forecasts", _forecasts(units, run_id, days)),
                ("unit_hour_profile", _profile(units, run_id)),
            ):
                con.register("frame", frame.to_arrow())
                con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM frame")
                con.unregister("frame")
        for name, frame in (
            ("period_forecasts", _periods("run-30", today, units)),
            ("backtest_metrics", _backtest("v1")),
        ):
            con.register("frame", frame.to_arrow())
            con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM frame")
            con.unregister("frame")
        con.execute(
            "INSERT INTO ingest_runs (run_id, kind, source, format, finished_at, rows_read, loaded, quarantined, status) "
            "VALUES ('ingest-1', 'accidents', 'world', 'canonical', now(), 10, 10, 0, 'ok')"
        )
        add_user(con, "admin", PASSWORD, "admin", None)
        add_user(con, "karnal_sp", PASSWORD, "analyst", "Karnal")
        add_user(con, "viewer", PASSWORD, "viewer", None)
    return db_path


def callback_payload(app, output_part: str, values: dict) -> dict:
    """A hand-crafted ``/_dash-update-component`` body for the callback whose output contains
    ``output_part``, with ``values`` (by input id) for its inputs (None for the others)."""
    key = next(k for k in app.callback_map if output_part in k)
    spec = app.callback_map[key]
    outputs = [
        dict(zip(("id", "property"), part.rsplit(".", 1))) for part in key.strip(".").split("...")
    ]
    inputs = [
        {"id": i["id"], "property": i["property"], "value": values.get(i["id"])}
        for i in spec["inputs"]
    ]
    state = [
        {"id": s["id"], "property": s["property"], "value": values.get(s["id"])}
        for s in spec.get("state", [])
    ]
    return {
        "output": key,
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": inputs,
        "state": state,
        "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"],
    }


def add_drives(db_path: Path, folder: Path) -> list[str]:
    """Two evaluated drives in the world (4 Karnal cells, 4 Panipat cells, 60 days from 200 days
    ago); returns their ids. Writes a drives file into ``folder``."""
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
