"""Pick a source adapter by kind and ``--format`` (or a ``--mapping`` TOML file)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

from roadsafety.sources.base import SourceBatch, SourceError, SourceStream

Reader = Callable[[Path], SourceBatch | SourceStream]


def _readers() -> dict[tuple[str, str], Reader]:
    from roadsafety.sources import canonical, delhi, delhi_fatal, france, maryland

    return {
        ("accidents", "canonical"): canonical.read_canonical_accidents,
        ("challans", "canonical"): canonical.read_canonical_challans,
        ("accidents", "baac"): france.read_baac,
        ("accidents", "delhi-fir"): delhi.read_delhi_fir,
        ("accidents", "delhi-fatal"): delhi_fatal.read_delhi_fatal,
        ("challans", "montgomery"): maryland.read_montgomery,
    }


def formats(kind: str) -> list[str]:
    """The formats available for ``kind`` (``mapping`` needs a ``--mapping`` file)."""
    return sorted([fmt for k, fmt in _readers() if k == kind] + ["mapping"])


def get_reader(kind: str, fmt: str, mapping: Path | str | None = None) -> Reader:
    """The reader for ``kind`` in format ``fmt``.

    Args:
        kind: ``accidents`` or ``challans``.
        fmt: a format name; ``mapping`` (or any ``fmt`` when ``mapping`` is given) reads the file
            with the user's TOML column mapping.
        mapping: path of a mapping TOML file (see docs/mapping.md).

    Raises:
        SourceError: when no adapter handles that kind and format, or the mapping file is invalid.
    """
    if mapping is not None or fmt == "mapping":
        if mapping is None:
            raise SourceError("format 'mapping' needs a mapping file (--mapping FILE.toml)")
        from roadsafety.sources.mapping import load_mapping, stream_mapped

        spec = load_mapping(Path(mapping), kind)
        return functools.partial(stream_mapped, spec=spec)
    try:
        return _readers()[(kind, fmt)]
    except KeyError:
        raise SourceError(
            f"no {kind} adapter for format {fmt!r}; available: {', '.join(formats(kind))}"
        ) from None
