"""Synthetic accidents (FIR / iRAD style) and the planted truth per spatial unit.

Counts per site are Poisson with the site's planted rate; times follow the site's class profile
(hour-of-week, fog, monsoon, festivals) times its district's slow trend; severity is a logistic
model of class, site and condition (day / night / fog). See docs/synthetic.md.
"""

from __future__ import annotations

import h3
import numpy as np
import polars as pl

from roadsafety import schemas
from roadsafety.features.roads import STRETCH_MARK
from roadsafety.sources.synthetic_time import (
    STATE_FOG,
    STATE_NIGHT,
    HourGrid,
    accident_profile,
    condition_state,
    sample_hours,
)

HOURS_PER_YEAR = 8766.0
FG_LOGIT = {"highway": 1.55, "urban": 0.6, "rural": 1.2}
FATAL_LOGIT = {"highway": 0.15, "urban": -0.45, "rural": 0.0}
STATE_FG = {"highway": (0.0, 0.35, 0.5), "urban": (0.0, 0.35, 0.3), "rural": (0.0, 0.35, 0.3)}
STATE_FATAL = STATE_FG
P_MINOR_GIVEN_LIGHT = 0.7
JITTER_M = 50.0
DATE_ONLY_SHARE = 0.02
TRUCK_SHARE = {
    ("highway", False): 0.35,
    ("highway", True): 0.7,
    ("urban", False): 0.1,
    ("urban", True): 0.2,
    ("rural", False): 0.15,
    ("rural", True): 0.3,
}
WITH_TRUCK = (
    "truck;car",
    "truck;motorcycle",
    "truck;truck",
    "truck;pedestrian",
    "truck;bus",
    "truck;tractor",
    "truck",
)
WITHOUT_TRUCK = (
    "car;motorcycle",
    "car;car",
    "motorcycle;pedestrian",
    "car;pedestrian",
    "motorcycle",
    "car",
    "bus;motorcycle",
    "auto_rickshaw;motorcycle",
    "tractor;car",
    "cyclist;car",
)
FOG_PILEUP = (
    "truck;car;car",
    "truck;bus;car",
    "car;car;car;truck",
    "truck;truck;car",
    "bus;car;car",
)
CAUSES = (
    "overspeeding",
    "rash_driving",
    "wrong_side",
    "drunk_driving",
    "lane_violation",
    "pedestrian_crossing",
    "mechanical_failure",
    "poor_visibility",
    "other",
)
CAUSE_P = {
    STATE_FOG: (0.25, 0.1, 0.05, 0.02, 0.1, 0.03, 0.05, 0.35, 0.05),
    STATE_NIGHT: (0.38, 0.14, 0.12, 0.14, 0.06, 0.05, 0.05, 0.02, 0.04),
    0: (0.42, 0.18, 0.12, 0.03, 0.07, 0.09, 0.04, 0.0, 0.05),
}


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def group_profiles(
    sites: pl.DataFrame, grid: HourGrid, festivals: dict, rng: np.random.Generator
) -> dict[tuple[str, str], np.ndarray]:
    """Normalised (mean 1) hourly intensity per (class, district): class profile × district trend."""
    districts = sorted(sites["district"].unique().to_list())
    beta = dict(zip(districts, 0.01 + rng.uniform(-0.04, 0.04, len(districts))))
    base = {k: accident_profile(grid, k, festivals) for k in ("highway", "urban", "rural")}
    out = {}
    for klass, district in sorted(set(sites.select("klass", "district").iter_rows())):
        w = base[klass] * np.exp(beta[district] * grid.years_from_start)
        out[(klass, district)] = w / w.mean()
    return out


def _fg_probability(klass: str, sev_fg: np.ndarray, state: np.ndarray) -> np.ndarray:
    return _sigmoid(FG_LOGIT[klass] + sev_fg + np.asarray(STATE_FG[klass])[state])


def _fatal_probability(klass: str, sev_fatal: np.ndarray, state: np.ndarray) -> np.ndarray:
    return _sigmoid(FATAL_LOGIT[klass] + sev_fatal + np.asarray(STATE_FATAL[klass])[state])


