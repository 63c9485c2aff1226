"""Evaluate enforcement drives from crash records: one row per drive, pooled rows, places, months.

Pure Polars (no I/O); the method is in :mod:`roadsafety.models.drive_effect`, its pieces in
:mod:`roadsafety.models.drive_study`. :func:`evaluate_drives` returns a :class:`DriveStudy`:

- ``results``: one row per drive (``scope`` empty), then pooled rows with ``drive_id = 'ALL'``: the
  state (``scope`` empty) and each district a drive touches (``scope`` = the district). Pooled rows
  sum the drives that have enough before- and after-data; a comparison group shared by several
  drives counts its error once.
- ``places``: one row per drive place: where it is, its district, its crashes before and after and
  what was expected without the drive.
- ``months``: per drive and month of its periods, the crashes recorded at its places and the
  expectation without the drive (EB before, EB × trend after), shaped by the comparison group's
  months.
- ``parts``: the per (drive, place, unit) estimates behind them (for pooling a selection of drives
  with :func:`pooled_rows`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

import polars as pl

from roadsafety.features.drive_places import match_places, place_cells
from roadsafety.models import drive_eb
from roadsafety.models import drive_effect as de
from roadsafety.models import drive_study as ds

log = logging.getLogger(__name__)

ALL = "ALL"
PLACE_SUMS = ("crashes_before", "crashes_after", "expected_before", "expected_after")


@dataclass(frozen=True)
class DriveStudy:
    """What :func:`evaluate_drives` computed (see the module docstring)."""

    results: pl.DataFrame
    places: pl.DataFrame
    months: pl.DataFrame
    parts: pl.DataFrame


def _mode(col: str) -> pl.Expr:
    return pl.col(col).drop_nulls().mode().sort().first().alias(col)


def place_info(places: pl.DataFrame, matched: pl.DataFrame, crashes: pl.DataFrame) -> pl.DataFrame:
    """Per place: district, road category, position and H3 cells (``;``) from its records.

    A place without located records is put at the centre of the cell it names, if any.
    """
    found = (
        matched.join(crashes, on="row")
        .group_by("drive_id", "place_no")
        .agg(
            _mode("district"),
            _mode("road_category"),
            pl.col("latitude").mean(),
            pl.col("longitude").mean(),
            pl.col("h3_cell").drop_nulls().unique().sort().alias("_seen"),
        )
    )
    named = place_cells(places).group_by("drive_id", "place_no").agg(pl.col("cell").alias("_named"))
    keys = ["drive_id", "place_no"]
    info = (
        places.select(*keys, "place_kind", "label")
        .join(found, on=keys, how="left")
        .join(named, on=keys, how="left")
        .with_columns(
            pl.concat_list(pl.col("_named").fill_null([]), pl.col("_seen").fill_null([]))
            .list.unique(maintain_order=True)
            .list.join(";")
            .alias("h3_cells"),
            pl.col("_named").list.first().alias("cell"),
        )
        .with_columns(pl.when(pl.col("h3_cells") != "").then(pl.col("h3_cells")).alias("h3_cells"))
    )
    return ds.fill_cell_centres(info.drop("_named", "_seen"))


def _drive_districts(info: pl.DataFrame) -> pl.DataFrame:
    return info.group_by("drive_id").agg(
        pl.col("district").drop_nulls().unique().sort().str.join(";").alias("districts"),
        pl.len().cast(pl.Int64).alias("places"),
    )


def drive_rows(
    drives: pl.DataFrame,
    periods: pl.DataFrame,
    per_drive: pl.DataFrame,
    info: pl.DataFrame,
    options: de.StudyOptions,
) -> pl.DataFrame:
    """One result row per drive (verdict included), in the drives' order."""
    counts = [*de.SUMS]
    rows = (
        drives.select("drive_id", "name")
        .join(_drive_districts(info), on="drive_id", how="left")
        .join(periods.drop("win"), on="drive_id", how="left")
        .join(per_drive, on="drive_id", how="left")
        .with_columns(
            pl.col(counts).fill_null(0),
            pl.col("places").fill_null(0),
            pl.col("expected_after_without_drive").fill_null(0.0),
            pl.lit("").alias("scope"),
        )
    )
    return with_verdicts(rows, options)


