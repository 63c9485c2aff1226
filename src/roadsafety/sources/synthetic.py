"""Seeded synthetic Haryana world: accidents, e-challans, reference tables and the planted truth.

:func:`generate_world` writes, into one directory, ``accidents.csv`` and ``challans.csv`` (or
``.parquet``) in exactly the canonical input schemas, ``districts.csv``, ``police_stations.csv`` and
``truth.csv`` (the planted expected crashes per spatial unit). Same seed and arguments → byte-identical
files. Challans are generated and written month by month, so memory stays bounded at any size.
With ``drives``, enforcement drives with a known effect and placebo drives are planted
(:mod:`roadsafety.sources.synthetic_drives`: ``drives.csv`` and ``drive_truth.csv``); without, the
files are exactly those of a world without drives. Assumptions and numbers: docs/synthetic.md.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import polars as pl
import pyarrow.parquet as pq
from tqdm import tqdm

from roadsafety import schemas
from roadsafety.sources.synthetic_accidents import build_accidents, build_truth
from roadsafety.sources.synthetic_challans import (
    ChallanWorld,
    challan_month,
    make_challan_world,
    month_starts,
)
from roadsafety.sources.synthetic_drives import (
    DriveOptions,
    PlantedDrives,
    drive_challans,
    plant_drives,
)
from roadsafety.sources.synthetic_geo import World, load_world
from roadsafety.sources.synthetic_sites import build_sites, choose_cameras
from roadsafety.sources.synthetic_time import festival_dates, hour_grid

log = logging.getLogger(__name__)

Format = Literal["csv", "parquet"]
TRUTH_COLUMNS = (
    "unit_id",
    "h3_cell",
    "road_name",
    "road_category",
    "police_station",
    "district",
    "kind",
    "expected_crashes_per_year",
    "expected_fatal_grievous_per_year",
    "is_blackspot",
    "n_sites",
    "true_rank",
)


@dataclass(frozen=True)
class SynthSummary:
    """What :func:`generate_world` wrote."""

    out_dir: Path
    accidents_path: Path
    challans_path: Path
    districts_path: Path
    police_stations_path: Path
    truth_path: Path
    n_accidents: int
    n_challans: int
    n_units: int
    n_blackspots: int
    start: dt.date
    end: dt.date  # last day covered (inclusive)
    seed: int
    scale: float
    years: int
    drives_path: Path | None = None
    n_drives: int = 0

    def __str__(self) -> str:
        drives = (
            f"\n  drives:    {self.n_drives} planted (truth in drive_truth.csv) -> {self.drives_path.name}"
            if self.drives_path
            else ""
        )
        return (
            f"synthetic Haryana world (seed {self.seed}, scale {self.scale:g}, {self.years} years: "
            f"{self.start} to {self.end}) in {self.out_dir}\n"
            f"  accidents: {self.n_accidents:,} -> {self.accidents_path.name}\n"
            f"  challans:  {self.n_challans:,} -> {self.challans_path.name}\n"
            f"  truth:     {self.n_units:,} units ({self.n_blackspots} planted blackspots) -> "
            f"{self.truth_path.name}\n"
            f"  reference: {self.districts_path.name}, {self.police_stations_path.name}{drives}"
        )


def period(years: int, end: dt.date | None) -> tuple[dt.date, dt.date]:
    """``(first day, day after the last day)`` of ``years`` years ending the day before ``end``."""
    stop = end or dt.date.today()
    try:
        start = stop.replace(year=stop.year - years)
    except ValueError:  # 29 February
        start = stop.replace(year=stop.year - years, day=28)
    return start, stop


def _write_table(frame: pl.DataFrame, path: Path, fmt: Format) -> None:
    if fmt == "csv":
        frame.write_csv(path)
    else:
        frame.write_parquet(path, compression="zstd", statistics=False)


class _ChunkWriter:
    """Appends frames to one CSV (header once) or one Parquet file (a row group per chunk)."""

    def __init__(self, path: Path, fmt: Format) -> None:
        self.path, self.fmt, self.rows = path, fmt, 0
        self._csv = path.open("wb") if fmt == "csv" else None
        self._pq: pq.ParquetWriter | None = None

    def write(self, frame: pl.DataFrame) -> None:
        if self._csv is not None:
            frame.write_csv(self._csv, include_header=self.rows == 0)
        else:
            table = frame.to_arrow()
            if self._pq is None:
                self._pq = pq.ParquetWriter(self.path, table.schema, compression="zstd")
            self._pq.write_table(table)
        self.rows += frame.height

    def close(self, empty: pl.DataFrame) -> None:
        if self.rows == 0:
            self.write(empty)
        if self._csv is not None:
            self._csv.close()
        if self._pq is not None:
            self._pq.close()


def _reference_tables(world: World) -> tuple[pl.DataFrame, pl.DataFrame]:
    districts = world.districts.select("district", "state", "latitude", "longitude")
    return districts, world.police_stations.select(
        "police_station", "district", "latitude", "longitude"
    )


def _paths(out_dir: Path, fmt: Format) -> dict[str, Path]:
    """Output paths; removes the other format's fact files, which would not match the new truth."""
    other = "parquet" if fmt == "csv" else "csv"
    for name in ("accidents", "challans"):
        stale = out_dir / f"{name}.{other}"
        if stale.exists():
            log.info("removing %s from an earlier run (it would not match the new truth)", stale)
            stale.unlink()
    paths = {name: out_dir / f"{name}.{fmt}" for name in ("accidents", "challans")}
    return paths | {
        name: out_dir / f"{name}.csv" for name in ("districts", "police_stations", "truth")
    }


