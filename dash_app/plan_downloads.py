"""Drive-plan downloads: the ``plan`` command's writers make the file (CSV, or XLSX / PDF duty
sheets), :func:`dash_app.downloads.send_export` checks the role, streams and audits it."""

from __future__ import annotations

from pathlib import Path

from dash_app.queries.plan import Plan
from roadsafety.exports.meta import ExportBundle, ExportMeta
from roadsafety.exports.plan import PlanRequest
from roadsafety.exports.writers import write_export


def plan_meta(request: PlanRequest, plan: Plan) -> ExportMeta:
    """The file's context: the plan's dates, the run it is made from, the options."""
    run = plan.run
    params = request.as_params() | {"start": str(plan.start), "end": str(plan.end)}
    notes = (
        f"Shifts of {request.shift_hours} h within {request.team_hours:g} team-hours a week.",
        "One team on one place for one hour costs 1; the plan repeats every week of the dates.",
        f"Made from forecast run {run.run_id} ({run.window_start} to {run.window_end})"
        f"{'' if plan.exact else ', each weekday at its daily rate'}; downloaded from the web app.",
    )
    return ExportMeta(
        "plan",
        run.run_id,
        run.version_id,
        plan.start,
        plan.end,
        run.data_cutoff,
        params,
        notes=notes,
    )


def plan_file(
    request: PlanRequest, plan: Plan, fmt: str, out: Path
) -> tuple[Path, ExportMeta, int]:
    """Write the plan as ``fmt`` under ``out``; (path, meta, rows) for the audit record."""
    meta = plan_meta(request, plan)
    where = (request.district or "all").lower().replace(" ", "_")
    name = f"drive_plan_{where}_{plan.start:%Y-%m-%d}_{plan.end:%Y-%m-%d}.{fmt}"
    path = write_export(ExportBundle(plan.rows), out / name, fmt, meta)
    return path, meta, plan.rows.height
