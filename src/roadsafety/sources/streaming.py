"""Read big delimited-text and Parquet files in bounded chunks of text columns.

A CSV is cut into blocks of about :data:`BLOCK_BYTES` at record boundaries (a newline outside
quotes: the number of quote characters before it is even), and each block is parsed on its own by
Polars. The file is read with plain ``read()`` calls, never memory-mapped, so the process holds one
block and its frame whatever the file's size. Parquet files are read a row group batch at a time.
Row numbers (1-based data rows) continue from block to block.
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from roadsafety.sources.base import SourceError

BLOCK_BYTES = 32 * 1024 * 1024  # text parsed at a time (~200,000 challan rows)
PARQUET_BATCH_ROWS = 200_000  # about a CSV block's rows
_ASCII_COMPATIBLE = {"utf_8", "utf_8_sig", "ascii", "latin_1", "iso8859_1", "cp1252", "iso8859_15"}


@dataclass(frozen=True)
class TextTable:
    """A delimited-text file's layout, read once from its first line."""

    path: Path
    header: list[str]
    encoding: str = "utf-8"
    delimiter: str = ","
    quote: str = '"'
    skip_rows: int = 0


def streamable(encoding: str) -> bool:
    """True when files in ``encoding`` can be cut at newline bytes (ASCII-compatible codecs)."""
    try:
        return codecs.lookup(encoding).name.replace("-", "_") in _ASCII_COMPATIBLE
    except LookupError:
        return False


def _record_end(block: bytes, quote: bytes, open_quotes: int) -> int:
    """Index just past the last newline of ``block`` that ends a record (-1 when none does)."""
    end = len(block)
    while True:
        nl = block.rfind(b"\n", 0, end)
        if nl < 0:
            return -1
        if (open_quotes + block.count(quote, 0, nl)) % 2 == 0:
            return nl + 1
        end = nl


def _decode(raw: bytes, table: TextTable, offset: int) -> bytes:
    """The block as UTF-8 bytes, or a SourceError naming the file and the byte offset."""
    utf8 = codecs.lookup(table.encoding).name == "utf-8"
    try:
        text = raw.decode(table.encoding)
    except UnicodeDecodeError as exc:
        hint = "; re-save as UTF-8 or give its encoding in a --mapping file" if utf8 else ""
        raise SourceError(
            f"{table.path}: not valid {'UTF-8' if utf8 else table.encoding} text ({exc.reason} at "
            f"byte {offset + exc.start}){hint}"
        ) from exc
    return raw if utf8 else text.encode("utf-8")


def _parse(block: bytes, table: TextTable, offset: int) -> pl.DataFrame:
    try:
        return pl.read_csv(
            io.BytesIO(block),
            has_header=False,
            schema={name: pl.Utf8 for name in table.header},
            separator=table.delimiter,
            quote_char=table.quote,
        )
    except pl.exceptions.PolarsError as exc:
        text = str(exc).splitlines()[0]
        if "utf-8" in text.lower() or "utf8" in text.lower():
            raise SourceError(
                f"{table.path}: not valid UTF-8 text in the rows from byte {offset} "
                f"({text}); re-save as UTF-8 or give its encoding in a --mapping file"
            ) from exc
        raise SourceError(
            f"{table.path}: cannot be parsed as CSV in the rows from byte {offset}: {text}"
        ) from exc


def _blocks(table: TextTable, block_bytes: int) -> Iterator[tuple[bytes, int]]:
    """Raw blocks of whole records after the header (and ``skip_rows``), with their byte offsets."""
    quote = table.quote.encode()
    with table.path.open("rb") as fh:
        for _ in range(table.skip_rows + 1):
            fh.readline()
        offset, carry, open_quotes = fh.tell(), b"", 0
        while True:
            data = fh.read(block_bytes)
            block = carry + data
            if not data:
                if block.strip():
                    yield block, offset
                return
            cut = _record_end(block, quote, open_quotes)
            if cut < 0:  # one record longer than a block: read on
                carry = block
                continue
            yield block[:cut], offset
            offset += cut
            carry = block[cut:]


