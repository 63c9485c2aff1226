"""Reader for the documented canonical import format (CSV or Parquet, per DESIGN.md).

Every column is read as text so that a malformed value is quarantined by the ingest with its row and
column, never silently turned into a null by a type guess (a Parquet file's floating-point columns
stay numbers where the canonical column is numeric: their type is declared, not guessed). Files are
read chunk by chunk (:mod:`roadsafety.sources.streaming`), so memory does not grow with the file.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from roadsafety import schemas
from roadsafety.sources import streaming
from roadsafety.sources.base import (
    SourceChunk,
    SourceError,
    SourceStream,
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


def _canonical_rows(frame: pl.DataFrame, kind: str) -> pl.DataFrame:
    """Canonical columns (absent ones null), ``source_row`` and ``raw`` (other columns as JSON)."""
    known = [c for c in schemas.INPUTS[kind] if c in frame.columns]
    extras = [c for c in frame.columns if c not in schemas.INPUTS[kind] and c != "source_row"]
    raw = pl.struct(extras).struct.json_encode() if extras else pl.lit(None, pl.Utf8)
    return frame.select(
        *[pl.col(c) for c in known],
        *[pl.lit(None, pl.Utf8).alias(c) for c in schemas.INPUTS[kind] if c not in known],
        pl.col("source_row"),
        raw.alias("raw"),
    )


def _typed_ok(kind: str) -> set[str]:
    """Numeric canonical columns, which a Parquet file may give as numbers (no text round trip)."""
    return {c for c, t in schemas.INPUTS[kind].items() if t.is_numeric()}


def _frames(path: Path, kind: str) -> Iterator[pl.DataFrame]:
    """Frames of the file with normalised header names; the header is checked first."""
    if path.suffix.lower() in (".parquet", ".pq"):
        streaming.check_file(path)
        try:
            arrow_schema = pq.ParquetFile(path).schema_arrow
        except (OSError, pa.ArrowException) as exc:
            raise SourceError(
                f"{path}: cannot be read as Parquet: {str(exc).splitlines()[0]}"
            ) from exc
        _check_names(arrow_schema.names, kind, path)
        renamed = {c: c.strip().lower() for c in arrow_schema.names}
        numeric = _typed_ok(kind)
        text = {  # floats stay numbers for numeric columns; everything else is read as text
            c
            for c in arrow_schema.names
            if renamed[c] not in numeric or not pa.types.is_floating(arrow_schema.field(c).type)
        }
        return (f.rename(renamed) for f in streaming.parquet_frames(path, text))
    streaming.check_file(path)
    problem = utf16_problem(path)
    if problem:
        raise SourceError(problem)
    header = streaming.read_header(path, "utf-8", ",", '"', 0)
    _check_names(header, kind, path)
    table = streaming.TextTable(path, [c.strip().lower() for c in header])
    return streaming.csv_frames(table)


def _check_names(names: list[str], kind: str, path: Path) -> None:
    """Required canonical columns present and names sound; a header that did not split on commas
    gets a delimiter hint (checked before the control-character rule: a tab is one)."""
    hint = delimiter_hint(path, names)
    if not hint:
        check_header_names(path, names)
    missing = [c for c in schemas.REQUIRED[kind] if c not in {n.strip().lower() for n in names}]
    if missing:
        raise SourceError(
            f"{path}: wrong header for canonical {kind}: missing required column(s) {missing}; "
            f"found {names[:12]}{hint}"
        )
    check_header_names(path, names)


def stream_canonical(path: Path, kind: str) -> SourceStream:
    """A canonical file (CSV or Parquet) as a stream of chunks.

    The header and the first chunk are read now, so a missing file, a wrong header, a file with
    no data rows or one unreadable from its start raises :class:`SourceError` here.
    """
    path = Path(path)
    frames = _frames(path, kind)
    first = next(frames, None)
    if first is None or first.height == 0:
        raise SourceError(f"{path}: has a header but no data rows")

    def chunks() -> Iterator[SourceChunk]:
        for frame in itertools.chain([first], frames):
            yield SourceChunk(_canonical_rows(frame, kind), empty_rejects(), frame.height)

    return SourceStream(kind, "canonical", str(path), chunks)


def read_canonical_accidents(path: Path) -> SourceStream:
    """Read a canonical accidents file (CSV or Parquet), chunk by chunk."""
    return stream_canonical(Path(path), "accidents")


def read_canonical_challans(path: Path) -> SourceStream:
    """Read a canonical challans file (CSV or Parquet), chunk by chunk."""
    return stream_canonical(Path(path), "challans")
