"""Per-distinct text transforms give exactly the row-by-row result, nulls included."""

from __future__ import annotations

import polars as pl
import pytest

from roadsafety.features.text import per_distinct


def squeeze(value: pl.Expr) -> pl.Expr:
    return value.str.strip_chars().str.replace_all(r"\s+", " ").str.to_uppercase()


def null_as_word(value: pl.Expr) -> pl.Expr:
    return pl.when(value.is_null()).then(pl.lit("NONE")).otherwise(value.str.to_lowercase())


@pytest.mark.parametrize("transform", [squeeze, null_as_word])
@pytest.mark.parametrize(
    "values",
    [
        [" PS  Sector 5", None, "ps sector 5 ", "Rohtak"] * 5_000,  # repeats: per distinct value
        [f" Id {i} " if i % 7 else None for i in range(30_000)],  # mostly distinct: row by row
        ["a", None],  # short
    ],
)
def test_per_distinct_equals_the_row_by_row_transform(values, transform):
    series = pl.Series("col", values, dtype=pl.Utf8)
    direct = series.to_frame().select(transform(pl.col("col"))).to_series()
    got = per_distinct(series, transform)
    assert got.name == "col" and got.equals(direct)
