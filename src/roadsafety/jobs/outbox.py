"""The job's standard exports: each district's risk list (XLSX and PDF) plus a statewide CSV, and
each district's drive plan for next Monday to Sunday (XLSX duty sheets and CSV).

Written to ``outbox/<YYYY-MM-DD>/`` through the exports module (same rows as ``export risk-list``
and ``roadsafety plan``), each recorded in the export audit as made by the OS user running the job.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

from roadsafety.config import Settings
from roadsafety.exports.audit import make_record, record_export
from roadsafety.exports.bundle import risk_list_bundle
from roadsafety.exports.meta import ExportBundle, ExportMeta, risk_list_notes
from roadsafety.exports.plan import OBJECTIVE_WORDS, PlanRequest, build_plan
from roadsafety.exports.risk_list import RiskListFilter, build_risk_rows, load_run
from roadsafety.exports.writers import write_export
from roadsafety.store.connection import read_connection, write_connection
from roadsafety.store.export_store import AuditRecord, RunInfo, read_forecast_units

TOP_PER_DISTRICT = 25
log = logging.getLogger(__name__)


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


def _plan_meta(settings: Settings, info: RunInfo, request: PlanRequest) -> ExportMeta:
    cfg = settings.job
    return ExportMeta(
        "plan",
        info.run_id,
        info.version_id,
        info.window_start,
        info.window_end,
        info.data_cutoff,
        request.as_params() | {"source": "job"},
        notes=(
            f"Shifts of {cfg.plan_shift_hours} h chosen to cover the most "
            f"{OBJECTIVE_WORDS[cfg.plan_objective]} within {cfg.plan_team_hours:g} team-hours "
            "a week in the district (setting [job] plan_team_hours).",
            "One team on one place for one hour costs 1.",
        ),
    )


def _plan_files(
    settings: Settings, run_id: str, folder: Path
) -> tuple[list[Path], list[AuditRecord]]:
    """Every district's plan (XLSX duty sheets and CSV) written into ``folder``."""
    cfg = settings.job
    paths, records = [], []
    with read_connection(settings.db_path) as con:
        info = load_run(con, run_id)
        units = read_forecast_units(con, run_id)
        districts = sorted(d for d in units.get_column("district").unique().to_list() if d)
        for district in districts:
            request = PlanRequest(
                cfg.plan_team_hours, cfg.plan_shift_hours, cfg.plan_objective, district
            )
            rows = build_plan(con, run_id, request)
            meta = _plan_meta(settings, info, request)
            for fmt in ("xlsx", "csv"):
                name = f"plan-{_slug(district)}-{info.window_start:%Y-%m-%d}.{fmt}"
                path = write_export(ExportBundle(rows), folder / name, fmt, meta)
                paths.append(path)
                records.append(make_record(path, fmt, meta, rows.height))
            log.info("plan for %s: %d places, %d team-hours a week", district, rows.height,
                     rows["team_hours_per_week"].sum())  # fmt: skip
    return paths, records


def write_weekly_plans(settings: Settings, run_id: str, outbox: Path) -> list[Path]:
    """Write every district's drive plan for the run's window (next Monday to Sunday) to ``outbox``.

    All or nothing: the files are written in a hidden folder beside ``outbox`` and moved in only
    when every district's plan was made, so a failure leaves the outbox as it was (and raises).
    """
    outbox.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{outbox.name}.plans-", dir=outbox.parent))
    try:
        staged, records = _plan_files(settings, run_id, staging)
        outbox.mkdir(parents=True, exist_ok=True)
        written = [Path(shutil.move(p, outbox / p.name)) for p in staged]
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    records = [replace(r, path=str((outbox / Path(r.path).name).resolve())) for r in records]
    with write_connection(settings.db_path, lock_timeout_s=settings.lock_timeout_s) as con:
        for record in records:
            record_export(con, record)
    return written
