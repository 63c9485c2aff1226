"""A user-written TOML column mapping, so a new state's export loads without code (``--mapping``).

See docs/mapping.md for the file format and a worked example. In short::

    kind = "accidents"            # must match `roadsafety ingest accidents|challans`
    source = "haryana_irad"       # source name stored with every row
    encoding = "utf-8"            # any Python codec: latin1, cp1252, utf-8-sig ...
    delimiter = ","               # CSV/TSV; .xlsx (sheet = "...") and .parquet are read as they are
    [columns]                     # canonical column = source column (header, trimmed)
    occurred_at = "Accident Date"
    [dates]
    formats = ["%d/%m/%Y %H:%M", "%d/%m/%Y"]
    time_column = "Time"          # optional separate time of day
    time_formats = ["%H:%M", "%I:%M %p"]
    [id]                          # when there is no id column: join these columns
    columns = ["Police Station", "FIR No", "Year"]
    [values.severity]             # source value (case and spacing ignored) → canonical value
    "Simple Injury" = "minor"
    [sections]                    # severity from legal sections (IPC/BNS table by default)
    column = "Under Section"
    [constants]                   # fixed values for canonical columns
    district = "KARNAL"
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from roadsafety import schemas
from roadsafety.features.text import name_key, squeezed_or_null
from roadsafety.sources import streaming
from roadsafety.sources.base import (
    SourceBatch,
    SourceChunk,
    SourceError,
    SourceStream,
    check_header_names,
)
from roadsafety.sources.batching import reject_when, split_rows
from roadsafety.sources.offences import offence_expr
from roadsafety.sources.sections import severity_expr
from roadsafety.sources.tabular import EXCEL_SUFFIXES, read_table_text

SRC = "src::"
NUMERIC = ("latitude", "longitude", "killed", "injured", "chainage_km", "fine_amount")
ALLOWED = {
    "severity": schemas.SEVERITIES,
    "offence": schemas.OFFENCES,
    "road_category": schemas.ROAD_CATEGORIES,
}
ISO_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")
TOP_KEYS = {
    "kind",
    "source",
    "encoding",
    "delimiter",
    "skip_rows",
    "sheet",
    "decimal_comma",
    "columns",
    "dates",
    "id",
    "values",
    "sections",
    "constants",
    "offence_keywords",
    "raw_columns",
}


@dataclass(frozen=True)
class MappingSpec:
    """A validated mapping file (build with :func:`load_mapping`)."""

    path: Path
    kind: str
    source: str
    columns: dict[str, str]
    date_formats: tuple[str, ...]
    encoding: str = "utf-8"
    delimiter: str = ","
    skip_rows: int = 0
    sheet: str | None = None
    decimal_comma: bool = False
    time_column: str | None = None
    time_formats: tuple[str, ...] = ("%H:%M", "%H:%M:%S", "%I:%M %p")
    id_columns: tuple[str, ...] = ()
    id_separator: str = "/"
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    sections_column: str | None = None
    sections_table: dict[tuple[str, str], str] | None = None
    constants: dict[str, str] = field(default_factory=dict)
    offence_keywords: bool = True
    raw_columns: tuple[str, ...] = ()

    def source_columns(self) -> list[str]:
        """Every source column the mapping reads."""
        cols = list(self.columns.values()) + list(self.id_columns) + list(self.raw_columns)
        cols += [c for c in (self.time_column, self.sections_column) if c]
        return list(dict.fromkeys(cols))


def _fail(path: Path, message: str) -> SourceError:
    return SourceError(f"mapping {path}: {message}")


def _key(text: str) -> str:
    return " ".join(str(text).upper().split())


def _value_maps(path: Path, doc: dict) -> dict[str, dict[str, str]]:
    maps: dict[str, dict[str, str]] = {}
    for column, table in doc.get("values", {}).items():
        if (
            column not in ALLOWED
            and column not in schemas.INPUTS["accidents"] | schemas.INPUTS["challans"]
        ):
            raise _fail(path, f"[values.{column}]: {column!r} is not a canonical column")
        if not isinstance(table, dict):
            raise _fail(
                path, f"[values.{column}] must be a table of source value = canonical value"
            )
        bad = sorted({v for v in table.values() if column in ALLOWED and v not in ALLOWED[column]})
        if bad:
            raise _fail(path, f"[values.{column}]: {bad} not in {list(ALLOWED[column])}")
        maps[column] = {_key(k): str(v) for k, v in table.items()}
    return maps


def _sections(path: Path, doc: dict) -> tuple[str | None, dict[tuple[str, str], str] | None]:
    sec = doc.get("sections")
    if sec is None:
        return None, None
    if "column" not in sec:
        raise _fail(path, '[sections] needs column = "<source column with the legal sections>"')
    table = sec.get("map")
    if table is None:
        return sec["column"], None
    bad = sorted({v for v in table.values() if v not in schemas.SEVERITIES})
    if bad:
        raise _fail(path, f"[sections.map]: {bad} not in {list(schemas.SEVERITIES)}")
    return sec["column"], {("*", "".join(str(k).split())): v for k, v in table.items()}


def _check_columns(path: Path, kind: str, columns: dict, constants: dict, spec_id: tuple) -> None:
    canonical = schemas.INPUTS[kind]
    unknown = sorted(set(columns) - set(canonical)) + sorted(set(constants) - set(canonical))
    if unknown:
        raise _fail(path, f"{unknown} are not canonical {kind} columns; known: {list(canonical)}")
    idc, tcol = schemas.ID_COLUMN[kind], schemas.TIME_COLUMN[kind]
    if idc not in columns and not spec_id:
        raise _fail(path, f"map {idc} in [columns] or give [id] columns = [...] to build it")
    if tcol not in columns:
        raise _fail(path, f"[columns] must map {tcol} (the date or date-time column)")


def load_mapping(path: Path, kind: str) -> MappingSpec:
    """Read and check a mapping TOML file.

    Raises:
        SourceError: naming the file and the problem (bad TOML, unknown keys or columns, kind
            mismatch, values outside the canonical sets).
    """
    try:
        doc = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise _fail(path, "file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise _fail(path, f"not valid TOML ({exc})") from None
    unknown = sorted(set(doc) - TOP_KEYS)
    if unknown:
        raise _fail(path, f"unknown keys {unknown}; allowed: {sorted(TOP_KEYS)}")
    if doc.get("kind", kind) != kind:
        raise _fail(path, f"is for {doc['kind']}, not {kind}")
    columns, constants = dict(doc.get("columns", {})), dict(doc.get("constants", {}))
    id_doc, dates = doc.get("id", {}), doc.get("dates", {})
    _check_columns(path, kind, columns, constants, tuple(id_doc.get("columns", ())))
    sections_column, sections_table = _sections(path, doc)
    if sections_column and kind != "accidents":
        raise _fail(path, "[sections] applies to accidents only")
    formats = dates.get("formats", list(ISO_FORMATS))
    return MappingSpec(
        path=path,
        kind=kind,
        source=str(doc.get("source", path.stem)),
        columns=columns,
        date_formats=tuple(formats),
        encoding=str(doc.get("encoding", "utf-8")),
        delimiter=str(doc.get("delimiter", ",")),
        skip_rows=int(doc.get("skip_rows", 0)),
        sheet=doc.get("sheet"),
        decimal_comma=bool(doc.get("decimal_comma", False)),
        time_column=dates.get("time_column"),
        time_formats=tuple(dates.get("time_formats", MappingSpec.time_formats)),
        id_columns=tuple(id_doc.get("columns", ())),
        id_separator=str(id_doc.get("separator", "/")),
        values=_value_maps(path, doc),
        sections_column=sections_column,
        sections_table=sections_table,
        constants={k: str(v) for k, v in constants.items()},
        offence_keywords=bool(doc.get("offence_keywords", True)),
        raw_columns=tuple(doc.get("raw_columns", ())),
    )


def _check_present(path: Path, spec: MappingSpec, header: list[str]) -> None:
    missing = [c for c in spec.source_columns() if c not in header]
    if missing:
        raise SourceError(
            f"{path}: columns {missing} named in mapping {spec.path} are not in the "
            f"file; found {header}"
        )


def _prefixed(frame: pl.DataFrame) -> pl.DataFrame:
    """Source columns prefixed so they never collide with canonical names (``source_row`` kept)."""
    return frame.rename({c: SRC + c.strip() for c in frame.columns if c != "source_row"})


def _text_frames(path: Path, spec: MappingSpec) -> Iterator[pl.DataFrame]:
    """The export's rows as text frames with ``source_row``: delimited text in an ASCII-compatible
    encoding and Parquet stream in chunks; workbooks and other encodings are read whole."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        header = pq.ParquetFile(path).schema_arrow.names if path.exists() else []
        check_header_names(path, header, spec.source_columns())
        _check_present(path, spec, [h.strip() for h in header])
        return (_prefixed(f) for f in streaming.parquet_frames(path))
    if suffix in EXCEL_SUFFIXES or not streaming.streamable(spec.encoding):
        frame = read_table_text(
            path, spec.encoding, spec.delimiter, spec.skip_rows, spec.sheet, spec.source_columns()
        )
        _check_present(path, spec, list(frame.columns))
        numbered = frame.with_columns(
            pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("source_row")
        )
        return iter([_prefixed(numbered)])
    header = streaming.read_header(path, spec.encoding, spec.delimiter, '"', spec.skip_rows)
    check_header_names(path, header, spec.source_columns())
    first: dict[str, str] = {}  # an unused name repeated (or differing by spaces): its first column
    for col in header:
        first.setdefault(col.strip(), col)
    _check_present(path, spec, list(first))
    table = streaming.TextTable(path, header, spec.encoding, spec.delimiter, '"', spec.skip_rows)
    keep = [*first.values(), "source_row"]
    return (_prefixed(f.select(keep)) for f in streaming.csv_frames(table))


