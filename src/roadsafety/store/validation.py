"""Parse, normalise and validate canonical rows; every failure becomes a quarantine row.

Pure Polars (no I/O). Validation rules are declared with pandera's Polars backend: it is the most
widely used and actively maintained dataframe-validation library, validates Polars frames natively
(no pandas round trip), and with ``lazy=True`` reports *every* failing row and column with the check
that failed, which is exactly what the quarantine table records. (dataframely was the alternative; its
filter API is neat but its community and release history are much smaller.)

Plausibility at the door (a poisoned or broken file must not load doubtful rows, nor crash the load):
dates from 1950 to the day after the ingest day; counts 0..500 and other numbers within
:data:`RANGES` (never infinite, never beyond the stored type); text within :data:`TEXT_LIMITS` and
free of control characters (NUL, ANSI escapes, bidirectional overrides; line breaks only in free
text). Each violation quarantines the row with its column and reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandera.polars as pa
import polars as pl
from pandera.errors import SchemaErrors

from roadsafety import schemas
from roadsafety.features.text import per_distinct, squeezed
from roadsafety.sources.base import REJECT_SCHEMA
from roadsafety.store.privacy import is_personal

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


EARLIEST = datetime(1950, 1, 1)
MAX_COUNT = 500
RANGES = {  # inclusive plausible ranges of numeric columns
    "killed": (0, MAX_COUNT),
    "injured": (0, MAX_COUNT),
    "chainage_km": (0, 10_000),  # km markers: the longest roads run a few thousand km
    "fine_amount": (0, 10_000_000),
}
ID_TEXT = ("accident_id", "challan_id", "camera_id")
FREE_TEXT = ("vehicle_types", "weather", "light", "cause", "offence_raw")
TEXT_LIMITS = {"id": 128, "free": 1_000, "name": 200, "vehicle_reg": 32}
_BIDI = r"\x{202A}-\x{202E}\x{2066}-\x{2069}"
# C0 controls (NUL, ESC of ANSI codes...), DEL and bidirectional overrides. C1 characters are let
# through: real exports carry them as mis-decoded accents (BAAC's 'ALL\x82E' for 'ALLÉE').
CONTROL_IN_NAMES = rf"[\x00-\x1f\x7f{_BIDI}]"
CONTROL_IN_FREE_TEXT = rf"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f{_BIDI}]"  # tab, LF, CR allowed


@dataclass(frozen=True)
class Checked:
    """Rows that passed, and quarantine rows (``REJECT_SCHEMA``) for those that did not."""

    valid: pl.DataFrame
    rejects: pl.DataFrame


def _token(value: pl.Expr) -> pl.Expr:
    """Lower-case, trimmed, spaces and dashes as underscores."""
    return value.str.strip_chars().str.to_lowercase().str.replace_all(r"[\s\-]+", "_")


def _road_category(value: pl.Expr) -> pl.Expr:
    """The canonical road category of a text (``other`` when unknown; empty text is null)."""
    token = _token(value)
    return (
        pl.when(token.is_null() | (token == ""))
        .then(None)
        .otherwise(token.replace_strict(ROAD_CATEGORY_ALIASES, default="other"))
    )


def _reject(frame: pl.DataFrame, mask: pl.Expr, column: str, reason: str | pl.Expr) -> pl.DataFrame:
    reason_expr = pl.lit(reason) if isinstance(reason, str) else reason
    return frame.filter(mask).select(
        pl.col("source_row").alias("row_number"),
        pl.lit(column).alias("column_name"),
        pl.col(column).cast(pl.Utf8).alias("raw_value"),
        reason_expr.alias("reason"),
    )


TZ_SUFFIX = r"(?:\s*(?:Z|UTC|[+-]\d{2}:?\d{2}))$"


def parse_timestamp(frame: pl.DataFrame, column: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Parse a text timestamp column; add ``has_time``; return (frame, rejects).

    The first format is tried on every row as written; only the rows it does not parse are
    trimmed, stripped of a UTC offset and tried with every format, so the usual single-format file
    costs one parse. (A value the first format parses has nothing to trim and has a time of day.)
    """
    text = frame.get_column(column).cast(pl.Utf8)
    (first, first_has_time), *_ = TIMESTAMP_FORMATS
    parsed = text.str.strptime(pl.Datetime("us"), first, strict=False)
    has_time = parsed.is_not_null() if first_has_time else pl.repeat(False, len(text), eager=True)
    todo = parsed.is_null() & text.is_not_null()
    if todo.any():
        idx = todo.arg_true()
        # Local wall time is kept; a trailing UTC offset or 'Z' (as some exports write) is dropped.
        rest = text.gather(idx).str.strip_chars().str.replace(TZ_SUFFIX, "")
        retry = pl.select(
            pl.coalesce(
                [
                    rest.str.strptime(pl.Datetime("us"), f, strict=False)
                    for f, _ in TIMESTAMP_FORMATS
                ]
            )
        ).to_series()
        text = text.scatter(idx, rest)
        parsed = parsed.scatter(idx, retry)
        has_time = has_time.scatter(idx, retry.is_not_null() & rest.str.contains(r"\d:\d\d"))
    out = frame.with_columns(has_time.alias("has_time"), parsed.alias("_ts"), text.alias(column))
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


