"""Plain CSV: one header line, the frame's columns in order, UTF-8, ISO dates, empty for null.

Expected values are rounded to 4 decimals and coordinates to 6, so files are stable and readable.
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


def write_csv(rows: pl.DataFrame, path: Path) -> Path:
    """Write ``rows`` to ``path`` as CSV and return the path."""
    round_for_output(rows).write_csv(path, date_format="%Y-%m-%d", null_value="")
    return path
