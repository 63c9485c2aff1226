"""The km ↔ map fit of each road (pure Polars + numpy, no I/O).

Where located records on a road also carry a km marker, the road's km → position line is fitted as
a polyline through *knots*: the records are grouped into ``knot_km`` bins along the km axis and each
bin gives one knot (median km, median latitude, median longitude, so a few wrong points in a bin do
not move it). Knots are sorted by km, so a road whose markers run "backwards" (km falling west to
east, or south to north) is no different from any other. A knot is an outlier when it cannot lie on
the same road as most of its neighbours: the straight-line distance between two points of a road is
at most their km difference (plus ``slack_km`` for GPS and marker rounding). Outlier knots (a typed
km of 165 for 65, a GPS fix from the police station) are dropped and the test repeated until none is
left. A road keeps its fit when at least ``min_records`` records and ``min_knots`` knots remain and
no more than half its records were dropped (a name shared by two distant roads keeps none).

API:

- :func:`fit_road_km` ``(markers, cfg) -> knots`` (``road_name, km, latitude, longitude, n_records``).
- :func:`positions_at` ``(knots, frame, cfg)`` → ``latitude, longitude`` of ``(road_name, km)`` rows.
- :func:`project_to_km` ``(knots, frame, cfg)`` → ``km`` of located ``(road_name, lat, lon)`` rows.
- :func:`stretch_path` ``(knots, road, km_from, km_to, cfg)`` → the road between two markers.
- :func:`cell_km_ranges` ``(knots, resolution)`` → the km range of each road inside each H3 cell.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl
import polars_h3 as plh3

from roadsafety.schemas import ROAD_KM_FIT

KM_PER_DEG_LAT = 110.574
KM_PER_DEG_LON = 111.320
KNOT_SCHEMA = ROAD_KM_FIT
CELL_RANGE_SCHEMA = {
    "road_name": pl.Utf8,
    "h3_cell": pl.Utf8,
    "km_from": pl.Float64,
    "km_to": pl.Float64,
}


@dataclass(frozen=True)
class KmFitConfig:
    """How roads are fitted and used.

    Attributes:
        knot_km: records are summarised into one knot per this many km of markers.
        min_records: least located, km-marked records for a road to be fitted.
        min_knots: least knots left after dropping outliers.
        slack_km: how much farther apart two points may be than their km difference.
        km_tolerance: relative error allowed in km differences (markers a little more or less than
            a km apart, as French PR markers are).
        neighbours: knots on each side a knot is checked against.
        contradiction_km: two knots at one place but farther apart than this in km contradict.
        min_kept_share: least share of a road's records left after dropping outliers.
        max_offset_km: a point farther than this from the fitted road is not placed on it.
        max_extrapolate_km: how far beyond its first and last knot a road's *line* is drawn, in
            the direction of its first / last ``end_direction_km``. Measured on the synthetic
            Haryana roads (15 km cut off each end, refitted): 1-3 km beyond the end the extended
            line was a median 0.10 km off the road (90% within 0.9 km, worst 1.3 km); 3-5 km
            beyond, a median 0.16 km (90% within 1.6 km, worst 4.7 km); 5-10 km beyond, a median
            0.35 km but 90% within 2.7 km and worst 11 km. Hence lines to 3 km only.
        max_point_km: how far beyond the ends a stretch still gets an approximate *point*
            (:func:`positions_at`): 10 km, drawn as a point, not as a line along the road.
        end_direction_km: length of road end that gives the direction it is extended in.
    """

    knot_km: float = 0.5
    min_records: int = 5
    min_knots: int = 2
    slack_km: float = 0.3
    km_tolerance: float = 0.1
    neighbours: int = 3
    contradiction_km: float = 3.0
    min_kept_share: float = 0.75
    max_offset_km: float = 0.5
    max_extrapolate_km: float = 3.0
    max_point_km: float = 10.0
    end_direction_km: float = 1.0


def _to_xy(lat: np.ndarray, lon: np.ndarray, lat0: float) -> np.ndarray:
    """Local planar coordinates in km (equirectangular about ``lat0``)."""
    return np.column_stack(
        [lon * math.cos(math.radians(lat0)) * KM_PER_DEG_LON, lat * KM_PER_DEG_LAT]
    )


def _knots(road: pl.DataFrame, knot_km: float) -> pl.DataFrame:
    """One knot per ``knot_km`` bin of markers: medians of km, latitude and longitude."""
    return (
        road.with_columns(_bin=(pl.col("chainage_km") / knot_km).floor().cast(pl.Int64))
        .group_by("_bin")
        .agg(
            pl.col("chainage_km").median().alias("km"),
            pl.col("latitude").median(),
            pl.col("longitude").median(),
            pl.len().cast(pl.Int64).alias("n_records"),
        )
        .sort("km")
        .drop("_bin")
    )


def outlier_knots(km: np.ndarray, xy: np.ndarray, cfg: KmFitConfig) -> np.ndarray:
    """Knots (sorted by km) inconsistent with most of their up to ``2 * neighbours`` neighbours.

    Returns a boolean mask. A pair is inconsistent when the points are farther apart than their km
    difference (times ``1 + km_tolerance``) plus ``slack_km``; a knot is an outlier when more than half of its pairs are.
    """
    n = len(km)
    bad, seen = np.zeros(n), np.zeros(n)
    for step in range(1, cfg.neighbours + 1):
        if step >= n:
            break
        dist = np.hypot(*(xy[step:] - xy[:-step]).T)
        allowed = (km[step:] - km[:-step]) * (1 + cfg.km_tolerance) + cfg.slack_km
        wrong = (dist > allowed).astype(float)
        bad[step:] += wrong
        bad[:-step] += wrong
        seen[step:] += 1
        seen[:-step] += 1
    return (seen > 0) & (bad > seen / 2)


def _segment_distances(points: np.ndarray, line: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distance (km) of each point to each segment of a polyline, and the position along it (0..1).

    Shapes ``(points, segments)``; a caller chunks the points to bound memory.
    """
    a, ab = line[:-1], line[1:] - line[:-1]
    len2 = np.maximum((ab**2).sum(axis=1), 1e-12)
    p = points[:, None, :]
    t = np.clip(((p - a) * ab).sum(axis=2) / len2, 0.0, 1.0)
    return np.hypot(*(p - (a + t[..., None] * ab)).transpose(2, 0, 1)), t


