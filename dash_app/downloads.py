"""Risk-list downloads: the exports module writes the file, the app streams it and audits it.

The file is the one ``export risk-list`` would write for the same run and filters (same row builder,
same writers). Viewers may not download (the refusal is audited as ``denied``). Each download is
appended to the app audit log with the exports module's audit record (rows, parameters, SHA-256).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from dash import dcc, no_update

from dash_app import queries
from dash_app.auth import audit
from dash_app.queries import AppStore, Scope
from roadsafety.exports.audit import make_record
from roadsafety.exports.meta import ExportMeta, risk_list_notes
from roadsafety.exports.writers import MEDIA_TYPES, write_export

FORMATS = ("csv", "xlsx", "pdf")


def _notes(params: dict) -> tuple[str, ...]:
    return (*risk_list_notes(params), "Downloaded from the web app.")


def file_name(run: queries.snap.RunRef, params: dict, fmt: str) -> str:
    """'risk_list_karnal_2026-11-28_2026-12-04.xlsx' style name."""
    where = (params.get("district") or "all").lower().replace(" ", "_")
    return f"risk_list_{where}_{run.window_start:%Y-%m-%d}_{run.window_end:%Y-%m-%d}.{fmt}"


def build_file(
    store: AppStore, window_days: int, params: dict, fmt: str, out_dir: Path
) -> tuple[Path, ExportMeta, int]:
    """Write the list for ``params`` in ``fmt`` under ``out_dir``; return (path, meta, rows)."""
    run = queries.run_of(store, window_days)
    bundle = queries.export_bundle(store, window_days, params, fmt)
    meta = ExportMeta(
        "risk_list",
        run.run_id,
        run.version_id,
        run.window_start,
        run.window_end,
        run.data_cutoff,
        params,
        notes=_notes(params),
    )
    path = write_export(bundle, out_dir / file_name(run, params, fmt), fmt, meta)
    return path, meta, bundle.rows.height


def send_export(
    scope: Scope,
    fmt: str,
    build: Callable[[Path], tuple[Path, ExportMeta, int]],
    unavailable: str | None = None,
) -> tuple:
    """(dcc.Download data or no_update, message): role check, file written by ``build`` in a
    temporary folder, streamed, and audited with the exports module's record.

    Args:
        scope: the reader.
        fmt: csv, xlsx or pdf.
        build: writes the file into the given folder; returns (path, meta, rows).
        unavailable: a message when there is nothing to download (checked after the role).
    """
    if fmt not in FORMATS:
        return no_update, "Unknown format."
    if not scope.can_download:
        audit("denied", {"what": f"download {fmt}", "role": scope.role})
        return (
            no_update,
            "Your role (viewer) can look at lists but not download them; ask an analyst.",
        )
    if unavailable:
        return no_update, unavailable
    with tempfile.TemporaryDirectory(prefix="roadsafety-dl-") as tmp:
        path, meta, n = build(Path(tmp))
        record = make_record(path, fmt, meta, n, user=scope.username, user_kind="app")
        payload = dcc.send_bytes(path.read_bytes(), path.name, type=MEDIA_TYPES[fmt])
    audit("download", {"export_record": asdict(record) | {"path": path.name}})
    return payload, f"Downloaded {path.name} ({n} rows) at {datetime.now():%H:%M}."


def risk_list_download(
    store: AppStore, scope: Scope, window_days: int, params: dict, fmt: str
) -> tuple:
    """(dcc.Download data or no_update, message) for a download button press."""
    empty = (
        queries.run_of(store, window_days) is None
        or queries.risk_rows(store, window_days, params).is_empty()
    )
    return send_export(
        scope,
        fmt,
        lambda out: build_file(store, window_days, params, fmt, out),
        "Nothing to download for these filters." if empty else None,
    )
