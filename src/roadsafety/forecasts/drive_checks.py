"""Checks of the drive evaluation itself: planted drives in a synthetic world, placebos on real data.

Both go through the product's own path (ingest → ``drives import`` → ``drives evaluate``) and pool
each kind of drive on its own:

* :func:`planted_world_check` — a synthetic world with placebo drives (no effect, at last year's
  highest-crash places) and effect drives (a planted cut): the tests of issue 14's targets and
  ``scripts/drive_study_check.py`` use it.
* :func:`placebo_check` — placebo drives on a warehouse of real records: the ``n`` units with the
  most crashes in the year before ``start``, one drive each, nothing done there.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from roadsafety.config import CalendarConfig, PrivacyConfig, RegionConfig, Settings
from roadsafety.features.drive_places import name_key, road_key
from roadsafety.forecasts.drive_runs import evaluate_and_store, import_drives_file, selection_rows
from roadsafety.models.drive_effect import StudyOptions
from roadsafety.sources.canonical import read_canonical_accidents, read_canonical_challans
from roadsafety.sources.synthetic import generate_world
from roadsafety.sources.synthetic_drives import DriveOptions, drive_period, ranked_places
from roadsafety.store import drives as drive_store
from roadsafety.store.connection import read_connection, write_connection
from roadsafety.store.ingest import ingest_batch


@dataclass(frozen=True)
class KindResult:
    """The drives of one kind and their pooled row (``drive_id = 'ALL'``)."""

    drives: pl.DataFrame
    pooled: dict

    @property
    def fall_claims(self) -> int:
        """Single drives whose verdict is 'crashes fell: likely the drive'."""
        return int(self.drives["verdict"].str.starts_with("crashes fell").sum())


def _split(rows: pl.DataFrame) -> KindResult:
    return KindResult(
        rows.filter(pl.col("drive_id") != "ALL"),
        rows.filter(pl.col("drive_id") == "ALL").row(0, named=True),
    )


def scratch_settings(folder: Path, calendar: CalendarConfig | None = None) -> Settings:
    """Settings for a throw-away warehouse in ``folder`` (no region box, H3 resolution 8)."""
    return Settings(
        db_path=folder / "wh.duckdb",
        region=RegionConfig(bbox=None, h3_resolution=8),
        calendar=calendar or CalendarConfig(),
        privacy=PrivacyConfig(key_path=folder / "pii.key"),
    )


def planted_world_check(
    folder: Path,
    *,
    seed: int,
    scale: float = 0.5,
    years: int = 4,
    drives: DriveOptions | None = None,
    study: StudyOptions | None = None,
) -> dict[str, KindResult]:
    """Plant drives in a synthetic world, evaluate them, pool ``placebo`` and ``effect`` apart.

    Args:
        folder: where the world and its warehouse go (created).
        seed: the world's seed.
        scale: accident volume (1.0 ≈ Haryana's ~10,400 a year); challans are kept light.
        years: years of data (the drives run over the last one).
        drives: what to plant (default: 40 placebo places, 40 effect places at -30%).
        study: the evaluation's options (default :class:`StudyOptions`).
    """
    world = generate_world(
        folder,
        years=years,
        scale=scale,
        seed=seed,
        end=dt.date(2026, 1, 1),
        progress=False,
        drives=drives or DriveOptions(),
        challan_scale=0.02,
    )
    settings = scratch_settings(folder)
    settings.db_path.unlink(missing_ok=True)
    ingest_batch(settings, read_canonical_accidents(world.accidents_path), "canonical")
    ingest_batch(settings, read_canonical_challans(world.challans_path), "canonical")
    import_drives_file(settings, world.drives_path)
    evaluation = evaluate_and_store(settings, study)
    truth = pl.read_csv(folder / "drive_truth.csv")
    return {
        kind: _split(selection_rows(evaluation, ids))
        for kind in ("placebo", "effect")
        if (ids := truth.filter(pl.col("kind") == kind)["drive_id"].to_list())
    }


def _station_roads(crashes: pl.DataFrame, start: dt.date, n: int) -> pl.DataFrame:
    """The ``n`` (police station, road) pairs with most crashes in the year before ``start``."""
    first, _ = drive_period(start)
    year = crashes.filter(pl.col("day").is_between(first, start - dt.timedelta(days=1)))
    keys = [
        name_key(pl.col("police_station")).alias("ps"),
        road_key(pl.col("road_name")).alias("rk"),
    ]
    return (
        year.with_columns(keys)
        .drop_nulls(["ps", "rk"])
        .group_by("ps", "rk")
        .agg(pl.len().alias("n"), pl.col("police_station").first(), pl.col("road_name").first())
        .sort(["n", "ps", "rk"], descending=[True, False, False])
        .head(n)
        .with_columns(pl.format("{} | {}", "police_station", "road_name").alias("label"))
    )


def placebo_drives(crashes: pl.DataFrame, start: dt.date, n: int, by: str) -> pl.DataFrame:
    """Drives-file rows of ``n`` one-place placebo drives lasting a year from ``start``.

    Args:
        crashes: stored crash records.
        start: first day of the drives.
        n: how many places (the most crashes in the year before ``start``).
        by: ``unit`` (spatial units) or ``station_road`` (a police station's stretch of a road,
            located or not: stable where geocoding changed over the years).
    """
    if by == "unit":
        top = ranked_places(crashes, start).head(n).with_columns(pl.col("unit_id").alias("label"))
    else:
        top = _station_roads(crashes, start, n).with_columns(pl.lit(None, pl.Utf8).alias("unit_id"))
    _, last = drive_period(start.replace(year=start.year + 1))
    return top.with_row_index("i").select(
        pl.format("PLACEBO-{}", (pl.col("i") + 1).cast(pl.Utf8).str.zfill(3)).alias("drive_id"),
        pl.format("Placebo at {}", pl.col("label")).alias("name"),
        pl.lit(start).alias("start_date"),
        pl.lit(last).alias("end_date"),
        "unit_id",
        pl.when(pl.col("unit_id").is_null()).then(pl.col("police_station")).alias("police_station"),
        pl.when(pl.col("unit_id").is_null()).then(pl.col("road_name")).alias("road_name"),
    )


def placebo_check(
    settings: Settings,
    start: dt.date,
    n: int = 40,
    study: StudyOptions | None = None,
    by: str = "unit",
) -> KindResult:
    """Placebo drives from ``start`` at the ``n`` places with most crashes in the year before.

    Args:
        settings: a warehouse holding real records (its drives are replaced by the placebos).
        start: the placebo drives' first day (they last a year).
        n: how many places (one drive each).
        study: the evaluation's options.
        by: ``unit`` or ``station_road`` (see :func:`placebo_drives`).
    """
    with read_connection(settings.db_path) as con:
        crashes = drive_store.read_crash_records(con)
    rows = placebo_drives(crashes, start, n, by)
    path = settings.db_path.with_name("placebo_drives.csv")
    rows.write_csv(path)
    with write_connection(settings.db_path) as con:
        con.execute("DELETE FROM drive_places")
        con.execute("DELETE FROM drives")
    import_drives_file(settings, path)
    evaluation = evaluate_and_store(settings, study)
    return _split(selection_rows(evaluation, rows["drive_id"].to_list()))
