"""Ingest of km-marked records: stretch units, the road fit, placed stretches, cells' km ranges."""

from __future__ import annotations

import math
from pathlib import Path

import h3
import polars as pl

from roadsafety.sources.canonical import read_canonical_accidents
from roadsafety.store.connection import read_connection, write_connection
from roadsafety.store.ingest import ingest_batch
from roadsafety.store.status import read_status

HEADER = (
    "accident_id,occurred_at,latitude,longitude,severity,killed,district,police_station,"
    "road_name,chainage_km"
)
LAT0, LON0 = 29.0, 77.0


def nh44(km: float) -> tuple[float, float]:
    """NH-44 of this test runs due north from (LAT0, LON0), km 30 at the start."""
    return LAT0 + (km - 30.0) / 110.574, LON0


def located_rows(n: int = 60) -> list[str]:
    rows = []
    for i in range(n):
        km = 30.0 + 0.5 * i
        lat, lon = nh44(km)
        rows.append(
            f"L{i},2024-01-{1 + i % 28:02d} 10:00,{lat:.6f},{lon:.6f},minor,0,Panipat,PS A,NH-44,{km}"
        )
    return rows


UNLOCATED = [
    "U1,2024-02-01 10:00,,,fatal,1,Panipat,PS Samalkha,nh 44,45.2",
    "U2,2024-02-02 10:00,,,grievous,0,Panipat,PS Samalkha,National Highway 44,45.9",
    "U3,2024-02-03 10:00,,,minor,0,Panipat,PS Samalkha,NH-44,46.0",
    "U4,2024-02-04 10:00,,,minor,0,Panipat,PS Samalkha,NH-44,",
    "U5,2024-02-05 10:00,,,minor,0,Panipat,PS Samalkha,,12.5",
]


def write(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def query(db: Path, sql: str) -> pl.DataFrame:
    with read_connection(db) as con:
        return con.execute(sql).pl()


def test_km_marked_records_become_stretches_placed_by_the_road_fit(tmp_settings, tmp_path):
    ingest_batch(
        tmp_settings,
        read_canonical_accidents(write(tmp_path / "a.csv", located_rows() + UNLOCATED)),
    )
    acc = query(tmp_settings.db_path, "SELECT accident_id, road_name, unit_id FROM accidents")
    units = dict(acc.select("accident_id", "unit_id").iter_rows())
    assert units["U1"] == units["U2"] == "NH-44 | km 45-46"
    assert units["U3"] == "NH-44 | km 46-47"
    assert units["U4"] == "PS SAMALKHA | NH-44"
    assert units["U5"] is None  # a km but no road: kept, no unit
    assert set(acc["road_name"].drop_nulls()) == {"NH-44"}

    stretch = query(
        tmp_settings.db_path, "SELECT * FROM spatial_units WHERE unit_id = 'NH-44 | km 45-46'"
    ).row(0, named=True)
    assert (stretch["kind"], stretch["km_from"], stretch["km_to"]) == ("stretch", 45.0, 46.0)
    expected = nh44(45.5)
    assert h3.great_circle_distance((stretch["latitude"], stretch["longitude"]), expected) < 0.2
    road_wide = query(
        tmp_settings.db_path, "SELECT * FROM spatial_units WHERE kind = 'ps_road'"
    ).row(0, named=True)
    assert road_wide["km_from"] is None and road_wide["latitude"] is None

    cell = h3.latlng_to_cell(*nh44(40.0), 8)
    row = query(
        tmp_settings.db_path, f"SELECT km_from, km_to FROM spatial_units WHERE unit_id = '{cell}'"
    ).row(0)
    assert row[0] <= 40.0 <= row[1] and row[1] - row[0] < 1.5
    fit = query(tmp_settings.db_path, "SELECT * FROM road_km_fit ORDER BY km")
    assert fit["road_name"].unique().to_list() == ["NH-44"]
    assert math.isclose(fit["km"].min(), 30.0, abs_tol=0.5)


def test_status_counts_every_kind_and_records_with_a_km_but_no_road(tmp_settings, tmp_path):
    ingest_batch(
        tmp_settings,
        read_canonical_accidents(write(tmp_path / "a.csv", located_rows() + UNLOCATED)),
    )
    report = read_status(tmp_settings.db_path)
    facts = report["Records by source"].row(0, named=True)
    assert (facts["on_stretches"], facts["road_wide"], facts["no_unit"]) == (3, 1, 1)
    assert facts["km_but_no_road"] == 1
    kinds = report["Spatial units"].select("kind", "units", "placed_on_map")
    cells = {h3.latlng_to_cell(*nh44(30.0 + 0.5 * i), 8) for i in range(60)}
    assert dict(kinds.select("kind", "units").iter_rows()) == {
        "h3": len(cells),
        "ps_road": 1,
        "stretch": 2,
    }
    assert dict(kinds.select("kind", "placed_on_map").iter_rows())["stretch"] == 2


def test_units_loaded_under_an_older_rule_are_re_derived(tmp_settings, tmp_path):
    ingest_batch(tmp_settings, read_canonical_accidents(write(tmp_path / "a.csv", UNLOCATED)))
    with write_connection(tmp_settings.db_path) as con:  # as release 1 stored it
        con.execute("UPDATE accidents SET unit_id = 'PS SAMALKHA | NH 44' WHERE accident_id = 'U1'")
    ingest_batch(tmp_settings, read_canonical_accidents(write(tmp_path / "b.csv", located_rows(6))))
    got = query(tmp_settings.db_path, "SELECT unit_id FROM accidents WHERE accident_id = 'U1'")
    assert got.item() == "NH-44 | km 45-46"
    units = query(tmp_settings.db_path, "SELECT unit_id FROM spatial_units")["unit_id"].to_list()
    assert "PS SAMALKHA | NH 44" not in units
