"""No leakage: features (and training targets) at cut-off t never change when data on/after t does."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from worlds import crash_world

from roadsafety.config import CalendarConfig
from roadsafety.features import build, panel
from roadsafety.features.units import build_units, ring_pairs

CAL = CalendarConfig(country=None, fog_months=(12, 1), monsoon_months=(7, 8))


def _challans(acc: pl.DataFrame, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    units = acc["unit_id"].unique().sort().to_list()
    n = 3000
    days = rng.integers(panel.to_day(date(2019, 1, 1)), panel.to_day(date(2023, 1, 1)), n)
    frame = pl.DataFrame(
        {
            "unit_id": [units[i] for i in rng.integers(0, len(units), n)],
            "day": days,
            "n": rng.integers(1, 5, n),
            "camera": rng.integers(0, 2, n),
        }
    )
    return frame.with_columns(**{c: pl.col("n") // 2 for c in build.enf.OFFENCE_COLUMNS})


def _features(
    acc: pl.DataFrame, challans: pl.DataFrame, units: pl.DataFrame, cut: date
) -> pl.DataFrame:
    events = panel.with_unit_idx(panel.prepare_events(acc), units)
    inputs = build.FeatureInputs(units, events, challans, CAL, int(events["day"].min()))
    ctx = build.prepare_context(inputs)
    cfg = panel.PanelConfig(max_rows=20_000)
    eligible = panel.eligible_from(units, events, ring_pairs(units, 1))
    train = panel.training_samples(eligible, panel.to_day(cut), inputs.data_start, cfg)
    train = panel.add_targets(build.build_features(train, ctx, cfg), ctx.own)
    fc = panel.forecast_samples(units, panel.to_day(cut), panel.to_day(cut) + 10, 30)
    return pl.concat(
        [
            train,
            build.build_features(fc, ctx, cfg).with_columns(
                y_crashes=pl.lit(None, pl.Float64), y_fatal_grievous=pl.lit(None, pl.Float64)
            ),
        ],
        how="diagonal",
    )


def _alter(
    acc: pl.DataFrame, ch: pl.DataFrame, cut: date, how: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    future = pl.col("occurred_at") >= datetime(cut.year, cut.month, cut.day)
    cday = pl.col("day") >= panel.to_day(cut)
    if how == "drop":
        return acc.filter(~future), ch.filter(~cday)
    if how == "duplicate":
        return pl.concat([acc, acc.filter(future)]), pl.concat([ch, ch.filter(cday)])
    if how == "scramble":  # move every future crash to the busiest unit, make it fatal, shift times
        top = acc.group_by("unit_id").len().sort("len", "unit_id", descending=True)["unit_id"][0]
        row = acc.filter(pl.col("unit_id") == top).row(0, named=True)
        acc2 = acc.with_columns(
            [
                pl.when(future).then(pl.lit(row[c])).otherwise(pl.col(c)).alias(c)
                for c in (
                    "unit_id",
                    "h3_cell",
                    "latitude",
                    "longitude",
                    "road_name",
                    "police_station",
                )
            ]
            + [
                pl.when(future)
                .then(pl.lit("fatal"))
                .otherwise(pl.col("severity"))
                .alias("severity"),
                pl.when(future)
                .then(pl.col("occurred_at") + pl.duration(hours=5))
                .otherwise(pl.col("occurred_at"))
                .alias("occurred_at"),
            ]
        )
        return acc2, ch.with_columns(
            pl.when(cday).then(pl.col("n") * 7).otherwise(pl.col("n")).alias("n")
        )
    raise ValueError(how)


@pytest.mark.parametrize("cut", [date(2020, 3, 1), date(2021, 7, 15), date(2022, 11, 30)])
@pytest.mark.parametrize("how", ["drop", "duplicate", "scramble"])
def test_features_at_cutoff_ignore_data_on_or_after_it(cut: date, how: str) -> None:
    acc, _ = crash_world(seed=3, years=4)
    ch = _challans(acc, 3)
    units = build_units(acc)  # a fixed universe: only the data may change
    before = _features(acc, ch, units, cut)
    acc2, ch2 = _alter(acc, ch, cut, how)
    after = _features(acc2, ch2, units, cut)
    assert before.height > 100
    assert_frame_equal(before, after)


def test_features_do_change_when_past_data_changes() -> None:
    """The invariant test can fail: altering data before the cut-off changes the features."""
    acc, _ = crash_world(seed=3, years=4)
    ch = _challans(acc, 3)
    units = build_units(acc)
    cut = date(2021, 7, 15)
    before = _features(acc, ch, units, cut)
    acc2, ch2 = _alter(acc, ch, date(2020, 1, 1), "duplicate")
    with pytest.raises(AssertionError):
        assert_frame_equal(before, _features(acc2, ch2, units, cut))
