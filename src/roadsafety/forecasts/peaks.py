"""Hour-of-week profiles and peak windows for a forecast run.

:mod:`roadsafety.models.profile` shrinks each unit's timed crashes toward its district's profile and
the district's toward the region's (``hour_profiles``), and writes each unit's 3-hour peak window
in DESIGN.md's format (``peak_windows``). Here those are fitted on the crashes before the cut-off
and attached to the run: a unit without timed history takes its district's window (and, among the
stored profiles, its district's profile), a unit of no district the region's.
"""

from __future__ import annotations

import polars as pl

from roadsafety.models import profile as sp


def profiles(
    accidents: pl.DataFrame, units: pl.DataFrame, ranked: pl.DataFrame, top: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Profile rows for the ``top`` ranked units and a peak window for every ranked unit.

    Args:
        accidents: crashes before the cut-off (``unit_id, occurred_at, has_time, district``).
        units: the universe (``unit_idx, district``).
        ranked: forecast frame with ``unit_idx, unit_id, rank``.
        top: number of best-ranked units whose 168 shares are returned.

    Returns:
        ``(unit_id, dow, hour, share)`` rows and ``(unit_idx, peak_window)`` for every ranked unit.
    """
    ev = accidents.filter(pl.col("unit_id").is_not_null()).select(
        "unit_id", "occurred_at", "has_time", district=pl.col("district").fill_null(sp.REGION)
    )
    dist_names = units["district"].fill_null(sp.REGION).unique().sort().to_list()
    dist = sp.district_profiles(ev, districts=dist_names)
    d_peak = sp.peak_windows(dist.rename({"district": "unit_id"})).rename(
        {"unit_id": "district", "peak_window": "d"}
    )
    prof = sp.hour_profiles(ev)
    u_peak = sp.peak_windows(prof)
    region = d_peak.filter(pl.col("district") == sp.REGION)["d"].item()  # always profiled
    keyed = ranked.select("unit_idx", "unit_id", "rank").join(
        units.select("unit_idx", district=pl.col("district").fill_null(sp.REGION)),
        on="unit_idx",
        how="left",
    )
    out = (
        keyed.join(u_peak, on="unit_id", how="left")
        .join(d_peak, on="district", how="left")
        .select("unit_idx", peak_window=pl.coalesce("peak_window", "d", pl.lit(region)))
    )
    best = keyed.filter(pl.col("rank") <= top)
    own = best.join(prof, on="unit_id", how="inner").select("unit_id", "dow", "hour", "share")
    rest = (
        best.join(own.select("unit_id").unique(), on="unit_id", how="anti")
        .join(dist, on="district", how="inner")
        .select("unit_id", "dow", "hour", "share")
    )
    return _cast_profile(pl.concat([own, rest])), out


def _cast_profile(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(
        "unit_id",
        pl.col("dow").cast(pl.Int32),
        pl.col("hour").cast(pl.Int32),
        pl.col("share").cast(pl.Float64),
    )
