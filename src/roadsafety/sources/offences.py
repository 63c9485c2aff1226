"""Free-text offence descriptions → the canonical offence list, by a packaged keyword table.

``data/offence_keywords.csv`` holds ordered ``(priority, pattern, offence)`` rows; the first
pattern (lowest priority number) that matches the upper-cased text wins; no match → ``other``.
Order matters: "driving under the influence of alcohol ... speed" is drunk driving first.
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

import polars as pl

from roadsafety.schemas import OFFENCES


@cache
def keyword_table() -> tuple[tuple[str, str], ...]:
    """The packaged ``(pattern, offence)`` rules in priority order."""
    text = (
        resources.files("roadsafety.sources.data")
        .joinpath("offence_keywords.csv")
        .read_text("utf-8")
    )
    rows = sorted(csv.DictReader(text.splitlines()), key=lambda r: int(r["priority"]))
    bad = [r["offence"] for r in rows if r["offence"] not in OFFENCES]
    if bad:
        raise ValueError(f"offence_keywords.csv: unknown offences {bad}")
    return tuple((r["pattern"], r["offence"]) for r in rows)


def offence_expr(text: pl.Expr, rules: tuple[tuple[str, str], ...] | None = None) -> pl.Expr:
    """The canonical offence for each text: the first matching rule, else ``other``.

    Args:
        text: free-text description (any case).
        rules: ``(regex, offence)`` pairs in priority order; defaults to the packaged table.
    """
    upper = text.cast(pl.Utf8).str.to_uppercase()
    result = pl.lit("other")
    for pattern, offence in reversed(rules if rules is not None else keyword_table()):
        result = (
            pl.when(upper.str.contains(pattern).fill_null(False))
            .then(pl.lit(offence))
            .otherwise(result)
        )
    return result
