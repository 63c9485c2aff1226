"""What every source adapter returns: canonical rows plus the rows it could not read."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from roadsafety import schemas
from roadsafety.errors import SourceError

REJECT_SCHEMA = {
    "row_number": pl.Int64(),
    "column_name": pl.Utf8(),
    "raw_value": pl.Utf8(),
    "reason": pl.Utf8(),
}


@dataclass(frozen=True)
class SourceBatch:
    """Rows read from one file, mapped to a canonical input schema.

    Attributes:
        kind: ``"accidents"`` or ``"challans"``.
        source: short source name stored with each row (``canonical``, ``baac``, ...).
        source_file: the path as given by the user.
        rows_read: data rows read from the file (header excluded).
        frame: one row per mapped record with every column of ``schemas.INPUTS[kind]`` (the
            timestamp column as text: ``YYYY-MM-DD HH:MM[:SS]`` or ``YYYY-MM-DD`` when the time is
            unknown), plus ``source_row`` (1-based data row number) and ``raw`` (JSON of the raw
            source values kept for audit, or null).
        rejected: rows the adapter itself could not map, with ``REJECT_SCHEMA`` columns. A row
            number appears in ``frame`` or in ``rejected``, never both.
    """

    kind: str
    source: str
    source_file: str
    rows_read: int
    frame: pl.DataFrame
    rejected: pl.DataFrame

    def __post_init__(self) -> None:
        missing = [c for c in schemas.INPUTS[self.kind] if c not in self.frame.columns]
        missing += [c for c in ("source_row", "raw") if c not in self.frame.columns]
        if missing:
            raise SourceError(f"{self.source_file}: adapter output lacks columns {missing}")
        if self.rejected.columns != list(REJECT_SCHEMA):
            raise SourceError(
                f"{self.source_file}: rejected rows must have columns {list(REJECT_SCHEMA)}"
            )

    def as_stream(self) -> SourceStream:
        """The batch as a one-chunk stream (what the ingest consumes)."""
        chunk = SourceChunk(self.frame, self.rejected, self.rows_read)
        return SourceStream(self.kind, self.source, self.source_file, lambda: iter([chunk]))


@dataclass(frozen=True)
class SourceChunk:
    """Consecutive rows of a file: mapped rows (as ``SourceBatch.frame``), the rows the reader
    could not map (``REJECT_SCHEMA``) and how many data rows of the file the chunk covers."""

    frame: pl.DataFrame
    rejected: pl.DataFrame
    rows_read: int


@dataclass(frozen=True)
class SourceStream:
    """A file read chunk by chunk, so memory does not grow with the file.

    ``chunks()`` yields :class:`SourceChunk` in file order (row numbers continue across chunks).
    Problems found before the first chunk (missing file, wrong header) are raised by the reader
    itself; a problem found later (a malformed row deep in the file) raises :class:`SourceError`
    from the iteration, and the ingest then writes nothing.
    """

    kind: str
    source: str
    source_file: str
    chunks: Callable[[], Iterator[SourceChunk]]

    def collect(self) -> SourceBatch:
        """All chunks as one :class:`SourceBatch` (for small files and tests)."""
        parts = list(self.chunks())
        frames = [c.frame for c in parts]
        return SourceBatch(
            self.kind,
            self.source,
            self.source_file,
            sum(c.rows_read for c in parts),
            pl.concat(frames, how="vertical_relaxed") if frames else pl.DataFrame(),
            pl.concat([c.rejected for c in parts]) if parts else empty_rejects(),
        )


def as_stream(batch: SourceBatch | SourceStream) -> SourceStream:
    """A stream for either kind of reader output."""
    return batch if isinstance(batch, SourceStream) else batch.as_stream()


_POLARS_DUPLICATE = re.compile(r"^(.*)_duplicated_\d+$")  # how Polars renames a repeated name
_HEADER_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def check_header_names(
    path: Path | str, names: list[str], used: Collection[str] | None = None
) -> None:
    """Refuse a header that names a column twice or holds control characters.

    Names are compared trimmed and case-blind (``Severity`` and ``severity `` are the same column):
    with a repeated name a reader would silently keep one of the two columns. A reader of a fixed
    format passes the columns it ``used``: a repeat elsewhere in such a file drops nothing.

    Raises:
        SourceError: naming the file, the column and its positions (1-based).
    """
    wanted = None if used is None else {u.strip().casefold() for u in used}
    seen: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        match = _POLARS_DUPLICATE.match(name)
        original = match.group(1) if match and match.group(1) in names else name
        key = original.strip().casefold()
        if wanted is not None and key not in wanted:
            continue
        if _HEADER_CONTROL.search(original):
            raise SourceError(
                f"{path}: header column {position} {original!r} contains control characters"
            )
        if key in seen:
            raise SourceError(
                f"{path}: column {original.strip()!r} appears twice in the header (columns "
                f"{seen[key]} and {position}); rename or remove one so no value is dropped"
            )
        seen[key] = position


def empty_rejects() -> pl.DataFrame:
    """A rejected-rows frame with no rows."""
    return pl.DataFrame(schema=REJECT_SCHEMA)


def conform(frame: pl.DataFrame, kind: str) -> pl.DataFrame:
    """Add missing canonical columns as nulls and cast to the canonical input types.

    Columns beyond the canonical ones, ``source_row`` and ``raw`` are dropped.
    """
    schema = schemas.INPUTS[kind]
    exprs = []
    for col, dtype in schema.items():
        if col in frame.columns:
            exprs.append(pl.col(col).cast(dtype, strict=False))
        else:
            exprs.append(pl.lit(None, dtype=dtype).alias(col))
    exprs.append(pl.col("source_row").cast(pl.Int64))
    exprs.append(
        pl.col("raw").cast(pl.Utf8)
        if "raw" in frame.columns
        else pl.lit(None, pl.Utf8).alias("raw")
    )
    return frame.select(exprs)
