"""Normalise callback inputs: a crafted ``/_dash-update-component`` body cannot make a callback fail.

Dash passes the browser's values through unchecked, so a hand-made request can send a list where a
district name is expected, ``-5`` rows, a 100,000-character string or ``";;"`` as corridor cells.
Each page callback runs its inputs through these helpers first: a value of the wrong type, out of
range or too long becomes the control's default (or None), never an exception and an HTTP 500.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import date
from typing import TypeVar

import h3

T = TypeVar("T")
TEXT_MAX = 200
CELLS_MAX = 500
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def text(value: object, max_len: int = TEXT_MAX) -> str | None:
    """A non-empty string without control characters and at most ``max_len`` long, else None."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value or len(value) > max_len or _CONTROL.search(value):
        return None
    return value


def choice(value: object, allowed: Sequence[T], default: T) -> T:
    """``value`` when it is one of ``allowed`` (same type: ``True`` is not ``1``), else ``default``."""
    for option in allowed:
        if type(value) is type(option) and value == option:
            return option
    return default


def whole(value: object, low: int, high: int, default: int) -> int:
    """An integer in ``low..high`` (not a bool, not a float, not text), else ``default``."""
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
        return value
    return default


def flags(value: object, allowed: Sequence[str]) -> list[str]:
    """The allowed strings of a checklist value (anything else is dropped)."""
    if not isinstance(value, list):
        return []
    return [v for v in allowed if v in value]


def h3_cells(value: object, limit: int = CELLS_MAX) -> tuple[str, ...]:
    """Valid H3 cell ids from a ``"a;b;c"`` link parameter (sorted, unique; junk dropped)."""
    if not isinstance(value, str):
        return ()
    parts = {p.strip() for p in value.split(";", limit + 1)[:limit]}
    return tuple(sorted(p for p in parts if 0 < len(p) <= 16 and _valid_cell(p)))


def _valid_cell(cell: str) -> bool:
    try:
        return bool(h3.is_valid_cell(cell))
    except (ValueError, TypeError):
        return False


def record(value: object) -> dict:
    """A dict (a grid row, a map feature's properties), else an empty one."""
    return value if isinstance(value, dict) else {}


def number(value: object, max_len: int = 20) -> float | None:
    """A finite number from a number or a short text (``"120"``, ``" 80.5 "``), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = text(value, max_len)
        try:
            value = float(value) if value is not None else None
        except ValueError:
            return None
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None


def day(value: object) -> date | None:
    """A calendar day from ``YYYY-MM-DD`` text (a date picker may add a time part), else None."""
    raw = text(value, 40)
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        return None
