"""Every table's schema, declared once.

Canonical *input* schemas (what `ingest --format canonical` reads, per DESIGN.md) and the stored
warehouse tables. DDL is generated from the Polars schemas here, so a column is never typed twice.
"""

from __future__ import annotations

import polars as pl

from roadsafety.errors import TableSchemaError

SEVERITIES = ("fatal", "grievous", "minor", "non_injury")
FATAL_GRIEVOUS = ("fatal", "grievous")
ROAD_CATEGORIES = ("NH", "SH", "MDR", "ODR", "urban", "expressway", "other")
OFFENCES = (
    "overspeeding",
    "drunk_driving",
    "red_light",
    "no_helmet",
    "no_seatbelt",
    "wrong_side",
    "mobile_phone",
    "overloading",
    "lane_violation",
    "dangerous_driving",
    "no_documents",
    "other",
)

# --- canonical inputs ---------------------------------------------------------------------------

ACCIDENT_INPUT: dict[str, pl.DataType] = {
    "accident_id": pl.Utf8(),
    "occurred_at": pl.Utf8(),
    "latitude": pl.Float64(),
    "longitude": pl.Float64(),
    "severity": pl.Utf8(),
    "killed": pl.Int32(),
    "injured": pl.Int32(),
    "district": pl.Utf8(),
    "police_station": pl.Utf8(),
    "road_name": pl.Utf8(),
    "road_category": pl.Utf8(),
    "chainage_km": pl.Float64(),
    "vehicle_types": pl.Utf8(),
    "weather": pl.Utf8(),
    "light": pl.Utf8(),
    "cause": pl.Utf8(),
}
ACCIDENT_REQUIRED = ("accident_id", "occurred_at", "severity")

CHALLAN_INPUT: dict[str, pl.DataType] = {
    "challan_id": pl.Utf8(),
    "issued_at": pl.Utf8(),
    "latitude": pl.Float64(),
    "longitude": pl.Float64(),
    "offence": pl.Utf8(),
    "offence_raw": pl.Utf8(),
    "vehicle_class": pl.Utf8(),
    "fine_amount": pl.Float64(),
    "district": pl.Utf8(),
    "police_station": pl.Utf8(),
    "road_name": pl.Utf8(),
    "camera_id": pl.Utf8(),
    "vehicle_reg": pl.Utf8(),
    "challan_type": pl.Utf8(),
}
CHALLAN_REQUIRED = ("challan_id", "issued_at", "offence")

# Columns holding personal data: never stored in clear, only as ``<name>_hash``.
PII_COLUMNS = ("vehicle_reg", "offender_name", "phone")

# --- stored tables -------------------------------------------------------------------------------

_SPATIAL: dict[str, pl.DataType] = {
    "has_time": pl.Boolean(),
    "located": pl.Boolean(),
    "h3_cell": pl.Utf8(),
    "unit_id": pl.Utf8(),
}
_LINEAGE: dict[str, pl.DataType] = {
    "source": pl.Utf8(),
    "source_file": pl.Utf8(),
    "source_row": pl.Int64(),
    "raw": pl.Utf8(),
    "content_hash": pl.Utf8(),
    "ingest_run_id": pl.Utf8(),
}

# Stored facts: the canonical columns with parsed timestamps (personal data only as a keyed hash),
# then spatial units and lineage.
ACCIDENTS: dict[str, pl.DataType] = {
    **{
        col: pl.Datetime("us") if col == "occurred_at" else dtype
        for col, dtype in ACCIDENT_INPUT.items()
    },
    **_SPATIAL,
    **_LINEAGE,
}

CHALLANS: dict[str, pl.DataType] = {
    **{
        ("vehicle_reg_hash" if col == "vehicle_reg" else col): (
            pl.Datetime("us") if col == "issued_at" else dtype
        )
        for col, dtype in CHALLAN_INPUT.items()
    },
    **_SPATIAL,
    **_LINEAGE,
}

QUARANTINE: dict[str, pl.DataType] = {
    "ingest_run_id": pl.Utf8(),
    "source_file": pl.Utf8(),
    "row_number": pl.Int64(),
    "column_name": pl.Utf8(),
    "raw_value": pl.Utf8(),
    "reason": pl.Utf8(),
}

