"""Typed errors: one hierarchy, exit codes by class, old import paths kept."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from roadsafety import errors
from roadsafety.commands import handle_errors

CLASSES = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, Exception)]


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_every_error_is_a_roadsafety_error_with_an_exit_code(cls: type) -> None:
    assert issubclass(cls, errors.RoadsafetyError)
    assert cls.exit_code in (0, 1, 2)


def test_forecast_errors_are_not_store_errors_and_bugs_exit_1() -> None:
    assert not issubclass(errors.ForecastError, errors.StoreError)
    assert not issubclass(errors.WindowError, errors.StoreError)
    assert issubclass(errors.NoMatchError, errors.ExportError)
    assert errors.AccountingError.exit_code == errors.TableSchemaError.exit_code == 1
    assert errors.JobBusy.exit_code == 0 and errors.ModelError.exit_code == 2


def test_old_import_paths_give_the_same_classes() -> None:
    from roadsafety.commands import UserError
    from roadsafety.config import ConfigError
    from roadsafety.exports.risk_list import ExportError
    from roadsafety.forecasts.pipeline import ForecastError
    from roadsafety.forecasts.run import WindowError
    from roadsafety.jobs.runner import JobBusy
    from roadsafety.sources.base import SourceError
    from roadsafety.store.connection import StoreBusyError, StoreError
    from roadsafety.store.ingest import AccountingError
    from roadsafety.store.users import UserStoreError

    assert (ConfigError, SourceError, StoreError, StoreBusyError, AccountingError) == (
        errors.ConfigError,
        errors.SourceError,
        errors.StoreError,
        errors.StoreBusyError,
        errors.AccountingError,
    )
    assert (ForecastError, WindowError, ExportError, UserError, JobBusy, UserStoreError) == (
        errors.ForecastError,
        errors.WindowError,
        errors.ExportError,
        errors.UserError,
        errors.JobBusy,
        errors.UserStoreError,
    )


def _cli(exc: BaseException) -> typer.Typer:
    app = typer.Typer()

    @app.command()
    @handle_errors
    def go() -> None:
        raise exc

    return app


@pytest.mark.parametrize(
    "exc, code, word",
    [
        (errors.SourceError("a.csv: wrong header"), 2, "error"),
        (errors.ModelError("needs features x; retrain"), 2, "error"),
        (errors.JobBusy("another retrain job is running"), 0, "skipped"),
        (FileNotFoundError("no such file: b.csv"), 2, "error"),
    ],
)
def test_the_cli_ends_with_the_error_s_exit_code(exc, code: int, word: str) -> None:
    result = CliRunner().invoke(_cli(exc), [])
    assert result.exit_code == code
    assert result.output.strip() == f"{word}: {exc}" and "Traceback" not in result.output


def test_a_bug_keeps_its_traceback_and_exits_1() -> None:
    result = CliRunner().invoke(_cli(errors.AccountingError("rows lost")), [])
    assert result.exit_code == 1 and isinstance(result.exception, errors.AccountingError)
