"""Parse, normalise and validate canonical rows; every failure becomes a quarantine row.

Pure Polars (no I/O). Validation rules are declared with pandera's Polars backend: it is the most
widely used and actively maintained dataframe-validation library, validates Polars frames natively
(no pandas round trip), and with ``lazy=True`` reports *every* failing row and column with the check
that failed, which is exactly what the quarantine table records. (dataframely was the alternative; its
filter API is neat but its community and release history are much smaller.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandera.polars as pa
import polars as pl
from pandera.errors import SchemaErrors

from roadsafety import schemas
from roadsafety.sources.base import REJECT_SCHEMA

TIMESTAMP_FORMATS = (
    ("%Y-%m-%d %H:%M:%S", True),
    ("%Y-%m-%dT%H:%M:%S", True),
    ("%Y-%m-%d %H:%M", True),
    ("%Y-%m-%dT%H:%M", True),
    ("%Y-%m-%d %H:%M:%S%.f", True),
    ("%Y-%m-%dT%H:%M:%S%.f", True),
    ("%Y-%m-%d", False),
)

SEVERITY_ALIASES = {
    "killed": "fatal",
    "death": "fatal",
    "fatal_accident": "fatal",
    "serious": "grievous",
    "grievous_injury": "grievous",
    "grievous_hurt": "grievous",
    "slight": "minor",
    "simple": "minor",
    "minor_injury": "minor",
    "simple_injury": "minor",
    "noninjury": "non_injury",
    "no_injury": "non_injury",
    "pdo": "non_injury",
    "damage_only": "non_injury",
    "property_damage": "non_injury",
    "property_damage_only": "non_injury",
    "non_injury_accident": "non_injury",
    "fatal_injury": "fatal",
    "killed_accident": "fatal",
    "serious_injury": "grievous",
    "serious_injuries": "grievous",
    "grievous_injuries": "grievous",
    "major_injury": "grievous",
    "slight_injury": "minor",
    "slight_injuries": "minor",
    "minor_injuries": "minor",
    "injury": "minor",
}
ROAD_CATEGORY_ALIASES = {c.lower(): c for c in schemas.ROAD_CATEGORIES} | {
    "national_highway": "NH",
    "state_highway": "SH",
    "city": "urban",
    "street": "urban",
    "motorway": "expressway",
    "exp": "expressway",
}


@dataclass(frozen=True)
class Checked:
    """Rows that passed, and quarantine rows (``REJECT_SCHEMA``) for those that did not."""

    valid: pl.DataFrame
    rejects: pl.DataFrame


def _token(col: str) -> pl.Expr:
    """Lower-case, trimmed, spaces and dashes as underscores."""
    return pl.col(col).str.strip_chars().str.to_lowercase().str.replace_all(r"[\s\-]+", "_")


def _reject(frame: pl.DataFrame, mask: pl.Expr, column: str, reason: str | pl.Expr) -> pl.DataFrame:
    reason_expr = pl.lit(reason) if isinstance(reason, str) else reason
    return frame.filter(mask).select(
        pl.col("source_row").alias("row_number"),
        pl.lit(column).alias("column_name"),
        pl.col(column).cast(pl.Utf8).alias("raw_value"),
        reason_expr.alias("reason"),
    )


def parse_timestamp(frame: pl.DataFrame, column: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Parse a text timestamp column; add ``has_time``; return (frame, rejects).

    The first format is tried on every row; the others only on the rows it did not parse, so the
    usual single-format file costs one parse.
    """
    # Local wall time is kept; a trailing UTC offset or 'Z' (as some exports write) is dropped.
    text = (
        frame.get_column(column)
        .cast(pl.Utf8)
        .str.strip_chars()
        .str.replace(r"(?:\s*(?:Z|UTC|[+-]\d{2}:?\d{2}))$", "")
    )
    first, *others = [fmt for fmt, _ in TIMESTAMP_FORMATS]
    parsed = text.str.strptime(pl.Datetime("us"), first, strict=False)
    todo = parsed.is_null() & text.is_not_null()
    if todo.any():
        idx = todo.arg_true()
        rest = text.gather(idx)
        retry = pl.select(
            pl.coalesce([rest.str.strptime(pl.Datetime("us"), f, strict=False) for f in others])
        )
        parsed = parsed.scatter(idx, retry.to_series())
    out = frame.with_columns(
        (parsed.is_not_null() & text.str.contains(r"\d:\d\d")).alias("has_time"),
        parsed.alias("_ts"),
        text.alias(column),
    )
    blank = pl.col(column).is_null() | (pl.col(column) == "")
    rejects = pl.concat(
        [
            _reject(out, blank, column, "missing required value"),
            _reject(
                out,
                ~blank & pl.col("_ts").is_null(),
                column,
                "malformed timestamp (expected YYYY-MM-DD[ HH:MM[:SS]])",
            ),
        ]
    )
    return out.with_columns(pl.col("_ts").alias(column)).drop("_ts"), rejects


