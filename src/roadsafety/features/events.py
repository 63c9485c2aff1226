"""Fast windowed counts over event streams (pure Polars, no I/O).

Every history feature is "how many events of group *g* fell in ``[start, end)``" for many
(group, window) queries at once. :class:`EventIndex` sorts the events once by a composite key
``group * 2**18 + day`` and answers each query with two binary searches (``search_sorted``) and a
prefix-sum difference, so a panel of millions of rows costs seconds and never looks at a day on or
after a query's ``end`` — the no-leakage property holds by construction.

Days are integers: days since 1970-01-01 (``pl.Date`` cast to ``Int32``).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

_SHIFT = 2**18
_DAY_OFFSET = 60_000  # days before 1970 that stay non-negative (covers years >= 1806)


def day_number(expr: pl.Expr) -> pl.Expr:
    """A ``pl.Date`` (or datetime) expression as days since 1970-01-01 (Int64)."""
    return expr.cast(pl.Date).cast(pl.Int32).cast(pl.Int64)


def _keys(group: pl.Series, day: pl.Series) -> pl.Series:
    return group.cast(pl.Int64) * _SHIFT + (day.cast(pl.Int64) + _DAY_OFFSET).clip(0, _SHIFT - 1)


@dataclass(frozen=True)
class EventIndex:
    """Events sorted by (group, day) with prefix sums of their weights.

    Attributes:
        keys: sorted composite keys (Int64).
        days: event day numbers in key order.
        prefix: weight name → prefix sums (length ``len(keys) + 1``, Float64).
    """

    keys: pl.Series
    days: pl.Series
    prefix: dict[str, pl.Series]

    @property
    def size(self) -> int:
        """Number of events indexed."""
        return self.keys.len()


def build_index(
    frame: pl.DataFrame, group: str, day: str, weights: tuple[str, ...] = ()
) -> EventIndex:
    """Index the rows of ``frame`` (one row per event or per group-day aggregate).

    Args:
        frame: rows with an integer group column, an integer day column and numeric weights.
        group: name of the group column (rows with a null group are ignored).
        day: name of the day-number column.
        weights: numeric columns to sum in windows; ``"n"`` (a count of rows) is always available.

    Returns:
        The index.
    """
    rows = frame.filter(pl.col(group).is_not_null())
    rows = rows.with_columns(_key=_keys(rows[group], rows[day])).sort("_key")
    prefix = {"n": pl.Series("n", range(rows.height + 1), dtype=pl.Float64)}
    for w in weights:
        csum = rows[w].cast(pl.Float64).fill_null(0.0).cum_sum()
        prefix[w] = pl.concat([pl.Series(w, [0.0]), csum.rename(w)])
    return EventIndex(keys=rows["_key"], days=rows[day].cast(pl.Int64), prefix=prefix)


def window_sum(
    index: EventIndex, group: pl.Series, start: pl.Series, end: pl.Series, weight: str = "n"
) -> pl.Series:
    """Sum of ``weight`` over events of each query's group with ``start <= day < end``.

    Args:
        index: from :func:`build_index`.
        group: group of each query (null → null result).
        start: first day of each window (inclusive).
        end: day after each window (exclusive).
        weight: a weight given to :func:`build_index`, or ``"n"`` for counts.

    Returns:
        Float64 series aligned with the queries.
    """
    g = group.cast(pl.Int64)
    lo = index.keys.search_sorted(_keys(g.fill_null(0), start), side="left")
    hi = index.keys.search_sorted(_keys(g.fill_null(0), end), side="left")
    pre = index.prefix[weight]
    out = pre.gather(hi) - pre.gather(lo)
    return pl.select(pl.when(g.is_null()).then(None).otherwise(out)).to_series().rename(weight)


def days_since_last(index: EventIndex, group: pl.Series, before: pl.Series) -> pl.Series:
    """Days from each group's last event strictly before ``before`` to ``before`` (null if none).

    Args:
        index: from :func:`build_index`.
        group: group of each query.
        before: query day (events on this day or later are not seen).

    Returns:
        Float64 series; null when the group had no event before the query day.
    """
    g = group.cast(pl.Int64).fill_null(-1)
    pos = index.keys.search_sorted(_keys(g.clip(0), before), side="left").cast(pl.Int64) - 1
    lo = index.keys.search_sorted(_keys(g.clip(0), pl.Series([-_DAY_OFFSET] * len(g))), side="left")
    has = (pos >= lo.cast(pl.Int64)) & (g >= 0)
    last = index.days.gather(pos.clip(0)) if index.size else pl.Series([0] * len(g), dtype=pl.Int64)
    frame = pl.DataFrame({"has": has, "last": last, "before": before.cast(pl.Int64)})
    return (
        frame.select(
            pl.when(pl.col("has")).then((pl.col("before") - pl.col("last")).cast(pl.Float64))
        )
        .to_series()
        .rename("days_since")
    )
