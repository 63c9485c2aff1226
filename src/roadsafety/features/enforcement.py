"""Enforcement features from e-challans, aggregated per unit and day (pure Polars, no I/O).

Input is ``unit_id, day, n, camera`` plus one count column per offence in
:data:`ENFORCEMENT_OFFENCES` (``off_<offence>``) — the store aggregates millions of challans to
this in SQL. Features: volume over 13 and 52 weeks, the 13-week trend, the offence mix and camera
share over 52 weeks. No challans at all → no enforcement features (the columns are not added).
"""

from __future__ import annotations

import polars as pl

from roadsafety.features.events import EventIndex, build_index, window_sum
from roadsafety.features.panel import roll_name

ENFORCEMENT_OFFENCES = (
    "overspeeding",
    "drunk_driving",
    "overloading",
    "wrong_side",
    "red_light",
    "no_helmet",
)
OFFENCE_COLUMNS = tuple(f"off_{o}" for o in ENFORCEMENT_OFFENCES)


def enforcement_feature_names() -> list[str]:
    """Names of the enforcement features."""
    names = [roll_name("challans", 13), roll_name("challans", 52), "challans_trend_w13"]
    names += [f"challans_{o}_share_w52" for o in ENFORCEMENT_OFFENCES]
    return names + ["challans_camera_share_w52", "challans_overspeeding_trend_w13"]


def challan_index(challan_days: pl.DataFrame, units: pl.DataFrame) -> EventIndex | None:
    """Index the unit-day challan counts; None when there are none in the universe."""
    if challan_days is None or challan_days.is_empty():
        return None
    rows = challan_days.join(units.select("unit_id", "unit_idx"), on="unit_id", how="inner")
    if rows.is_empty():
        return None
    return build_index(rows, "unit_idx", "day", ("n", "camera", *OFFENCE_COLUMNS))


def _ratio(num: pl.Series, den: pl.Series) -> pl.Series:
    return pl.select(pl.when(den > 0).then(num / den)).to_series()


def enforcement_features(samples: pl.DataFrame, index: EventIndex | None) -> pl.DataFrame:
    """Add the enforcement features (unchanged frame when ``index`` is None)."""
    if index is None:
        return samples
    u, t = samples["unit_idx"], samples["origin"]
    w13 = window_sum(index, u, t - 91, t, "n")
    prev13 = window_sum(index, u, t - 182, t - 91, "n")
    w52 = window_sum(index, u, t - 364, t, "n")
    cols = {
        roll_name("challans", 13): w13,
        roll_name("challans", 52): w52,
        "challans_trend_w13": (w13 - prev13) / (prev13 + 1.0),
        "challans_camera_share_w52": _ratio(window_sum(index, u, t - 364, t, "camera"), w52),
    }
    for off, col in zip(ENFORCEMENT_OFFENCES, OFFENCE_COLUMNS):
        cols[f"challans_{off}_share_w52"] = _ratio(window_sum(index, u, t - 364, t, col), w52)
    sp13 = window_sum(index, u, t - 91, t, "off_overspeeding")
    sp_prev = window_sum(index, u, t - 182, t - 91, "off_overspeeding")
    cols["challans_overspeeding_trend_w13"] = (sp13 - sp_prev) / (sp_prev + 1.0)
    return samples.with_columns(**{k: v.rename(k) for k, v in cols.items()})