def _text_numbers(text: pl.Series) -> tuple[pl.Series, pl.Series]:
    """(numbers, present) of a text column: trimmed, a decimal comma read as a point.

    Most values parse as they are; only those that do not are trimmed and retried.
    """
    number = text.cast(pl.Float64, strict=False)
    retry = number.is_null() & text.is_not_null()
    present = text.is_not_null()
    if retry.any():
        idx = retry.arg_true()
        trimmed = text.gather(idx).str.strip_chars()
        fixed = trimmed.str.replace(",", ".", literal=True).cast(pl.Float64, strict=False)
        number = number.scatter(idx, fixed)
        present = present.scatter(idx, trimmed != "")
    return number, present


def _number_reason(number: pl.Series, low: float, high: float, integer: bool) -> pl.Series:
    value = pl.lit(number)
    reason = (
        pl.when(value.is_null())
        .then(pl.lit("not a number"))
        .when(~value.is_finite())
        .then(pl.lit("not a finite number"))
        .when(value < low)
        .then(pl.lit("negative value" if low == 0 else f"out of range ({low} to {high})"))
        .when(value > high)
        .then(pl.lit(f"out of range ({low} to {high})"))
    )
    if integer:
        reason = reason.when(value != value.floor()).then(pl.lit("not an integer"))
    return pl.select(reason.alias("reason")).to_series()