def _write_static(
    world: World, accidents: pl.DataFrame, truth: pl.DataFrame, paths: dict[str, Path], fmt: Format
) -> None:
    """Write the accidents, the reference tables and the truth."""
    _write_table(accidents, paths["accidents"], fmt)
    districts, stations = _reference_tables(world)
    districts.write_csv(paths["districts"])
    stations.write_csv(paths["police_stations"])
    truth.write_csv(paths["truth"])
    log.info(
        "wrote %d accidents and %d truth units to %s",
        accidents.height,
        truth.height,
        paths["truth"].parent,
    )


def _write_challans(
    path: Path,
    fmt: Format,
    cw: ChallanWorld,
    start: dt.date,
    stop: dt.date,
    rng: np.random.Generator,
    progress: bool,
    extra: Callable[[dt.date, dt.date], pl.DataFrame] | None = None,
) -> int:
    writer = _ChunkWriter(path, fmt)
    months = list(month_starts(start, stop))
    try:
        for first, nxt in tqdm(months, desc="challans (months)", disable=not progress, unit="mo"):
            writer.write(challan_month(cw, first, nxt, rng))
            if extra is not None:
                writer.write(extra(first, nxt))
    finally:
        writer.close(schemas.empty_frame(schemas.CHALLAN_INPUT))
    return writer.rows


