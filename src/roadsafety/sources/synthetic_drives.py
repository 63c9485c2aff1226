"""Enforcement drives planted in the synthetic world, with a known effect (and placebos without).

Drives run over the world's last year (from one year before ``end`` to the last generated day).
Places are spatial units ranked by their crashes in the year before the drives (the way an SP picks
them; the most tempting case for regression to the mean):

- **placebo drives** (one place each) at the ``placebo_places`` highest-crash units: nothing
  changes there, and no extra challans are written;
- **effect drives** (``places_per_drive`` places each) at the next ``effect_places`` units: each of
  their crashes during the drive is removed with probability ``-effect`` (a planted change of
  ``100·effect`` %), and officers issue extra challans there during the drive (``challans_per_day``
  a place, overspeeding and drunk driving).

Everything is drawn from its own generator (seeded from the world's seed), so the rest of the world
(sites, accidents elsewhere, the regular challans) is exactly the world without drives. The drives
go to ``drives.csv`` (the import format, :mod:`roadsafety.sources.drives`) and the truth to
``drive_truth.csv``: ``drive_id, kind, planted_change_pct, places, crashes_removed``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import h3
import numpy as np
import polars as pl

from roadsafety import schemas
from roadsafety.config import RegionConfig
from roadsafety.features.units import assign_units
from roadsafety.sources.synthetic_challans import make_registrations

PLACEBO, EFFECT = "placebo", "effect"
DRIVE_OFFENCES = ("overspeeding", "drunk_driving")
OFFENCE_TEXT = {
    "overspeeding": "Sec 183 MVA - Overspeeding",
    "drunk_driving": "Sec 185 MVA - Drunk driving",
}
FINES = {"overspeeding": 1000.0, "drunk_driving": 10000.0}
TRUTH_COLUMNS = ("drive_id", "kind", "planted_change_pct", "places", "crashes_removed")


@dataclass(frozen=True)
class DriveOptions:
    """What to plant (see the module docstring)."""

    effect: float = -0.30
    effect_places: int = 40
    placebo_places: int = 40
    places_per_drive: int = 4
    challans_per_day: float = 3.0

    def __post_init__(self) -> None:
        if not -1.0 < self.effect <= 0.0:
            raise ValueError(f"drive effect must be in (-1, 0] (a reduction), got {self.effect}")
        if min(self.effect_places, self.placebo_places) < 0 or self.places_per_drive < 1:
            raise ValueError("drive place counts must be >= 0 and places_per_drive >= 1")


@dataclass(frozen=True)
class PlantedDrives:
    """The accidents with the effect applied, the drives file rows, the truth and the places."""

    accidents: pl.DataFrame
    drives: pl.DataFrame
    truth: pl.DataFrame
    places: pl.DataFrame  # drive_id, kind, unit_id, h3_cell, police_station, road_name, district
    start: dt.date
    end: dt.date


def accident_units(accidents: pl.DataFrame, resolution: int, stretch_km: float = 1.0) -> pl.Series:
    """The unit each canonical accident row gets at ingest (:func:`assign_units`): its H3 cell, else
    its road stretch ``ROAD | km A-B``, else ``PS | ROAD``."""
    region = RegionConfig(h3_resolution=resolution, stretch_km=stretch_km)
    return assign_units(accidents, region)["unit_id"]


def drive_period(end: dt.date) -> tuple[dt.date, dt.date]:
    """(first day, last day) of the planted drives: the year before ``end`` (exclusive)."""
    try:
        start = end.replace(year=end.year - 1)
    except ValueError:  # 29 February
        start = end.replace(year=end.year - 1, day=28)
    return start, end - dt.timedelta(days=1)


def ranked_places(acc: pl.DataFrame, start: dt.date) -> pl.DataFrame:
    """Units by crashes in the year before ``start`` (most first, ties by unit id)."""
    first, _ = drive_period(start)
    year = acc.filter(pl.col("day").is_between(first, start - dt.timedelta(days=1)))
    return (
        year.filter(pl.col("unit_id").is_not_null())
        .group_by("unit_id")
        .agg(
            pl.len().alias("n"),
            pl.col("h3_cell").first(),
            pl.col("police_station").mode().first(),
            pl.col("road_name").drop_nulls().mode().first(),
            pl.col("district").mode().first(),
        )
        .sort(["n", "unit_id"], descending=[True, False])
    )


def choose_places(ranked: pl.DataFrame, options: DriveOptions) -> pl.DataFrame:
    """Placebo drives at the top units (one each), effect drives at the next ones (grouped)."""
    placebo = ranked.head(options.placebo_places).with_columns(
        pl.lit(PLACEBO).alias("kind"), pl.int_range(pl.len()).alias("group")
    )
    effect = ranked.slice(options.placebo_places, options.effect_places).with_columns(
        pl.lit(EFFECT).alias("kind"),
        (pl.int_range(pl.len()) // options.places_per_drive + placebo.height).alias("group"),
    )
    both = pl.concat([placebo, effect])
    return both.with_columns(
        pl.format("DRV-{}", (pl.col("group") + 1).cast(pl.Utf8).str.zfill(3)).alias("drive_id")
    )


def _drive_rows(places: pl.DataFrame, start: dt.date, end: dt.date) -> pl.DataFrame:
    first = places.group_by("drive_id", maintain_order=True).agg(
        pl.col("road_name").first(), pl.col("district").first(), pl.col("kind").first()
    )
    name = pl.format(
        "{} checks, {}", pl.col("road_name").fill_null("local roads"), pl.col("district")
    )
    focus = pl.when(pl.col("kind") == EFFECT).then(pl.lit(";".join(DRIVE_OFFENCES)))
    rows = places.join(
        first.select("drive_id", name.alias("name"), focus.alias("offence_focus")), on="drive_id"
    )
    return rows.select(
        "drive_id",
        "name",
        pl.lit(start).alias("start_date"),
        pl.lit(end).alias("end_date"),
        "unit_id",
        "district",
        "offence_focus",
    )


def plant_drives(
    accidents: pl.DataFrame,
    end: dt.date,
    resolution: int,
    options: DriveOptions,
    seed: int,
    stretch_km: float = 1.0,
) -> PlantedDrives:
    """Choose drive places, apply the planted effect to the accidents, and describe the drives.

    Args:
        accidents: canonical accident rows (``occurred_at`` as text).
        end: the day after the last generated day.
        resolution: H3 resolution of the units.
        options: what to plant.
        seed: the world's seed (the drives use their own generator from it).
        stretch_km: length of the road stretches (units of unlocated km-marked records).
    """
    rng = np.random.default_rng([seed, 14])
    start, last = drive_period(end)
    acc = accidents.with_columns(
        accident_units(accidents, resolution, stretch_km),
        pl.col("occurred_at").str.slice(0, 10).str.to_date().alias("day"),
        pl.when(pl.col("latitude").is_not_null()).then(pl.col("latitude")).alias("_lat"),
    ).with_columns(pl.when(pl.col("_lat").is_not_null()).then(pl.col("unit_id")).alias("h3_cell"))
    places = choose_places(ranked_places(acc, start), options)
    treated = places.filter(pl.col("kind") == EFFECT)["unit_id"]
    hit = pl.col("unit_id").is_in(treated.implode()) & pl.col("day").is_between(start, last)
    removed = acc.with_columns(pl.Series("_u", rng.random(acc.height))).with_columns(
        (hit & (pl.col("_u") < -options.effect)).fill_null(False).alias("_removed")
    )
    kept = removed.filter(~pl.col("_removed")).select(accidents.columns)
    per_drive = removed.filter(pl.col("_removed")).join(
        places.select("unit_id", "drive_id"), on="unit_id"
    )
    truth = _truth(places, per_drive, options)
    return PlantedDrives(kept, _drive_rows(places, start, last), truth, places, start, last)


def _truth(places: pl.DataFrame, removed: pl.DataFrame, options: DriveOptions) -> pl.DataFrame:
    counts = removed.group_by("drive_id").agg(pl.len().cast(pl.Int64).alias("crashes_removed"))
    change = pl.when(pl.col("kind") == EFFECT).then(round(100 * options.effect, 6)).otherwise(0.0)
    return (
        places.group_by("drive_id", maintain_order=True)
        .agg(pl.col("kind").first(), pl.len().cast(pl.Int64).alias("places"))
        .join(counts, on="drive_id", how="left")
        .with_columns(change.alias("planted_change_pct"), pl.col("crashes_removed").fill_null(0))
        .select(TRUTH_COLUMNS)
    )


def drive_challans(
    planted: PlantedDrives,
    first: dt.date,
    stop: dt.date,
    options: DriveOptions,
    rto: dict[str, list[str]],
    rng: np.random.Generator,
) -> pl.DataFrame:
    """Extra officer challans at the effect drives' places issued in ``[first, stop)``."""
    lo, hi = max(first, planted.start), min(stop, planted.end + dt.timedelta(days=1))
    where = planted.places.filter(pl.col("kind") == EFFECT)
    days = (hi - lo).days
    if days <= 0 or where.is_empty():
        return schemas.empty_frame(schemas.CHALLAN_INPUT)
    counts = rng.poisson(options.challans_per_day * days, where.height)
    rows = (
        where.select(pl.all().repeat_by(pl.Series(counts)).flatten())
        if counts.sum()
        else where.head(0)
    )
    n = rows.height
    offence = rng.choice(DRIVE_OFFENCES, n)
    when = np.datetime64(lo) + rng.integers(0, days * 24 * 3600, n).astype("timedelta64[s]")
    return _challan_frame(rows, offence, np.sort(when), rto, rng)


