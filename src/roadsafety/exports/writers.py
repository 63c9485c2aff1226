"""One entry point for every file format: :func:`write_export` ``(bundle, path, fmt, meta) -> Path``.

The format is ``csv``, ``xlsx``, ``pdf`` or ``geojson``; :func:`format_of` takes it from a file name
extension. A drive plan (``meta.kind == 'plan'``) is written as CSV or as duty sheets (XLSX, PDF). Writers receive frames built by ``risk_list`` / ``enforcement_gap`` / ``blackspots`` and
never query the warehouse. The app can write to a temporary path and stream the bytes.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from roadsafety.exports.csv_writer import write_csv
from roadsafety.exports.geojson_writer import write_geojson
from roadsafety.exports.meta import ExportBundle, ExportMeta
from roadsafety.exports.pdf import rows_on_sheets, write_pdf
from roadsafety.exports.plan_sheets import write_plan_pdf, write_plan_xlsx
from roadsafety.exports.risk_list import ExportError
from roadsafety.exports.xlsx import write_xlsx

FORMATS = ("csv", "xlsx", "pdf", "geojson")
EXTENSIONS = {
    ".csv": "csv",
    ".xlsx": "xlsx",
    ".pdf": "pdf",
    ".geojson": "geojson",
    ".json": "geojson",
}
MEDIA_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "geojson": "application/geo+json",
}


def format_of(path: Path | str) -> str:
    """The export format named by a file's extension.

    Raises:
        ExportError: for an extension other than .csv, .xlsx, .pdf, .geojson (or .json).
    """
    suffix = Path(path).suffix.lower()
    if suffix not in EXTENSIONS:
        raise ExportError(
            f"--out {str(path)!r}: unknown extension {suffix or '(none)'!r}; use .csv, .xlsx, .pdf or .geojson"
        )
    return EXTENSIONS[suffix]


def write_export(
    bundle: ExportBundle | pl.DataFrame, path: Path | str, fmt: str, meta: ExportMeta
) -> Path:
    """Write rows (or a bundle: rows plus companion lists for the workbook) in ``fmt`` to ``path``.

    The parent directory is created when missing. Returns the path written.
    """
    if isinstance(bundle, pl.DataFrame):
        bundle = ExportBundle(rows=bundle)
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        return write_csv(bundle.rows, path)
    if meta.kind == "plan":
        return _write_plan(bundle.rows, path, fmt, meta)
    if fmt == "xlsx":
        return write_xlsx(bundle, path, meta)
    if fmt == "pdf":
        return write_pdf(bundle.rows, path, meta, bundle.paths, bundle.road_wide)
    return write_geojson(bundle.rows, path, meta, bundle.paths)


def rows_written(bundle: ExportBundle, fmt: str, meta: ExportMeta) -> int:
    """The main-list rows the file holds: a drive-sheet PDF without ``top`` prints each
    district's first 25, every other file all of them."""
    if fmt == "pdf" and meta.kind in ("risk_list", "enforcement_gap", "blackspots"):
        return rows_on_sheets(bundle.rows, meta)
    return bundle.rows.height


def _write_plan(rows: pl.DataFrame, path: Path, fmt: str, meta: ExportMeta) -> Path:
    """Drive plans: duty sheets in XLSX and PDF; no GeoJSON (a plan is a timetable)."""
    if fmt == "xlsx":
        return write_plan_xlsx(rows, path, meta)
    if fmt == "pdf":
        return write_plan_pdf(rows, path, meta)
    raise ExportError(f"a drive plan is written as .csv, .xlsx or .pdf, not .{fmt}")
