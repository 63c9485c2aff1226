"""The ``roadsafety`` command line: one short function per command, in ``roadsafety.commands``."""

from __future__ import annotations

import logging
from pathlib import Path

import typer
from rich.logging import RichHandler

from roadsafety.commands import handle_errors, register_all
from roadsafety.config import load_settings

app = typer.Typer(
    name="roadsafety",
    help="Road-crash risk forecasting for traffic police: where and when to act.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
@handle_errors
def main(
    ctx: typer.Context,
    db: Path | None = typer.Option(None, "--db", help="DuckDB warehouse file (env ROADSAFETY_DB)."),
    config: Path | None = typer.Option(
        None, "--config", help="TOML config file (env ROADSAFETY_CONFIG)."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Debug logging."),
) -> None:
    """Load settings once and set up logging."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        handlers=[RichHandler(show_path=False, rich_tracebacks=False)],
        force=True,
    )
    ctx.obj = load_settings(db_path=db, config_path=config)


register_all(app)

if __name__ == "__main__":
    app()