def _text(col: str) -> pl.Expr:
    return squeezed_or_null(pl.col(SRC + col))


def _timestamp(spec: MappingSpec, col: str) -> pl.Expr:
    raw = _text(col)
    parts = []
    # ISO text last: Excel date cells arrive as YYYY-MM-DD HH:MM:SS whatever the sheet displays.
    for fmt in dict.fromkeys([*spec.date_formats, *ISO_FORMATS]):
        has_time = any(d in fmt for d in ("%H", "%I", "%M", "%T", "%R"))
        parsed = raw.str.strptime(pl.Datetime, fmt, strict=False)
        parts.append(parsed.dt.strftime("%Y-%m-%d %H:%M:%S" if has_time else "%Y-%m-%d"))
    stamp = pl.coalesce(parts)
    if spec.time_column is None:
        return stamp
    times = pl.coalesce(
        [_text(spec.time_column).str.strptime(pl.Time, f, strict=False) for f in spec.time_formats]
    )
    date_only = stamp.str.len_chars() == 10
    return (
        pl.when(date_only & times.is_not_null())
        .then(pl.format("{} {}", stamp, times.dt.strftime("%H:%M:%S")))
        .otherwise(stamp)
    )


def _mapped(spec: MappingSpec, canon: str) -> pl.Expr:
    """A source column through its value map; unmapped controlled values become null."""
    raw = _text(spec.columns[canon])
    table = spec.values.get(canon)
    key = raw.str.to_uppercase().str.replace_all(r"\s+", " ")
    if canon in ALLOWED:
        known = {_key(v): v for v in ALLOWED[canon]}
        return key.replace_strict({**known, **(table or {})}, default=None, return_dtype=pl.Utf8)
    if table is None:
        return raw
    return key.replace_strict(table, default=raw, return_dtype=pl.Utf8)