# Challans per source, day, district, police station and unit, with a count per offence: what every
# reader of challan volumes uses (raw challans are Parquet files, see store/facts.py).
CHALLAN_UNIT_DAY: dict[str, pl.DataType] = {
    "source": pl.Utf8(),
    "issued_day": pl.Date(),
    "district": pl.Utf8(),
    "police_station": pl.Utf8(),
    "unit_id": pl.Utf8(),
    "located": pl.Boolean(),
    "n": pl.Int64(),
    "camera": pl.Int64(),
    "first_at": pl.Datetime("us"),
    "last_at": pl.Datetime("us"),
    **{f"off_{o}": pl.Int64() for o in OFFENCES},
}

# The manifest of Parquet fact files (paths relative to the facts folder beside the warehouse).
FACT_FILES: dict[str, pl.DataType] = {
    "path": pl.Utf8(),
    "kind": pl.Utf8(),
    "source": pl.Utf8(),
    "year": pl.Int32(),
    "month": pl.Int32(),
    "rows": pl.Int64(),
    "bytes": pl.Int64(),
    "ingest_run_id": pl.Utf8(),
    "added_at": pl.Datetime("us"),
}
FACT_FILES_RETIRED: dict[str, pl.DataType] = {
    "path": pl.Utf8(),
    "kind": pl.Utf8(),
    "retired_at": pl.Datetime("us"),
    "ingest_run_id": pl.Utf8(),
}

# Forecast outputs (migration 2's tables, without the ``run_id`` / ``version_id`` the store adds).
FORECAST_RUNS: dict[str, pl.DataType] = {
    "run_id": pl.Utf8(),
    "version_id": pl.Utf8(),
    "created_at": pl.Datetime("us"),
    "window_start": pl.Date(),
    "window_end": pl.Date(),
    "status": pl.Utf8(),
    "n_units": pl.Int64(),
    "data_cutoff": pl.Date(),
}
FORECASTS: dict[str, pl.DataType] = {
    "unit_id": pl.Utf8(),
    "window_start": pl.Date(),
    "window_end": pl.Date(),
    "expected_crashes": pl.Float64(),
    "expected_fatal_grievous": pl.Float64(),
    "crashes_lo80": pl.Float64(),
    "crashes_hi80": pl.Float64(),
    "crashes_lo95": pl.Float64(),
    "crashes_hi95": pl.Float64(),
    "eb_expected": pl.Float64(),
    "risk_band": pl.Utf8(),
    "rank": pl.Int32(),
    "peak_window": pl.Utf8(),
    "top_factors": pl.Utf8(),
    "morth_blackspot": pl.Boolean(),
    "recent_challans": pl.Int64(),
}
PERIOD_FORECASTS: dict[str, pl.DataType] = {
    "district": pl.Utf8(),
    "period_start": pl.Date(),
    "period_end": pl.Date(),
    "expected": pl.Float64(),
    "lo80": pl.Float64(),
    "hi80": pl.Float64(),
    "lo95": pl.Float64(),
    "hi95": pl.Float64(),
    "high_risk": pl.Boolean(),
    "drivers": pl.Utf8(),
}
UNIT_HOUR_PROFILE: dict[str, pl.DataType] = {
    "unit_id": pl.Utf8(),
    "dow": pl.Int32(),
    "hour": pl.Int32(),
    "share": pl.Float64(),
}
WEEK_BINS = 168  # hours of the week, bin = dow·24 + hour (0 = Monday 00h)
UNIT_WEEK_INTENSITY: dict[str, pl.DataType] = {
    "unit_id": pl.Utf8(),
    "crashes": pl.Array(pl.Float32, WEEK_BINS),
    "fatal_grievous": pl.Array(pl.Float32, WEEK_BINS),
}
BACKTEST_METRICS: dict[str, pl.DataType] = {
    "model": pl.Utf8(),
    "fold": pl.Int32(),
    "fold_start": pl.Date(),
    "fold_end": pl.Date(),
    "level": pl.Utf8(),
    "metric": pl.Utf8(),
    "k": pl.Utf8(),
    "value": pl.Float64(),
}

