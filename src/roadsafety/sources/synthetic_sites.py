"""Planted risk of the synthetic world: per-site crash rates, blackspots, GPS gaps, units, cameras.

Every site gets an annual crash rate ``rate`` (expected crashes per year at the given scale, averaged
over the generated period) and a severity effect; the truth table is the sum over the sites of
each spatial unit. See docs/synthetic.md.
"""

from __future__ import annotations

import re

import h3
import numpy as np
import polars as pl

from roadsafety.features.units import record_units
from roadsafety.sources.synthetic_geo import (
    BASE_RATE,
    CITY_DISTRICTS,
    LOCAL_SHARE,
    N_BLACKSPOTS,
    UNLOCATED_SHARE,
    World,
    attach_admin,
    local_sites,
    profile_class,
    road_sites,
)

ACCIDENTS_PER_YEAR = 10_400
NEITHER_PS_EXCLUDED = CITY_DISTRICTS
BLACKSPOT_CATEGORIES = ("NH", "expressway", "SH", "urban")


def _base_rates(sites: pl.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Rate before blackspots: category base × traffic × town proximity × gamma heterogeneity."""
    base = sites["road_category"].replace_strict(BASE_RATE, return_dtype=pl.Float64).to_numpy()
    spacing = sites["spacing_km"].to_numpy()
    per_site = base * np.where(sites["kind"].to_numpy() == "road", spacing / 0.5, 1.0)
    town = 1.0 + 0.8 * np.exp(-sites["town_km"].to_numpy() / 2.0) * sites["town_size"].to_numpy()
    hetero = rng.gamma(2.0, 0.5, sites.height)
    return per_site * sites["traffic"].to_numpy() * town * hetero


def _choose_unlocated(
    sites: pl.DataFrame, rate: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Mark whole police stations (outside the city districts) whose FIRs carry no GPS."""
    gps = np.ones(sites.height, dtype=bool)
    ps = sites["police_station"].to_numpy()
    candidates = sites.filter(~pl.col("district").is_in(NEITHER_PS_EXCLUDED))["police_station"]
    order = rng.permutation(np.unique(candidates.to_numpy()))
    named = sites["road_name"].is_not_null().to_numpy()
    target = UNLOCATED_SHARE * rate.sum()
    for station in order:
        if rate[~gps & named].sum() >= target:
            break
        gps[ps == station] = False
    return gps


def _choose_blackspots(
    sites: pl.DataFrame, rate: np.ndarray, gps: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Pick N_BLACKSPOTS located sites in distinct H3 cells, favouring busy ones."""
    eligible = gps & sites["road_category"].is_in(BLACKSPOT_CATEGORIES).to_numpy()
    eligible &= (sites["kind"] == "road").to_numpy()
    keys = np.where(eligible, rng.random(sites.height) ** (1.0 / np.maximum(rate, 1e-9)), -1.0)
    cells = sites["h3_cell"].to_numpy()
    chosen, used = np.zeros(sites.height, dtype=bool), set()
    for i in np.argsort(-keys, kind="stable"):
        if keys[i] < 0 or len(used) >= N_BLACKSPOTS:
            break
        if cells[i] not in used:
            used.add(cells[i])
            chosen[i] = True
    return chosen


def _scale_rates(sites: pl.DataFrame, rate: np.ndarray, scale: float) -> np.ndarray:
    """Rescale so local roads carry LOCAL_SHARE and the total is ACCIDENTS_PER_YEAR × scale."""
    local = (sites["kind"] == "local").to_numpy()
    total = ACCIDENTS_PER_YEAR * scale
    out = rate.copy()
    out[local] *= LOCAL_SHARE * total / rate[local].sum()
    out[~local] *= (1 - LOCAL_SHARE) * total / rate[~local].sum()
    return out


def _units(sites: pl.DataFrame, stretch_km: float) -> pl.Series:
    """Spatial unit per site, by the ingest's rule: H3 cell when located, the road stretch
    ``ROAD | km A-B`` when the site has a km marker, ``PS | ROAD`` when only named, else null."""
    records = sites.select(
        pl.col("gps").alias("located"),
        "h3_cell",
        "road_name",
        "chainage_km",
        "police_station",
        "district",
    )
    return record_units(records, stretch_km)["unit_id"]


def _placed_sites(world: World, rng: np.random.Generator, h3_resolution: int) -> pl.DataFrame:
    """Road and local sites with admin areas, profile class, rounded coordinates and H3 cell."""
    sites = pl.concat([road_sites(world), local_sites(world, rng)], how="diagonal_relaxed")
    sites = (
        attach_admin(sites, world)
        .with_row_index("site")
        .with_columns(
            profile_class(pl.col("road_category")).alias("klass"),
            pl.col("latitude", "longitude").round(6),
        )
    )
    cells = [
        h3.latlng_to_cell(la, lo, h3_resolution)
        for la, lo in zip(sites["latitude"].to_list(), sites["longitude"].to_list())
    ]
    return sites.with_columns(pl.Series("h3_cell", cells))


def build_sites(
    world: World,
    rng: np.random.Generator,
    scale: float,
    h3_resolution: int,
    stretch_km: float = 1.0,
) -> pl.DataFrame:
    """All sites of the world with planted rates, severity effects, GPS flag, cell and unit.

    Args:
        world: the static geography.
        rng: the world's seeded generator.
        scale: 1.0 gives ~10,400 crashes a year.
        h3_resolution: resolution of the truth cells.
        stretch_km: length of the road stretches of unlocated km-marked records.

    Returns:
        One row per site: ``site, kind, road_name, road_category, chainage_km, latitude,
        longitude, police_station, district, klass, h3_cell, gps, unit_id, is_blackspot, rate,
        sev_fg, sev_fatal, enforcement``.
    """
    sites = _placed_sites(world, rng, h3_resolution)
    rate = _base_rates(sites, rng)
    gps = _choose_unlocated(sites, rate, rng)
    sites = sites.with_columns(pl.Series("gps", gps))
    black = _choose_blackspots(sites, rate, gps, rng)
    rate = np.where(black, rate * rng.uniform(3.0, 6.0, sites.height), rate)
    rate = _scale_rates(sites, rate, scale)
    sev_fg = rng.normal(0, 0.25, sites.height) + 0.5 * black
    sev_fg += 0.2 * (sites["road_category"] == "expressway").to_numpy()
    sev_fatal = rng.normal(0, 0.2, sites.height) + 0.3 * black
    sites = sites.with_columns(
        pl.Series("is_blackspot", black),
        pl.Series("rate", rate),
        pl.Series("sev_fg", sev_fg),
        pl.Series("sev_fatal", sev_fatal),
    )
    sites = sites.with_columns(_units(sites, stretch_km), _enforcement(sites, rng))
    return sites.drop("town_size", "spacing_km")


def _enforcement(sites: pl.DataFrame, rng: np.random.Generator) -> pl.Series:
    """Officer-challan weight: heavy in cities, correlated with (not equal to) crash risk."""
    cat = {
        "urban": 3.0,
        "NH": 1.0,
        "expressway": 0.5,
        "SH": 0.6,
        "MDR": 0.3,
        "ODR": 0.2,
        "other": 0.2,
    }
    w = sites["road_category"].replace_strict(cat, return_dtype=pl.Float64).to_numpy()
    w = w * sites["traffic"].to_numpy() * np.exp(-sites["town_km"].to_numpy() / 6.0)
    w *= np.where(sites["district"].is_in(CITY_DISTRICTS).to_numpy(), 1.8, 1.0)
    rate = sites["rate"].to_numpy()
    w *= (rate / rate.mean()) ** 0.3 * rng.lognormal(0.0, 0.6, sites.height)
    return pl.Series("enforcement", w / w.sum())


def choose_cameras(sites: pl.DataFrame, world: World, rng: np.random.Generator) -> pl.DataFrame:
    """Fixed cameras on camera corridors: speed/ANPR on highways, red-light/ANPR on urban streets.

    Returns:
        ``camera_id, camera_type, site, weight`` (weight = share of camera challans).
    """
    rows = []
    for road in world.roads:
        n = int(road.get("cameras", 0))
        pool = sites.filter(
            (pl.col("kind") == "road")
            & (pl.col("road_name") == road["name"])
            & (pl.col("road_category") == road["category"])
            & pl.col("gps")
        )
        if n == 0 or pool.height == 0:
            continue
        picked = np.sort(
            rng.choice(pool["site"].to_numpy(), size=min(n, pool.height), replace=False)
        )
        code = re.sub(r"[^A-Z0-9]", "", road["name"].upper())[:8]
        urban = road["category"] == "urban"
        for site in picked:
            kind = (
                ("red_light" if rng.random() < 0.5 else "anpr")
                if urban
                else ("speed" if rng.random() < 0.6 else "anpr")
            )
            rows.append((kind, int(site), float(road["traffic"]) * rng.lognormal(0, 0.4), code))
    cams = pl.DataFrame(rows, schema=["camera_type", "site", "weight", "code"], orient="row")
    cams = cams.with_columns(
        (
            pl.lit("CAM-")
            + pl.col("code")
            + "-"
            + (pl.int_range(pl.len()).over("code") + 1).cast(pl.Utf8).str.zfill(3)
        ).alias("camera_id"),
        pl.col("weight") / pl.col("weight").sum(),
    )
    return cams.select("camera_id", "camera_type", "site", "weight")
