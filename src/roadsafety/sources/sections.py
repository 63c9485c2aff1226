"""Legal sections of a crash FIR → one severity scale (IPC before 1 July 2024, BNS after).

The packaged table ``data/legal_sections.csv`` (system, section, severity, meaning) drives the
decoding; a mapping file may pass its own section → severity table instead.
"""

from __future__ import annotations

import csv
import re
from functools import cache
from importlib import resources

import polars as pl

from roadsafety.schemas import SEVERITIES

BNS_FROM = "2024-07-01"
_SPLIT = re.compile(r"[/,;&+]|\bAND\b|\s{2,}")
_SYSTEM = re.compile(r"\b(IPC|BNS|MV\s*ACT|MVA)\b")


@cache
def section_table() -> dict[tuple[str, str], str]:
    """The packaged ``{(system, section): severity}`` table."""
    text = (
        resources.files("roadsafety.sources.data").joinpath("legal_sections.csv").read_text("utf-8")
    )
    return {(r["system"], r["section"]): r["severity"] for r in csv.DictReader(text.splitlines())}


def split_sections(text: str) -> list[str]:
    """Section tokens of a ``U/S`` cell: ``'279/337/304 A IPC'`` → ``['279', '337', '304A']``.

    Spaces inside a token are dropped and letters upper-cased except clause letters in
    brackets (``125(b)`` stays ``125(b)``).
    """
    body = _SYSTEM.sub(" ", text.upper())
    tokens = [re.sub(r"\s+", "", t) for t in _SPLIT.split(body)]
    return [re.sub(r"\(([A-Z])\)", lambda m: f"({m.group(1).lower()})", t) for t in tokens if t]


def system_of(text: str, on_or_after_bns: bool) -> str:
    """``IPC`` or ``BNS``: the code named in the text, else by date (BNS from 1 July 2024)."""
    named = _SYSTEM.search(text.upper())
    if named and named.group(1) in ("IPC", "BNS"):
        return named.group(1)
    return "BNS" if on_or_after_bns else "IPC"


def worst_severity(
    text: str | None, on_or_after_bns: bool = False, table: dict[tuple[str, str], str] | None = None
) -> str | None:
    """The worst severity among the sections in ``text``; None when no section maps.

    Args:
        text: the sections cell (``279/337 IPC``, ``281/125(a) BNS``).
        on_or_after_bns: whether the crash happened on or after 1 July 2024 (used only when the
            text names neither IPC nor BNS).
        table: ``{(system, section): severity}``; defaults to the packaged table. A key with
            system ``"*"`` applies to both codes.
    """
    if not text:
        return None
    table = section_table() if table is None else table
    system = system_of(text, on_or_after_bns)
    found = []
    for token in split_sections(text):
        severity = table.get((system, token)) or table.get(("*", token))
        if severity is None and "(" in token:
            severity = table.get((system, token.split("(")[0]))
        if severity:
            found.append(severity)
    return min(found, key=SEVERITIES.index) if found else None


def severity_expr(
    sections: pl.Expr, date_text: pl.Expr, table: dict[tuple[str, str], str] | None = None
) -> pl.Expr:
    """Vectorised :func:`worst_severity` over a sections column and an ISO date-text column."""
    bns = date_text.str.slice(0, 10) >= BNS_FROM
    packed = pl.struct(sections.alias("s"), bns.fill_null(False).alias("b"))
    return packed.map_elements(
        lambda row: worst_severity(row["s"], row["b"], table), return_dtype=pl.Utf8
    )