def parse_numbers(frame: pl.DataFrame, kind: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Cast numeric columns given as text; a non-blank value that is not a number is rejected."""
    rejects, casts = [], []
    for col, dtype in schemas.INPUTS[kind].items():
        if not dtype.is_numeric() or frame.schema[col] != pl.Utf8:
            continue
        text = pl.col(col).str.strip_chars().str.replace(",", ".", literal=True)
        number = text.cast(pl.Float64, strict=False)
        bad = text.is_not_null() & (text != "") & number.is_null()
        if dtype.is_integer():
            bad = bad | (number.is_not_null() & (number != number.floor()))
        rejects.append(
            _reject(frame, bad, col, f"not a{'n integer' if dtype.is_integer() else ' number'}")
        )
        casts.append(pl.when(bad).then(None).otherwise(number).cast(dtype).alias(col))
    out = frame.with_columns(casts) if casts else frame
    return out, pl.concat(rejects) if rejects else pl.DataFrame(schema=REJECT_SCHEMA)


def normalise_codes(frame: pl.DataFrame, kind: str) -> pl.DataFrame:
    """Map code columns to the canonical vocabularies (unknown values are left for validation)."""
    exprs = []
    if kind == "accidents":
        sev = _token("severity")
        exprs.append(sev.replace(SEVERITY_ALIASES).alias("severity"))
        cat = _token("road_category")
        exprs.append(
            pl.when(cat.is_null() | (cat == ""))
            .then(None)
            .otherwise(cat.replace_strict(ROAD_CATEGORY_ALIASES, default="other"))
            .alias("road_category")
        )
    else:
        exprs.append(_token("offence").alias("offence"))
    for col in ("district", "police_station", "road_name"):
        exprs.append(pl.col(col).str.strip_chars().str.replace_all(r"\s+", " ").alias(col))
    # (0, 0) is the usual "no fix" placeholder, not a point in the Gulf of Guinea.
    zero = (pl.col("latitude") == 0) & (pl.col("longitude") == 0)
    exprs += [
        pl.when(zero).then(None).otherwise(pl.col(c)).alias(c) for c in ("latitude", "longitude")
    ]
    return frame.with_columns(exprs)


def _schema(kind: str) -> pa.DataFrameSchema:
    required = set(schemas.REQUIRED[kind])
    cols: dict[str, pa.Column] = {
        col: pa.Column(nullable=col not in required) for col in schemas.REQUIRED[kind]
    }
    cols["latitude"] = pa.Column(nullable=True, checks=pa.Check.in_range(-90, 90))
    cols["longitude"] = pa.Column(nullable=True, checks=pa.Check.in_range(-180, 180))
    if kind == "accidents":
        cols["severity"] = pa.Column(nullable=False, checks=pa.Check.isin(schemas.SEVERITIES))
        for col in ("killed", "injured"):
            cols[col] = pa.Column(nullable=True, checks=pa.Check.ge(0))
        cols["chainage_km"] = pa.Column(nullable=True, checks=pa.Check.ge(0))
    else:
        cols["offence"] = pa.Column(nullable=False, checks=pa.Check.isin(schemas.OFFENCES))
        cols["fine_amount"] = pa.Column(nullable=True, checks=pa.Check.ge(0))
    for col in required - {"severity", "offence"}:
        cols[col] = pa.Column(nullable=False)
    return pa.DataFrameSchema(cols, strict=False, coerce=False)


_REASONS = [
    (re.compile(r"isin"), "unknown value (allowed: {allowed})"),
    (re.compile(r"in_range"), "out of range"),
    (re.compile(r"greater_than_or_equal_to|ge\b"), "negative value"),
    (re.compile(r"not_nullable"), "missing required value"),
]


def _reason(check: str, column: str) -> str:
    allowed = {"severity": schemas.SEVERITIES, "offence": schemas.OFFENCES}.get(column, ())
    for pattern, text in _REASONS:
        if pattern.search(check):
            return text.format(allowed=", ".join(allowed))
    return f"failed check {check}"


def validate_rows(frame: pl.DataFrame, kind: str) -> Checked:
    """Validate typed rows with the pandera schema; failing rows go to quarantine rows."""
    try:
        _schema(kind).validate(frame, lazy=True)
        return Checked(frame, pl.DataFrame(schema=REJECT_SCHEMA))
    except SchemaErrors as err:
        cases = (
            pl.DataFrame(err.failure_cases)
            if not isinstance(err.failure_cases, pl.DataFrame)
            else err.failure_cases
        )
    cases = cases.filter(pl.col("index").is_not_null())
    rows = frame.get_column("source_row")
    rejects = pl.DataFrame(
        {
            "row_number": [rows[int(i)] for i in cases.get_column("index").to_list()],
            "column_name": cases.get_column("column").cast(pl.Utf8).to_list(),
            "raw_value": cases.get_column("failure_case").cast(pl.Utf8).to_list(),
            "reason": [
                _reason(str(c), str(col))
                for c, col in zip(
                    cases.get_column("check").to_list(), cases.get_column("column").to_list()
                )
            ],
        },
        schema=REJECT_SCHEMA,
    )
    bad = rejects.get_column("row_number").unique()
    return Checked(frame.filter(~pl.col("source_row").is_in(bad.implode())), rejects)


def check_batch(frame: pl.DataFrame, kind: str) -> Checked:
    """Parse timestamps and numbers, normalise codes and validate; rows failing any step are rejected."""
    time_col = schemas.TIME_COLUMN[kind]
    frame, ts_rejects = parse_timestamp(frame, time_col)
    frame, num_rejects = parse_numbers(frame, kind)
    early = pl.concat([ts_rejects, num_rejects])
    frame = frame.filter(
        ~pl.col("source_row").is_in(early.get_column("row_number").unique().implode())
    )
    checked = validate_rows(normalise_codes(frame, kind), kind)
    return Checked(checked.valid, pl.concat([early, checked.rejects]))
