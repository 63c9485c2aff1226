"""Synthetic e-challans, generated one month at a time so memory stays bounded.

Three streams: fixed cameras (speed, red-light, ANPR) on camera corridors, officers with handheld
devices during day shifts (weighted to cities and busy roads, correlated with crash risk but not
equal to it), and weekend-night drunk-driving drives. See docs/synthetic.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import polars as pl

from roadsafety import schemas
from roadsafety.sources.synthetic_offences import draw_offences, draw_text_and_fine, draw_vehicles
from roadsafety.sources.synthetic_time import HourGrid, hour_grid, sample_hours

CHALLANS_PER_YEAR = 500_000
STREAM_SHARE = {"camera": 0.30, "officer": 0.62, "night": 0.08}
YEARLY_GROWTH = 0.05
REPEAT_SHARE = 0.25
WARNING_SHARE = 0.04
NO_GPS_SHARE = 0.08
REG_LETTERS = np.array(list("ABCDEFGHJKLMNPQRSTUVWXYZ"))
CAMERA_HOD = np.array(
    [
        0.5,
        0.4,
        0.35,
        0.35,
        0.4,
        0.6,
        0.9,
        1.2,
        1.5,
        1.5,
        1.3,
        1.2,
        1.2,
        1.2,
        1.2,
        1.3,
        1.4,
        1.6,
        1.6,
        1.4,
        1.1,
        0.9,
        0.7,
        0.6,
    ]
)
OFFICER_HOD = np.array(
    [
        0,
        0,
        0,
        0,
        0,
        0,
        0.05,
        0.4,
        1.0,
        1.3,
        1.4,
        1.4,
        1.2,
        0.8,
        1.2,
        1.3,
        1.3,
        1.2,
        1.0,
        0.6,
        0.3,
        0.1,
        0,
        0,
    ]
)


@dataclass(frozen=True)
class ChallanWorld:
    """What the challan streams need from the world, as flat arrays."""

    sites: pl.DataFrame  # site, latitude, longitude, district, police_station, road_name, klass
    enforcement: np.ndarray  # officer weight per site row (sums to 1)
    night_weight: np.ndarray  # drunk-driving-drive weight per site row
    cameras: pl.DataFrame  # camera_id, camera_type, row (site row), weight
    rto_of_district: dict[str, list[str]]
    pool: np.ndarray  # repeat offenders' registrations
    pool_weight: np.ndarray  # cumulative, for sampling
    scale: float
    total_hours: int
    start: dt.date


def make_registrations(codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Fake registrations ``HR-26-AB-1234`` for the given RTO codes (``HR-26``)."""
    letters = REG_LETTERS[rng.integers(0, len(REG_LETTERS), (len(codes), 2))]
    numbers = rng.integers(1, 10_000, len(codes))
    return (
        pl.DataFrame({"c": codes, "a": letters[:, 0], "b": letters[:, 1], "n": numbers})
        .select(
            pl.concat_str(
                pl.col("c"),
                pl.lit("-"),
                pl.col("a"),
                pl.col("b"),
                pl.lit("-"),
                pl.col("n").cast(pl.Utf8).str.zfill(4),
            )
        )
        .to_series()
        .to_numpy()
    )


