"""``roadsafety drives import FILE | list | evaluate [--drive ID] [--out FILE]``.

``import`` validates the whole file and stores it or nothing; ``evaluate`` runs the Empirical Bayes
before/after study of every stored drive on all the data in the warehouse, stores it (the app shows
the stored evaluation) and prints it; ``--out`` writes the rows (CSV, XLSX or PDF) and records the
file in ``export_audit``. See docs/drives.md.
"""

from __future__ import annotations

import logging
from pathlib import Path

import polars as pl
import typer

from roadsafety.commands import (
    UserError,
    check_out_path,
    handle_errors,
    print_frame,
    settings_of,
)

log = logging.getLogger("roadsafety")
drives_app = typer.Typer(
    help="Enforcement drives: import them, list them, and judge whether they cut crashes.",
    no_args_is_help=True,
)
SHOWN = (
    "drive_id",
    "name",
    "places",
    "after_start",
    "after_end",
    "crashes_before",
    "crashes_after",
    "expected_after_without_drive",
    "change_pct",
    "ci_low_pct",
    "ci_high_pct",
    "challans_before",
    "challans_during",
    "verdict",
)


def register(app: typer.Typer) -> None:
    """Add the ``drives`` command group."""
    app.add_typer(drives_app, name="drives")


@drives_app.command("import")
@handle_errors
def import_file(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="Drives file, .csv or .xlsx: one row per drive place."),
) -> None:
    """Import drives (all rows or none; bad rows are listed with row, column and reason)."""
    from roadsafety.forecasts.drive_runs import import_drives_file

    done = import_drives_file(settings_of(ctx), file)
    r = done.result
    typer.echo(
        f"{file}: {r.rows_read} rows -> {r.drives_new} new drive(s), {r.drives_replaced} replaced, "
        f"{r.places} place(s)   [run {r.run_id}]"
    )
    for p in done.unmatched.iter_rows(named=True):
        typer.secho(
            f"  note: row {p['source_row']} ({p['drive_id']} place {p['place_no']}: {p['label']}) "
            "matches no crash record in the warehouse yet",
            fg=typer.colors.YELLOW,
        )


@drives_app.command("list")
@handle_errors
def list_drives(ctx: typer.Context) -> None:
    """Stored drives with their places and the last evaluation's verdict."""
    from roadsafety.store.connection import read_connection
    from roadsafety.store.drives import drive_summaries

    with read_connection(settings_of(ctx).db_path) as con:
        rows = drive_summaries(con)
    if rows.is_empty():
        typer.echo("no drives stored; import some with `roadsafety drives import FILE`")
        return
    print_frame(rows, "Drives")


@drives_app.command("evaluate")
@handle_errors
def evaluate(
    ctx: typer.Context,
    drive: list[str] = typer.Option(
        None, "--drive", help="Only these drive ids in the output (repeat the option)."
    ),
    out: Path | None = typer.Option(None, "--out", help="Write the rows: .csv, .xlsx or .pdf."),
    after_months: int = typer.Option(
        12, min=1, max=12, help="After period: months from the start."
    ),
    history_years: int = typer.Option(
        3, min=1, max=5, help="Years before the drive the Empirical Bayes estimate uses."
    ),
    prior: str = typer.Option("fitted", help="EB prior: fitted (default) or gamma (HSM)."),
    min_after_days: int = typer.Option(90, min=1, help="Fewer days of after-data: 'too early'."),
) -> None:
    """Did each drive cut crashes? Empirical Bayes before/after, one row per drive and pooled."""
    from roadsafety.exports.drives import format_of
    from roadsafety.exports.risk_list import ExportError
    from roadsafety.forecasts.drive_runs import evaluate_and_store, selection_rows
    from roadsafety.models.drive_effect import StudyOptions

    try:
        options = StudyOptions(after_months, history_years, prior, min_after_days)
        if out is not None:
            format_of(check_out_path(out))
    except (ValueError, ExportError) as exc:
        raise UserError(str(exc)) from exc
    settings = settings_of(ctx)
    done = evaluate_and_store(settings, options)
    rows = selection_rows(done, drive) if drive else done.study.results
    _report(settings, done, rows, out, drive)


def _report(settings, done, rows: pl.DataFrame, out: Path | None, drive: list[str] | None) -> None:
    from roadsafety.exports.drives import DriveExportMeta, drive_rows, write_drive_export
    from roadsafety.exports.risk_list import ExportError

    try:
        shown = drive_rows(rows, drive_ids=drive or None)
    except ExportError as exc:
        raise UserError(str(exc)) from exc
    print_frame(
        shown.select(SHOWN), f"Drives evaluated on crash data {done.data_start} to {done.data_end}"
    )
    if out is None:
        return
    meta = DriveExportMeta(done.evaluation_id, done.data_start, done.data_end, _options(done))
    places = done.study.places.filter(pl.col("drive_id").is_in(shown["drive_id"].implode()))
    try:
        path = write_drive_export(shown, out, meta, places)
    except ExportError as exc:
        raise UserError(str(exc)) from exc
    _audit(settings, path, done, shown.height, drive)
    log.info("wrote %d rows to %s", shown.height, path)


def _options(done) -> dict:
    from dataclasses import asdict

    return asdict(done.options)


def _audit(settings, path: Path, done, n_rows: int, drive: list[str] | None) -> None:
    from roadsafety.exports.audit import audit_export
    from roadsafety.exports.meta import ExportMeta

    params = _options(done) | {"drive": drive or None}
    meta = ExportMeta(
        "drive_evaluation",
        done.evaluation_id,
        None,
        done.data_start,
        done.data_end,
        done.data_end,
        params,
    )
    audit_export(settings.db_path, path, path.suffix.lstrip(".").lower(), meta, n_rows)
