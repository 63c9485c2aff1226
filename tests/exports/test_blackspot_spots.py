"""The blackspot list's spots are counted with one join for all spots: the same rows as the
per-spot filter it replaced (kept here as the oracle), on a seeded world with many spots."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from roadsafety import schemas
from roadsafety.exports.blackspots import (
    _place,
    _run_means,
    _spot_keys,
    find_blackspots,
    rule_years,
)
from roadsafety.features.roads import stretch_id

CUTOFF = date(2025, 3, 1)  # rule years 2022-2024; the lapsed check looks at 2021-2023
ROADS = ("NH-44", "NH-48", "SH-10", "SH-7")


def seeded_crashes(seed: int, n: int = 3000) -> pl.DataFrame:
    """Crashes as ``crashes_with_km`` returns them: clustered on four roads (km markers or fitted
    km), in clustered cells without km, some with no road, no coordinates or no unit."""
    rng = np.random.default_rng(seed)
    hot = {road: rng.uniform(0, 80, 12) for road in ROADS}
    road = rng.choice([*ROADS, None], n, p=[0.3, 0.25, 0.15, 0.1, 0.2])
    on_road = (road != None) & (rng.random(n) < 0.8)  # noqa: E711 (numpy object array)
    km = np.array(
        [rng.choice(hot[r]) + rng.normal(0, 0.3) if r is not None else np.nan for r in road]
    )
    cells = [f"88{k:013x}" for k in rng.integers(1, 40, n)]
    lat = np.round(29.0 + rng.normal(0, 0.5, n), 7)  # 7 decimals: ties for a 6-decimal rounding
    frame = pl.DataFrame(
        {
            "unit_id": [f"U{k}" if k else None for k in rng.integers(0, 30, n)],
            "year": rng.integers(2021, 2025, n),
            "fg": (rng.random(n) < 0.45).astype(np.int64),
            "deaths": rng.choice([0, 0, 0, 1, 2, 6], n).astype(np.int64),
            "road_name": list(road),
            "h3_cell": [c if rng.random() < 0.9 else None for c in cells],
            "latitude": np.where(rng.random(n) < 0.1, np.nan, lat),
            "longitude": np.round(76.0 + rng.normal(0, 0.5, n), 7),
            "police_station": rng.choice(["PS A", "PS B", "PS C"], n),
            "district": rng.choice(["Karnal", "Panipat"], n),
            "located": rng.random(n) < 0.9,
        },
        schema_overrides={"road_name": pl.Utf8},
    )
    return frame.with_columns(
        pl.col("latitude").fill_nan(None),
        pl.Series("km", np.where(on_road, km, np.nan)).fill_nan(None).round(3),
    )


def _in_spot(spot: dict) -> pl.Expr:
    if spot["spot_road"] is not None:
        return (pl.col("road_name") == spot["spot_road"]) & pl.col("km").is_between(
            spot["spot_from"] - 1e-9, spot["spot_to"] + 1e-9
        )
    return (pl.col("h3_cell") == spot["h3_cell"]) & (
        pl.col("km").is_null() | pl.col("road_name").is_null()
    )


def _overlaps(spot: dict, others: pl.DataFrame) -> bool:
    if spot["spot_road"] is None:
        return spot["h3_cell"] in set(others["h3_cell"].drop_nulls())
    same = others.filter(pl.col("spot_road") == spot["spot_road"])
    return bool(
        ((same["spot_from"] <= spot["spot_to"]) & (same["spot_to"] >= spot["spot_from"])).any()
    )


def _mode(col: str) -> pl.Expr:
    return pl.col(col).drop_nulls().mode().sort().first()


def _spot_row(spot: dict, crashes: pl.DataFrame, years: list[int], status: str) -> dict:
    part = crashes.filter(_in_spot(spot)).rechunk()  # one array: the same sums on any core count
    row: dict = {"status": status, "spot_road": spot["spot_road"]}
    for i, year in enumerate(years, start=1):
        y = part.filter(pl.col("year") == year)
        row |= {
            f"crashes_y{i}": y.height,
            f"fatal_grievous_y{i}": int(y["fg"].sum()),
            f"deaths_y{i}": int(y["deaths"].sum()),
        }
    attrs = part.select(
        *[_mode(c) for c in ("road_name", "police_station", "district", "unit_id")],
        pl.col("h3_cell").drop_nulls().unique().sort().str.join(";").alias("cells"),
        pl.col("latitude").mean(),
        pl.col("longitude").mean(),
    ).row(0, named=True)
    road = spot["spot_road"]
    return row | {
        "unit_id": stretch_id(road, spot["spot_from"], spot["spot_to"])
        if road
        else spot["h3_cell"],
        "road_name": road or attrs["road_name"],
        "km_from": spot["spot_from"],
        "km_to": spot["spot_to"],
        "h3_cell": (attrs["cells"] or None) if road else spot["h3_cell"],
        "police_station": attrs["police_station"],
        "district": attrs["district"],
        "latitude": attrs["latitude"],
        "longitude": attrs["longitude"],
        "forecast_unit": attrs["unit_id"],
    }


def per_spot_reference(
    crashes: pl.DataFrame, cutoff: date, length_km: float, knots: pl.DataFrame
) -> pl.DataFrame:
    """The list as it was built before: one filter of all crashes per spot."""
    start, end = rule_years(cutoff)
    years = list(range(start.year, end.year))
    now = _spot_keys(crashes.filter(pl.col("year").is_in(years)), length_km)
    before = _spot_keys(
        crashes.filter(pl.col("year").is_between(start.year - 1, end.year - 2)), length_km
    )
    rows = [_spot_row(s, crashes, years, "active") for s in now.iter_rows(named=True)]
    rows += [
        _spot_row(s, crashes, years, "lapsed")
        for s in before.iter_rows(named=True)
        if not _overlaps(s, now)
    ]
    spots = pl.DataFrame(rows, infer_schema_length=None)
    return _place(spots, knots).with_columns(
        pl.lit(f"{years[0]}-{years[-1]}").alias("years"),
        pl.sum_horizontal(f"crashes_y{i}" for i in (1, 2, 3)).alias("crashes_3y"),
        pl.sum_horizontal(f"fatal_grievous_y{i}" for i in (1, 2, 3)).alias("fatal_grievous_3y"),
        pl.sum_horizontal(f"deaths_y{i}" for i in (1, 2, 3)).alias("deaths_3y"),
    )


def _knots() -> pl.DataFrame:
    fit = [("NH-48", km, 29.7, 76.8 + km / 96.7, 5) for km in (0.0, 30.0, 60.0, 90.0)]
    return pl.DataFrame(fit, schema=schemas.ROAD_KM_FIT, orient="row")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_one_join_for_all_spots_gives_the_rows_of_one_filter_per_spot(seed: int) -> None:
    crashes = seeded_crashes(seed)
    new = find_blackspots(crashes, CUTOFF, 0.5, _knots())
    old = per_spot_reference(crashes, CUTOFF, 0.5, _knots())
    assert set(new["status"]) == {"active", "lapsed"} and new.height > 40  # a world with many spots
    assert new["km_from"].null_count() > 0 and new["km_from"].drop_nulls().len() > 0
    order = ["status", "unit_id"]  # both keep their spot order; spot keys come unordered
    assert_frame_equal(new.sort(order), old.sort(order), check_exact=True)


def test_a_spot_mean_is_the_same_however_the_column_is_chunked() -> None:
    rng = np.random.default_rng(7)
    values = pl.Series("latitude", np.round(29 + rng.random(500), 7)).scatter([3, 40], None)
    sizes = [1, 120, 3, 250, 126]
    chunked = pl.concat([values.slice(0, 77), values.slice(77)], rechunk=False)
    assert chunked.n_chunks() == 2
    expected = []
    start = 0
    for size in sizes:
        expected.append(pl.Series(values.slice(start, size).to_list()).mean())
        start += size
    assert _run_means(values, sizes) == expected
    assert _run_means(chunked, sizes) == expected
