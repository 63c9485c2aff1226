"""Drive jobs that read and write the warehouse: import a drives file, save a plan as a drive,
evaluate every drive and store the result (the app and the exports read the stored result).

* :func:`import_drives_file` ``(settings, path)`` — validate the whole file, store it in one write
  or refuse it (logged in ``ingest_runs``); say which places match no crash record yet.
* :func:`save_plan_as_drive` ``(settings, plan, name, ...)`` — a plan frame (``roadsafety plan``
  rows) stored as one drive, through the same validation (for ``plan --save-as-drive NAME``).
* :func:`evaluate_and_store` ``(settings, options)`` — the Empirical Bayes before/after study of
  every stored drive (:mod:`roadsafety.models.drive_evaluation`) with challans during each drive
  against the same places before; stored as the current evaluation and returned.
* :func:`refresh_evaluation` ``(settings)`` — the batch job's step: evaluate again on the new data
  with the options of the stored evaluation (nothing to do without drives).
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl

from roadsafety.config import Settings
from roadsafety.features.drive_places import match_challans, match_places, name_key, road_key
from roadsafety.models.drive_effect import StudyOptions
from roadsafety.models.drive_evaluation import (
    ALL,
    DriveStudy,
    eligible,
    evaluate_drives,
    pooled_rows,
)
from roadsafety.sources.base import SourceError
from roadsafety.sources.drives import DriveBatch, drives_from_plan, read_drives, require_clean
from roadsafety.store import drives as store
from roadsafety.store.connection import read_connection
from roadsafety.store.ingest import new_run_id
from roadsafety.store.provenance import os_user

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Imported:
    """A stored drives import and the places that match no crash record (yet)."""

    result: store.ImportResult
    unmatched: pl.DataFrame


def _store_batch(settings: Settings, batch: DriveBatch) -> Imported:
    run_id = new_run_id("drv")
    try:
        require_clean(batch)
    except SourceError as exc:
        if Path(batch.source_file).is_file():
            store.record_failed_import(settings.db_path, run_id, batch.source_file, str(exc))
        raise
    result = store.write_drives(settings.db_path, batch, run_id)
    with read_connection(settings.db_path) as con:
        crashes = store.read_crash_records(con)
    found = match_places(batch.places, crashes).select("drive_id", "place_no").unique()
    unmatched = batch.places.join(found, on=["drive_id", "place_no"], how="anti")
    return Imported(result, unmatched.select("drive_id", "place_no", "label", "source_row"))


def import_drives_file(settings: Settings, path: Path) -> Imported:
    """Validate and store a drives CSV/XLSX (all rows or none).

    Raises:
        SourceError: naming the file, and every bad row with its column and reason.
    """
    try:
        batch = read_drives(path, settings.region.h3_resolution)
    except SourceError as exc:
        if settings.db_path.exists() and Path(path).is_file():
            store.record_failed_import(settings.db_path, new_run_id("drv"), str(path), str(exc))
        raise
    return _store_batch(settings, batch)


def save_plan_as_drive(
    settings: Settings,
    plan: pl.DataFrame,
    name: str,
    *,
    drive_id: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> Imported:
    """Store a plan frame as one drive named ``name`` (``roadsafety plan --save-as-drive NAME``).

    Args:
        settings: where the warehouse is.
        plan: the plan's rows (DESIGN.md "Drive plan" columns; ``window_start``/``window_end`` give
            the drive's dates unless ``start``/``end`` are given).
        name: the drive's name; its id defaults to the name upper-cased (``NH44 NIGHTS`` →
            ``NH44-NIGHTS``) and replaces a stored drive of the same id.
        drive_id: an explicit id instead.
        start: first day of the drive.
        end: last day of the drive.

    Raises:
        SourceError: when a plan row names no usable place or the dates are missing.
    """
    batch = drives_from_plan(
        plan,
        name,
        drive_id=drive_id,
        start=start,
        end=end,
        h3_resolution=settings.region.h3_resolution,
    )
    return _store_batch(settings, batch)


def _challan_windows(drives: pl.DataFrame, first: date, last: date) -> pl.DataFrame:
    """Per drive: the days of the drive with challan data, and as many days just before it."""
    rows = []
    for drive_id, start, end in drives.select("drive_id", "start_date", "end_date").iter_rows():
        stop = min(end, last)
        days = (stop - start).days + 1
        before = start - timedelta(days=max(days, 0))
        ok = days > 0 and before >= first
        rows.append((drive_id, start, stop, before, ok))
    return pl.DataFrame(rows, schema=["drive_id", "start", "stop", "before", "ok"], orient="row")


def challan_counts(con, drives: pl.DataFrame, places: pl.DataFrame) -> pl.DataFrame:
    """``drive_id, challans_before, challans_during`` (null where challan data does not cover both)."""
    first, last = store.challan_range(con)
    empty = drives.select("drive_id").with_columns(
        pl.lit(None, pl.Int64).alias("challans_before"),
        pl.lit(None, pl.Int64).alias("challans_during"),
    )
    if first is None or drives.is_empty():
        return empty
    windows = _challan_windows(drives, first, last).filter(pl.col("ok"))
    if windows.is_empty():
        return empty
    lo, hi = windows["before"].min(), windows["stop"].max()
    wanted = pl.select(
        road_key(pl.Series(places["road_name"].drop_nulls().to_list(), dtype=pl.Utf8))
    ).to_series()
    names = store.challan_names(con, lo, hi)
    roads = names.filter(road_key(pl.col("road_name")).is_in(wanted.implode()))[
        "road_name"
    ].unique()
    cells = [c for text in places["h3_cells"].drop_nulls().to_list() for c in text.split(";")]
    units = pl.select(name_key(pl.Series(places["label"].to_list(), dtype=pl.Utf8))).to_series()
    groups = store.challan_groups(con, lo, hi, cells, units.drop_nulls().to_list(), roads.to_list())
    matched = match_challans(
        places, groups.with_row_index("row").with_columns(pl.col("row").cast(pl.Int64))
    )
    days = matched.join(
        groups.with_row_index("row").with_columns(pl.col("row").cast(pl.Int64)), on="row"
    )
    counted = (
        days.join(windows, on="drive_id")
        .group_by("drive_id")
        .agg(
            pl.col("challans")
            .filter(pl.col("day").is_between(pl.col("start"), pl.col("stop")))
            .sum()
            .alias("challans_during"),
            pl.col("challans")
            .filter((pl.col("day") >= pl.col("before")) & (pl.col("day") < pl.col("start")))
            .sum()
            .alias("challans_before"),
        )
    )
    covered = windows.select("drive_id").join(counted, on="drive_id", how="left").fill_null(0)
    return empty.drop("challans_before", "challans_during").join(covered, on="drive_id", how="left")


CHALLAN_COLUMNS = ("challans_before", "challans_during")


def _challan_sum(counts: pl.DataFrame, members: list[str]) -> dict:
    part = counts.filter(pl.col("drive_id").is_in(members))
    return {
        c: part[c].sum() if part[c].null_count() < part.height else None for c in CHALLAN_COLUMNS
    }


def with_challans(
    results: pl.DataFrame, counts: pl.DataFrame, options: StudyOptions
) -> pl.DataFrame:
    """Challan columns of the drive rows, and their sums over each pooled row's drives."""
    drives = results.filter(pl.col("drive_id") != ALL).join(counts, on="drive_id", how="left")
    members = pooled_members(results, options)
    pooled = [
        row | _challan_sum(counts, members.get(row["scope"], []))
        for row in results.filter(pl.col("drive_id") == ALL).iter_rows(named=True)
    ]
    return pl.concat([drives, pl.DataFrame(pooled, schema=drives.schema)]) if pooled else drives