def _challan_frame(
    rows: pl.DataFrame, offence: np.ndarray, when: np.ndarray, rto: dict, rng
) -> pl.DataFrame:
    centres = [h3.cell_to_latlng(c) if c else (None, None) for c in rows["h3_cell"].to_list()]
    codes = np.array([rto.get(d, ["HR-99"])[0] for d in rows["district"].to_list()])
    month = when.astype("datetime64[M]").astype(str)
    frame = pl.DataFrame(
        {
            "challan_id": [f"ED-{m.replace('-', '')}-{i + 1:06d}" for i, m in enumerate(month)],
            "issued_at": when.astype("datetime64[s]").astype(str),
            "latitude": [c[0] for c in centres],
            "longitude": [c[1] for c in centres],
            "offence": offence,
            "offence_raw": [OFFENCE_TEXT[o] for o in offence],
            "vehicle_class": "car",
            "fine_amount": [FINES[o] for o in offence],
            "district": rows["district"],
            "police_station": rows["police_station"],
            "road_name": rows["road_name"],
            "camera_id": None,
            "vehicle_reg": make_registrations(codes, rng)
            if len(codes)
            else np.array([], dtype=str),
            "challan_type": "challan",
        }
    ).with_columns(pl.col("issued_at").str.replace("T", " "))
    return frame.select([pl.col(c).cast(t) for c, t in schemas.CHALLAN_INPUT.items()])