def parse_numbers(frame: pl.DataFrame, kind: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Cast numeric columns given as text; a value that is no number, or none the column can
    hold (infinite, a fraction for a count, beyond the plausible range), is rejected. Columns a
    reader already gives as numbers (a Parquet file's floats) get the same checks."""
    rejects, casts = [], []
    for col, dtype in schemas.INPUTS[kind].items():
        source = frame.get_column(col) if col in frame.columns else None
        if not dtype.is_numeric() or source is None:
            continue
        if source.dtype == pl.Utf8:
            number, present = _text_numbers(source)
        elif source.dtype.is_numeric():
            number, present = source.cast(pl.Float64), source.is_not_null()
        else:
            continue
        low, high = RANGES.get(col, (-1e12, 1e12))
        reason = _number_reason(number, low, high, dtype.is_integer())
        bad = present & reason.is_not_null()
        if bad.any():
            idx = bad.arg_true()
            rejects.append(
                pl.DataFrame(
                    {
                        "row_number": frame.get_column("source_row").gather(idx),
                        "column_name": pl.Series([col] * len(idx), dtype=pl.Utf8),
                        "raw_value": source.gather(idx).cast(pl.Utf8),
                        "reason": reason.gather(idx),
                    }
                )
            )
            number = number.scatter(idx, None)
        casts.append(number.cast(dtype).alias(col))
    out = frame.with_columns(casts) if casts else frame
    return out, pl.concat(rejects) if rejects else pl.DataFrame(schema=REJECT_SCHEMA)


def normalise_codes(frame: pl.DataFrame, kind: str) -> pl.DataFrame:
    """Map code columns to the canonical vocabularies (unknown values are left for validation).

    Codes and names repeat across rows, so each distinct value is normalised once.
    """
    columns = []
    if kind == "accidents":
        columns.append(
            per_distinct(frame["severity"], lambda v: _token(v).replace(SEVERITY_ALIASES))
        )
        columns.append(per_distinct(frame["road_category"], _road_category))
    else:
        columns.append(per_distinct(frame["offence"], _token))
    for col in ("district", "police_station", "road_name"):
        columns.append(per_distinct(frame[col], squeezed))
    # (0, 0) is the usual "no fix" placeholder, not a point in the Gulf of Guinea.
    zero = (pl.col("latitude") == 0) & (pl.col("longitude") == 0)
    return frame.with_columns(
        *columns,
        *(
            pl.when(zero).then(None).otherwise(pl.col(c)).alias(c)
            for c in ("latitude", "longitude")
        ),
    )


def _schema(kind: str) -> pa.DataFrameSchema:
    required = set(schemas.REQUIRED[kind])
    cols: dict[str, pa.Column] = {
        col: pa.Column(nullable=col not in required) for col in schemas.REQUIRED[kind]
    }
    cols["latitude"] = pa.Column(nullable=True, checks=pa.Check.in_range(-90, 90))
    cols["longitude"] = pa.Column(nullable=True, checks=pa.Check.in_range(-180, 180))
    if kind == "accidents":
        cols["severity"] = pa.Column(nullable=False, checks=pa.Check.isin(schemas.SEVERITIES))
    else:
        cols["offence"] = pa.Column(nullable=False, checks=pa.Check.isin(schemas.OFFENCES))
    for col, (low, high) in RANGES.items():
        if col in schemas.INPUTS[kind]:
            cols[col] = pa.Column(nullable=True, checks=[pa.Check.ge(low), pa.Check.le(high)])
    for col in required - {"severity", "offence"}:
        cols[col] = pa.Column(nullable=False)
    return pa.DataFrameSchema(cols, strict=False, coerce=False)


_REASONS = [
    (re.compile(r"not_nullable"), "missing required value"),
    (re.compile(r"isin"), "unknown value (allowed: {allowed})"),
    (re.compile(r"in_range"), "out of range"),
    (re.compile(r"greater_than_or_equal_to"), "negative value"),
    (re.compile(r"less_than_or_equal_to"), "out of range ({low} to {high})"),
]


def _reason(check: str, column: str) -> str:
    allowed = {"severity": schemas.SEVERITIES, "offence": schemas.OFFENCES}.get(column, ())
    low, high = RANGES.get(column, (None, None))
    for pattern, text in _REASONS:
        if pattern.search(check):
            return text.format(allowed=", ".join(allowed), low=low, high=high)
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


def check_dates(frame: pl.DataFrame, column: str, today: date) -> pl.DataFrame:
    """Rejects for parsed timestamps before 1950 or after the day after ``today`` (the ingest day)."""
    latest = datetime.combine(today + timedelta(days=2), datetime.min.time())
    when = pl.col(column)
    return pl.concat(
        [
            _reject(frame, when < EARLIEST, column, "date before 1950"),
            _reject(
                frame,
                when >= latest,
                column,
                f"date in the future (after {today + timedelta(days=1)})",
            ),
        ]
    )


def _text_limit(column: str) -> tuple[int, str]:
    if column in ID_TEXT:
        return TEXT_LIMITS["id"], CONTROL_IN_NAMES
    if column in FREE_TEXT:
        return TEXT_LIMITS["free"], CONTROL_IN_FREE_TEXT
    return TEXT_LIMITS.get(column, TEXT_LIMITS["name"]), CONTROL_IN_NAMES


def check_text(frame: pl.DataFrame, kind: str) -> pl.DataFrame:
    """Rejects for text columns holding control characters or longer than their limit.

    Every column's check is one expression of a single ``select``, so Polars runs them in parallel.
    """
    exprs = []
    for col, dtype in schemas.INPUTS[kind].items():
        if dtype != pl.Utf8 or col == schemas.TIME_COLUMN[kind] or frame.schema[col] != pl.Utf8:
            continue
        limit, control = _text_limit(col)
        value = pl.col(col)
        exprs.append(
            pl.when(value.str.contains(control))
            .then(pl.lit("control characters in text (NUL, escape codes or line breaks)"))
            .when(value.str.len_chars() > limit)
            .then(pl.lit(f"text too long (more than {limit} characters)"))
            .alias(col)
        )
    reasons = frame.select(exprs) if exprs else pl.DataFrame()
    rejects = [pl.DataFrame(schema=REJECT_SCHEMA)]
    for reason in reasons.iter_columns():
        if reason.null_count() == reason.len():
            continue
        mask = reason.is_not_null()
        rejects.append(
            pl.DataFrame(
                {
                    "row_number": frame.get_column("source_row").filter(mask),
                    "column_name": pl.Series([reason.name] * int(mask.sum()), dtype=pl.Utf8),
                    "raw_value": frame.get_column(reason.name).filter(mask),
                    "reason": reason.filter(mask),
                }
            )
        )
    return pl.concat(rejects)


QUARANTINE_VALUE_MAX = 200
WITHHELD = "(personal data withheld)"


def _visible(text: str) -> str:
    """Control characters written out (``\\x1b``), so a stored value cannot drive a terminal."""
    return "".join(ch if ch.isprintable() or ch == " " else ascii(ch)[1:-1] for ch in text)


def safe_rejects(rejects: pl.DataFrame, personal: tuple[str, ...]) -> pl.DataFrame:
    """Quarantine rows made safe to store and print.

    The value of a personal column is withheld; other values are cut to
    :data:`QUARANTINE_VALUE_MAX` characters (a 10 MB road name stays out of the warehouse) and
    control characters are written out, in values and column names alike.
    """
    if rejects.is_empty():
        return rejects
    names = rejects.get_column("column_name").drop_nulls().unique().to_list()
    hidden = [c for c in names if c in schemas.PII_COLUMNS or is_personal(c, personal)]
    value, column = pl.col("raw_value"), pl.col("column_name")
    clipped = pl.when(value.str.len_chars() > QUARANTINE_VALUE_MAX).then(
        value.str.slice(0, QUARANTINE_VALUE_MAX) + pl.lit("...")
    )
    out = rejects.with_columns(
        pl.when(column.is_in(hidden))
        .then(pl.lit(WITHHELD))
        .otherwise(clipped.otherwise(value))
        .alias("raw_value")
    )
    for name in ("raw_value", "column_name"):
        if out.get_column(name).str.contains(r"[\x00-\x1f\x7f-\x9f]").any():
            out = out.with_columns(
                pl.col(name).map_elements(_visible, return_dtype=pl.Utf8, skip_nulls=True)
            )
    return out


def check_batch(frame: pl.DataFrame, kind: str, today: date | None = None) -> Checked:
    """Parse timestamps and numbers, check plausibility, normalise codes and validate.

    Rows failing any step are rejected. ``today`` is the ingest day (default: today's date): a
    date after the following day is refused as a typing slip (2100, 9999).
    """
    time_col = schemas.TIME_COLUMN[kind]
    text_rejects = check_text(frame, kind)
    frame, ts_rejects = parse_timestamp(frame, time_col)
    date_rejects = check_dates(frame, time_col, today or date.today())
    frame, num_rejects = parse_numbers(frame, kind)
    early = pl.concat([text_rejects, ts_rejects, date_rejects, num_rejects])
    frame = frame.filter(
        ~pl.col("source_row").is_in(early.get_column("row_number").unique().implode())
    )
    checked = validate_rows(normalise_codes(frame, kind), kind)
    return Checked(checked.valid, pl.concat([early, checked.rejects]))
