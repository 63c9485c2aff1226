"""Reader for the documented canonical import format (CSV or Parquet, per DESIGN.md).

Every column is read as text so that a malformed value is quarantined by the ingest with its row and
column, never silently turned into a null by a type guess.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from roadsafety import schemas
from roadsafety.sources.base import (
    SourceBatch,
    SourceError,
    check_header_names,
    empty_rejects,
)

SNIFF_BYTES = 4096
DELIMITERS = {";": "semicolon", "\t": "tab", "|": "pipe"}


def utf16_problem(path: Path) -> str | None:
    """A sentence naming the encoding problem when a CSV file is UTF-16 (with or without a
    byte-order mark: Excel's "Unicode Text"), else None. Only the first 4 KB are read."""
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        found = "UTF-16 text (it starts with a UTF-16 byte-order mark)"
    elif head and head.count(b"\x00") * 4 >= len(head):
        found = "UTF-16 text without a byte-order mark (every other byte is zero)"
    else:
        return None
    return (
        f"{path}: the file is {found}, not UTF-8. Re-save it as 'CSV UTF-8 (comma delimited)', or "
        f"convert it: iconv -f UTF-16 -t UTF-8 '{path}' > converted.csv, or load it with --mapping "
        'and encoding = "utf-16" (docs/import-format.md)'
    )


def delimiter_hint(path: Path, columns: list[str]) -> str:
    """A hint naming the file's likely delimiter when its header did not split on commas."""
    header = ",".join(columns)
    found = [(header.count(d), d) for d in DELIMITERS if header.count(d) >= 1]
    if len(columns) > 2 or not found:
        return ""
    delimiter = max(found)[1]
    return (
        f". {path.name} looks {DELIMITERS[delimiter]}-separated ({delimiter!r} in the header), but "
        f"the canonical format is comma-separated: re-save it with commas, or load it with "
        f"--mapping and delimiter = {delimiter!r} (docs/import-format.md)"
    )


def read_table_as_text(path: Path) -> pl.DataFrame:
    """Read a CSV or Parquet file with every column as text, or raise SourceError naming the problem."""
    path = Path(path)
    if not path.exists():
        raise SourceError(f"{path}: file does not exist")
    if path.is_dir():
        raise SourceError(f"{path}: is a directory, expected a file")
    if path.stat().st_size == 0:
        raise SourceError(f"{path}: file is empty")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            frame = pl.read_parquet(path)
            return frame.select(pl.all().cast(pl.Utf8))
        problem = utf16_problem(path)
        if problem:
            raise SourceError(problem)
        return pl.read_csv(path, infer_schema=False, encoding="utf8")
    except pl.exceptions.ComputeError as exc:
        text = str(exc).splitlines()[0]
        if "utf-8" in text.lower() or "utf8" in text.lower():
            raise SourceError(
                f"{path}: not valid UTF-8 text ({text}); re-save as UTF-8 or use --mapping with an encoding"
            ) from exc
        raise SourceError(
            f"{path}: cannot be parsed as {'Parquet' if path.suffix.lower() in ('.parquet', '.pq') else 'CSV'}: {text}"
        ) from exc
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise SourceError(f"{path}: cannot be read: {str(exc).splitlines()[0]}") from exc


def check_header(frame: pl.DataFrame, kind: str, path: Path) -> pl.DataFrame:
    """Normalise header names and check the required canonical columns are present.

    Raises:
        SourceError: for a repeated column name or a required column missing.
    """
    hint = delimiter_hint(Path(path), frame.columns)  # before the control-character check: a tab
    if not hint:
        check_header_names(path, frame.columns)
    renamed = frame.rename({c: c.strip().lower() for c in frame.columns})
    missing = [c for c in schemas.REQUIRED[kind] if c not in renamed.columns]
    if missing:
        raise SourceError(
            f"{path}: wrong header for canonical {kind}: missing required column(s) {missing}; "
            f"found {frame.columns[:12]}{hint}"
        )
    check_header_names(path, frame.columns)
    if renamed.height == 0:
        raise SourceError(f"{path}: has a header but no data rows")
    return renamed


def _read(path: Path, kind: str) -> SourceBatch:
    frame = check_header(read_table_as_text(path), kind, path)
    known = [c for c in schemas.INPUTS[kind] if c in frame.columns]
    extras = [c for c in frame.columns if c not in schemas.INPUTS[kind]]
    raw = pl.struct(extras).struct.json_encode() if extras else pl.lit(None, pl.Utf8)
    out = frame.select(
        *[pl.col(c) for c in known],
        *[pl.lit(None, pl.Utf8).alias(c) for c in schemas.INPUTS[kind] if c not in known],
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("source_row"),
        raw.alias("raw"),
    )
    return SourceBatch(kind, "canonical", str(path), frame.height, out, empty_rejects())


def read_canonical_accidents(path: Path) -> SourceBatch:
    """Read a canonical accidents file (CSV or Parquet)."""
    return _read(Path(path), "accidents")


def read_canonical_challans(path: Path) -> SourceBatch:
    """Read a canonical challans file (CSV or Parquet)."""
    return _read(Path(path), "challans")
