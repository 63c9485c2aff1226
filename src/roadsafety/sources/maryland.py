"""Montgomery County (Maryland) traffic citations and warnings (``--format montgomery``, challans).

The nearest public stand-in for e-challans. One row per charge: ``Date Of Stop`` (MM/DD/YYYY),
``Time Of Stop``, ``Latitude``/``Longitude`` (blank or 0 → missing), ``Description`` (free text →
canonical offence via the packaged keyword table, raw text kept in ``offence_raw``), ``Charge``
(statute), ``Violation Type`` (Citation / Warning / ESERO → ``challan_type``).

The file has no ticket id and no registration number: ``challan_id`` is a digest of the ticket's
non-personal fields plus its occurrence number among identical rows (stable when the export is
re-ordered; two identical charges in one stop stay two tickets); ``vehicle_reg`` stays null.
Rows whose columns are shifted by an unquoted comma (``Violation Type`` holds a colour) and the
truncated last row are rejected with reasons. Driver race, gender and home town are not kept.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl

from roadsafety.features.text import name_key
from roadsafety.sources.base import SourceBatch, SourceError, check_header_names
from roadsafety.sources.batching import finish_batch, raw_json, reject_when
from roadsafety.sources.offences import offence_expr

SOURCE = "montgomery"
DISTRICT = "MONTGOMERY"
VIOLATION_TYPES = ("citation", "warning", "esero")
NEEDED = ("Date Of Stop", "Time Of Stop", "Description", "Violation Type", "Charge")
ID_FIELDS = [
    "Date Of Stop",
    "Time Of Stop",
    "Agency",
    "SubAgency",
    "Description",
    "Location",
    "Latitude",
    "Longitude",
    "VehicleType",
    "Year",
    "Make",
    "Model",
    "Color",
    "Violation Type",
    "Charge",
    "Article",
]
RAW_COLUMNS = [
    "Date Of Stop",
    "Time Of Stop",
    "SubAgency",
    "Description",
    "Location",
    "Latitude",
    "Longitude",
    "Accident",
    "Belts",
    "Alcohol",
    "Violation Type",
    "Charge",
    "Article",
    "Contributed To Accident",
    "VehicleType",
]


def _load(path: Path) -> pl.DataFrame:
    try:
        frame = pl.read_csv(
            path, infer_schema_length=0, truncate_ragged_lines=True, encoding="utf8-lossy"
        )
    except FileNotFoundError as exc:
        raise SourceError(f"{path}: file not found") from exc
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise SourceError(f"{path}: not readable as a Montgomery citations CSV ({exc})") from exc
    check_header_names(path, frame.columns, used=[*NEEDED, *ID_FIELDS, *RAW_COLUMNS])
    frame = frame.rename({c: c.strip() for c in frame.columns})
    missing = [c for c in NEEDED if c not in frame.columns]
    if missing:
        raise SourceError(f"{path}: not a Montgomery citations file, missing columns {missing}")
    absent = [c for c in set(ID_FIELDS + RAW_COLUMNS) if c not in frame.columns]
    return frame.with_columns([pl.lit(None, pl.Utf8).alias(c) for c in absent])


def challan_ids(frame: pl.DataFrame) -> pl.Series:
    """``MC-<16 hex>-<n>``: digest of the non-personal ticket fields and occurrence number."""
    keys = frame.select(
        pl.concat_str([pl.col(c).fill_null("") for c in ID_FIELDS], separator="\x1f").alias("k")
    ).get_column("k")
    seen: dict[str, int] = {}
    ids = []
    for key in keys.to_list():
        seen[key] = seen.get(key, 0) + 1
        ids.append(f"MC-{hashlib.sha1(key.encode()).hexdigest()[:16]}-{seen[key]}")
    return pl.Series("challan_id", ids, dtype=pl.Utf8)


def _issued_at() -> pl.Expr:
    date = pl.col("Date Of Stop").str.strip_chars().str.strptime(pl.Date, "%m/%d/%Y", strict=False)
    time = pl.col("Time Of Stop").str.strip_chars().str.strptime(pl.Time, "%H:%M:%S", strict=False)
    return (
        pl.when(time.is_null())
        .then(date.dt.strftime("%Y-%m-%d"))
        .otherwise(pl.format("{} {}", date.dt.strftime("%Y-%m-%d"), time.dt.strftime("%H:%M:%S")))
    )


def _coordinates() -> list[pl.Expr]:
    lat = pl.col("Latitude").str.strip_chars().cast(pl.Float64, strict=False)
    lon = pl.col("Longitude").str.strip_chars().cast(pl.Float64, strict=False)
    missing = lat.is_null() | lon.is_null() | (lat == 0) | (lon == 0)
    return [
        pl.when(missing).then(None).otherwise(lat).alias("latitude"),
        pl.when(missing).then(None).otherwise(lon).alias("longitude"),
    ]


def read_montgomery(path: Path) -> SourceBatch:
    """Read Montgomery County traffic violations into canonical challan rows."""
    frame = _load(path)
    vtype = pl.col("Violation Type").str.strip_chars().str.to_lowercase()
    description = pl.col("Description").str.strip_chars()
    parsed = frame.with_columns(
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("source_row"),
        challan_ids(frame),
        _issued_at().alias("issued_at"),
        *_coordinates(),
        offence_expr(description).alias("offence"),
        description.alias("offence_raw"),
        pl.col("VehicleType")
        .str.replace(r"^\s*\d+\s*-\s*", "")
        .str.strip_chars()
        .alias("vehicle_class"),
        pl.lit(DISTRICT).alias("district"),
        name_key(pl.col("SubAgency")).alias("police_station"),
        name_key(pl.col("Location")).alias("road_name"),
        vtype.alias("challan_type"),
        raw_json(RAW_COLUMNS, frame),
    )
    truncated = vtype.is_null() & pl.col("Charge").is_null()
    parsed = parsed.with_columns(
        reject_when(
            [
                (truncated, "Violation Type", "row truncated: Violation Type and Charge missing"),
                (
                    ~vtype.is_in(VIOLATION_TYPES),
                    "Violation Type",
                    "columns shifted (Violation Type is not Citation/Warning/ESERO; unquoted comma upstream)",
                ),
                (
                    pl.col("issued_at").is_null(),
                    "Date Of Stop",
                    "date not readable (expected MM/DD/YYYY)",
                ),
                (description.is_null(), "Description", "missing offence description"),
            ]
        )
    )
    return finish_batch("challans", SOURCE, path, frame.height, parsed)