def contradicting_knots(
    km: np.ndarray, xy: np.ndarray, support: np.ndarray, cfg: KmFitConfig
) -> np.ndarray:
    """Knots lying on the road where it is far along the km axis, and less supported than it there.

    A road does not pass one place at km 12 and km 112: when a knot lies within ``slack_km`` of a
    segment between two other knots whose km is more than ``contradiction_km`` from its own, the
    knot is dropped if its ``support`` (records of itself and its adjacent knots) is lower than the
    segment's (ties: the knot with the higher km goes). Returns a boolean mask.
    """
    n = len(km)
    out = np.zeros(n, dtype=bool)
    if n < 3:
        return out
    idx = np.arange(n)
    for start in range(0, n, 512):
        rows = idx[start : start + 512]
        dist, t = _segment_distances(xy[rows], xy)
        seg_km = km[:-1] + t * (km[1:] - km[:-1])
        seg_support = np.minimum(support[:-1], support[1:])
        own = (rows[:, None] == idx[None, :-1]) | (rows[:, None] == idx[None, 1:])
        clash = (dist < cfg.slack_km) & (np.abs(seg_km - km[rows, None]) > cfg.contradiction_km)
        weaker = (support[rows, None] < seg_support) | (
            (support[rows, None] == seg_support) & (km[rows, None] > seg_km)
        )
        out[rows] = (clash & weaker & ~own).any(axis=1)
    return out


def _support(n_records: np.ndarray) -> np.ndarray:
    """Records of each knot and of its two adjacent knots (how much the data backs it)."""
    padded = np.concatenate([[0.0], n_records.astype(float), [0.0]])
    return padded[1:-1] + padded[:-2] + padded[2:]


def fit_one_road(road: pl.DataFrame, cfg: KmFitConfig) -> pl.DataFrame | None:
    """Knots of one road's located, km-marked records (``chainage_km, latitude, longitude``)."""
    if road.height < cfg.min_records:
        return None
    knots = _knots(road, cfg.knot_km)
    lat0 = float(knots["latitude"].median())
    while knots.height >= cfg.min_knots:
        xy = _to_xy(knots["latitude"].to_numpy(), knots["longitude"].to_numpy(), lat0)
        km = knots["km"].to_numpy()
        drop = outlier_knots(km, xy, cfg)
        if not drop.any():
            drop = contradicting_knots(km, xy, _support(knots["n_records"].to_numpy()), cfg)
        if not drop.any():
            break
        knots = knots.filter(~pl.Series(drop))
    kept = int(knots["n_records"].sum()) if knots.height else 0
    enough = kept >= cfg.min_records and kept >= cfg.min_kept_share * road.height
    return knots if knots.height >= cfg.min_knots and enough else None


