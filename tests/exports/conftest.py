"""A tiny hand-made warehouse: one champion model, one forecast run, a road of adjacent cells, road
stretches (two adjacent ones on a road with a km fit, one on a road without) and road-wide units."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import h3
import pytest
from exports_roads import nh48

from roadsafety.store.connection import write_connection

RES = 8
RUN_ID = "run-test-1"
VERSION = "v20250101T000000"


@dataclass(frozen=True)
class World:
    """What the fixture built."""

    db_path: Path
    run_id: str
    road_cells: list[str]  # NH-44, adjacent cells, Karnal: the top three form a corridor
    lone_cell: str  # a high cell in Panipat on another road
    ghost_cell: str  # forecast but not in spatial_units
    ps_unit: str  # police station + road, with a centroid
    ps_unit_nogeo: str  # police station + road, no coordinates
    stretches: tuple[str, str] = ("NH-48 | km 20-21", "NH-48 | km 21-22")  # NH-48 has a fit
    unmapped_stretch: str = "SH-7 | km 5-6"  # no fit for SH-7


def _road_cells() -> list[str]:
    a = h3.latlng_to_cell(29.60, 76.98, RES)
    b = h3.latlng_to_cell(29.64, 76.98, RES)
    return list(h3.grid_path_cells(a, b))[:6]


def _units(world: World) -> list[tuple]:
    rows = []
    for i, cell in enumerate(world.road_cells):
        lat, lon = h3.cell_to_latlng(cell)
        rows.append(
            (cell, "h3", cell, RES, "NH-44", "NH", "SADAR KARNAL", "Karnal", lat, lon, 110.0 + i)
        )
    lat, lon = h3.cell_to_latlng(world.lone_cell)
    rows.append(
        (
            world.lone_cell,
            "h3",
            world.lone_cell,
            RES,
            "SH-10",
            "SH",
            "MODEL TOWN",
            "Panipat",
            lat,
            lon,
            None,
        )
    )
    for name, (lo, hi), district in (
        (world.stretches[0], (20.0, 21.0), "Karnal"),
        (world.stretches[1], (21.0, 22.0), "Karnal"),
        (world.unmapped_stretch, (5.0, 6.0), "Karnal"),
    ):
        road = name.split(" | ")[0]
        lat, lon = nh48((lo + hi) / 2) if road == "NH-48" else (None, None)
        rows.append(
            (name, "stretch", None, None, road, "NH", "SADAR KARNAL", district, lat, lon, None)
            + (lo, hi)
        )
    rows.append(
        (
            world.ps_unit,
            "ps_road",
            None,
            None,
            "GT ROAD",
            "urban",
            "CITY PANIPAT",
            "Panipat",
            29.39,
            76.97,
            None,
        )
    )
    rows.append(
        (
            world.ps_unit_nogeo,
            "ps_road",
            None,
            None,
            "DELHI ROAD",
            "urban",
            "CITY PANIPAT",
            "Panipat",
            None,
            None,
            None,
        )
    )
    return rows


# expected_crashes, expected_fatal_grievous, band, peak window, factors, recent challans
_FORECAST = [
    (
        4.0,
        1.5,
        "very_high",
        "Fri-Sun 22:00-02:00",
        "fog season; 3 fatal crashes in the last 90 days",
        2,
    ),
    (3.0, 1.0, "very_high", "daily 18:00-21:00", "night truck traffic", 40),
    (2.5, 0.9, "high", "Mon,Wed 08:00-10:00", "overspeeding challans rising", 5),
    (0.5, 0.1, "medium", "daily 09:00-12:00", "", 1),
    (0.4, 0.1, "low", "daily 09:00-12:00", "", 0),
    (
        2.2,
        0.4,
        "high",
        "daily 07:00-09:00",
        "high-risk neighbouring cells",
        0,
    ),  # 6th road cell: not adjacent to the top 3
]
# the two NH-48 stretches (adjacent, high: a run) and SH-7's
_STRETCH_FORECAST = [
    (3.0, 1.0, "high", "daily 22:00-04:00", "night truck traffic", 3),  # ties road cell 2
    (2.3, 0.7, "high", "daily 22:00-04:00", "", 0),
    (0.6, 0.2, "medium", "daily 09:00-12:00", "", 0),
]


def _forecasts(world: World) -> list[tuple]:
    units = list(world.road_cells[:5]) + [world.road_cells[5]]
    values = list(_FORECAST)
    units += [world.lone_cell, world.ps_unit, world.ps_unit_nogeo, world.ghost_cell]
    units += [*world.stretches, world.unmapped_stretch]
    values += [
        (3.5, 2.0, "very_high", "Sat,Sun 20:00-23:00", "3 fatal crashes in the last 90 days", 0),
        (
            3.0,
            1.0,
            "very_high",
            "daily 17:00-20:00",
            "monsoon",
            100,
        ),  # road-wide: never ranked against the places
        (1.0, 0.2, "medium", "daily 10:00-12:00", "", 0),
        (0.3, 0.0, "low", "daily 00:00-24:00", "", 0),
        *_STRETCH_FORECAST,
    ]
    rows = []
    for rank, (unit, v) in enumerate(zip(units, values), start=1):
        e, fg, band, peak, factors, challans = v
        rows.append(
            (
                RUN_ID,
                unit,
                date(2025, 1, 1),
                date(2025, 1, 7),
                e,
                fg,
                e * 0.5,
                e * 1.5,
                e * 0.3,
                e * 2,
                e,
                band,
                rank,
                peak,
                factors or None,
                False,
                challans,
            )
        )
    return rows


def _accidents(world: World) -> list[tuple]:
    rows, n = [], 0

    def add(unit: str, day: datetime, severity: str, killed: int | None) -> None:
        nonlocal n
        n += 1
        rows.append((f"A{n}", day, severity, killed, unit, "test"))

    for year in (2022, 2023, 2024):  # 6 grievous in 3 years: a blackspot by the 5-crash rule
        add(world.road_cells[0], datetime(year, 3, 1, 22), "grievous", 0)
        add(world.road_cells[0], datetime(year, 9, 1, 23), "grievous", 0)
    for _ in range(2):  # 12 deaths in two crashes: blackspot by deaths
        add(world.lone_cell, datetime(2023, 5, 5), "fatal", 6)
    add(world.ps_unit, datetime(2024, 2, 2), "fatal", None)
    add(
        world.road_cells[1], datetime(2021, 2, 2), "fatal", 20
    )  # too old: before the 3 calendar years
    add(world.road_cells[1], datetime(2025, 1, 2), "fatal", 20)  # after the cut-off
    return rows


@pytest.fixture()
def world(tmp_path: Path) -> World:
    """A fresh warehouse with a champion, one complete run and a few accidents."""
    cells = _road_cells()
    lone = h3.latlng_to_cell(29.39, 76.90, RES)
    ghost = h3.grid_ring(lone, 2)[0]
    w = World(
        tmp_path / "wh.duckdb",
        RUN_ID,
        cells,
        lone,
        ghost,
        "CITY PANIPAT | GT ROAD",
        "CITY PANIPAT | DELHI ROAD",
    )
    with write_connection(w.db_path) as con:
        con.execute(
            "INSERT INTO model_versions (version_id, created_at, as_of, status) VALUES (?, ?, ?, 'champion')",
            [VERSION, datetime(2025, 1, 1), date(2025, 1, 1)],
        )
        con.execute(
            "INSERT INTO champion VALUES ('default', ?, ?)", [VERSION, datetime(2025, 1, 1)]
        )
        con.execute(
            "INSERT INTO forecast_runs VALUES (?, ?, ?, ?, ?, 'complete', 10, ?)",
            [
                RUN_ID,
                VERSION,
                datetime(2025, 1, 1, 1),
                date(2025, 1, 1),
                date(2025, 1, 7),
                date(2025, 1, 1),
            ],
        )
        con.executemany(
            "INSERT INTO spatial_units (unit_id, kind, h3_cell, h3_resolution, road_name, road_category, "
            "police_station, district, latitude, longitude, chainage_km, km_from, km_to) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [r if len(r) == 13 else r + (None, None) for r in _units(w)],
        )
        con.executemany(
            "INSERT INTO road_km_fit VALUES ('NH-48', ?, ?, ?, 5)",
            [(km, *nh48(km)) for km in (15.0, 18.0, 21.0, 24.0, 27.0)],
        )
        con.executemany(
            "INSERT INTO forecasts VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", _forecasts(w)
        )
        con.executemany(
            "INSERT INTO accidents (accident_id, occurred_at, severity, killed, unit_id, source) "
            "VALUES (?,?,?,?,?,?)",
            _accidents(w),
        )
    return w