# The km -> position fit of each road (features.road_fit): knots along the road, sorted by km.
ROAD_KM_FIT: dict[str, pl.DataType] = {
    "road_name": pl.Utf8(),
    "km": pl.Float64(),
    "latitude": pl.Float64(),
    "longitude": pl.Float64(),
    "n_records": pl.Int64(),
}

# --- enforcement drives (import format, stored drives, evaluation results) ------------------------

DRIVE_INPUT = (
    "drive_id", "name", "start_date", "end_date",  # required; one row per place
    "unit_id", "h3_cell", "road_name", "km_from", "km_to", "police_station",  # the place
    "district", "window", "teams", "offence_focus", "notes",  # optional
)  # fmt: skip
DRIVE_REQUIRED = DRIVE_INPUT[:4]
DRIVES: dict[str, pl.DataType] = {
    "drive_id": pl.Utf8(),
    "name": pl.Utf8(),
    "start_date": pl.Date(),
    "end_date": pl.Date(),
    "source_file": pl.Utf8(),
    "file_sha256": pl.Utf8(),
    "imported_at": pl.Datetime("us"),
    "import_run_id": pl.Utf8(),
}
DRIVE_PLACES: dict[str, pl.DataType] = {
    "drive_id": pl.Utf8(),
    "place_no": pl.Int32(),
    "place_kind": pl.Utf8(),  # unit | cells | road_km | ps_road
    "label": pl.Utf8(),
    **{c: pl.Utf8() for c in ("unit_id", "h3_cell", "road_name")},
    **{c: pl.Float64() for c in ("km_from", "km_to")},
    **{c: pl.Utf8() for c in ("police_station", "district", "window")},
    "teams": pl.Int32(),
    **{c: pl.Utf8() for c in ("offence_focus", "notes")},
    "source_row": pl.Int64(),
}
_DATES = ("before_start", "before_end", "after_start", "after_end", "history_start", "history_end")
_COUNTS = ("crashes_before", "crashes_after", "fatal_grievous_before", "fatal_grievous_after")
DRIVE_RESULTS: dict[str, pl.DataType] = {
    **{c: pl.Utf8() for c in ("evaluation_id", "scope", "drive_id", "name", "districts")},
    **{c: pl.Int64() for c in ("drives", "places")},
    **{c: pl.Date() for c in _DATES},
    **{c: pl.Int64() for c in ("before_days", "after_days", "history_days", *_COUNTS)},
    **{c: pl.Float64() for c in ("expected_before", "expected_after_without_drive")},
    **{c: pl.Float64() for c in ("var_expected", "theta", "change_pct", "ci_low_pct")},
    **{c: pl.Float64() for c in ("ci_high_pct", "naive_change_pct")},
    **{c: pl.Int64() for c in ("challans_before", "challans_during")},
    "verdict": pl.Utf8(),
}
DRIVE_RESULT_PLACES: dict[str, pl.DataType] = {
    "evaluation_id": pl.Utf8(),
    "drive_id": pl.Utf8(),
    "place_no": pl.Int32(),
    **{c: pl.Utf8() for c in ("place_kind", "label", "district", "road_category", "h3_cells")},
    **{c: pl.Float64() for c in ("latitude", "longitude")},
    **{c: pl.Int64() for c in ("crashes_before", "crashes_after")},
    **{c: pl.Float64() for c in ("expected_before", "expected_after")},
}
DRIVE_RESULT_MONTHS: dict[str, pl.DataType] = {
    "evaluation_id": pl.Utf8(),
    "drive_id": pl.Utf8(),
    "month": pl.Date(),
    "period": pl.Utf8(),  # before | after
    "crashes": pl.Int64(),
    "expected": pl.Float64(),  # without the drive (EB before; EB x comparison trend after)
}
DRIVE_EVALUATIONS: dict[str, pl.DataType] = {
    "evaluation_id": pl.Utf8(),
    "evaluated_at": pl.Datetime("us"),
    "data_start": pl.Date(),
    "data_end": pl.Date(),
    "challans_end": pl.Date(),
    "n_drives": pl.Int64(),
    "options": pl.Utf8(),  # JSON of the study options
    "os_user": pl.Utf8(),
}

