"""Delhi Police FIR register of road crashes (``--format delhi-fir``).

One row per FIR: police station, ``U/S`` (legal sections), date (``01-Jan-20``; no time), offending
vehicle, victim type, place text and road name; no coordinates, so the spatial unit is police
station + road. Latin-1 text; headers carry trailing spaces. Severity is the worst section
(``sections.py``): 304A fatal, 338 grievous, 337/279 minor (the register holds injury and fatal
crashes only), BNS 106(1)/106(2)/125(b)/125(a) likewise. A row whose sections map to nothing is
rejected with the sections text.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from roadsafety.features.text import name_key
from roadsafety.sources.base import SourceBatch, SourceError, check_header_names
from roadsafety.sources.batching import finish_batch, raw_json, reject_when
from roadsafety.sources.sections import severity_expr

SOURCE = "delhi_fir"
DISTRICT = "DELHI"
NEEDED = ("FIRNO", "POLICE STATION", "U/S", "DATE")
RAW_COLUMNS = [
    "SL NO.",
    "FIRNO",
    "POLICE STATION",
    "U/S",
    "DATE",
    "YEAR",
    "OFFENDING VEHICLE",
    "VICTIMS",
    "PLACE OF OCCURANCE",
    "ROAD NAME",
]
NH_PATTERN = r"^(NH|NATIONAL HIGHWAY)[- ]?\d"


def load_register(path: Path, encoding: str = "latin1") -> pl.DataFrame:
    """Read a register CSV as text columns with stripped header names.

    Raises:
        SourceError: when the file is missing, unreadable or lacks the register columns.
    """
    try:
        frame = pl.read_csv(path, infer_schema_length=0, encoding=encoding)
    except FileNotFoundError as exc:
        raise SourceError(f"{path}: file not found") from exc
    except (pl.exceptions.PolarsError, OSError, LookupError) as exc:
        raise SourceError(f"{path}: not readable as a Delhi FIR register ({exc})") from exc
    check_header_names(path, frame.columns, used=[*NEEDED, *RAW_COLUMNS])
    frame = frame.rename({c: c.strip() for c in frame.columns})
    missing = [c for c in NEEDED if c not in frame.columns]
    if missing:
        raise SourceError(f"{path}: not a Delhi FIR register, missing columns {missing}")
    return frame


def _date() -> pl.Expr:
    text = pl.col("DATE").str.strip_chars()
    return pl.coalesce(
        text.str.strptime(pl.Date, "%d-%b-%y", strict=False),
        text.str.strptime(pl.Date, "%d-%m-%Y", strict=False),
        text.str.strptime(pl.Date, "%d-%b-%Y", strict=False),
    ).dt.strftime("%Y-%m-%d")


def road_category(road: pl.Expr) -> pl.Expr:
    """``NH`` for national-highway names (``NH-8``), otherwise ``urban`` (Delhi is one city)."""
    return (
        pl.when(road.is_null())
        .then(None)
        .when(road.str.contains(NH_PATTERN))
        .then(pl.lit("NH"))
        .otherwise(pl.lit("urban"))
    )


def read_delhi_fir(path: Path) -> SourceBatch:
    """Read the Delhi Police FIR crash register into canonical accident rows (date only).

    ``accident_id`` is ``POLICE STATION/FIRNO/YEAR`` (an FIR number is unique within a police
    station and year); YEAR comes from the ``YEAR`` column, else the crash date.
    """
    frame = load_register(path)
    for col in ("YEAR", "ROAD NAME", "OFFENDING VEHICLE"):
        if col not in frame.columns:
            frame = frame.with_columns(pl.lit(None, pl.Utf8).alias(col))
    station = name_key(pl.col("POLICE STATION"))
    fir = pl.col("FIRNO").str.strip_chars().str.replace(r"^0+(\d)", "$1")
    year = pl.coalesce(pl.col("YEAR").str.strip_chars(), pl.col("occurred_at").str.slice(0, 4))
    road = name_key(pl.col("ROAD NAME"))
    parsed = frame.with_columns(
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("source_row"),
        _date().alias("occurred_at"),
        station.alias("police_station"),
        road.alias("road_name"),
        road_category(road).alias("road_category"),
        name_key(pl.col("OFFENDING VEHICLE")).alias("vehicle_types"),
        pl.lit(DISTRICT).alias("district"),
        raw_json(RAW_COLUMNS, frame),
    ).with_columns(
        pl.format("{}/{}/{}", pl.col("police_station"), fir, year).alias("accident_id"),
        severity_expr(pl.col("U/S"), pl.col("occurred_at")).alias("severity"),
    )
    parsed = parsed.with_columns(
        reject_when(
            [
                (pl.col("occurred_at").is_null(), "DATE", "date not readable (expected 01-Jan-20)"),
                (pl.col("police_station").is_null(), "POLICE STATION", "missing police station"),
                (fir.is_null() | (fir == ""), "FIRNO", "missing FIR number"),
                (pl.col("severity").is_null(), "U/S", "no legal section maps to a severity"),
            ]
        )
    )
    return finish_batch("accidents", SOURCE, path, frame.height, parsed)
