"""The km <-> map fit: robust to outliers, indifferent to the direction markers run."""

from __future__ import annotations

import math

import h3
import numpy as np
import polars as pl
import pytest

from roadsafety.features.road_fit import (
    KmFitConfig,
    cell_km_ranges,
    fit_road_km,
    positions_at,
    project_to_km,
    stretch_path,
)

LAT0, LON0 = 29.0, 77.0
KM_LAT = 110.574
KM_LON = 111.320 * math.cos(math.radians(LAT0))


def road_point(km: float, reverse: bool = False) -> tuple[float, float]:
    """A bent road: 20 km due north from (LAT0, LON0), then east. ``reverse`` runs km the other way
    (km 40 at the start)."""
    d = 40.0 - km if reverse else km
    if d <= 20.0:
        return LAT0 + d / KM_LAT, LON0
    return LAT0 + 20.0 / KM_LAT, LON0 + (d - 20.0) / KM_LON


def markers(road: str, reverse: bool = False, seed: int = 0, n: int = 400) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    km = np.round(rng.uniform(0.0, 40.0, n), 2)
    pts = [road_point(k, reverse) for k in km]
    jitter = rng.normal(0, 0.03 / KM_LAT, (n, 2))
    return pl.DataFrame(
        {
            "road_name": road,
            "chainage_km": km,
            "latitude": [p[0] + j[0] for p, j in zip(pts, jitter)],
            "longitude": [p[1] + j[1] for p, j in zip(pts, jitter)],
        }
    )


def km_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    return h3.great_circle_distance(a, b, unit="km")


def check_fit(knots: pl.DataFrame, road: str, reverse: bool = False) -> None:
    probe = pl.DataFrame({"road_name": road, "km": [0.5, 10.0, 19.9, 25.0, 39.5]})
    got = positions_at(knots, probe)
    for km, lat, lon in got.select("km", "fit_latitude", "fit_longitude").iter_rows():
        assert km_between((lat, lon), road_point(km, reverse)) < 0.15, km


def test_fit_recovers_the_road_despite_outliers() -> None:
    clean = markers("NH-44")
    inner = pl.col("chainage_km").is_between(5.0, 35.0)
    typo_km = clean.filter(inner).head(10).with_columns(pl.col("chainage_km") + 100.0)
    rest = clean.filter(~inner | (pl.int_range(pl.len()) >= 10).over(inner))
    wrong_gps = rest.head(15).with_columns(latitude=pl.lit(LAT0 + 0.3))  # the station's fix
    shuffled_km = rest.slice(15, 10).with_columns(pl.col("chainage_km").shuffle(seed=3))
    noisy = pl.concat([rest.slice(25), typo_km, wrong_gps, shuffled_km])
    knots = fit_road_km(noisy)
    assert knots["road_name"].unique().to_list() == ["NH-44"]
    assert knots["km"].is_sorted()
    assert knots["km"].max() < 41.0  # the km-105..135 typos were dropped
    check_fit(knots, "NH-44")


def test_a_road_whose_markers_run_backwards_fits_the_same_way() -> None:
    knots = fit_road_km(markers("SH-10", reverse=True, seed=2))
    check_fit(knots, "SH-10", reverse=True)
    start, end = road_point(5.0, reverse=True), road_point(35.0, reverse=True)
    located = pl.DataFrame(
        {"road_name": "SH-10", "latitude": [start[0], end[0]], "longitude": [start[1], end[1]]}
    )
    kms = project_to_km(knots, located)["fit_km"].to_list()
    assert kms == pytest.approx([5.0, 35.0], abs=0.15)


def test_two_distant_roads_sharing_a_name_get_no_fit() -> None:
    a = markers("MAIN ROAD", seed=4, n=100)
    b = markers("MAIN ROAD", seed=5, n=100).with_columns(pl.col("latitude") + 1.0)
    assert fit_road_km(pl.concat([a, b])).is_empty()


def test_too_few_records_give_no_fit_and_other_roads_are_unaffected() -> None:
    few = markers("MDR-118", n=3)
    knots = fit_road_km(pl.concat([few, markers("NH-44")]))
    assert knots["road_name"].unique().to_list() == ["NH-44"]


def test_projection_refuses_points_off_the_road_and_roads_without_fit() -> None:
    knots = fit_road_km(markers("NH-44"))
    on = road_point(12.3)
    frame = pl.DataFrame(
        {
            "road_name": ["NH-44", "NH-44", "SH-99", "NH-44"],
            "latitude": [on[0], on[0], on[0], None],
            "longitude": [on[1], on[1] + 2.0 / KM_LON, on[1], None],
        }
    )
    kms = project_to_km(knots, frame)["fit_km"].to_list()
    assert kms[0] == pytest.approx(12.3, abs=0.15)
    assert kms[1:] == [None, None, None]


def test_positions_beyond_the_fitted_range_are_limited() -> None:
    cfg = KmFitConfig(max_extrapolate_km=1.0, max_point_km=4.0)
    knots = fit_road_km(markers("NH-44"), cfg)
    last = float(knots["km"].max())
    probe = pl.DataFrame({"road_name": "NH-44", "km": [last + 0.5, last + 3.0, last + 5.0]})
    lat = positions_at(knots, probe, cfg)["fit_latitude"].to_list()
    assert lat[0] is not None and lat[1] is not None and lat[2] is None
    # beyond the line's limit a stretch keeps a point but gets no line
    assert stretch_path(knots, "NH-44", last + 2.0, last + 3.0, cfg) is None
    assert len(stretch_path(knots, "NH-44", last, last + 1.0, cfg)) >= 2


def test_stretch_path_follows_the_bend() -> None:
    knots = fit_road_km(markers("NH-44"))
    path = stretch_path(knots, "NH-44", 19.0, 21.0)
    assert path is not None and len(path) >= 3
    assert km_between(path[0], road_point(19.0)) < 0.15
    assert km_between(path[-1], road_point(21.0)) < 0.15
    length = sum(km_between(a, b) for a, b in zip(path, path[1:]))
    assert length == pytest.approx(2.0, abs=0.2)
    assert stretch_path(knots, "NH-44", 80.0, 81.0) is None
    assert stretch_path(knots, "SH-99", 1.0, 2.0) is None


def test_cell_km_ranges_cover_the_cells_the_road_crosses() -> None:
    knots = fit_road_km(markers("NH-44"))
    ranges = cell_km_ranges(knots, 8)
    cell = h3.latlng_to_cell(*road_point(10.0), 8)
    row = ranges.filter(pl.col("h3_cell") == cell).row(0, named=True)
    assert row["km_from"] <= 10.0 <= row["km_to"]
    assert 0.0 < row["km_to"] - row["km_from"] < 1.5
