"""Drive-evaluation downloads: the exports module writes the file, the app streams and audits it.

The file holds the same rows as ``roadsafety drives evaluate --out`` for the reader's district (its
drives and its pooled row). Viewers may not download (audited as ``denied``).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
from dash import no_update

from dash_app.downloads import send_export
from dash_app.queries import AppStore, Scope
from dash_app.queries import drives as q
from roadsafety.exports.drives import DriveExportMeta, drive_rows, write_drive_export
from roadsafety.exports.meta import ExportMeta
from roadsafety.exports.risk_list import ExportError


def _files(
    store: AppStore, district: str | None, fmt: str, out: Path
) -> tuple[Path, ExportMeta, int]:
    run = q.evaluation(store)
    rows = drive_rows(q.results(store, district), district=district)
    places = pl.concat(
        [q.places(store, d, district) for d in rows["drive_id"].to_list() if d != "ALL"],
        how="diagonal_relaxed",
    )
    meta = DriveExportMeta(run["evaluation_id"], run["data_start"], run["data_end"], scope=district)
    where = (district or "all").lower().replace(" ", "_")
    path = write_drive_export(rows, out / f"drive_evaluation_{where}.{fmt}", meta, places)
    params = {"district": district}
    audit_meta = ExportMeta(
        "drive_evaluation",
        run["evaluation_id"],
        None,
        run["data_start"],
        run["data_end"],
        run["data_end"],
        params,
    )
    return path, audit_meta, rows.height


def drive_download(store: AppStore, scope: Scope, district: str | None, fmt: str) -> tuple:
    """(dcc.Download data or no_update, message) for a download button press."""
    empty = q.evaluation(store) is None or q.results(store, district).is_empty()
    try:
        return send_export(
            scope,
            fmt,
            lambda out: _files(store, district, fmt, out),
            "No evaluated drive to download." if empty else None,
        )
    except ExportError as exc:
        return no_update, str(exc)
