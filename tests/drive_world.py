"""A small seeded warehouse for the drive tests: crash_world crashes plus a few challans.

Imported by tests/store, tests/forecasts, tests/exports and tests/commands (``tests/`` is on
``sys.path``). Crashes run 2019-2022 (crash_world); the challans are planted around one cell: 20
in the 31 days before 2022-03-01 and 60 during the drive (March 2022), 10 far away.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl
from worlds import crash_world, ingest_crashes

from roadsafety.config import Settings
from roadsafety.sources.canonical import read_canonical_challans
from roadsafety.store.ingest import ingest_batch

DRIVE_START = date(2022, 3, 1)


def challans_at(cell: str, lat: float, lon: float) -> pl.DataFrame:
    """Canonical challans at ``cell``: 20 in the 31 days before March 2022, 60 in March, 10 elsewhere."""
    days = [DRIVE_START - timedelta(days=1 + (3 * i) % 31) for i in range(20)]
    days += [DRIVE_START + timedelta(days=i % 31) for i in range(60)]
    rows = [
        {"challan_id": f"C{i}", "issued_at": f"{d} 10:00:00", "latitude": lat, "longitude": lon}
        for i, d in enumerate(days)
    ]
    rows += [
        {
            "challan_id": f"X{i}",
            "issued_at": "2022-03-05 10:00:00",
            "latitude": 10.5,
            "longitude": 21.5,
        }
        for i in range(10)
    ]
    return pl.DataFrame(rows).with_columns(
        pl.lit("overspeeding").alias("offence"), pl.lit("PS A").alias("police_station")
    )


def build(settings: Settings, tmp: Path) -> tuple[pl.DataFrame, str]:
    """Ingest the crashes and challans into ``settings.db_path``; return (accidents, busiest cell)."""
    acc, _ = crash_world(seed=11)
    ingest_crashes(settings, acc, tmp / "acc.csv")
    cells = (
        acc.filter(pl.col("h3_cell").is_not_null())
        .group_by("h3_cell", "latitude", "longitude")
        .len()
    )
    cell, lat, lon, _ = cells.sort(["len", "h3_cell"], descending=[True, False]).row(0)
    challans_at(cell, lat, lon).write_csv(tmp / "challans.csv")
    ingest_batch(settings, read_canonical_challans(tmp / "challans.csv"), "canonical")
    return acc, cell
