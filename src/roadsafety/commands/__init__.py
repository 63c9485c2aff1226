"""CLI command groups. Each module defines ``register(app)`` adding its commands to the Typer app.

Add a module here by appending its name to ``COMMAND_MODULES``.
"""

from __future__ import annotations

import functools
import importlib
import logging
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

import typer

from roadsafety.config import Settings
from roadsafety.errors import RoadsafetyError, UserError

COMMAND_MODULES = ("data", "exports", "web", "jobs", "demo", "forecasting", "plan", "drives")

log = logging.getLogger("roadsafety")
F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(func: F) -> F:
    """End a command on a :class:`~roadsafety.errors.RoadsafetyError` with its ``exit_code``.

    Exit code 2 (user-facing) and 0 (nothing to do) print the one-line message on stderr without a
    traceback; exit code 1 (a bug) re-raises, so the traceback is printed. A missing file named on
    the command line is a user-facing error too.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except RoadsafetyError as exc:
            if exc.exit_code == 1:
                raise
            end(str(exc), exc.exit_code)
        except FileNotFoundError as exc:
            end(str(exc), 2)

    return wrapper  # type: ignore[return-value]


def end(message: str, code: int) -> None:
    """Print ``error: message`` (or ``skipped: message`` for code 0) on stderr and exit."""
    colour, word = (typer.colors.YELLOW, "skipped") if code == 0 else (typer.colors.RED, "error")
    typer.secho(f"{word}: {message}", fg=colour, err=True)
    raise typer.Exit(code=code)


def parse_date_option(text: str | None, option: str) -> date | None:
    """A ``YYYY-MM-DD`` option value as a date (None stays None).

    Raises:
        UserError: naming the option when the text is not a date.
    """
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UserError(f"{option}: expected a date YYYY-MM-DD, got {text!r}") from None


def one_year_after(day: date) -> date:
    """The same day one calendar year later (29 February → 28 February)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def window_option(first: date | None, last: date | None) -> tuple[date, date]:
    """The inclusive ``--start``/``--end`` window (default: the next 7 days from today).

    Raises:
        UserError: when the end is before the start or more than one calendar year after it.
    """
    first = first or date.today()
    last = last or first + timedelta(days=6)
    if last < first:
        raise UserError(f"--end {last} is before --start {first}")
    if last > one_year_after(first):
        raise UserError(
            f"--end {last}: the window is longer than one year (at most {one_year_after(first)})"
        )
    return first, last


def check_out_path(out: Path, option: str = "--out") -> Path:
    """The ``--out`` file, refused (exit 2) when its folder does not exist or it is a folder: a typo
    in a path must not silently create folders.

    Raises:
        UserError: naming the option and the missing folder.
    """
    folder = out.parent if str(out.parent) else Path(".")
    if out.is_dir():
        raise UserError(f"{option} {out}: is a folder; give a file name, e.g. {out / 'list.xlsx'}")
    if not folder.is_dir():
        raise UserError(
            f"{option} {out}: the folder {folder} does not exist; create it first "
            f"(mkdir -p {folder}) or choose another folder"
        )
    return out


def print_frame(frame: Any, title: str) -> None:
    """A Polars frame as a console table (numbers right-aligned: ints with separators, floats to 4
    significant digits); wide when printing to a file or pipe."""
    from rich.console import Console
    from rich.table import Table

    def text(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return str(value)
        if isinstance(value, int):
            return f"{value:,}"
        return f"{value:,.4g}" if isinstance(value, float) else str(value)

    console = Console(width=None if Console().is_terminal else 200)
    table = Table(title=title, title_justify="left")
    for col in frame.columns:
        table.add_column(col, justify="right" if frame.schema[col].is_numeric() else "left")
    for row in frame.iter_rows():
        table.add_row(*[text(v) for v in row])
    console.print(table)


def settings_of(ctx: typer.Context) -> Settings:
    """The settings the root command loaded."""
    return ctx.find_root().obj


def register_all(app: typer.Typer) -> None:
    """Import every command module and let it register its commands."""
    for name in COMMAND_MODULES:
        importlib.import_module(f"{__name__}.{name}").register(app)