def generate_world(
    out_dir: Path,
    *,
    years: int = 3,
    scale: float = 1.0,
    seed: int = 42,
    end: dt.date | None = None,
    fmt: Format = "csv",
    h3_resolution: int = 8,
    stretch_km: float = 1.0,
    progress: bool = True,
    drives: DriveOptions | None = None,
    challan_scale: float | None = None,
) -> SynthSummary:
    """Write a seeded synthetic Haryana world into ``out_dir``.

    Args:
        out_dir: directory to write into (created if missing; existing files are replaced).
        years: number of years covered, ending the day before ``end``.
        scale: 1.0 ≈ 10,400 accidents and 500,000 challans a year (10% of Haryana's real volume).
        seed: seed of the numpy Generator; same seed and arguments → byte-identical files.
        end: the day after the last generated day (default: today).
        fmt: ``"csv"`` or ``"parquet"`` for the accident and challan files.
        h3_resolution: H3 resolution of the truth cells.
        stretch_km: length of the truth's road stretches (unlocated records with a km marker).
        progress: show a progress bar.
        drives: plant placebo and effect drives (None: no drives, the files as without them).
        challan_scale: the challan volume on its own (default ``scale``): 1.0 ≈ 500,000 challans
            a year, so ``scale=1, challan_scale=10.4`` is Haryana's real ~10,400 accidents and
            ~52 lakh challans a year (a smaller value gives a lighter file for tests).

    Returns:
        Paths, counts and the date range written.
    """
    challan_scale = scale if challan_scale is None else challan_scale
    if years < 1 or scale <= 0 or challan_scale <= 0 or fmt not in ("csv", "parquet"):
        raise ValueError(
            f"need years >= 1, scale > 0, challan_scale > 0 and fmt csv|parquet; got {years}, "
            f"{scale}, {challan_scale}, {fmt}"
        )
    if drives is not None and years < 2:
        raise ValueError("planting drives needs years >= 2 (places are chosen on the year before)")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    start, stop = period(years, end)
    rng = np.random.default_rng(seed)
    world = load_world()
    sites = build_sites(world, rng, scale, h3_resolution, stretch_km)
    cameras = choose_cameras(sites, world, rng)
    grid = hour_grid(start, stop)
    festivals = festival_dates(range(start.year, stop.year + 1))
    codes = dict(world.districts.select("district", "code").iter_rows())
    accidents, exp_fg = build_accidents(sites, grid, festivals, codes, h3_resolution, rng)
    truth = build_truth(sites, exp_fg).select(TRUTH_COLUMNS)
    paths = _paths(out_dir, fmt)
    planted = None
    if drives is None:
        _remove_stale_drives(out_dir)
    else:
        planted = plant_drives(accidents, stop, h3_resolution, drives, seed, stretch_km)
        accidents = planted.accidents
        _write_drives(planted, out_dir)
    _write_static(world, accidents, truth, paths, fmt)
    cw = make_challan_world(sites, cameras, world.districts, challan_scale, start, grid.n, rng)
    extra = _drive_challans(planted, drives, world, seed) if planted is not None else None
    n_challans = _write_challans(paths["challans"], fmt, cw, start, stop, rng, progress, extra)
    log.info(
        "wrote %d challans (%s to %s) to %s",
        n_challans,
        start,
        stop - dt.timedelta(days=1),
        paths["challans"],
    )
    return SynthSummary(
        out_dir=out_dir,
        accidents_path=paths["accidents"],
        challans_path=paths["challans"],
        districts_path=paths["districts"],
        police_stations_path=paths["police_stations"],
        truth_path=paths["truth"],
        n_accidents=accidents.height,
        n_challans=n_challans,
        n_units=truth.height,
        n_blackspots=int(truth["is_blackspot"].sum()),
        start=start,
        end=stop - dt.timedelta(days=1),
        seed=seed,
        scale=scale,
        years=years,
        drives_path=out_dir / "drives.csv" if planted is not None else None,
        n_drives=planted.truth.height if planted is not None else 0,
    )


def _remove_stale_drives(out_dir: Path) -> None:
    for name in ("drives.csv", "drive_truth.csv"):
        if (out_dir / name).exists():
            log.info("removing %s from an earlier run (it would not match this world)", name)
            (out_dir / name).unlink()


def _write_drives(planted: PlantedDrives, out_dir: Path) -> None:
    planted.drives.write_csv(out_dir / "drives.csv")
    planted.truth.write_csv(out_dir / "drive_truth.csv")
    log.info("planted %d drives (%s to %s)", planted.truth.height, planted.start, planted.end)


def _drive_challans(
    planted: PlantedDrives, options: DriveOptions, world: World, seed: int
) -> Callable[[dt.date, dt.date], pl.DataFrame]:
    """Month-by-month writer of the effect drives' extra challans (their own generator)."""
    rng = np.random.default_rng([seed, 15])
    rto = {d: list(r) for d, r in world.districts.select("district", "rto").iter_rows()}
    return lambda first, nxt: drive_challans(planted, first, nxt, options, rto, rng)
