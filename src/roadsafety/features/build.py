"""One entry point that turns samples into the full feature frame (pure Polars, no I/O).

:func:`prepare_context` indexes the inputs once (crashes, rings, groups, challans, calendar);
:func:`build_features` then adds every feature to any set of samples (training panel, backtest fold,
forecast). Missing inputs drop their features, never the run: no challans → no enforcement
columns; no H3 cells → ring features are null; no country → calendar shares are zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from roadsafety.config import CalendarConfig
from roadsafety.features import enforcement as enf
from roadsafety.features import panel, spatial
from roadsafety.features.calendar import SHARE_COLUMNS, calendar_days
from roadsafety.features.events import EventIndex, build_index, window_sum

_SHARE_FLAGS = {
    "fog_share": "is_fog_season",
    "monsoon_share": "is_monsoon",
    "holiday_share": "is_holiday",
    "holiday_window_share": "is_holiday_window",
    "festival_share": "is_festival",
    "weekend_share": "is_weekend",
}


@dataclass(frozen=True)
class FeatureInputs:
    """What features are computed from.

    Attributes:
        units: the universe (:func:`roadsafety.features.units.build_units`).
        events: crash events with ``unit_idx`` (:func:`panel.prepare_events` + :func:`panel.with_unit_idx`).
        challan_days: unit-day challan counts, or None.
        calendar: calendar settings.
        data_start: first day number of the crash data.
    """

    units: pl.DataFrame
    events: pl.DataFrame
    challan_days: pl.DataFrame | None
    calendar: CalendarConfig
    data_start: int


@dataclass(frozen=True)
class FeatureContext:
    """Indexes built once from :class:`FeatureInputs`."""

    inputs: FeatureInputs
    own: EventIndex
    fg: EventIndex
    rings: dict[int, EventIndex]
    groups: pl.DataFrame
    group_idx: dict[str, EventIndex]
    challans: EventIndex | None


def prepare_context(inputs: FeatureInputs) -> FeatureContext:
    """Build every index the features need."""
    ev = inputs.events
    groups = spatial.group_table(inputs.units)
    return FeatureContext(
        inputs=inputs,
        own=panel.crash_index(ev),
        fg=build_index(ev.filter(pl.col("fg") > 0), "unit_idx", "day"),
        rings=spatial.ring_indexes(ev, inputs.units),
        groups=groups,
        group_idx=spatial.group_indexes(ev, groups),
        challans=enf.challan_index(inputs.challan_days, inputs.units),
    )


def calendar_names() -> list[str]:
    """Names of the window calendar features."""
    return [f"window_{s}" for s in SHARE_COLUMNS]


def feature_names(ctx: FeatureContext, cfg: panel.PanelConfig) -> list[str]:
    """Every model feature, in a fixed order (enforcement only when challans exist)."""
    names = panel.history_feature_names(cfg) + spatial.ring_feature_names()
    names += spatial.group_feature_names() + spatial.attribute_names() + calendar_names()
    names += ["log_horizon", "window_doy_sin", "window_doy_cos"]
    return names + (enf.enforcement_feature_names() if ctx.challans is not None else [])


def calendar_features(samples: pl.DataFrame, cal: CalendarConfig) -> pl.DataFrame:
    """Add the calendar composition (shares of fog, monsoon, holiday... days) of each window."""
    windows = samples.select("wstart", "horizon").unique()
    if windows.is_empty():
        return samples.with_columns([pl.lit(None, pl.Float64).alias(n) for n in calendar_names()])
    epoch = date(1970, 1, 1)
    first = epoch + timedelta(days=int(windows["wstart"].min()))
    last = epoch + timedelta(days=int((windows["wstart"] + windows["horizon"]).max()))
    days = calendar_days(first, last, cal).select(
        day=pl.col("date").cast(pl.Int32).cast(pl.Int64),
        g=pl.lit(0, pl.Int64),
        **{s: pl.col(f).cast(pl.Float64) for s, f in _SHARE_FLAGS.items()},
    )
    index = build_index(days, "g", "day", tuple(SHARE_COLUMNS))
    g = pl.Series([0] * windows.height, dtype=pl.Int64)
    s, e = windows["wstart"], windows["wstart"] + windows["horizon"]
    shares = windows.with_columns(
        **{
            f"window_{c}": (window_sum(index, g, s, e, c) / windows["horizon"]).rename(c)
            for c in SHARE_COLUMNS
        }
    )
    return samples.join(shares, on=["wstart", "horizon"], how="left", maintain_order="left")


def build_features(
    samples: pl.DataFrame, ctx: FeatureContext, cfg: panel.PanelConfig
) -> pl.DataFrame:
    """All features for ``samples`` (columns of :data:`panel.SAMPLE_SCHEMA`).

    Args:
        samples: ``unit_idx, origin, horizon, wstart``.
        ctx: from :func:`prepare_context`.
        cfg: panel layout (feature windows).

    Returns:
        ``samples`` with :func:`feature_names` columns (Float64), row order kept.
    """
    inp = ctx.inputs
    out = panel.history_features(samples, ctx.own, cfg, ctx.fg, inp.data_start)
    out = spatial.ring_features(out, inp.units, ctx.rings)
    out = spatial.group_features(out, ctx.groups, ctx.group_idx, ctx.own)
    out = spatial.attribute_features(out, inp.units)
    out = calendar_features(out, inp.calendar)
    out = panel.seasonal_terms(out)
    out = enf.enforcement_features(out, ctx.challans)
    names = feature_names(ctx, cfg)
    return out.with_columns([pl.col(n).cast(pl.Float64) for n in names])