def fit_road_km(markers: pl.DataFrame, cfg: KmFitConfig | None = None) -> pl.DataFrame:
    """Fit every road's km → position line.

    Args:
        markers: located records with ``road_name`` (normalised), ``chainage_km``, ``latitude``,
            ``longitude``; rows missing any of them are ignored.
        cfg: fit settings.

    Returns:
        Knots with :data:`KNOT_SCHEMA`, sorted by road and km; roads that cannot be fitted have none.
    """
    cfg = cfg or KmFitConfig()
    usable = markers.drop_nulls(["road_name", "chainage_km", "latitude", "longitude"])
    parts = []
    for (name,), road in usable.sort("road_name").group_by(["road_name"], maintain_order=True):
        knots = fit_one_road(road, cfg)
        if knots is not None:
            parts.append(knots.with_columns(pl.lit(name).alias("road_name")))
    if not parts:
        return pl.DataFrame(schema=KNOT_SCHEMA)
    return pl.concat(parts).select([pl.col(c).cast(t) for c, t in KNOT_SCHEMA.items()])


def _end_slopes(kk: np.ndarray, values: np.ndarray, span: float) -> tuple[float, float]:
    """Slope of ``values`` per km over the first and the last ``span`` km of knots (the direction a
    road is extended in beyond its fitted range)."""
    lo = min(int(np.searchsorted(kk, kk[0] + span)), len(kk) - 1)
    hi = max(int(np.searchsorted(kk, kk[-1] - span, side="right")) - 1, 0)
    first = (values[lo] - values[0]) / (kk[lo] - kk[0]) if kk[lo] > kk[0] else 0.0
    last = (values[-1] - values[hi]) / (kk[-1] - kk[hi]) if kk[-1] > kk[hi] else 0.0
    return first, last


def _interp(
    km: np.ndarray, knots: pl.DataFrame, cfg: KmFitConfig, limit_km: float
) -> tuple[np.ndarray, ...]:
    """Latitude and longitude at ``km`` along one road's knots (NaN more than ``limit_km`` beyond
    the first or last knot)."""
    kk = knots["km"].to_numpy()
    out = []
    for values in (knots["latitude"].to_numpy(), knots["longitude"].to_numpy()):
        first, last = _end_slopes(kk, values, cfg.end_direction_km)
        inner = np.interp(km, kk, values)
        inner = np.where(km < kk[0], values[0] + (km - kk[0]) * first, inner)
        out.append(np.where(km > kk[-1], values[-1] + (km - kk[-1]) * last, inner))
    outside = (km < kk[0] - limit_km) | (km > kk[-1] + limit_km) | np.isnan(km)
    return tuple(np.where(outside, np.nan, v) for v in out)


