"""Windowed counts over indexed events."""

from __future__ import annotations

import polars as pl

from roadsafety.features.events import build_index, days_since_last, window_sum


def _index():
    frame = pl.DataFrame({"g": [0, 0, 0, 1, 2], "d": [10, 12, 20, 5, 7], "w": [1, 2, 3, 4, 5]})
    return build_index(frame, "g", "d", ("w",))


def test_window_sum_counts_and_weights_half_open_windows() -> None:
    ix = _index()
    g, s, e = (
        pl.Series([0, 0, 1, None, 3]),
        pl.Series([10, 11, 0, 0, 0]),
        pl.Series([20, 21, 6, 100, 100]),
    )
    assert window_sum(ix, g, s, e).to_list() == [2.0, 2.0, 1.0, None, 0.0]
    assert window_sum(ix, g, s, e, "w").to_list() == [3.0, 5.0, 4.0, None, 0.0]


def test_days_since_last_sees_only_earlier_days() -> None:
    got = days_since_last(_index(), pl.Series([0, 0, 1, 2, 3]), pl.Series([10, 13, 100, 7, 5]))
    assert got.to_list() == [None, 1.0, 95.0, None, None]


def test_empty_index_gives_zero_counts() -> None:
    empty = build_index(
        pl.DataFrame({"g": [], "d": []}, schema={"g": pl.Int64, "d": pl.Int64}), "g", "d"
    )
    assert window_sum(empty, pl.Series([0]), pl.Series([0]), pl.Series([5])).to_list() == [0.0]
    assert days_since_last(empty, pl.Series([0]), pl.Series([5])).to_list() == [None]
