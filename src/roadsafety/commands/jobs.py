"""``roadsafety job run | status``: the unattended retrain job."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from roadsafety.commands import handle_errors, settings_of

job_app = typer.Typer(
    help="The batch retrain job (for cron or a systemd timer).", no_args_is_help=True
)


@job_app.command("run")
@handle_errors
def run(
    ctx: typer.Context,
    wait: bool = typer.Option(False, "--wait", help="Wait for a running job instead of exiting."),
    force_retrain: bool = typer.Option(
        False, "--force-retrain", help="Retrain even without new data."
    ),
) -> None:
    """Inbox → ingest → checks → retrain → promote → forecasts → outbox exports."""
    from roadsafety.jobs.runner import run_job

    summary = run_job(settings_of(ctx), wait=wait, force_retrain=force_retrain)
    typer.echo(
        f"job {summary.job_id}: {summary.outcome}; files {len(summary.inputs)}, "
        f"rows loaded {summary.rows_loaded:,}, quarantined {summary.rows_quarantined:,}; "
        f"model: {summary.model_decision}; exports {len(summary.exports)}"
    )


@job_app.command("status")
@handle_errors
def status(ctx: typer.Context, last: int = typer.Option(10, help="How many runs to list.")) -> None:
    """The last job runs and their outcomes."""
    from roadsafety.store.connection import read_connection
    from roadsafety.store.job_store import recent_job_runs

    with read_connection(settings_of(ctx).db_path) as con:
        frame = recent_job_runs(con, last)
    table = Table(title="Job runs", title_justify="left")
    for col in frame.columns:
        table.add_column(col)
    for row in frame.iter_rows():
        table.add_row(*["" if v is None else str(v) for v in row])
    Console(width=None if Console().is_terminal else 160).print(table)


def register(app: typer.Typer) -> None:
    """Add the ``job`` command group."""
    app.add_typer(job_app, name="job")
