"""The job's standard exports: each district's risk list (XLSX and PDF) plus a statewide CSV.

Written to ``outbox/<YYYY-MM-DD>/`` through the exports module (same rows as ``export risk-list``),
each recorded in the export audit as made by the OS user running the job.
"""

from __future__ import annotations

import re
from pathlib import Path

from roadsafety.config import Settings
from roadsafety.exports.audit import make_record, record_export
from roadsafety.exports.bundle import risk_list_bundle
from roadsafety.exports.meta import ExportBundle, ExportMeta, risk_list_notes
from roadsafety.exports.risk_list import RiskListFilter, build_risk_rows, load_run
from roadsafety.exports.writers import write_export
from roadsafety.store.connection import read_connection, write_connection

TOP_PER_DISTRICT = 25


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "unknown"


def write_standard_exports(settings: Settings, run_id: str, outbox: Path) -> list[Path]:
    """Write the statewide CSV and every district's XLSX and PDF for a forecast run."""
    written: list[Path] = []
    with read_connection(settings.db_path) as con:
        info = load_run(con, run_id)
        state = build_risk_rows(con, run_id, RiskListFilter())
        districts = sorted(d for d in state.get_column("district").unique().to_list() if d)
        bundles = {"statewide": (ExportBundle(state), "csv", RiskListFilter())}
        for district in districts:
            filters = RiskListFilter(top=TOP_PER_DISTRICT, district=district, merge=True)
            for fmt in ("xlsx", "pdf"):
                bundle = risk_list_bundle(
                    con, run_id, filters, fmt, blackspot_km=settings.region.blackspot_km
                )
                bundles[f"{_slug(district)}.{fmt}"] = (bundle, fmt, filters)
    records = []
    for name, (bundle, fmt, filters) in bundles.items():
        path = outbox / (f"risk-list-{name}" if name != "statewide" else "risk-list-statewide.csv")
        meta = ExportMeta(
            "risk_list",
            run_id,
            info.version_id,
            info.window_start,
            info.window_end,
            info.data_cutoff,
            filters.as_params() | {"source": "job"},
            notes=risk_list_notes(filters.as_params()),
        )
        write_export(bundle, path, fmt, meta)
        records.append(make_record(path, fmt, meta, bundle.rows.height))
        written.append(path)
    with write_connection(
        settings.db_path, lock_timeout_s=settings.lock_timeout_s
    ) as con:  # one audit write for the whole batch
        for record in records:
            record_export(con, record)
    return written
