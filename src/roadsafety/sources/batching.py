"""Shared steps of the real-data adapters: text clean-up, raw audit JSON, reject splitting.

Adapters build one frame with a row per data row of the file: the canonical columns, ``source_row``
(1-based data row), ``raw`` and three reject columns (``_reject_column``, ``_reject_value``,
``_reject_reason``; null when the row mapped). :func:`finish_batch` splits that frame into the
``SourceBatch`` frame and its rejected rows, so every row read lands in exactly one of them.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from roadsafety import schemas
from roadsafety.sources.base import (
    REJECT_SCHEMA,
    SourceBatch,
    SourceError,
    check_header_names,
    conform,
)

REJECT_COLUMNS = ("_reject_column", "_reject_value", "_reject_reason")


def raw_json(columns: list[str], frame: pl.DataFrame) -> pl.Expr:
    """A JSON object of the given source columns (those present in ``frame``), for audit."""
    present = [c for c in columns if c in frame.columns]
    return pl.struct([pl.col(c) for c in present]).struct.json_encode().alias("raw")


def reject_when(rules: list[tuple]) -> list[pl.Expr]:
    """Reject columns from ordered ``(condition, column_name, reason[, value])`` rules.

    The first matching rule wins.

    Args:
        rules: each rule's condition is a boolean expression over the parsed frame; the raw value
            reported is ``value`` (an expression) or else the named column's text.

    Returns:
        Expressions for ``_reject_column``, ``_reject_value`` and ``_reject_reason``.
    """
    col_expr = pl.lit(None, pl.Utf8)
    val_expr = pl.lit(None, pl.Utf8)
    why_expr = pl.lit(None, pl.Utf8)
    for rule in reversed(rules):
        condition, column, reason = rule[:3]
        value = rule[3] if len(rule) > 3 else pl.col(column)
        hit = condition.fill_null(False)
        col_expr = pl.when(hit).then(pl.lit(column)).otherwise(col_expr)
        val_expr = pl.when(hit).then(value.cast(pl.Utf8)).otherwise(val_expr)
        why_expr = pl.when(hit).then(pl.lit(reason)).otherwise(why_expr)
    return [
        col_expr.alias("_reject_column"),
        val_expr.alias("_reject_value"),
        why_expr.alias("_reject_reason"),
    ]


def finish_batch(
    kind: str, source: str, path: Path, rows_read: int, frame: pl.DataFrame
) -> SourceBatch:
    """Split a parsed frame into mapped rows and rejected rows and build the batch.

    Args:
        kind: ``accidents`` or ``challans``.
        source: source name stored with each row.
        path: the file (or folder) read.
        rows_read: data rows read.
        frame: parsed rows with canonical columns, ``source_row``, ``raw`` and the reject columns.
    """
    mapped, rejected = split_rows(kind, frame)
    return SourceBatch(kind, source, str(path), rows_read, mapped, rejected)


def split_rows(kind: str, frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(mapped rows conformed to the canonical input, rejected rows) of a parsed frame (see
    :func:`finish_batch`); every row lands in exactly one of them."""
    frame = frame.with_columns(_numbers_kept(frame, kind))
    rejected_mask = pl.col("_reject_reason").is_not_null()
    return conform(frame.filter(~rejected_mask), kind), rejected_rows(frame)


def rejected_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """The rows of ``frame`` with a reject reason, as ``REJECT_SCHEMA`` rows."""
    rejected = frame.filter(pl.col("_reject_reason").is_not_null()).select(
        pl.col("source_row").cast(pl.Int64).alias("row_number"),
        pl.col("_reject_column").alias("column_name"),
        pl.col("_reject_value").alias("raw_value"),
        pl.col("_reject_reason").alias("reason"),
    )
    return rejected.cast(REJECT_SCHEMA)  # type: ignore[arg-type]


def _numbers_kept(frame: pl.DataFrame, kind: str) -> list[pl.Expr]:
    """Reject columns extended to numbers the canonical type cannot hold (3e9 killed, 1e400).

    Casting them would silently give null; the row is quarantined instead. An earlier reject of
    the row (the adapter's own rules) keeps priority.
    """
    rules = []
    for col, dtype in schemas.INPUTS[kind].items():
        if col not in frame.columns or not dtype.is_numeric():
            continue
        value = pl.col(col)
        finite = value.cast(pl.Float64, strict=False).is_finite()
        lost = value.is_not_null() & (value.cast(dtype, strict=False).is_null() | ~finite)
        rules.append((lost, col, "number not representable (too large, infinite or not a number)"))
    if not rules:
        return []
    found = reject_when([(cond, col, why, pl.col(col)) for cond, col, why in rules])
    keep = pl.col("_reject_reason").is_not_null()
    return [
        pl.when(keep).then(pl.col(name)).otherwise(expr).alias(name)
        for name, expr in zip(REJECT_COLUMNS, found)
    ]


def read_text(path: Path, encoding: str = "utf-8") -> str:
    """The whole text of a file, or a SourceError naming the file and problem."""
    try:
        return path.read_bytes().decode(encoding)
    except FileNotFoundError as exc:
        raise SourceError(f"{path}: file not found") from exc
    except IsADirectoryError as exc:
        raise SourceError(f"{path}: is a folder, expected a file") from exc
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"{path}: not valid {encoding} text ({exc.reason} at byte {exc.start})"
        ) from exc


def require_columns(path: Path, header: list[str], needed: tuple[str, ...]) -> None:
    """Raise SourceError naming the columns of ``needed`` the header lacks or names twice."""
    check_header_names(path, header, used=needed)
    missing = [c for c in needed if c not in header]
    if missing:
        raise SourceError(f"{path}: missing columns {missing}; found {header}")