def with_verdicts(rows: pl.DataFrame, options: de.StudyOptions) -> pl.DataFrame:
    """Add ``verdict`` and ``naive_change_pct`` (what a plain before/after would claim)."""
    verdicts = [de.verdict(r, options) for r in rows.iter_rows(named=True)]
    naive = [
        de.naive_change_pct(b, a)
        for b, a in rows.select("crashes_before", "crashes_after").iter_rows()
    ]
    return rows.with_columns(
        pl.Series("verdict", verdicts, dtype=pl.Utf8),
        pl.Series("naive_change_pct", naive, dtype=pl.Float64),
    )


def eligible(rows: pl.DataFrame, options: de.StudyOptions) -> pl.DataFrame:
    """Drives with enough before- and after-data to be pooled."""
    return rows.filter(
        (pl.col("after_days") >= options.min_after_days)
        & (pl.col("before_days") >= options.min_before_days)
    )


def pooled_rows(parts: pl.DataFrame, rows: pl.DataFrame, options: de.StudyOptions) -> pl.DataFrame:
    """``drive_id = 'ALL'`` rows: statewide (scope '') and per district, over eligible drives."""
    ok = eligible(rows, options)
    pool = rows if ok.is_empty() else ok
    scopes = pool.select(
        "drive_id", pl.concat_list(pl.lit(""), pl.col("districts").str.split(";")).alias("scope")
    ).explode("scope")
    scopes = scopes.filter(pl.col("scope").is_not_null()).unique(maintain_order=True)
    tagged = parts.filter(pl.col("drive_id").is_in(ok["drive_id"].implode())).join(
        scopes, on="drive_id"
    )
    sums = (
        de.effect_index(de.summarise(tagged, ["scope"]), options.level) if tagged.height else None
    )
    meta = (
        scopes.join(pool, on="drive_id")
        .group_by("scope")
        .agg(
            pl.len().alias("drives"),
            pl.col("places").sum(),
            pl.col("before_start").min(),
            pl.col("before_end").max(),
            pl.col("after_start").min(),
            pl.col("after_end").max(),
            pl.col("after_days").min() if not ok.is_empty() else pl.col("after_days").max(),
            pl.col("before_days").min(),
        )
    )
    out = meta if sums is None else meta.join(sums, on="scope", how="left")
    name = (
        pl.when(pl.col("scope") == "")
        .then(pl.lit("All drives"))
        .otherwise("All drives in " + pl.col("scope"))
    )
    out = out.with_columns(
        pl.lit(ALL).alias("drive_id"),
        pl.format(
            "{} ({} drive{})",
            name,
            pl.col("drives"),
            pl.when(pl.col("drives") == 1).then(pl.lit("")).otherwise(pl.lit("s")),
        ).alias("name"),
        pl.col("scope").alias("districts"),
    )
    return with_verdicts(ds.fill_counts(out), options).sort("scope")