def pooled_members(results: pl.DataFrame, options: StudyOptions) -> dict[str, list[str]]:
    """The drives each pooled row sums (the eligible drives of its scope)."""
    ok = eligible(results.filter(pl.col("drive_id") != ALL), options)
    members = {"": ok["drive_id"].to_list()}
    for drive_id, districts in ok.select("drive_id", "districts").iter_rows():
        for district in (districts or "").split(";"):
            if district:
                members.setdefault(district, []).append(drive_id)
    return members


@dataclass(frozen=True)
class Evaluation:
    """A stored evaluation: its id, data range and the study (results with challans)."""

    evaluation_id: str
    data_start: date
    data_end: date
    options: StudyOptions
    study: DriveStudy


def evaluate_and_store(settings: Settings, options: StudyOptions | None = None) -> Evaluation:
    """Evaluate every stored drive on all the data and store the result as the current one.

    Raises:
        SourceError: when no drive or no crash record is stored.
    """
    options = options or StudyOptions()
    with read_connection(settings.db_path) as con:
        drives, places = store.read_drives(con), store.read_places(con)
        crashes = store.read_crash_records(con)
        if drives.is_empty():
            raise SourceError(
                f"{settings.db_path}: no drives stored; run `roadsafety drives import FILE`"
            )
        if crashes.is_empty():
            raise SourceError(f"{settings.db_path}: no crash records to evaluate drives with")
        first, last = crashes["day"].min(), crashes["day"].max()
        study = evaluate_drives(
            crashes, drives, places, options=options, data_start=first, data_end=last
        )
        with_cells = places.join(
            study.places.select("drive_id", "place_no", "h3_cells"), on=["drive_id", "place_no"]
        )
        counts = challan_counts(con, drives, with_cells)
        challans_end = store.challan_range(con)[1]
    results = with_challans(study.results, counts, options)
    evaluation_id = f"eval-{datetime.now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    run = {
        "evaluation_id": evaluation_id,
        "evaluated_at": datetime.now(UTC).replace(tzinfo=None),
        "data_start": first,
        "data_end": last,
        "challans_end": challans_end,
        "n_drives": drives.height,
        "options": asdict(options),
        "os_user": os_user(),
    }
    frames = {
        "drive_results": results,
        "drive_result_places": study.places,
        "drive_result_months": study.months,
    }
    store.write_results(settings.db_path, run, frames)
    log.info(
        "evaluated %d drive(s) on crash data %s..%s (%s)", drives.height, first, last, evaluation_id
    )
    return Evaluation(
        evaluation_id,
        first,
        last,
        options,
        DriveStudy(results, study.places, study.months, study.parts),
    )