def _number(spec: MappingSpec, col: str) -> pl.Expr:
    raw = _text(col)
    if spec.decimal_comma:
        raw = raw.str.replace_all(r"\.", "").str.replace(",", ".")
    return raw.cast(pl.Float64, strict=False)


def _canonical(spec: MappingSpec) -> list[pl.Expr]:
    exprs = []
    for canon, col in spec.columns.items():
        if canon == schemas.TIME_COLUMN[spec.kind]:
            exprs.append(_timestamp(spec, col).alias(canon))
        elif canon in NUMERIC:
            exprs.append(_number(spec, col).alias(canon))
        else:
            exprs.append(_mapped(spec, canon).alias(canon))
    for canon, value in spec.constants.items():
        if canon not in spec.columns:
            exprs.append(pl.lit(value).alias(canon))
    idc = schemas.ID_COLUMN[spec.kind]
    if idc not in spec.columns:
        parts = [name_key(pl.col(SRC + c)) for c in spec.id_columns]
        exprs.append(pl.concat_str(parts, separator=spec.id_separator).alias(idc))
    return exprs


def _derived(spec: MappingSpec, frame: pl.DataFrame) -> list[pl.Expr]:
    """Severity from sections, offence from keywords, offence_raw from the offence text."""
    exprs = []
    if spec.kind == "accidents" and spec.sections_column:
        from_sections = severity_expr(
            _text(spec.sections_column), pl.col("occurred_at"), spec.sections_table
        )
        current = pl.col("severity") if "severity" in frame.columns else pl.lit(None, pl.Utf8)
        exprs.append(pl.coalesce(current, from_sections).alias("severity"))
    if spec.kind == "challans" and "offence" in spec.columns:
        text = _text(spec.columns["offence"])
        if spec.offence_keywords:
            exprs.append(pl.coalesce(pl.col("offence"), offence_expr(text)).alias("offence"))
        if "offence_raw" not in spec.columns:
            exprs.append(text.alias("offence_raw"))
    return exprs


