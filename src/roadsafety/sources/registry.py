"""Pick a source adapter by kind and ``--format``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from roadsafety.sources.base import SourceBatch, SourceError

Reader = Callable[[Path], SourceBatch]


def _readers() -> dict[tuple[str, str], Reader]:
    from roadsafety.sources import canonical

    return {
        ("accidents", "canonical"): canonical.read_canonical_accidents,
        ("challans", "canonical"): canonical.read_canonical_challans,
    }


def formats(kind: str) -> list[str]:
    """The formats available for ``kind``."""
    return sorted(fmt for k, fmt in _readers() if k == kind)


def get_reader(kind: str, fmt: str) -> Reader:
    """The reader for ``kind`` in format ``fmt``.

    Raises:
        SourceError: when no adapter handles that kind and format.
    """
    try:
        return _readers()[(kind, fmt)]
    except KeyError:
        raise SourceError(
            f"no {kind} adapter for format {fmt!r}; available: {', '.join(formats(kind))}"
        ) from None