def selection_rows(evaluation: Evaluation, drive_ids: list[str]) -> pl.DataFrame:
    """The chosen drives' rows and one pooled ``ALL`` row over them (statewide scope).

    Raises:
        SourceError: naming the drive ids that were not evaluated.
    """
    rows = evaluation.study.results.filter(pl.col("drive_id") != ALL)
    unknown = sorted(set(drive_ids) - set(rows["drive_id"].to_list()))
    if unknown:
        raise SourceError(f"--drive: no stored drive {', '.join(unknown)}")
    chosen = rows.filter(pl.col("drive_id").is_in(drive_ids))
    pooled = pooled_rows(evaluation.study.parts, chosen.drop(*CHALLAN_COLUMNS), evaluation.options)
    pooled = pooled.filter(pl.col("scope") == "").with_columns(
        pl.lit(v).alias(c)
        for c, v in _challan_sum(
            chosen, pooled_members(chosen, evaluation.options).get("", [])
        ).items()
    )
    return pl.concat([chosen, pooled], how="diagonal_relaxed")


def refresh_evaluation(settings: Settings) -> str | None:
    """Evaluate the stored drives again with the last evaluation's options (the batch job's step).

    Returns:
        The new evaluation id, or None when no drive is stored or the data cannot be evaluated
        (logged; the previous evaluation keeps serving).
    """
    with read_connection(settings.db_path) as con:
        if con.execute("SELECT count(*) FROM drives").fetchone()[0] == 0:
            return None
        last = store.latest_evaluation(con)
    options = StudyOptions(**json.loads(last["options"])) if last else StudyOptions()
    try:
        return evaluate_and_store(settings, options).evaluation_id
    except SourceError as exc:
        log.warning("drives not evaluated: %s", exc)
        return None