KEYS = {"accidents": ("source", "accident_id"), "challans": ("source", "challan_id")}
TABLES = {"accidents": ACCIDENTS, "challans": CHALLANS}
INPUTS = {"accidents": ACCIDENT_INPUT, "challans": CHALLAN_INPUT}
REQUIRED = {"accidents": ACCIDENT_REQUIRED, "challans": CHALLAN_REQUIRED}
TIME_COLUMN = {"accidents": "occurred_at", "challans": "issued_at"}
ID_COLUMN = {"accidents": "accident_id", "challans": "challan_id"}

_DUCK_TYPES = {
    pl.Utf8: "VARCHAR",
    pl.Float64: "DOUBLE",
    pl.Float32: "FLOAT",
    pl.Int32: "INTEGER",
    pl.Int64: "BIGINT",
    pl.Boolean: "BOOLEAN",
    pl.Date: "DATE",
}


def duck_type(dtype: pl.DataType) -> str:
    """The DuckDB type for a Polars dtype used in these schemas."""
    if isinstance(dtype, type):  # a dtype class such as an Array's inner type
        dtype = dtype()
    if isinstance(dtype, pl.Datetime):
        return "TIMESTAMP"
    if isinstance(dtype, pl.Array):
        return f"{duck_type(dtype.inner)}[{dtype.size}]"
    for pl_type, sql in _DUCK_TYPES.items():
        if isinstance(dtype, pl_type):
            return sql
    raise TypeError(f"no DuckDB type for {dtype!r}")


def create_table_sql(name: str, schema: dict[str, pl.DataType], key: tuple[str, ...] = ()) -> str:
    """``CREATE TABLE IF NOT EXISTS`` DDL generated from a Polars schema."""
    cols = [f'    "{col}" {duck_type(dtype)}' for col, dtype in schema.items()]
    if key:
        cols.append(f"    PRIMARY KEY ({', '.join(key)})")
    return f"CREATE TABLE IF NOT EXISTS {name} (\n" + ",\n".join(cols) + "\n)"


def empty_frame(schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """An empty frame with exactly these columns and types."""
    return pl.DataFrame(schema=schema)


def conform(
    frame: pl.DataFrame,
    schema: dict[str, pl.DataType],
    table: str,
    *,
    not_null: tuple[str, ...] = (),
    rules: dict[str, pl.Expr] | None = None,
) -> pl.DataFrame:
    """Check rows about to be written to ``table`` and return exactly ``schema``'s columns and types.

    Args:
        frame: the rows.
        schema: the table's declared columns (their order is the result's).
        table: the table's name, for messages.
        not_null: columns that must have a value in every row.
        rules: name → expression true for a valid row (null counts as valid; see ``not_null``).

    Raises:
        TableSchemaError: naming the missing or unexpected columns, a column whose values do not
            fit its type, a column with nulls, or a broken rule with the count of rows breaking it.
    """
    missing = [c for c in schema if c not in frame.columns]
    extra = [c for c in frame.columns if c not in schema]
    if missing or extra:
        raise TableSchemaError(f"{table}: missing columns {missing}, unexpected columns {extra}")
    columns = []
    for col, dtype in schema.items():
        try:
            columns.append(frame[col].cast(dtype, strict=True))
        except pl.exceptions.PolarsError as exc:
            raise TableSchemaError(
                f"{table}: column {col!r} ({frame[col].dtype}) does not fit {dtype}"
            ) from exc
    out = pl.DataFrame(columns)
    nulls = [c for c in not_null if out[c].null_count()]
    if nulls:
        raise TableSchemaError(f"{table}: null values in {nulls}")
    for name, valid in (rules or {}).items():
        broken = out.filter(~valid.fill_null(True)).height
        if broken:
            raise TableSchemaError(f"{table}: {broken} row(s) break the rule {name!r}")
    return out