def make_challan_world(
    sites: pl.DataFrame,
    cameras: pl.DataFrame,
    districts: pl.DataFrame,
    scale: float,
    grid_start: dt.date,
    total_hours: int,
    rng: np.random.Generator,
) -> ChallanWorld:
    """Flatten sites, cameras and a repeat-offender pool for the monthly generator."""
    rto = {d: list(codes) for d, codes in districts.select("district", "rto").iter_rows()}
    all_codes = np.array(sorted({c for codes in rto.values() for c in codes}))
    pool_size = max(500, int(60_000 * scale))
    pool = make_registrations(all_codes[rng.integers(0, len(all_codes), pool_size)], rng)
    pool_w = np.cumsum(1.0 / (np.arange(pool_size) + 1000.0) ** 1.1)
    near_town = np.exp(-sites["town_km"].to_numpy() / 3.0)
    night = near_town * np.isin(sites["klass"].to_numpy(), ("urban", "highway")) + 1e-6
    row_of_site = {s: i for i, s in enumerate(sites["site"].to_list())}
    cams = cameras.with_columns(pl.col("site").replace_strict(row_of_site).alias("row"))
    keep = [
        "site",
        "latitude",
        "longitude",
        "district",
        "police_station",
        "road_name",
        "klass",
        "gps",
    ]
    return ChallanWorld(
        sites=sites.select(keep),
        enforcement=sites["enforcement"].to_numpy(),
        night_weight=night / night.sum(),
        cameras=cams,
        rto_of_district=rto,
        pool=pool,
        pool_weight=pool_w,
        scale=scale,
        total_hours=total_hours,
        start=grid_start,
    )


def month_starts(start: dt.date, stop: dt.date) -> Iterator[tuple[dt.date, dt.date]]:
    """``[from, to)`` date pairs, one per calendar month (clipped to ``[start, stop)``)."""
    cur = start
    while cur < stop:
        nxt = dt.date(cur.year + (cur.month == 12), cur.month % 12 + 1, 1)
        yield cur, min(nxt, stop)
        cur = nxt


def _stream_hours(grid: HourGrid, stream: str, n: int, rng: np.random.Generator) -> np.ndarray:
    if stream == "camera":
        w = CAMERA_HOD[grid.hod]
    elif stream == "officer":
        w = OFFICER_HOD[grid.hod] * np.where(grid.dow == 6, 0.6, 1.0)
    else:
        fri_sat = np.isin(grid.dow, (4, 5)) & (grid.hod >= 21)
        after = np.isin(grid.dow, (5, 6)) & (grid.hod < 2)
        other = (grid.hod >= 21) | (grid.hod < 1)
        nye = (grid.month == 12) & (grid.dom == 31) & (grid.hod >= 21)
        w = np.where(fri_sat | after, 1.0, np.where(other, 0.15, 0.0)) + 5.0 * nye
    return sample_hours(w, n, rng)


