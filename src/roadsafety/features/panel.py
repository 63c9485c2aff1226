"""The unit × origin panel: samples, own-history features and targets (pure Polars, no I/O).

A *sample* is ``(unit_idx, origin, horizon)``: features use only events strictly before ``origin``;
the target counts events in ``[origin, origin + horizon)``. Training uses rolling origins with a mix
of horizons (a week to a year) so one model serves any window from one day to one year: the window
length enters the model as an offset (log days) and through the calendar composition of the window.

Feature names are derived here from :class:`PanelConfig` (``crashes_roll_sum_w52_lag0``) and never
typed elsewhere: :func:`history_feature_names` lists them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import polars as pl

from roadsafety.features.events import (
    EventIndex,
    build_index,
    day_number,
    days_since_last,
    window_sum,
)
from roadsafety.schemas import FATAL_GRIEVOUS

NIGHT_HOURS = (22, 23, 0, 1, 2, 3, 4, 5)
SAMPLE_SCHEMA = {"unit_idx": pl.Int64, "origin": pl.Int64, "horizon": pl.Int64, "wstart": pl.Int64}


@dataclass(frozen=True)
class PanelConfig:
    """How the training panel is laid out.

    Attributes:
        windows_weeks: rolling-sum windows (weeks) for own-history features.
        killed_weeks: windows for the killed-count features.
        year_lags: earlier yearly counts (``crashes_roll_sum_w52_lag1`` … ``_lag<n>``: the 52 weeks
            ending ``lag`` years before the origin) and ``years_with_crash`` over 1 + n years.
        rate_weeks: windows of yearly-rate features (count over the history actually available,
            so early origins with truncated windows are comparable).
        origin_step_days: spacing of rolling origins.
        horizon_mix: horizon in days → share of the training rows.
        max_rows: cap on training rows (older origins are dropped first).
        min_history_days: least history before an origin (shrunk automatically for short data).
        recency_cap_days: value of ``days_since_*`` features when there was no event.
        empty_keep_every: rows of units without own history yet (only a neighbour's) are thinned
            to one in this many, deterministically, and weighted by it (unbiased, cheaper).
    """

    windows_weeks: tuple[int, ...] = (4, 13, 26, 52, 104, 156)
    killed_weeks: tuple[int, ...] = (52, 156)
    rate_weeks: tuple[int, ...] = (156, 260)
    year_lags: int = 4
    origin_step_days: int = 28
    horizon_mix: tuple[tuple[int, float], ...] = ((364, 0.55), (91, 0.2), (28, 0.15), (7, 0.1))
    max_rows: int = 600_000
    empty_keep_every: int = 3
    min_history_days: int = 364
    recency_cap_days: int = 3 * 365


def roll_name(what: str, weeks: int, lag: int = 0) -> str:
    """Name of a rolling-sum feature, e.g. ``crashes_roll_sum_w52_lag0`` (lag in windows)."""
    return f"{what}_roll_sum_w{weeks}_lag{lag}"


def rate_name(what: str, weeks: int) -> str:
    """Name of a yearly-rate feature, e.g. ``crashes_rate_w260``."""
    return f"{what}_rate_w{weeks}"


def history_feature_names(cfg: PanelConfig) -> list[str]:
    """Own-history feature names produced by :func:`history_features`."""
    names = [roll_name(w, k) for k in cfg.windows_weeks for w in ("crashes", "fatal_grievous")]
    names += [roll_name("killed", k) for k in cfg.killed_weeks]
    names += [rate_name(w, k) for k in cfg.rate_weeks for w in ("crashes", "fatal_grievous")]
    names += [roll_name("crashes", 52, lag) for lag in range(1, cfg.year_lags + 1)]
    names += ["years_with_crash"] if cfg.year_lags else []
    return names + [
        "days_since_crash",
        "days_since_fatal_grievous",
        "history_days",
        "night_share_w156",
        "crashes_same_window_last_year",
    ]


def prepare_events(accidents: pl.DataFrame) -> pl.DataFrame:
    """Crash rows → event rows ``unit_id, day, fg, killed, hour, timed, night``.

    Args:
        accidents: rows with ``unit_id, occurred_at, severity, killed`` and optionally ``has_time``.

    Returns:
        One row per crash with a unit; ``hour`` is null when the time was unknown.
    """
    has_time = pl.col("has_time") if "has_time" in accidents.columns else pl.lit(True)
    hour = pl.when(has_time.fill_null(False)).then(pl.col("occurred_at").dt.hour().cast(pl.Int64))
    return (
        accidents.filter(pl.col("unit_id").is_not_null())
        .select(
            "unit_id",
            day=day_number(pl.col("occurred_at")),
            fg=pl.col("severity").is_in(list(FATAL_GRIEVOUS)).cast(pl.Int64),
            killed=pl.col("killed").cast(pl.Int64).fill_null(0),
            hour=hour,
        )
        .with_columns(
            timed=pl.col("hour").is_not_null().cast(pl.Int64),
            night=pl.col("hour").is_in(list(NIGHT_HOURS)).fill_null(False).cast(pl.Int64),
        )
    )


def with_unit_idx(events: pl.DataFrame, units: pl.DataFrame) -> pl.DataFrame:
    """Attach ``unit_idx`` from the universe (events of units outside it are dropped)."""
    return events.join(units.select("unit_id", "unit_idx"), on="unit_id", how="inner")


def crash_index(events: pl.DataFrame, group: str = "unit_idx") -> EventIndex:
    """Index crash events by ``group`` with the weights used by the features."""
    return build_index(events, group, "day", ("fg", "killed", "timed", "night"))


def history_features(
    samples: pl.DataFrame,
    index: EventIndex,
    cfg: PanelConfig,
    fg_index: EventIndex,
    data_start: int,
) -> pl.DataFrame:
    """Own-history features for each sample (events strictly before ``origin``).

    Args:
        samples: frame with :data:`SAMPLE_SCHEMA` columns.
        index: crash index by ``unit_idx`` (:func:`crash_index`).
        cfg: panel layout.
        fg_index: index of fatal-or-grievous events only (for recency).
        data_start: first day of the data (bounds ``history_days``).

    Returns:
        ``samples`` with :func:`history_feature_names` columns added.
    """
    u, t, h = samples["unit_idx"], samples["origin"], samples["horizon"]
    cols: dict[str, pl.Series] = {}
    for k in cfg.windows_weeks:
        cols[roll_name("crashes", k)] = window_sum(index, u, t - 7 * k, t)
        cols[roll_name("fatal_grievous", k)] = window_sum(index, u, t - 7 * k, t, "fg")
    for k in cfg.killed_weeks:
        cols[roll_name("killed", k)] = window_sum(index, u, t - 7 * k, t, "killed")
    for k in cfg.rate_weeks:
        span = (t - data_start).clip(28, 7 * k).cast(pl.Float64)
        cols[rate_name("crashes", k)] = window_sum(index, u, t - 7 * k, t) / span * 364.0
        cols[rate_name("fatal_grievous", k)] = (
            window_sum(index, u, t - 7 * k, t, "fg") / span * 364.0
        )
    cols.update(_year_lags(index, u, t, cfg.year_lags))
    cap = float(cfg.recency_cap_days)
    cols["days_since_crash"] = days_since_last(index, u, t).fill_null(cap).clip(0, cap)
    cols["days_since_fatal_grievous"] = days_since_last(fg_index, u, t).fill_null(cap).clip(0, cap)
    cols["history_days"] = (t - data_start).clip(0, 156 * 7).cast(pl.Float64)
    timed = window_sum(index, u, t - 156 * 7, t, "timed")
    night = window_sum(index, u, t - 156 * 7, t, "night")
    cols["night_share_w156"] = pl.select(pl.when(timed > 0).then(night / timed)).to_series()
    cols["crashes_same_window_last_year"] = window_sum(index, u, t - 364, t - 364 + h.clip(1, 364))
    return samples.with_columns(**{k: v.rename(k) for k, v in cols.items()})


def _year_lags(index: EventIndex, u: pl.Series, t: pl.Series, lags: int) -> dict[str, pl.Series]:
    """Counts of each earlier 52-week year and the number of years (of 1 + lags) with a crash."""
    if not lags:
        return {}
    years = [window_sum(index, u, t - 364 * (i + 1), t - 364 * i) for i in range(lags + 1)]
    cols = {roll_name("crashes", 52, i): years[i] for i in range(1, lags + 1)}
    cols["years_with_crash"] = pl.select(
        pl.sum_horizontal([(y > 0).cast(pl.Float64) for y in years])
    ).to_series()
    return cols


def add_targets(samples: pl.DataFrame, index: EventIndex) -> pl.DataFrame:
    """Add ``y_crashes`` and ``y_fatal_grievous``: events in ``[wstart, wstart + horizon)``."""
    u, s, h = samples["unit_idx"], samples["wstart"], samples["horizon"]
    return samples.with_columns(
        y_crashes=window_sum(index, u, s, s + h),
        y_fatal_grievous=window_sum(index, u, s, s + h, "fg"),
    )


def eligible_from(
    units: pl.DataFrame, events: pl.DataFrame, pairs_k1: pl.DataFrame
) -> pl.DataFrame:
    """First day each unit (or any of its k=1 neighbours) had a crash: when it enters the panel.

    Returns:
        Frame ``unit_idx, eligible_day, own_day`` (own first crash day, null if none).
    """
    first = events.group_by("unit_idx").agg(first_day=pl.col("day").min())
    via_nbr = (
        pairs_k1.join(
            units.select("unit_id", nbr_idx="unit_idx"),
            left_on="nbr_unit_id",
            right_on="unit_id",
            how="inner",
        )
        .join(first, left_on="nbr_idx", right_on="unit_idx", how="inner")
        .select("unit_idx", "first_day")
    )
    elig = (
        pl.concat([first, via_nbr]).group_by("unit_idx").agg(eligible_day=pl.col("first_day").min())
    )
    return elig.join(first.rename({"first_day": "own_day"}), on="unit_idx", how="left").sort(
        "unit_idx"
    )


def _thin(rows: pl.DataFrame, every: int) -> pl.DataFrame:
    """Keep 1 in ``every`` rows of units without own history at the origin, weighted ``every``."""
    empty = pl.col("own_day").is_null() | (pl.col("own_day") >= pl.col("origin"))
    if every <= 1:
        return rows.with_columns(weight=pl.lit(1.0))
    keep = ~empty | ((pl.col("unit_idx") * 7919 + pl.col("origin")) % every == 0)
    return rows.filter(keep).with_columns(
        weight=pl.when(empty).then(pl.lit(float(every))).otherwise(pl.lit(1.0))
    )


def _origins(cutoff: int, start: int, horizon: int, step: int, min_hist: int) -> list[int]:
    last = cutoff - horizon
    return list(range(last, start + min_hist - 1, -step)) if last >= start + min_hist else []


def training_samples(
    eligible: pl.DataFrame, cutoff: int, data_start: int, cfg: PanelConfig
) -> pl.DataFrame:
    """Rolling-origin samples whose target windows end on or before ``cutoff``.

    Args:
        eligible: from :func:`eligible_from`.
        cutoff: first day NOT usable (the model's as-of day number).
        data_start: first day of the data.
        cfg: panel layout.

    Returns:
        Frame with :data:`SAMPLE_SCHEMA` columns (``wstart == origin``) and ``weight``.
    """
    span = cutoff - data_start
    parts = []
    for horizon, share in cfg.horizon_mix:
        min_hist = min(cfg.min_history_days, max(28, (span - horizon) // 2))
        origins = _origins(cutoff, data_start, horizon, cfg.origin_step_days, min_hist)
        if not origins:
            continue
        frame = pl.DataFrame({"origin": origins}, schema={"origin": pl.Int64}).with_row_index(
            "rank"
        )
        rows = _thin(
            eligible.join(frame, how="cross").filter(pl.col("eligible_day") < pl.col("origin")),
            cfg.empty_keep_every,
        )
        budget = int(cfg.max_rows * share)
        per_origin = (
            rows.group_by("rank").len().sort("rank").with_columns(cum=pl.col("len").cum_sum())
        )
        keep = per_origin.filter(pl.col("cum") <= max(budget, int(per_origin["len"][0])))["rank"]
        parts.append(
            rows.filter(pl.col("rank").is_in(keep.implode())).select(
                "unit_idx", "origin", "weight", horizon=pl.lit(horizon, pl.Int64)
            )
        )
    if not parts:
        return pl.DataFrame(schema={**SAMPLE_SCHEMA, "weight": pl.Float64})
    out = pl.concat(parts).with_columns(wstart=pl.col("origin")).select(*SAMPLE_SCHEMA, "weight")
    return out.sort(["horizon", "origin", "unit_idx"], descending=[True, True, False])


def forecast_samples(units: pl.DataFrame, cutoff: int, wstart: int, horizon: int) -> pl.DataFrame:
    """One sample per unit: features at ``cutoff``, window ``[wstart, wstart + horizon)``."""
    return units.select(
        "unit_idx",
        origin=pl.lit(cutoff, pl.Int64),
        horizon=pl.lit(horizon, pl.Int64),
        wstart=pl.lit(wstart, pl.Int64),
    )


def to_day(d: date) -> int:
    """A date as a day number (days since 1970-01-01)."""
    return (d - date(1970, 1, 1)).days


def log_days(horizon: pl.Expr) -> pl.Expr:
    """The exposure offset of a window: log of its length in days."""
    return horizon.cast(pl.Float64).log()


def seasonal_terms(frame: pl.DataFrame) -> pl.DataFrame:
    """Add ``log_horizon`` and the window mid-point's day-of-year on the unit circle."""
    mid = (pl.col("wstart") + pl.col("horizon") / 2.0) % 365.25 / 365.25 * 2 * math.pi
    return frame.with_columns(
        log_horizon=log_days(pl.col("horizon")),
        window_doy_sin=mid.sin(),
        window_doy_cos=mid.cos(),
    )
