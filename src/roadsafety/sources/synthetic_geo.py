"""Geography of the synthetic Haryana world: districts, police stations, road sites and cameras.

The static part (district HQs, towns, police stations, corridor polylines) lives in
``sources/data/haryana_world.json``. This module turns it into *sites*: points every ~500 m along
each corridor (250 m on urban streets) plus scattered local-road sites around towns, each with a
planted annual crash rate, its police station (nearest one), district, H3 cell and spatial unit.
See docs/synthetic.md for the assumptions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources

import numpy as np
import polars as pl

KM_PER_DEG_LAT = 110.57
KM_PER_DEG_LON_EQ = 111.32
HIGHWAY_CATEGORIES = ("NH", "SH", "expressway")
BASE_RATE = {
    "NH": 1.0,
    "expressway": 0.7,
    "SH": 0.5,
    "MDR": 0.25,
    "ODR": 0.12,
    "urban": 0.45,
    "other": 0.1,
}
SPACING_KM = {"urban": 0.25}
DEFAULT_SPACING_KM = 0.5
LOCAL_SHARE = 0.30
UNLOCATED_SHARE = 0.06
N_BLACKSPOTS = 40
LOCAL_ROAD_SUFFIXES = ("Bypass", "Bus Stand Road", "Railway Road", "Link Road", "Bazaar Road")
CITY_DISTRICTS = ("Gurugram", "Faridabad", "Panchkula")


@dataclass(frozen=True)
class World:
    """The static geography read from ``haryana_world.json``."""

    districts: pl.DataFrame
    towns: pl.DataFrame
    police_stations: pl.DataFrame
    roads: list[dict]


def load_world() -> World:
    """Read the packaged Haryana geography.

    Returns:
        The districts (with HQ coordinates, 3-letter code and RTO codes), towns, police stations
        and corridor definitions.
    """
    text = resources.files("roadsafety.sources").joinpath("data/haryana_world.json").read_text()
    doc = json.loads(text)
    districts = pl.DataFrame(doc["districts"]).rename(
        {"name": "district", "lat": "latitude", "lon": "longitude"}
    )
    districts = districts.with_columns(pl.lit(doc["state"]).alias("state"))
    towns = pl.DataFrame(
        doc["towns"], schema=["town", "district", "latitude", "longitude", "size"], orient="row"
    )
    stations = pl.DataFrame(
        doc["police_stations"],
        orient="row",
        schema=["police_station", "district", "latitude", "longitude"],
    )
    return World(districts=districts, towns=towns, police_stations=stations, roads=doc["roads"])


def _to_km(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Equirectangular projection around 29.5°N: good to <1% across Haryana."""
    scale = KM_PER_DEG_LON_EQ * np.cos(np.radians(29.5))
    return np.column_stack([np.asarray(lon) * scale, np.asarray(lat) * KM_PER_DEG_LAT])