def _stream_rows(
    cw: ChallanWorld, stream: str, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(site row, context, camera id or '') per challan of a stream."""
    if stream == "camera":
        cams = cw.cameras
        pick = sample_hours(cams["weight"].to_numpy(), n, rng)
        ctx = np.char.add("cam_", cams["camera_type"].to_numpy().astype(str)[pick])
        return cams["row"].to_numpy()[pick], ctx, cams["camera_id"].to_numpy().astype(str)[pick]
    weights = cw.enforcement if stream == "officer" else cw.night_weight
    rows = sample_hours(weights, n, rng)
    if stream == "night":
        return rows, np.full(n, "night_drive"), np.full(n, "")
    urban = cw.sites["klass"].to_numpy()[rows] == "urban"
    return rows, np.where(urban, "officer_urban", "officer_road"), np.full(n, "")


def _registrations(cw: ChallanWorld, district: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Mostly the challan district's RTO series; REPEAT_SHARE drawn from the repeat-offender pool."""
    n = len(district)
    names = sorted(cw.rto_of_district)
    flat = np.array([c for d in names for c in cw.rto_of_district[d]])
    sizes = np.array([len(cw.rto_of_district[d]) for d in names])
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    idx = np.searchsorted(np.array(names), district)
    fresh = make_registrations(flat[offsets[idx] + rng.integers(0, 1 << 30, n) % sizes[idx]], rng)
    pick = np.searchsorted(cw.pool_weight, rng.random(n) * cw.pool_weight[-1], side="right")
    repeat = cw.pool[pick.clip(0, len(cw.pool) - 1)]
    return np.where(rng.random(n) < REPEAT_SHARE, repeat, fresh)


def _month_count(cw: ChallanWorld, first: dt.date, grid: HourGrid, rng: np.random.Generator) -> int:
    """Poisson count for the month: the yearly volume with a slow growth trend (mean 1)."""
    elapsed = (first - cw.start).days * 24 / cw.total_hours
    trend = 1.0 + YEARLY_GROWTH * (cw.total_hours / 8766.0) * (elapsed - 0.5)
    return int(rng.poisson(CHALLANS_PER_YEAR * cw.scale * grid.n / 8766.0 * max(trend, 0.1)))


def challan_month(
    cw: ChallanWorld, first: dt.date, stop: dt.date, rng: np.random.Generator
) -> pl.DataFrame:
    """Canonical challan rows (``schemas.CHALLAN_INPUT`` columns) issued in ``[first, stop)``."""
    grid = hour_grid(first, stop)
    n_total = _month_count(cw, first, grid, rng)
    counts = rng.multinomial(n_total, list(STREAM_SHARE.values()))
    parts = []
    for stream, n in zip(STREAM_SHARE, counts):
        rows, ctx, camera = _stream_rows(cw, stream, int(n), rng)
        hours = _stream_hours(grid, stream, int(n), rng)
        parts.append((rows, ctx, camera, hours, np.full(int(n), stream)))
    rows, ctx, camera, hours, stream = (np.concatenate(p) for p in zip(*parts))
    ts = grid.hours[hours].astype("datetime64[s]") + rng.integers(0, 3600, len(rows)).astype(
        "timedelta64[s]"
    )
    return _assemble(cw, rows, ctx, camera, stream, ts.astype("datetime64[us]"), rng)


def _assemble(
    cw: ChallanWorld,
    rows: np.ndarray,
    ctx: np.ndarray,
    camera: np.ndarray,
    stream: np.ndarray,
    ts: np.ndarray,
    rng: np.random.Generator,
) -> pl.DataFrame:
    n = len(rows)
    s = cw.sites[rows]
    offence = draw_offences(ctx, rng)
    vehicle = draw_vehicles(offence, rng)
    text, fine = draw_text_and_fine(offence, vehicle, rng)
    warning = (stream == "officer") & (rng.random(n) < WARNING_SHARE)
    radius = np.where(stream == "camera", 0.0, np.where(stream == "officer", 150.0, 100.0))
    r, theta = radius * np.sqrt(rng.random(n)), rng.uniform(0, 2 * np.pi, n)
    lat = s["latitude"].to_numpy() + r * np.cos(theta) / 110_570.0
    lon = s["longitude"].to_numpy() + r * np.sin(theta) / (111_320.0 * np.cos(np.radians(lat)))
    no_gps = (stream == "officer") & (rng.random(n) < NO_GPS_SHARE)
    frame = pl.DataFrame(
        {
            "ts": ts,
            "site": s["site"],
            "latitude": np.where(no_gps, np.nan, np.round(lat, 6)),
            "longitude": np.where(no_gps, np.nan, np.round(lon, 6)),
            "offence": offence,
            "offence_raw": text,
            "vehicle_class": vehicle,
            "fine_amount": np.where(warning, np.nan, fine),
            "district": s["district"],
            "police_station": s["police_station"],
            "road_name": s["road_name"],
            "camera_id": np.where(camera == "", None, camera),
            "vehicle_reg": _registrations(cw, s["district"].to_numpy().astype(str), rng),
            "challan_type": np.where(warning, "warning", "challan"),
        }
    ).with_columns(pl.col("latitude", "longitude", "fine_amount").fill_nan(None))
    frame = frame.sort("ts", "site", "offence", "vehicle_reg")
    month = pl.col("ts").dt.strftime("%Y%m")
    frame = frame.with_columns(
        (
            pl.lit("EC-") + month + "-" + (pl.int_range(pl.len()) + 1).cast(pl.Utf8).str.zfill(7)
        ).alias("challan_id"),
        pl.col("ts").dt.strftime("%Y-%m-%d %H:%M:%S").alias("issued_at"),
    )
    return frame.select([pl.col(c).cast(t) for c, t in schemas.CHALLAN_INPUT.items()])
