"""``roadsafety plan --start --end --team-hours H [--shift-hours 3] [--objective all|fatal_grievous]
[--district D] [--police-station P] --out FILE.{csv,xlsx,pdf}``: a weekly drive plan.

The plan comes from the champion's forecast run for exactly ``--start..--end`` (created when absent,
as for ``export risk-list``; a run made before plans existed is recomputed) through
:func:`roadsafety.exports.plan.build_plan`. Every file written is recorded in ``export_audit``.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import typer

from roadsafety.commands import (
    UserError,
    check_out_path,
    handle_errors,
    parse_date_option,
    settings_of,
    window_option,
)
from roadsafety.commands.exports import LANG, check_lang, finish, meta_of, resolve_run, user_errors
from roadsafety.config import Settings
from roadsafety.exports.meta import ExportBundle
from roadsafety.exports.plan import OBJECTIVE_WORDS, PlanRequest, build_plan
from roadsafety.exports.writers import format_of
from roadsafety.store.connection import read_connection
from roadsafety.store.model_store import read_week_intensity

log = logging.getLogger(__name__)
PLAN_FORMATS = ("csv", "xlsx", "pdf")


def parse_number(text: str, option: str, *, whole: bool = False) -> float:
    """An option's value as a number (``whole``: an integer), else a :class:`UserError` naming it."""
    try:
        value = int(text) if whole else float(text)
    except (TypeError, ValueError):
        kind = "a whole number of hours" if whole else "a number of hours"
        raise UserError(f"{option}: expected {kind}, got {text!r}") from None
    return value


def _run_with_intensities(settings: Settings, first: date, last: date) -> str:
    """The champion's run for the window, recomputed if it predates the plan's intensities."""
    run_id = resolve_run(settings, first, last)
    with read_connection(settings.db_path) as con:
        ready = not read_week_intensity(con, run_id).is_empty()
    if ready:
        return run_id
    from roadsafety.forecasts.pipeline import forecast

    log.info("forecast run %s predates drive plans: recomputing it", run_id)
    return forecast(settings, first, last, force=True)


def _notes(request: PlanRequest) -> tuple[str, ...]:
    return (
        f"Shifts of {request.shift_hours} h chosen to cover the most "
        f"{OBJECTIVE_WORDS[request.objective]} within {request.team_hours:g} team-hours a week.",
        "One team on one place for one hour costs 1; the plan repeats every week of the window.",
        "Expected values are over the whole window, for the place during its window only.",
    )


@handle_errors
def plan(
    ctx: typer.Context,
    out: Path = typer.Option(..., "--out", help="File to write: .csv, .xlsx or .pdf"),
    team_hours: str = typer.Option(
        ..., "--team-hours", help="Team-hours a week (one team, one place, one hour = 1)."
    ),
    start: str | None = typer.Option(None, "--start", help="First day (default: today)."),
    end: str | None = typer.Option(
        None, "--end", help="Last day, inclusive (default: start + 6 days)."
    ),
    shift_hours: str = typer.Option("3", "--shift-hours", help="Hours per shift (whole hours)."),
    objective: str = typer.Option(
        "all", "--objective", help="all (expected crashes) or fatal_grievous."
    ),
    district: str | None = typer.Option(None, "--district", help="Only this district."),
    police_station: str | None = typer.Option(
        None, "--police-station", help="Only this police station."
    ),
    save_as_drive: str | None = typer.Option(
        None,
        "--save-as-drive",
        help="Also store the plan as a drive with this name (for `drives evaluate` later).",
    ),
    lang: str = LANG,
) -> None:
    """Where and when to put the teams each week, within a budget of team-hours."""
    settings = settings_of(ctx)
    request = PlanRequest(
        parse_number(team_hours, "--team-hours"),
        int(parse_number(shift_hours, "--shift-hours", whole=True)),
        objective,
        district,
        police_station,
    )
    if save_as_drive is not None and not save_as_drive.strip():
        raise UserError("--save-as-drive: give the drive a name")
    with user_errors():
        request.validate()
        fmt = format_of(check_out_path(out))
        if fmt not in PLAN_FORMATS:
            raise UserError(f"--out {str(out)!r}: a plan is written as .csv, .xlsx or .pdf")
        first, last = window_option(
            parse_date_option(start, "--start"), parse_date_option(end, "--end")
        )
        check_lang(lang)
        run_id = _run_with_intensities(settings, first, last)
        meta = meta_of("plan", settings, run_id, request.as_params(), _notes(request), lang)
        with read_connection(settings.db_path) as con:
            rows = build_plan(con, run_id, request)
        finish(settings, ExportBundle(rows), out, fmt, meta)
        if save_as_drive is not None:
            _save_drive(settings, rows, save_as_drive)


def _save_drive(settings: Settings, rows, name: str) -> None:
    """Store the plan as a drive (its places, windows and dates) named ``name``."""
    from roadsafety.forecasts.drive_runs import save_plan_as_drive

    saved = save_plan_as_drive(settings, rows, name.strip())
    log.info("saved the plan as drive %r: %d places", name.strip(), saved.result.places)


def register(app: typer.Typer) -> None:
    """Add the ``plan`` command."""
    app.command("plan")(plan)