def _from_km(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scale = KM_PER_DEG_LON_EQ * np.cos(np.radians(29.5))
    return xy[:, 1] / KM_PER_DEG_LAT, xy[:, 0] / scale


def _road_vertices(road: dict, towns: dict[str, tuple[float, float]]) -> np.ndarray:
    points = [towns[p] if isinstance(p, str) else tuple(p) for p in road["path"]]
    lat, lon = np.array(points).T
    return _to_km(lat, lon)


def densify(vertices_km: np.ndarray, spacing_km: float) -> tuple[np.ndarray, np.ndarray]:
    """Points every ``spacing_km`` along a polyline (first at half a spacing).

    Args:
        vertices_km: (n, 2) polyline vertices in projected km.
        spacing_km: distance between consecutive points.

    Returns:
        (points (m, 2) in km, distance of each point from the polyline start in km).
    """
    seg = np.diff(vertices_km, axis=0)
    seg_len = np.hypot(seg[:, 0], seg[:, 1])
    cum = np.concatenate([[0.0], np.cumsum(seg_len)])
    dist = np.arange(spacing_km / 2, cum[-1], spacing_km)
    idx = np.clip(np.searchsorted(cum, dist, side="right") - 1, 0, len(seg) - 1)
    frac = (dist - cum[idx]) / np.where(seg_len[idx] > 0, seg_len[idx], 1.0)
    return vertices_km[idx] + seg[idx] * frac[:, None], dist


def road_sites(world: World) -> pl.DataFrame:
    """Sites along every corridor, with road name, category, chainage and traffic index."""
    towns = {
        t: (la, lo) for t, la, lo in world.towns.select("town", "latitude", "longitude").rows()
    }
    frames, chain_end = [], {}
    for road in world.roads:
        verts = _road_vertices(road, towns)
        spacing = SPACING_KM.get(road["category"], DEFAULT_SPACING_KM)
        pts, dist = densify(verts, spacing)
        start = (
            chain_end.get(road["name"], 0.0) if road.get("continues") else road["chainage_start_km"]
        )
        chain_end[road["name"]] = start + float(np.hypot(*np.diff(verts, axis=0).T).sum())
        lat, lon = _from_km(pts)
        frames.append(
            pl.DataFrame(
                {
                    "road_name": road["name"],
                    "road_category": road["category"],
                    "chainage_km": np.round(start + dist, 3),
                    "latitude": lat,
                    "longitude": lon,
                    "traffic": float(road["traffic"]),
                    "road_cameras": int(road.get("cameras", 0)),
                    "spacing_km": spacing,
                }
            )
        )
    return pl.concat(frames).with_columns(pl.lit("road").alias("kind"))


def local_sites(world: World, rng: np.random.Generator) -> pl.DataFrame:
    """Scattered local-road sites around each town (urban streets near big towns, ODR elsewhere).

    Towns named ``... Border`` (corridor end points on the state border) get none.
    """
    rows = []
    for town, _district, lat, lon, size in world.towns.rows():
        if town.endswith(" Border"):  # state-border points: local roads would fall outside Haryana
            continue
        n = max(3, round(18 * size))
        radius = rng.gamma(2.0, 1.1 * np.sqrt(size), n)
        angle = rng.uniform(0, 2 * np.pi, n)
        centre = _to_km(np.array([lat]), np.array([lon]))[0]
        xy = centre + np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
        s_lat, s_lon = _from_km(xy)
        urban = (radius < 2.0 * np.sqrt(size)) & (size >= 0.9)
        named = rng.random(n) < 0.5
        suffix = rng.choice(LOCAL_ROAD_SUFFIXES, n)
        for i in range(n):
            category = "urban" if urban[i] else ("other" if rng.random() < 0.1 else "ODR")
            rows.append((f"{town} {suffix[i]}" if named[i] else None, category, s_lat[i], s_lon[i]))
    frame = pl.DataFrame(
        rows, schema=["road_name", "road_category", "latitude", "longitude"], orient="row"
    )
    return frame.with_columns(
        pl.lit(None, pl.Float64).alias("chainage_km"),
        pl.lit(0.6).alias("traffic"),
        pl.lit(0).alias("road_cameras"),
        pl.lit(1.0).alias("spacing_km"),
        pl.lit("local").alias("kind"),
    )


def _nearest(points_km: np.ndarray, targets_km: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of and distance to the nearest target for each point (brute force, chunked)."""
    idx = np.empty(len(points_km), dtype=np.int64)
    dist = np.empty(len(points_km))
    for lo in range(0, len(points_km), 2048):
        chunk = points_km[lo : lo + 2048]
        d = np.hypot(
            chunk[:, None, 0] - targets_km[None, :, 0], chunk[:, None, 1] - targets_km[None, :, 1]
        )
        idx[lo : lo + 2048] = d.argmin(axis=1)
        dist[lo : lo + 2048] = d.min(axis=1)
    return idx, dist


def attach_admin(sites: pl.DataFrame, world: World) -> pl.DataFrame:
    """Give each site its nearest police station, that station's district, and town proximity."""
    pts = _to_km(sites["latitude"].to_numpy(), sites["longitude"].to_numpy())
    ps = world.police_stations
    ps_idx, _ = _nearest(pts, _to_km(ps["latitude"].to_numpy(), ps["longitude"].to_numpy()))
    towns = world.towns
    t_idx, t_dist = _nearest(
        pts, _to_km(towns["latitude"].to_numpy(), towns["longitude"].to_numpy())
    )
    return sites.with_columns(
        pl.Series("police_station", ps["police_station"].to_numpy()[ps_idx]),
        pl.Series("district", ps["district"].to_numpy()[ps_idx]),
        pl.Series("town_km", t_dist),
        pl.Series("town_size", towns["size"].to_numpy()[t_idx]),
    )


def profile_class(category: pl.Expr) -> pl.Expr:
    """Temporal profile class of a road category: highway, urban or rural."""
    return (
        pl.when(category.is_in(HIGHWAY_CATEGORIES))
        .then(pl.lit("highway"))
        .when(category == "urban")
        .then(pl.lit("urban"))
        .otherwise(pl.lit("rural"))
    )
