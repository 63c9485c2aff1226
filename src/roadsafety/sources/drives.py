"""Read and validate a drives file (CSV or XLSX): one row per drive place.

Columns (:data:`roadsafety.schemas.DRIVE_INPUT`): ``drive_id, name, start_date, end_date`` (required,
the same on every row of a drive) and the place: ``unit_id``, or ``h3_cell`` (one cell or several
separated by ``;``), or ``road_name`` + ``km_from`` + ``km_to``, or ``police_station`` +
``road_name``; optional ``district``, ``window`` (risk-list format, e.g. ``Fri-Sun 22:00-02:00``),
``teams`` (a whole number), ``offence_focus`` (offences separated by ``;``) and ``notes``. Other
columns (a saved plan's ranks and expectations) are ignored.

Dates are ``YYYY-MM-DD``, ``DD/MM/YYYY`` or ``DD-MM-YYYY`` (Excel dates too). The place's kind is the
most specific one given: a ``unit_id`` (a stretch id ``ROAD | km A-B`` reads as that road and km
range; a merged corridor ``corridor:...`` as its ``h3_cell`` list), else ``h3_cell``, else road + km,
else police station + road.

:func:`read_drives` returns a :class:`DriveBatch`: every row read is a place or a rejected row with
its row number, column, value and reason; :func:`require_clean` turns rejects into one
:class:`~roadsafety.sources.base.SourceError` listing them all, so a file is imported whole or not at
all. :func:`drives_from_plan` reads a plan frame (``roadsafety plan`` columns) the same way.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import h3
import polars as pl

from roadsafety import schemas
from roadsafety.features.text import squeezed_or_null
from roadsafety.sources.base import SourceError
from roadsafety.sources.batching import reject_when, rejected_rows
from roadsafety.sources.tabular import read_table_text

log = logging.getLogger(__name__)

DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d %H:%M:%S")
RESERVED_IDS = ("ALL",)
MAX_LISTED = 30
_DAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_TIME = r"(?:[01]\d|2[0-3]):[0-5]\d"
_ONE = rf"(?:daily|{_DAY}-{_DAY}|{_DAY}(?:,{_DAY})*) {_TIME}-(?:{_TIME}|24:00)"
WINDOW_PATTERN = rf"(?i)^{_ONE}(?:; {_ONE})*$"
STRETCH_PATTERN = r"(?i)^\s*(.+?)\s*\|\s*km\s*([0-9.]+)\s*-\s*([0-9.]+)\s*$"
NO_PLACE = (
    "no place: give unit_id, h3_cell, road_name with km_from and km_to, "
    "or police_station with road_name"
)


@dataclass(frozen=True)
class DriveBatch:
    """Drives and places read from one file.

    Attributes:
        source_file: the file as given.
        rows_read: data rows read (header excluded).
        drives: one row per drive: ``drive_id, name, start_date, end_date``.
        places: one row per place with the columns of :data:`roadsafety.schemas.DRIVE_PLACES`.
        rejected: rows that cannot be imported (:data:`~roadsafety.sources.base.REJECT_SCHEMA`).
    """

    source_file: str
    rows_read: int
    drives: pl.DataFrame
    places: pl.DataFrame
    rejected: pl.DataFrame


def _text(col: str) -> pl.Expr:
    return squeezed_or_null(pl.col(col)).alias(col)


def _date(col: str) -> pl.Expr:
    parsed = [pl.col(col).str.to_date(fmt, strict=False) for fmt in DATE_FORMATS[:3]]
    parsed.append(pl.col(col).str.to_datetime(DATE_FORMATS[3], strict=False).dt.date())
    return pl.coalesce(parsed).alias(f"_{col}")


def _stretch(part: int) -> pl.Expr:
    return pl.col("unit_id").str.extract(STRETCH_PATTERN, part)


def _parsed(frame: pl.DataFrame) -> pl.DataFrame:
    """Trimmed text, parsed dates and numbers, the stretch parts of a stretch unit id."""
    frame = frame.with_columns(_text(c) for c in schemas.DRIVE_INPUT)
    return frame.with_columns(
        _date("start_date"),
        _date("end_date"),
        pl.coalesce(_stretch(2), "km_from").cast(pl.Float64, strict=False).alias("_km_from"),
        pl.coalesce(_stretch(3), "km_to").cast(pl.Float64, strict=False).alias("_km_to"),
        pl.col("teams").cast(pl.Int32, strict=False).alias("_teams"),
        _stretch(1).alias("_stretch_road"),
        pl.col("offence_focus")
        .str.to_lowercase()
        .str.replace_all(r"[\s-]+", "_")
        .str.split(";")
        .list.eval(pl.element().str.strip_chars("_ ,"))
        .alias("_offences"),
    )


def _kind() -> pl.Expr:
    """The place kind of each row (null when the row names no place)."""
    has = {c: pl.col(c).is_not_null() for c in ("unit_id", "h3_cell", "road_name")}
    km = pl.col("_km_from").is_not_null() & pl.col("_km_to").is_not_null()
    corridor = pl.col("unit_id").str.starts_with("corridor:") & has["h3_cell"]
    return (
        pl.when(corridor)
        .then(pl.lit("cells"))
        .when(pl.col("_stretch_road").is_not_null())
        .then(pl.lit("road_km"))
        .when(has["unit_id"])
        .then(pl.lit("unit"))
        .when(has["h3_cell"])
        .then(pl.lit("cells"))
        .when(has["road_name"] & km)
        .then(pl.lit("road_km"))
        .when(has["road_name"] & pl.col("police_station").is_not_null())
        .then(pl.lit("ps_road"))
        .alias("place_kind")
    )


def _bad_cells(h3_resolution: int | None) -> pl.Expr:
    def bad(text: str | None) -> bool:
        cells = [c.strip().lower() for c in (text or "").split(";") if c.strip()]
        return any(
            not h3.is_valid_cell(c) or (h3_resolution and h3.get_resolution(c) > h3_resolution)
            for c in cells
        )

    return pl.col("h3_cell").map_elements(bad, return_dtype=pl.Boolean, skip_nulls=True)


def _row_rules(h3_resolution: int | None) -> list[tuple]:
    """Ordered rejection rules of one row on its own (the first that matches is reported)."""
    text = {c: pl.col(c).is_not_null() for c in ("km_from", "km_to", "teams", "start_date")}
    offences = pl.col("_offences").list.eval(~pl.element().is_in(schemas.OFFENCES)).list.any()
    res = f"at most resolution {h3_resolution}" if h3_resolution else "valid"
    return [
        (pl.col("drive_id").is_null(), "drive_id", "drive_id is empty"),
        (pl.col("drive_id").str.to_uppercase().is_in(RESERVED_IDS), "drive_id", "drive_id ALL is reserved for the pooled row"),
        (pl.col("name").is_null(), "name", "name is empty"),
        (pl.col("_start_date").is_null(), "start_date", "not a date (YYYY-MM-DD or DD/MM/YYYY)"),
        (pl.col("_end_date").is_null(), "end_date", "not a date (YYYY-MM-DD or DD/MM/YYYY)"),
        (pl.col("_end_date") < pl.col("_start_date"), "end_date", "end_date is before start_date"),
        (text["km_from"] & pl.col("_km_from").is_null(), "km_from", "not a number"),
        (text["km_to"] & pl.col("_km_to").is_null(), "km_to", "not a number"),
        (pl.col("_km_from") < 0, "km_from", "km cannot be negative"),
        (pl.col("_km_to") < pl.col("_km_from"), "km_to", "km_to is before km_from"),
        (pl.col("_km_from").is_null() != pl.col("_km_to").is_null(), "km_to", "give both km_from and km_to"),
        (_bad_cells(h3_resolution), "h3_cell", f"not an H3 cell id ({res})"),
        (pl.col("place_kind").is_null(), "unit_id", NO_PLACE, pl.lit("")),
        (~pl.col("window").str.contains(WINDOW_PATTERN), "window", "not a window like 'Fri-Sun 22:00-02:00' or 'daily 08:00-11:00'"),
        (text["teams"] & ~(pl.col("_teams") >= 0).fill_null(False), "teams", "not a whole number of teams"),
        (offences, "offence_focus", f"unknown offence; use: {', '.join(schemas.OFFENCES)}"),
    ]  # fmt: skip


def _consistency(frame: pl.DataFrame) -> list[tuple]:
    """Rows whose drive fields disagree with the first row of the same drive."""
    first = {c: pl.col(c).first().over("drive_id") for c in ("name", "_start_date", "_end_date")}
    msg = "differs from the first row of this drive_id (a drive has one name and dates)"
    return [
        (pl.col("name") != first["name"], "name", msg),
        (pl.col("_start_date") != first["_start_date"], "start_date", msg),
        (pl.col("_end_date") != first["_end_date"], "end_date", msg),
    ]


def _km_text(col: str) -> pl.Expr:
    return pl.col(col).round(3).cast(pl.Utf8).str.replace(r"\.0$", "")


def _label() -> pl.Expr:
    km = pl.format("{} | km {}-{}", "road_name", _km_text("km_from"), _km_text("km_to"))
    ps_road = pl.format("{} | {}", pl.col("police_station"), pl.col("road_name"))
    return (
        pl.when(pl.col("place_kind") == "unit")
        .then(pl.col("unit_id"))
        .when(pl.col("place_kind") == "cells")
        .then(pl.coalesce(pl.col("unit_id"), pl.col("h3_cell")))
        .when(pl.col("place_kind") == "road_km")
        .then(pl.coalesce(pl.col("unit_id"), km))
        .otherwise(ps_road)
        .alias("label")
    )


def _places(ok: pl.DataFrame) -> pl.DataFrame:
    """The stored place rows of the accepted rows (numbered within each drive)."""
    places = ok.with_columns(
        pl.coalesce("_stretch_road", "road_name").alias("road_name"),
        pl.col("_km_from").alias("km_from"),
        pl.col("_km_to").alias("km_to"),
        pl.col("_teams").alias("teams"),
        pl.col("_offences").list.join(";").alias("offence_focus"),
        pl.col("h3_cell").str.to_lowercase().str.replace_all(r"\s*;\s*", ";"),
        pl.int_range(1, pl.len() + 1).over("drive_id").cast(pl.Int32).alias("place_no"),
    ).with_columns(_label())
    return places.select([pl.col(c).cast(t) for c, t in schemas.DRIVE_PLACES.items()])


def batch_from_text(
    frame: pl.DataFrame, source_file: str, h3_resolution: int | None = None
) -> DriveBatch:
    """Validate a frame of text columns (one row per place) into a :class:`DriveBatch`.

    Args:
        frame: the file's rows as text, with at least :data:`~roadsafety.schemas.DRIVE_REQUIRED`.
        source_file: named in messages.
        h3_resolution: the warehouse's H3 resolution (finer cells are rejected); None to skip.
    """
    missing = [c for c in schemas.DRIVE_REQUIRED if c not in frame.columns]
    if missing:
        raise SourceError(f"{source_file}: missing columns {missing}; found {frame.columns}")
    extra = [c for c in frame.columns if c not in schemas.DRIVE_INPUT]
    if extra:
        log.info("%s: columns ignored: %s", source_file, ", ".join(extra))
    full = frame.with_columns(
        pl.lit(None, pl.Utf8).alias(c) for c in schemas.DRIVE_INPUT if c not in frame.columns
    ).with_row_index("source_row", offset=1)
    parsed = _parsed(full.select("source_row", *schemas.DRIVE_INPUT)).with_columns(_kind())
    checked = parsed.with_columns(reject_when(_row_rules(h3_resolution)))
    good = checked.filter(pl.col("_reject_reason").is_null())
    checked = checked.join(
        good.with_columns(reject_when(_consistency(good))).select(
            "source_row", pl.col("^_reject_.*$")
        ),
        on="source_row",
        how="left",
        suffix="_c",
    ).with_columns(
        pl.coalesce(c, f"{c}_c").alias(c)
        for c in ("_reject_column", "_reject_value", "_reject_reason")
    )
    return _batch(checked, source_file, frame.height)


def _batch(checked: pl.DataFrame, source_file: str, rows_read: int) -> DriveBatch:
    ok = checked.filter(pl.col("_reject_reason").is_null())
    drives = ok.group_by("drive_id", maintain_order=True).agg(
        pl.col("name").first(),
        pl.col("_start_date").first().alias("start_date"),
        pl.col("_end_date").first().alias("end_date"),
    )
    return DriveBatch(source_file, rows_read, drives, _places(ok), rejected_rows(checked))


def read_drives(path: Path | str, h3_resolution: int | None = None) -> DriveBatch:
    """Read a drives CSV or XLSX file (see the module docstring).

    Raises:
        SourceError: when the file cannot be read or lacks a required column.
    """
    path = Path(path)
    if not path.is_file():
        raise SourceError(f"{path}: file not found")
    frame = read_table_text(path)
    names = {c: re.sub(r"\s+", "_", c.strip().lower()) for c in frame.columns}
    if len(set(names.values())) == len(names):
        frame = frame.rename(names)
    return batch_from_text(frame, str(path), h3_resolution)


def require_clean(batch: DriveBatch) -> None:
    """Raise one SourceError listing every rejected row (file, row, column, value, reason).

    Raises:
        SourceError: when any row was rejected, or the file holds no place at all.
    """
    if batch.rejected.is_empty() and batch.places.height:
        return
    if batch.rejected.is_empty():
        raise SourceError(f"{batch.source_file}: no drive places in the file")
    lines = [
        f"  row {r['row_number']}, column {r['column_name']}"
        + (f" ({r['raw_value']!r})" if r["raw_value"] else "")
        + f": {r['reason']}"
        for r in batch.rejected.head(MAX_LISTED).iter_rows(named=True)
    ]
    more = batch.rejected.height - MAX_LISTED
    if more > 0:
        lines.append(f"  ... and {more} more")
    raise SourceError(
        f"{batch.source_file}: {batch.rejected.height} of {batch.rows_read} rows rejected, nothing "
        "imported; fix these rows and import the file again:\n" + "\n".join(lines)
    )


PLAN_NAME = "plan"


def drives_from_plan(
    plan: pl.DataFrame,
    name: str,
    *,
    drive_id: str | None = None,
    start: date | None = None,
    end: date | None = None,
    h3_resolution: int | None = None,
) -> DriveBatch:
    """A plan frame (``roadsafety plan`` rows, DESIGN.md "Drive plan") as one drive.

    Args:
        plan: plan rows: ``unit_id, h3_cell, road_name, km_from, km_to, police_station,
            district, window, window_start, window_end`` (others ignored; a missing place column is
            treated as empty).
        name: the drive's name (``--save-as-drive NAME``).
        drive_id: the drive's id (default: ``name`` upper-cased, non-alphanumerics as ``-``).
        start: first day (default: the plan's earliest ``window_start``).
        end: last day (default: the plan's latest ``window_end``).
        h3_resolution: the warehouse's H3 resolution, as for a file.

    Returns:
        The batch (check it with :func:`require_clean` before storing).
    """
    first = start or (plan["window_start"].min() if "window_start" in plan.columns else None)
    last = end or (plan["window_end"].max() if "window_end" in plan.columns else None)
    ident = drive_id or re.sub(r"[^0-9A-Z]+", "-", name.upper()).strip("-") or PLAN_NAME.upper()
    text = plan.select(
        [pl.col(c).cast(pl.Utf8) for c in schemas.DRIVE_INPUT[4:] if c in plan.columns]
    ).with_columns(
        pl.lit(ident).alias("drive_id"),
        pl.lit(name).alias("name"),
        pl.lit(str(first) if first else None, pl.Utf8).alias("start_date"),
        pl.lit(str(last) if last else None, pl.Utf8).alias("end_date"),
    )
    return batch_from_text(text, f"plan '{name}'", h3_resolution)
