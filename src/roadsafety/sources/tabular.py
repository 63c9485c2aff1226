"""Read a user's export as a frame of text columns: delimited text, Excel workbook or Parquet.

Used by mapping files, so one mapping serves a state whether it sends CSV, ``.xlsx`` or Parquet.
Every value arrives as text (numbers as written; Excel dates as ``YYYY-MM-DD HH:MM:SS``, or
``YYYY-MM-DD`` when the cell holds midnight, i.e. no time) so the mapping decides how to parse it.
"""

from __future__ import annotations

import io
from collections.abc import Collection
from datetime import date, datetime, time
from pathlib import Path
from zipfile import BadZipFile

import polars as pl

from roadsafety.sources.base import SourceError, check_header_names
from roadsafety.sources.batching import read_text

EXCEL_SUFFIXES = (".xlsx", ".xlsm")


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        # A date cell without a time of day reads as midnight: treat it as a date only.
        return value.strftime("%Y-%m-%d" if value.time() == time(0) else "%Y-%m-%d %H:%M:%S")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_excel_text(
    path: Path, sheet: str | None = None, skip_rows: int = 0, used: Collection[str] | None = None
) -> pl.DataFrame:
    """One sheet of a workbook (the first unless named) as text columns; header after ``skip_rows``.

    Raises:
        SourceError: when the workbook cannot be opened, the sheet is absent or has no header.
    """
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError as exc:
        raise SourceError(f"{path}: file not found") from exc
    except (OSError, ValueError, KeyError, BadZipFile, InvalidFileException) as exc:
        raise SourceError(f"{path}: not readable as an Excel workbook ({exc})") from exc
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise SourceError(f"{path}: no sheet {sheet!r}; sheets: {book.sheetnames}")
        rows = list((book[sheet] if sheet else book.worksheets[0]).iter_rows(values_only=True))
    finally:
        book.close()
    rows = rows[skip_rows:]
    if not rows or not any(rows[0]):
        raise SourceError(f"{path}: no header row in sheet {sheet or book.sheetnames[0]!r}")
    header = [str(c).strip() if c is not None else f"column_{i + 1}" for i, c in enumerate(rows[0])]
    check_header_names(path, header, used)
    body = [row for row in rows[1:] if any(v is not None and str(v).strip() for v in row)]
    data = {
        h: [_cell_text(r[i]) if i < len(r) else None for r in body] for i, h in enumerate(header)
    }
    return pl.DataFrame(data, schema={h: pl.Utf8 for h in header})


def read_table_text(
    path: Path,
    encoding: str = "utf-8",
    delimiter: str = ",",
    skip_rows: int = 0,
    sheet: str | None = None,
    used: Collection[str] | None = None,
) -> pl.DataFrame:
    """Any supported export as text columns with trimmed header names.

    ``.xlsx``/``.xlsm`` → the sheet; ``.parquet`` → every column cast to text; anything else →
    delimited text in ``encoding``.

    Raises:
        SourceError: naming the file and the problem (a column of ``used``, or of the whole
            header when None, named twice included).
    """
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        frame = read_excel_text(path, sheet, skip_rows, used)
    elif suffix == ".parquet":
        try:
            frame = pl.read_parquet(path)
        except (pl.exceptions.PolarsError, OSError) as exc:
            raise SourceError(f"{path}: not readable as Parquet ({exc})") from exc
        frame = frame.select(pl.all().cast(pl.Utf8))
    else:
        text = read_text(path, encoding)
        try:
            frame = pl.read_csv(
                io.BytesIO(text.encode("utf-8")),
                separator=delimiter,
                infer_schema_length=0,
                skip_rows=skip_rows,
            )
        except pl.exceptions.PolarsError as exc:
            raise SourceError(
                f"{path}: not readable as CSV with delimiter {delimiter!r} ({exc})"
            ) from exc
    check_header_names(path, frame.columns, used)
    first = {}  # an unused name repeated (or differing only by spaces): keep its first column
    for col in frame.columns:
        first.setdefault(col.strip(), col)
    return frame.select(first.values()).rename({c: k for k, c in first.items()})