def _rules(spec: MappingSpec) -> list[tuple]:
    idc, tcol = schemas.ID_COLUMN[spec.kind], schemas.TIME_COLUMN[spec.kind]
    id_src = spec.columns.get(idc) or (spec.id_columns[0] if spec.id_columns else idc)
    time_src = spec.columns[tcol]
    rules: list[tuple] = [
        (pl.col(idc).is_null(), id_src, f"missing {idc}", _text(id_src)),
        (_text(time_src).is_null(), time_src, f"missing {tcol}", _text(time_src)),
        (
            pl.col(tcol).is_null(),
            time_src,
            f"date not readable with formats {' | '.join(spec.date_formats)}",
            _text(time_src),
        ),
    ]
    for canon in NUMERIC:
        if canon in spec.columns:
            col = spec.columns[canon]
            rules.append(
                (
                    _text(col).is_not_null() & pl.col(canon).is_null(),
                    col,
                    "not a number",
                    _text(col),
                )
            )
    if spec.kind == "accidents":
        col = spec.columns.get("severity") or spec.sections_column
        rules.append(
            (
                pl.col("severity").is_null(),
                col or "severity",
                "severity not mapped (values.severity or sections in the mapping)",
                _text(col) if col else pl.lit(None, pl.Utf8),
            )
        )
    else:
        col = spec.columns.get("offence")
        rules.append(
            (
                pl.col("offence").is_null(),
                col or "offence",
                "offence not mapped (values.offence in the mapping)",
                _text(col) if col else pl.lit(None, pl.Utf8),
            )
        )
    return rules


def _map_chunk(frame: pl.DataFrame, spec: MappingSpec) -> SourceChunk:
    """Canonical rows and rejects of one chunk of the export (``SRC``-prefixed text columns)."""
    for canon in ("severity", "offence"):
        if canon not in spec.columns and canon in schemas.INPUTS[spec.kind]:
            frame = frame.with_columns(pl.lit(None, pl.Utf8).alias(canon))
    personal = {spec.columns[c] for c in schemas.PII_COLUMNS if c in spec.columns}
    raw_cols = [c for c in spec.source_columns() if c not in personal]  # never a plate in raw
    parsed = frame.with_columns(
        pl.struct([pl.col(SRC + c).alias(c) for c in raw_cols]).struct.json_encode().alias("raw"),
        *_canonical(spec),
    )
    parsed = parsed.with_columns(_derived(spec, parsed))
    parsed = parsed.with_columns(reject_when(_rules(spec)))
    mapped, rejected = split_rows(spec.kind, parsed)
    return SourceChunk(mapped, rejected, frame.height)


def stream_mapped(path: Path, spec: MappingSpec) -> SourceStream:
    """Read an export through a mapping file into canonical rows, chunk by chunk.

    The header (and the mapping's columns in it) is checked now; a problem later in the file
    raises :class:`SourceError` from the stream.
    """
    path = Path(path)
    try:
        frames = _text_frames(path, spec)
    except LookupError as exc:
        raise _fail(spec.path, f"unknown encoding {spec.encoding!r}") from exc
    return SourceStream(
        spec.kind, spec.source, str(path), lambda: (_map_chunk(f, spec) for f in frames)
    )


def read_mapped(path: Path, spec: MappingSpec) -> SourceBatch:
    """Read a whole export through a mapping file into canonical rows (see :func:`stream_mapped`).

    Args:
        path: the export (CSV or other delimited text, ``.xlsx`` or Parquet).
        spec: the mapping, from :func:`load_mapping`.
    """
    return stream_mapped(path, spec).collect()
