"""Tests for roadsafety.models.profile (hour-of-week profiles, peak windows, block shares)."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import polars as pl
import pytest

from roadsafety.models.profile import (
    BINS,
    PROFILE_COLUMNS,
    REGION,
    ProfilePriors,
    block_shares,
    district_profiles,
    format_window,
    hour_profiles,
    parse_peak_window,
    peak_window,
    peak_windows,
)

MONDAY = datetime(2024, 1, 1)  # a Monday


def at(dow: int, hour: int, week: int = 0) -> datetime:
    return MONDAY + timedelta(days=7 * week + dow, hours=hour)


def events() -> pl.DataFrame:
    """'hot': Fri-Sun nights 22-01h; 'few' has 2 crashes; 'untimed' has only date-only records."""
    rows = [("hot", "A", at(d, h, w), True) for w in range(10) for d in (4, 5, 6) for h in (22, 23)]
    rows += [("hot", "A", at(d, 0, w), True) for w in range(10) for d in (5, 6, 0)]
    rows += [("few", "A", at(1, 9), True), ("few", "A", at(2, 14), True)]
    rows += [("untimed", "A", at(3, 0, w), False) for w in range(5)]
    rows += [("b1", "B", at(d, 8, w), True) for w in range(3) for d in range(7)]
    rows += [("nodistrict", None, at(2, 17), True)]
    return pl.DataFrame(
        rows,
        schema={
            "unit_id": pl.Utf8,
            "district": pl.Utf8,
            "occurred_at": pl.Datetime,
            "has_time": pl.Boolean,
        },
        orient="row",
    )


def tilt_shrink(
    counts: np.ndarray, parent: np.ndarray, priors: ProfilePriors | None = None
) -> np.ndarray:
    """Reference implementation of the documented shrinkage, in plain numpy."""
    priors = priors or ProfilePriors()
    c, p = counts.reshape(7, 24), parent.reshape(7, 24)
    n, p_h, p_w = c.sum(), p.sum(axis=0), p.sum(axis=1)
    hour = (c.sum(axis=0) + priors.hour * p_h) / (n + priors.hour)
    day = (c.sum(axis=1) + priors.day * p_w) / (n + priors.day)
    prior = p * (hour / p_h)[None, :] * (day / p_w)[:, None]
    prior /= prior.sum()
    return ((c + priors.interaction * prior) / (n + priors.interaction)).ravel()


def share_of(profiles: pl.DataFrame, unit: str) -> np.ndarray:
    return profiles.filter(pl.col("unit_id") == unit).sort("dow", "hour")["share"].to_numpy()


def test_profiles_have_168_bins_summing_to_one() -> None:
    prof = hour_profiles(events())
    assert prof.columns == list(PROFILE_COLUMNS)
    counts = prof.group_by("unit_id").agg(pl.len(), pl.col("share").sum())
    assert set(counts["unit_id"]) == {"hot", "few", "untimed", "b1", "nodistrict"}
    assert (counts["len"] == BINS).all()
    assert counts["share"].to_list() == pytest.approx([1.0] * counts.height)
    assert (prof["share"] > 0).all()


def test_untimed_unit_gets_its_district_profile_and_untimed_rows_are_ignored() -> None:
    ev = events()
    prof = hour_profiles(ev)
    district_a = (
        district_profiles(ev).filter(pl.col("district") == "A").sort("dow", "hour")["share"]
    )
    assert share_of(prof, "untimed") == pytest.approx(district_a.to_numpy())
    moved = ev.with_columns(
        occurred_at=pl.when(pl.col("has_time"))
        .then(pl.col("occurred_at"))
        .otherwise(pl.col("occurred_at") + timedelta(hours=13))
    )
    assert hour_profiles(moved).equals(prof)


def test_unit_shrinks_toward_district_as_documented() -> None:
    ev = events()
    prof = hour_profiles(ev)
    district_a = (
        district_profiles(ev)
        .filter(pl.col("district") == "A")
        .sort("dow", "hour")["share"]
        .to_numpy()
    )
    own = np.zeros(BINS)
    own[1 * 24 + 9] = own[2 * 24 + 14] = 1
    assert share_of(prof, "few") == pytest.approx(tilt_shrink(own, district_a))
    weak = hour_profiles(ev, priors=ProfilePriors(interaction=1.0, hour=1.0, day=1.0))
    own_peak = 1 * 24 + 9
    assert share_of(weak, "few")[own_peak] > share_of(prof, "few")[own_peak] > district_a[own_peak]


def test_unit_without_district_shrinks_to_region_and_extra_units_get_rows() -> None:
    ev = events()
    extra = pl.DataFrame({"unit_id": ["quiet"], "district": ["B"]})
    prof = hour_profiles(ev, units=extra)
    dist = district_profiles(ev)
    region = dist.filter(pl.col("district") == REGION).sort("dow", "hour")["share"].to_numpy()
    b = dist.filter(pl.col("district") == "B").sort("dow", "hour")["share"].to_numpy()
    assert share_of(prof, "quiet") == pytest.approx(b)
    own = np.zeros(BINS)
    own[2 * 24 + 17] = 1
    assert share_of(prof, "nodistrict") == pytest.approx(tilt_shrink(own, region))


def test_peak_window_of_weekend_night_unit() -> None:
    prof = hour_profiles(events())
    hot = prof.filter(pl.col("unit_id") == "hot")
    assert peak_window(hot) == "Fri-Sun 22:00-01:00"
    table = peak_windows(prof)
    assert table.filter(pl.col("unit_id") == "hot")["peak_window"].item() == "Fri-Sun 22:00-01:00"
    b1 = parse_peak_window(table.filter(pl.col("unit_id") == "b1")["peak_window"].item())
    assert {hour for _, hour in b1} >= {
        8
    }  # its own 08h crashes set the time; days come from priors


def test_flat_profile_is_all_day_and_a_daily_peak_is_found() -> None:
    flat = pl.DataFrame(
        {
            "dow": [d for d in range(7) for _ in range(24)],
            "hour": [h for _ in range(7) for h in range(24)],
            "share": [1 / BINS] * BINS,
        }
    )
    assert peak_window(flat) == "daily 00:00-24:00"
    assert len(parse_peak_window(peak_window(flat, hours=4))) == BINS
    untimed = hour_profiles(events().with_columns(has_time=pl.lit(False)))
    assert set(peak_windows(untimed)["peak_window"]) == {"daily 00:00-24:00"}
    evening = flat.with_columns(
        share=pl.when(pl.col("hour").is_between(18, 20)).then(2.0).otherwise(1.0) / (BINS + 21)
    )
    assert peak_window(evening) == "daily 18:00-21:00"


@pytest.mark.parametrize("seed", range(6))
def test_round_trip_parse_covers_what_format_says(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(20):
        days = sorted(rng.choice(7, size=rng.integers(1, 8), replace=False).tolist())
        start, hours = int(rng.integers(0, 24)), int(rng.integers(1, 6))
        text = format_window(days, start, hours)
        want = {((d + (start + i) // 24) % 7, (start + i) % 24) for d in days for i in range(hours)}
        assert parse_peak_window(text) == want, text


@pytest.mark.parametrize("seed", range(3))
def test_peak_window_takes_heaviest_time_block_and_its_best_day(seed: int) -> None:
    rng = np.random.default_rng(seed)
    shares = rng.gamma(0.5, size=BINS)
    frame = pl.DataFrame(
        {
            "dow": [d for d in range(7) for _ in range(24)],
            "hour": [h for _ in range(7) for h in range(24)],
            "share": shares / shares.sum(),
        }
    )
    text = peak_window(frame)
    week = frame["share"].to_numpy().reshape(7, 24)
    by_hour = week.sum(axis=0)
    best_start = max(range(24), key=lambda s: sum(by_hour[(s + i) % 24] for i in range(3)))
    assert text.split(" ")[1].startswith(f"{best_start:02d}:00-")
    day_mass = [
        sum(week[(d + (best_start + i) // 24) % 7, (best_start + i) % 24] for i in range(3))
        for d in range(7)
    ]
    best_day = int(np.argmax(day_mass))
    assert (best_day, best_start) in parse_peak_window(text)


def test_parse_examples_and_errors() -> None:
    assert parse_peak_window("Fri-Sun 22:00-02:00") == {
        (4, 22),
        (4, 23),
        (5, 0),
        (5, 1),
        (5, 22),
        (5, 23),
        (6, 0),
        (6, 1),
        (6, 22),
        (6, 23),
        (0, 0),
        (0, 1),
    }
    assert parse_peak_window("Mon,Wed 08:00-10:00; Sat-Mon 23:00-24:00") == {
        (0, 8),
        (0, 9),
        (2, 8),
        (2, 9),
        (5, 23),
        (6, 23),
        (0, 23),
    }
    assert len(parse_peak_window("daily 00:00-00:00")) == BINS
    assert parse_peak_window("Tue 07:30-08:15") == {(1, 7), (1, 8)}
    for bad in (
        "",
        "Funday 01:00-02:00",
        "Mon 25:00-02:00",
        "daily 1-2",
        "Mon-Tue-Wed 01:00-02:00",
    ):
        with pytest.raises(ValueError):
            parse_peak_window(bad)


def test_block_shares_sum_hours() -> None:
    prof = hour_profiles(events())
    blocks = block_shares(prof)
    assert blocks.columns == ["unit_id", "dow", "block", "start_hour", "share"]
    assert (blocks.group_by("unit_id").len()["len"] == 56).all()
    hot = blocks.filter(pl.col("unit_id") == "hot", pl.col("dow") == 4, pl.col("block") == 7)[
        "share"
    ].item()
    hot_hours = prof.filter(pl.col("unit_id") == "hot", pl.col("dow") == 4, pl.col("hour") >= 21)[
        "share"
    ].sum()
    assert hot == pytest.approx(hot_hours)
    assert blocks.group_by("unit_id").agg(pl.col("share").sum())[
        "share"
    ].to_list() == pytest.approx([1.0] * 5)


def test_no_timed_events_gives_uniform_profiles() -> None:
    ev = events().with_columns(has_time=pl.lit(False))
    prof = hour_profiles(ev)
    assert prof["share"].to_numpy() == pytest.approx(np.full(prof.height, 1 / BINS))


def test_district_and_region_levels_follow_the_same_rule() -> None:
    ev = events()
    dist = district_profiles(ev)
    timed = ev.filter(pl.col("has_time"))
    counts_all = np.zeros(BINS)
    counts_b = np.zeros(BINS)
    for row in timed.iter_rows(named=True):
        b = row["occurred_at"].weekday() * 24 + row["occurred_at"].hour
        counts_all[b] += 1
        counts_b[b] += row["district"] == "B"
    region = tilt_shrink(counts_all, np.full(BINS, 1 / BINS))
    got = dist.filter(pl.col("district") == REGION).sort("dow", "hour")["share"].to_numpy()
    assert got == pytest.approx(region)
    got_b = dist.filter(pl.col("district") == "B").sort("dow", "hour")["share"].to_numpy()
    assert got_b == pytest.approx(tilt_shrink(counts_b, region))


def test_sparse_noise_units_mostly_get_daily_windows() -> None:
    """Units with 4 crashes at random times in a flat, well-observed district get no day pattern."""
    rng = np.random.default_rng(11)
    n = 20_000
    hours = rng.integers(0, 24 * 364, n)
    ev = pl.DataFrame(
        {
            "unit_id": [f"u{i % 200}" if i < 800 else "background" for i in range(n)],
            "district": "A",
            "occurred_at": [MONDAY + timedelta(hours=int(h)) for h in hours],
        }
    )
    windows = peak_windows(hour_profiles(ev)).filter(pl.col("unit_id") != "background")[
        "peak_window"
    ]
    assert windows.str.starts_with("daily ").mean() > 0.8


@pytest.mark.realdata
@pytest.mark.slow
def test_baac_profiles_predict_validation_hours(real_data) -> None:
    """Profiles of the 300 busiest BAAC cells (2012-2014) score 2015-2016 crashes better than flat.

    Validation years only; the project's test years (2018-2019) are not used.
    """
    from worlds import baac_located

    crashes = baac_located(real_data).select(
        "unit_id",
        district="district",
        has_time=pl.col("occurred_at").str.len_chars() > 10,
        occurred_at=pl.col("occurred_at").str.to_datetime(strict=False),
    )
    year = pl.col("occurred_at").dt.year()
    train = crashes.filter(year.is_between(2012, 2014))
    busy = (
        train.group_by("unit_id")
        .len()
        .sort("len", "unit_id", descending=True)
        .head(300)
        .select("unit_id")
    )
    held = crashes.filter(year.is_between(2015, 2016), pl.col("has_time")).join(busy, on="unit_id")
    held = held.select(
        "unit_id",
        dow=pl.col("occurred_at").dt.weekday().cast(pl.Int32) - 1,
        hour=pl.col("occurred_at").dt.hour().cast(pl.Int32),
    )
    prof = hour_profiles(train, units=busy)
    scored = held.join(prof, on=["unit_id", "dow", "hour"])
    assert scored.height == held.height > 1000
    assert float(np.mean(np.log(scored["share"].to_numpy() * BINS))) > 0.1
    windows = peak_windows(prof.join(busy, on="unit_id"))
    covered = {w: parse_peak_window(w) for w in windows["peak_window"].unique()}
    joined = held.join(windows, on="unit_id")
    inside = np.mean(
        [
            (d, h) in covered[w]
            for d, h, w in joined.select("dow", "hour", "peak_window").iter_rows()
        ]
    )
    week_share = np.mean([len(covered[w]) / BINS for w in joined["peak_window"]])
    assert inside / week_share > 1.5


def test_events_without_district_column_and_categorical_ids() -> None:
    ev = events().drop("district").with_columns(pl.col("unit_id").cast(pl.Categorical))
    prof = hour_profiles(ev)
    assert prof.group_by("unit_id").len()["len"].to_list() == [BINS] * 5
    assert (
        peak_windows(prof)
        .filter(pl.col("unit_id") == "hot")["peak_window"]
        .item()
        .startswith("Fri-Sun")
    )