def _parsed(table: TextTable, block_bytes: int) -> Iterator[pl.DataFrame]:
    utf8 = codecs.lookup(table.encoding).name == "utf-8"
    for raw, offset in _blocks(table, block_bytes):
        if not utf8:
            yield _parse(_decode(raw, table, offset), table, offset)
            continue
        try:  # Polars checks UTF-8 as it parses; only a block it refuses is decoded here,
            yield _parse(raw, table, offset)
        except SourceError:  # to name the byte of the first bad character
            _decode(raw, table, offset)
            raise


def csv_frames(table: TextTable, block_bytes: int | None = None) -> Iterator[pl.DataFrame]:
    """Text frames of consecutive records, each with ``source_row`` (1-based data row).

    The next block is read and parsed in a background thread while the caller works on the
    current one (Polars parses without holding the GIL), so at most two blocks are in memory.
    """
    row = 1
    frames = prefetch(_parsed(table, block_bytes or BLOCK_BYTES))
    while True:
        try:
            frame = next(frames, None)
        except SourceError as exc:
            raise SourceError(f"{exc} (the block starting at data row {row})") from exc
        if frame is None:
            return
        yield frame.with_columns(
            pl.int_range(row, row + frame.height, dtype=pl.Int64).alias("source_row")
        )
        row += frame.height


def prefetch(items: Iterator[pl.DataFrame]) -> Iterator[pl.DataFrame]:
    """Yield ``items`` while computing the next one in a worker thread (errors re-raised here)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-ahead") as pool:
        pending = pool.submit(next, items, None)
        while True:
            item = pending.result()
            if item is None:
                return
            pending = pool.submit(next, items, None)
            yield item


def parquet_frames(
    path: Path, text_columns: set[str] | None = None, batch_rows: int = PARQUET_BATCH_ROWS
) -> Iterator[pl.DataFrame]:
    """Frames of a Parquet file with ``source_row``; columns in ``text_columns`` (all when None)
    are cast to text. The next batch is read in a background thread, as for CSV."""
    row = 1
    for frame in prefetch(_parquet_batches(path, text_columns, batch_rows)):
        yield frame.with_columns(
            pl.int_range(row, row + frame.height, dtype=pl.Int64).alias("source_row")
        )
        row += frame.height


def _parquet_batches(
    path: Path, text_columns: set[str] | None, batch_rows: int
) -> Iterator[pl.DataFrame]:
    try:
        # No pre-buffering: with it the reader kept the buffered column chunks (memory grew by
        # ~300 MB over a 20 M row file); without, it stays flat and reads faster.
        reader = pq.ParquetFile(path, pre_buffer=False)
        for batch in reader.iter_batches(batch_size=batch_rows):
            frame = pl.from_arrow(pa.Table.from_batches([batch]))
            assert isinstance(frame, pl.DataFrame)
            cast = [c for c in frame.columns if text_columns is None or c in text_columns]
            yield frame.with_columns(pl.col(cast).cast(pl.Utf8))
    except (OSError, pa.ArrowException) as exc:
        raise SourceError(f"{path}: cannot be read as Parquet: {str(exc).splitlines()[0]}") from exc


def check_file(path: Path) -> None:
    """Raise :class:`SourceError` when ``path`` is missing, a folder or empty."""
    if not path.exists():
        raise SourceError(f"{path}: file does not exist")
    if path.is_dir():
        raise SourceError(f"{path}: is a directory, expected a file")
    if path.stat().st_size == 0:
        raise SourceError(f"{path}: file is empty")


def read_header(path: Path, encoding: str, delimiter: str, quote: str, skip_rows: int) -> list[str]:
    """The header names of a delimited-text file (after ``skip_rows`` lines).

    Raises:
        SourceError: when the file is missing, a folder, empty, or the header is not readable.
    """
    check_file(path)
    with path.open("rb") as fh:
        for _ in range(skip_rows):
            fh.readline()
        line = fh.readline()
    try:
        text = line.decode(encoding)
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"{path}: not valid {encoding} text in the header ({exc.reason})"
        ) from exc
    text = text.lstrip("\ufeff").rstrip("\r\n")
    try:
        header = pl.read_csv(
            io.StringIO(text + "\n"), separator=delimiter, quote_char=quote, infer_schema=False
        ).columns
    except pl.exceptions.PolarsError as exc:
        raise SourceError(f"{path}: header not readable ({str(exc).splitlines()[0]})") from exc
    return header
