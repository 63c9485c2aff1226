"""Text clean-up shared by the readers and features, and transforms computed once per distinct
value (pure Polars, no I/O).

Columns such as district, police station, road name and offence hold a few hundred distinct values
across millions of rows; trimming, case-folding or checking each distinct value once and mapping the
results back costs a fraction of doing it row by row.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl


def squeezed(expr: pl.Expr) -> pl.Expr:
    """Text trimmed, each inner run of whitespace one space."""
    return expr.cast(pl.Utf8).str.replace_all(r"\s+", " ").str.strip_chars()


def squeezed_or_null(expr: pl.Expr) -> pl.Expr:
    """:func:`squeezed`, with empty text as null."""
    text = squeezed(expr)
    return pl.when(text == "").then(None).otherwise(text)


def name_key(expr: pl.Expr) -> pl.Expr:
    """A name as compared and stored (police stations, roads, unit ids): upper case, trimmed,
    single spaces; empty text is null."""
    return squeezed_or_null(expr.cast(pl.Utf8).str.to_uppercase())


SAMPLE_ROWS = 10_000  # rows looked at to judge whether a column repeats its values
REPEATS = 10  # per distinct value in the sample, at least, for the per-distinct path


def per_distinct(values: pl.Series, transform: Callable[[pl.Expr], pl.Expr]) -> pl.Series:
    """``transform`` applied to ``values`` (named as ``values``), each distinct value computed once.

    ``transform`` maps a column expression to an expression of the same length, element by element
    (its result for a value must not depend on other rows). Columns whose sample shows mostly
    distinct values (ids, registrations) are transformed row by row instead.
    """
    name = values.name
    sample = values.head(SAMPLE_ROWS)
    if len(values) <= SAMPLE_ROWS or sample.n_unique() * REPEATS > len(sample):
        return values.to_frame(name).select(transform(pl.col(name)).alias(name)).to_series()
    distinct = values.unique()
    done = distinct.to_frame(name).select(transform(pl.col(name)).alias(name)).to_series()
    keep = distinct.is_not_null()  # null maps to its own result, kept apart (replace skips nulls)
    out = values.replace_strict(distinct.filter(keep), done.filter(keep), return_dtype=done.dtype)
    if values.null_count() and not keep.all():
        out = out.set(values.is_null(), done.filter(~keep).item())  # type: ignore[arg-type]
    return out.alias(name)