def monthly_series(
    crashes: pl.DataFrame,
    matched: pl.DataFrame,
    periods: pl.DataFrame,
    parts: pl.DataFrame,
    cmp_months: pl.DataFrame,
) -> pl.DataFrame:
    """Per drive, month and period: crashes at its places and the expectation without the drive.

    A comparison group's expectation (EB over the history, EB × trend after) is spread over the
    months of the before and after periods as the group's untreated crashes were.
    """
    period = (
        pl.when(ds.in_period("before"))
        .then(pl.lit("before"))
        .when(ds.in_period("after"))
        .then(pl.lit("after"))
    )
    seen = (
        matched.join(crashes.select("row", "day"), on="row")
        .join(periods, on="drive_id")
        .with_columns(period.alias("period"), pl.col("day").dt.truncate("1mo").alias("month"))
        .filter(pl.col("period").is_not_null())
        .group_by("drive_id", "month", "period")
        .agg(pl.len().cast(pl.Int64).alias("crashes"))
    )
    groups = parts.group_by("drive_id", "win", "level", "g_d", "g_c").agg(
        pl.col("eb_history", "expected_after").sum(),
        pl.col("cmp_history", "cmp_after").first(),
    )
    joined = groups.join(cmp_months, on=["win", "level", "g_d", "g_c"])
    before = (pl.col("eb_history") * pl.col("before") / pl.col("cmp_history")).alias("before")
    after = (pl.col("expected_after") * pl.col("after") / pl.col("cmp_after")).alias("after")
    expected = (
        joined.select("drive_id", "month", before, after)
        .unpivot(["before", "after"], index=["drive_id", "month"], variable_name="period")
        .group_by("drive_id", "month", "period")
        .agg(pl.col("value").sum().alias("expected"))
    )
    keys = ["drive_id", "month", "period"]
    both = seen.join(expected.filter(pl.col("expected") > 0), on=keys, how="full", coalesce=True)
    return both.with_columns(
        pl.col("crashes").fill_null(0), pl.col("expected").fill_null(0.0)
    ).sort(keys)


def study_parts(
    crashes: pl.DataFrame,
    places: pl.DataFrame,
    periods: pl.DataFrame,
    options: de.StudyOptions,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Matched records, the EB parts of every drive and the comparison months.

    Returns:
        ``(matched, parts, comparison months)``.
    """
    matched = match_places(places, crashes)
    units = ds.unit_universe(crashes)
    parts = ds.place_parts(matched, crashes, periods).join(
        periods.select("drive_id", "win", "history_start", "history_end"), on="drive_id"
    )
    treated = parts["unit_id"].unique()
    cmp_months = ds.comparison_months(crashes, periods, treated)
    counts = ds.comparison_counts(cmp_months)
    parts = ds.choose_groups(parts, units, counts, options)
    parts, unit_eb = drive_eb.history_estimates(crashes, units, parts, options)
    phi = ds.extra_variation(unit_eb, crashes, periods, treated, units, counts, options)
    parts = de.part_estimates(parts.join(phi, on="win", how="left"))
    return matched, parts, cmp_months


def evaluate_drives(
    crashes: pl.DataFrame,
    drives: pl.DataFrame,
    places: pl.DataFrame,
    *,
    options: de.StudyOptions | None = None,
    data_start: date | None = None,
    data_end: date | None = None,
) -> DriveStudy:
    """The Empirical Bayes before/after study of every drive (see the module docstring).

    Args:
        crashes: records (columns in :mod:`roadsafety.models.drive_study`).
        drives: ``drive_id, name, start_date`` (and any other columns, ignored).
        places: ``drive_id, place_no, place_kind, label, unit_id, h3_cell, road_name, km_from,
            km_to, police_station``.
        options: study choices (default :class:`~roadsafety.models.drive_effect.StudyOptions`).
        data_start: first day of crash data (default: the earliest record).
        data_end: last day of crash data (default: the latest record).

    Returns:
        A :class:`DriveStudy`.
    """
    options = options or de.StudyOptions()
    data_start = data_start or crashes["day"].min()
    data_end = data_end or crashes["day"].max()
    periods = ds.drive_periods(drives, data_start, data_end, options)
    matched, parts, cmp_months = study_parts(crashes, places, periods, options)
    per_drive = de.effect_index(de.summarise(parts, ["drive_id"]), options.level)
    info = place_info(places, matched, crashes)
    rows = drive_rows(drives, periods, per_drive, info, options)
    results = pl.concat([rows, pooled_rows(parts, rows, options)], how="diagonal_relaxed")
    place_sums = parts.group_by("drive_id", "place_no").agg(pl.col(PLACE_SUMS).sum())
    place_rows = info.join(place_sums, on=["drive_id", "place_no"], how="left").with_columns(
        pl.col(PLACE_SUMS).fill_null(0)
    )
    months = monthly_series(crashes, matched, periods, parts, cmp_months)
    log.info("evaluated %d drive(s) over data %s..%s", drives.height, data_start, data_end)
    return DriveStudy(results, place_rows.sort("drive_id", "place_no"), months, parts)