def positions_at(
    knots: pl.DataFrame, frame: pl.DataFrame, cfg: KmFitConfig | None = None
) -> pl.DataFrame:
    """``frame`` (``road_name, km``) with the fitted ``fit_latitude, fit_longitude`` (null when the
    road has no fit or the km is beyond its fitted range plus ``max_point_km``)."""
    cfg = cfg or KmFitConfig()
    lat = np.full(frame.height, np.nan)
    lon = np.full(frame.height, np.nan)
    roads = frame["road_name"].to_numpy()
    km = frame["km"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    for (name,), road in knots.group_by(["road_name"]):
        mask = roads == name
        if mask.any() and road.height >= 2:
            lat[mask], lon[mask] = _interp(km[mask], road.sort("km"), cfg, cfg.max_point_km)
    return frame.with_columns(
        pl.Series("fit_latitude", lat).fill_nan(None),
        pl.Series("fit_longitude", lon).fill_nan(None),
    )


def _project(points: np.ndarray, line: np.ndarray, kk: np.ndarray) -> tuple[np.ndarray, ...]:
    """(km, offset km) of points on the nearest segment of a polyline (chunked, vectorised)."""
    kms, offsets = [], []
    for start in range(0, len(points), 1024):
        dist, t = _segment_distances(points[start : start + 1024], line)
        best = dist.argmin(axis=1)
        rows = np.arange(len(best))
        kms.append(kk[best] + t[rows, best] * (kk[best + 1] - kk[best]))
        offsets.append(dist[rows, best])
    return np.concatenate(kms), np.concatenate(offsets)


def project_to_km(
    knots: pl.DataFrame, frame: pl.DataFrame, cfg: KmFitConfig | None = None
) -> pl.DataFrame:
    """``frame`` (``road_name, latitude, longitude``) with ``fit_km``: the km of the nearest point of
    the road's fitted line, null when the road has no fit or the point is more than
    ``max_offset_km`` from it."""
    cfg = cfg or KmFitConfig()
    out = np.full(frame.height, np.nan)
    roads = frame["road_name"].to_numpy()
    lats = frame["latitude"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    lons = frame["longitude"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    for (name,), road in knots.group_by(["road_name"]):
        mask = (roads == name) & ~np.isnan(lats) & ~np.isnan(lons)
        if not mask.any() or road.height < 2:
            continue
        road = road.sort("km")
        lat0 = float(road["latitude"].median())
        line = _to_xy(road["latitude"].to_numpy(), road["longitude"].to_numpy(), lat0)
        km, offset = _project(_to_xy(lats[mask], lons[mask], lat0), line, road["km"].to_numpy())
        out[mask] = np.where(offset <= cfg.max_offset_km, km, np.nan)
    return frame.with_columns(pl.Series("fit_km", out).fill_nan(None))


def stretch_path(
    knots: pl.DataFrame, road: str, km_from: float, km_to: float, cfg: KmFitConfig | None = None
) -> list[tuple[float, float]] | None:
    """``[(lat, lon), ...]`` of ``road`` from ``km_from`` to ``km_to`` along its fit (clipped to the
    fitted range plus ``max_extrapolate_km``), or None when the road has no fit there."""
    cfg = cfg or KmFitConfig()
    part = knots.filter(pl.col("road_name") == road).sort("km")
    if part.height < 2:
        return None
    kk = part["km"].to_numpy()
    lo = max(min(km_from, km_to), kk[0] - cfg.max_extrapolate_km)
    hi = min(max(km_from, km_to), kk[-1] + cfg.max_extrapolate_km)
    if hi <= lo:
        return None
    inner = kk[(kk > lo) & (kk < hi)]
    km = np.concatenate([[lo], inner, [hi]])
    lat, lon = _interp(km, part, cfg, cfg.max_extrapolate_km)
    return [(round(float(a), 7), round(float(b), 7)) for a, b in zip(lat, lon)]


def cell_km_ranges(knots: pl.DataFrame, resolution: int, step_km: float = 0.05) -> pl.DataFrame:
    """Where each fitted road runs through each H3 cell: ``road_name, h3_cell, km_from, km_to``.

    The fitted line is sampled every ``step_km``; a cell's range is the least and greatest sampled
    km inside it (rounded to 0.1 km).
    """
    parts = []
    for (name,), road in knots.sort("road_name", "km").group_by(["road_name"], maintain_order=True):
        if road.height < 2:
            continue
        kk = road["km"].to_numpy()
        km = np.arange(kk[0], kk[-1] + step_km / 2, step_km)
        parts.append(
            pl.DataFrame(
                {
                    "road_name": name,
                    "km": km,
                    "lat": np.interp(km, kk, road["latitude"].to_numpy()),
                    "lon": np.interp(km, kk, road["longitude"].to_numpy()),
                }
            )
        )
    if not parts:
        return pl.DataFrame(schema=CELL_RANGE_SCHEMA)
    samples = pl.concat(parts).with_columns(
        plh3.latlng_to_cell("lat", "lon", resolution, return_dtype=pl.Utf8).alias("h3_cell")
    )
    return (
        samples.group_by("road_name", "h3_cell")
        .agg(
            pl.col("km").min().round(1).alias("km_from"), pl.col("km").max().round(1).alias("km_to")
        )
        .sort("road_name", "km_from", "h3_cell")
        .select([pl.col(c).cast(t) for c, t in CELL_RANGE_SCHEMA.items()])
    )
