"""The package's errors: told apart by class, never by message text, each with its exit code.

Every error the package raises on purpose derives from :class:`RoadsafetyError`. Its ``exit_code``
is what the command line ends with (``roadsafety.commands.handle_errors``):

- 2, the default: the user can fix it (a bad option, an unreadable file, no warehouse or no model
  yet). The message names the file, row, column or option and is printed without a traceback.
- 1: a bug or a broken invariant (rows not accounted for, a frame that does not match its table's
  schema). The traceback is kept.
- 0: not a failure (another run of the job holds the lock: this one has nothing to do).

The classes are also importable from where they are raised (``roadsafety.config.ConfigError``,
``roadsafety.store.connection.StoreError``, ...). Several also derive from the built-in error they
replace (``ValueError``, ``RuntimeError``) so existing ``except`` clauses keep working.
"""

from __future__ import annotations


class RoadsafetyError(Exception):
    """Base of every error the package raises on purpose."""

    exit_code: int = 2


class ConfigError(RoadsafetyError, ValueError):
    """A setting is missing, unknown or malformed; the message names the setting and its source."""


class SourceError(RoadsafetyError, ValueError):
    """An input file cannot be read at all; the message names the file and the problem."""


class StoreError(RoadsafetyError, RuntimeError):
    """The warehouse cannot be opened or written; the message says which file and why."""


class StoreBusyError(StoreError):
    """Another process holds the warehouse write lock."""


class AccountingError(RoadsafetyError, RuntimeError):
    """Rows read != loaded + quarantined + duplicates: a bug, the load is rolled back."""

    exit_code = 1


class TableSchemaError(RoadsafetyError, ValueError):
    """Rows about to be written do not match their table's declared schema (a bug)."""

    exit_code = 1


class ForecastError(RoadsafetyError):
    """Nothing to train on, or no champion to forecast with; the message says what to do."""


class WindowError(ForecastError, ValueError):
    """A forecast window is empty, reversed or longer than a year."""


class ModelError(RoadsafetyError):
    """A stored model cannot be used as it is (e.g. it needs features the data no longer has);
    retraining makes a usable one."""


class ExportError(RoadsafetyError, ValueError):
    """An export cannot be made as asked; the message names the option or the missing input."""


class NoMatchError(ExportError):
    """A district or police-station filter matches no unit of the forecast."""


class UserStoreError(RoadsafetyError, ValueError):
    """A user operation cannot be done (unknown user, bad role, duplicate name, bad district)."""


class UserError(RoadsafetyError, RuntimeError):
    """A command-line option the user can fix (bad date, window too long, nothing to export)."""


class JobBusy(RoadsafetyError, RuntimeError):
    """Another run of the retrain job holds the lock; this run changes nothing."""

    exit_code = 0
