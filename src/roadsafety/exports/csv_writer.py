"""Plain CSV: one header line, the frame's columns in order, UTF-8, ISO dates, empty for null.

Expected values are rounded to 4 decimals and coordinates to 6, so files are stable and readable.

Formula injection (OWASP "CSV Injection"): a text cell that starts with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return would run as a formula when the file is opened in a spreadsheet, so it
is written with a leading ``'`` (:func:`neutralise_formulas`). Numbers and dates are typed columns
and are written unchanged; only text columns (road and station names, reasons...) are touched.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

ROUNDING = {"latitude": 6, "longitude": 6}
DEFAULT_DECIMALS = 4


def round_for_output(rows: pl.DataFrame) -> pl.DataFrame:
    """Round float columns (coordinates to 6 decimals, other floats to 4)."""
    return rows.with_columns(
        pl.col(name).round(ROUNDING.get(name, DEFAULT_DECIMALS))
        for name, dtype in rows.schema.items()
        if dtype.is_float()
    )


FORMULA_START = r"^[=+\-@\t\r]"


def neutralise_formulas(rows: pl.DataFrame) -> pl.DataFrame:
    """Text cells that a spreadsheet would read as a formula, prefixed with ``'``."""
    text = [name for name, dtype in rows.schema.items() if dtype == pl.Utf8]
    return rows.with_columns(
        pl.when(pl.col(name).str.contains(FORMULA_START))
        .then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name in text
    )


def write_csv(rows: pl.DataFrame, path: Path) -> Path:
    """Write ``rows`` to ``path`` as CSV (formula-like text neutralised) and return the path."""
    neutralise_formulas(round_for_output(rows)).write_csv(
        path, date_format="%Y-%m-%d", null_value=""
    )
    return path