def draw_crashes(
    sites: pl.DataFrame, grid: HourGrid, profiles: dict, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Crash site indices, hour indices, and per-site expected fatal+grievous per year.

    Returns:
        (site row index per crash, hour index per crash, expected FG crashes/year per site).
    """
    state = condition_state(grid)
    years = grid.n / HOURS_PER_YEAR
    site_parts, hour_parts = [], []
    exp_fg = np.zeros(sites.height)
    for (klass, district), w in profiles.items():
        rows = np.flatnonzero(
            ((sites["klass"] == klass) & (sites["district"] == district)).to_numpy()
        )
        rate = sites["rate"].to_numpy()[rows]
        counts = rng.poisson(rate * years)
        site_parts.append(np.repeat(rows, counts))
        hour_parts.append(sample_hours(w, int(counts.sum()), rng))
        share = np.bincount(state, weights=w, minlength=3) / w.sum()
        sev = sites["sev_fg"].to_numpy()[rows]
        p = sum(share[s] * _fg_probability(klass, sev, np.full(len(rows), s)) for s in range(3))
        exp_fg[rows] = rate * p
    return np.concatenate(site_parts), np.concatenate(hour_parts), exp_fg


def _severity(
    klass: np.ndarray,
    sev_fg: np.ndarray,
    sev_fatal: np.ndarray,
    state: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    n = len(klass)
    p_fg, p_fatal = np.empty(n), np.empty(n)
    for k in ("highway", "urban", "rural"):
        m = klass == k
        p_fg[m] = _fg_probability(k, sev_fg[m], state[m])
        p_fatal[m] = _fatal_probability(k, sev_fatal[m], state[m])
    u = rng.random((3, n))
    fg, fatal, minor = u[0] < p_fg, u[1] < p_fatal, u[2] < P_MINOR_GIVEN_LIGHT
    return np.where(
        fg, np.where(fatal, "fatal", "grievous"), np.where(minor, "minor", "non_injury")
    )


def _victims(
    severity: np.ndarray, pileup: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    n = len(severity)
    fatal, grievous, minor = severity == "fatal", severity == "grievous", severity == "minor"
    killed = np.where(fatal, 1 + rng.poisson(np.where(pileup, 0.7, 0.05), n), 0)
    extra = rng.poisson(np.where(pileup, 1.8, np.where(grievous, 0.5, 0.3)), n)
    injured = np.where(fatal, rng.poisson(np.where(pileup, 2.0, 0.9), n), 0)
    injured = np.where(grievous | minor, 1 + extra, injured)
    return killed.astype(np.int32), injured.astype(np.int32)


def _vehicles(klass: np.ndarray, state: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n = len(klass)
    dark = state != 0
    p_truck = np.zeros(n)
    for (k, night), p in TRUCK_SHARE.items():
        p_truck[(klass == k) & (dark == night)] = p
    truck = rng.random(n) < p_truck
    out = np.where(truck, rng.choice(WITH_TRUCK, n), rng.choice(WITHOUT_TRUCK, n))
    pileup = (state == STATE_FOG) & (klass == "highway") & (rng.random(n) < 0.55)
    return np.where(pileup, rng.choice(FOG_PILEUP, n), out), pileup


def _conditions(
    grid: HourGrid, hour: np.ndarray, state: np.ndarray, klass: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = len(hour)
    month, hod = grid.month[hour], grid.hod[hour]
    rain = rng.random(n) < np.where(np.isin(month, (7, 8, 9)), 0.35, 0.04)
    weather = np.where(
        state == STATE_FOG,
        np.where(rng.random(n) < 0.8, "fog", "haze"),
        np.where(rain, "rain", "clear"),
    )
    dark = "dark_" + np.where(klass == "urban", "lit", "unlit")
    light = np.where(
        (hod >= 7) & (hod < 17),
        "daylight",
        np.where(np.isin(hod, (5, 6, 17, 18)), "dawn_dusk", dark),
    )
    cause = np.empty(n, dtype=object)
    for s, p in CAUSE_P.items():
        m = state == s
        cause[m] = rng.choice(CAUSES, int(m.sum()), p=p)
    return weather, light, cause.astype(str)


def _jittered(
    lat: np.ndarray, lon: np.ndarray, cells: np.ndarray, resolution: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Points within JITTER_M metres of their site, kept inside the site's H3 cell."""
    r = JITTER_M * np.sqrt(rng.random(len(lat)))
    theta = rng.uniform(0, 2 * np.pi, len(lat))
    j_lat = np.round(lat + r * np.cos(theta) / 110_570.0, 6)
    j_lon = np.round(lon + r * np.sin(theta) / (111_320.0 * np.cos(np.radians(lat))), 6)
    moved = np.array(
        [h3.latlng_to_cell(a, b, resolution) for a, b in zip(j_lat, j_lon)], dtype=object
    )
    inside = moved == cells
    return np.where(inside, j_lat, lat), np.where(inside, j_lon, lon)


def _timestamps(grid: HourGrid, hour: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    seconds = rng.integers(0, 3600, len(hour))
    return (grid.hours[hour].astype("datetime64[s]") + seconds.astype("timedelta64[s]")).astype(
        "datetime64[us]"
    )


def build_accidents(
    sites: pl.DataFrame,
    grid: HourGrid,
    festivals: dict,
    codes: dict[str, str],
    resolution: int,
    rng: np.random.Generator,
) -> tuple[pl.DataFrame, np.ndarray]:
    """Canonical accident rows (``schemas.ACCIDENT_INPUT`` columns) and expected FG per site.

    Args:
        sites: output of :func:`~roadsafety.sources.synthetic_sites.build_sites`.
        grid: hourly grid of the period.
        festivals: festival dates from :func:`~roadsafety.sources.synthetic_time.festival_dates`.
        codes: district → 3-letter code used in accident ids.
        resolution: H3 resolution of the truth cells (located crashes stay in their site's cell).
        rng: the world's generator.
    """
    site, hour, exp_fg = draw_crashes(sites, grid, group_profiles(sites, grid, festivals, rng), rng)
    s = sites[site]
    state = condition_state(grid)[hour]
    klass = s["klass"].to_numpy().astype(str)
    severity = _severity(klass, s["sev_fg"].to_numpy(), s["sev_fatal"].to_numpy(), state, rng)
    vehicles, pileup = _vehicles(klass, state, rng)
    killed, injured = _victims(severity, pileup, rng)
    weather, light, cause = _conditions(grid, hour, state, klass, rng)
    lat, lon = _jittered(
        s["latitude"].to_numpy(),
        s["longitude"].to_numpy(),
        s["h3_cell"].to_numpy().astype(object),
        resolution,
        rng,
    )
    gps = s["gps"].to_numpy()
    frame = pl.DataFrame(
        {
            "ts": _timestamps(grid, hour, rng),
            "date_only": rng.random(len(site)) < DATE_ONLY_SHARE,
            "site": site,
            "latitude": np.where(gps, lat, np.nan),
            "longitude": np.where(gps, lon, np.nan),
            "severity": severity,
            "killed": killed,
            "injured": injured,
            "district": s["district"],
            "police_station": s["police_station"],
            "road_name": s["road_name"],
            "road_category": s["road_category"],
            "chainage_km": s["chainage_km"],
            "vehicle_types": vehicles,
            "weather": weather,
            "light": light,
            "cause": cause,
        }
    ).with_columns(pl.col("latitude", "longitude").fill_nan(None))
    return _finish_accidents(frame, codes), exp_fg


def _finish_accidents(frame: pl.DataFrame, codes: dict[str, str]) -> pl.DataFrame:
    frame = frame.sort("ts", "site", "severity", "killed", "injured")
    year = pl.col("ts").dt.year().cast(pl.Utf8)
    code = pl.col("district").replace_strict(codes, return_dtype=pl.Utf8)
    seq = (pl.int_range(pl.len()).over(code, year) + 1).cast(pl.Utf8).str.zfill(5)
    ts_text = (
        pl.when(pl.col("date_only"))
        .then(pl.col("ts").dt.strftime("%Y-%m-%d"))
        .otherwise(pl.col("ts").dt.strftime("%Y-%m-%d %H:%M:%S"))
    )
    frame = frame.with_columns(
        (pl.lit("FIR-") + code + "-" + year + "-" + seq).alias("accident_id"),
        ts_text.alias("occurred_at"),
    )
    schema = schemas.ACCIDENT_INPUT
    return frame.select([pl.col(c).cast(t) for c, t in schema.items()])


def build_truth(sites: pl.DataFrame, exp_fg: np.ndarray) -> pl.DataFrame:
    """Planted risk per spatial unit, ranked by expected fatal+grievous crashes per year.

    Units: the H3 cell of located sites; for sites whose FIRs carry no GPS, the road stretch
    ``ROAD | km A-B`` when the site has a km marker, else ``POLICE STATION | ROAD NAME``; sites with
    neither GPS nor road name belong to no unit and are left out.
    """
    s = sites.with_columns(pl.Series("exp_fg", exp_fg)).filter(pl.col("unit_id").is_not_null())
    s = s.sort("rate", "site", descending=[True, False])
    truth = s.group_by("unit_id", maintain_order=True).agg(
        pl.when(pl.col("gps").first()).then(pl.col("h3_cell").first()).alias("h3_cell"),
        pl.col("road_name").drop_nulls().first(),
        pl.col("road_category").first(),
        pl.col("police_station").first(),
        pl.col("district").first(),
        pl.col("rate").sum().alias("expected_crashes_per_year"),
        pl.col("exp_fg").sum().alias("expected_fatal_grievous_per_year"),
        pl.col("is_blackspot").any(),
        pl.len().alias("n_sites"),
        pl.when(pl.col("gps").first())
        .then(pl.lit("h3"))
        .when(pl.col("unit_id").first().str.contains(STRETCH_MARK, literal=True))
        .then(pl.lit("stretch"))
        .otherwise(pl.lit("ps_road"))
        .alias("kind"),
    )
    truth = truth.sort(
        ["expected_fatal_grievous_per_year", "expected_crashes_per_year", "unit_id"],
        descending=[True, True, False],
    )
    return truth.with_columns(
        pl.col("expected_crashes_per_year", "expected_fatal_grievous_per_year").round(6),
        pl.int_range(1, pl.len() + 1).alias("true_rank"),
    )
