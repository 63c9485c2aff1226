"""Hour-of-week profiles and peak windows for a forecast run.

Uses the stats helper's :mod:`roadsafety.models.profile` (``hour_profiles`` shrunk region →
district → unit, ``peak_windows`` with 3-hour windows) when it is importable: units without timed
history take their district's window, and stored profile rows of such units are their district's.
Otherwise this module's own small method (:func:`own_profiles`): each unit's timed crashes
per hour of week (168 bins), shrunk toward its district's profile (prior :data:`UNIT_PRIOR` crashes),
the district's toward the region's (prior :data:`DISTRICT_PRIOR`). The peak window is the
:data:`WINDOW_HOURS`-hour block of the day (may pass midnight) carrying most of the unit's risk, on the
days where that block's share is at least the average day's; days compress to ``daily``, a range
(``Fri-Sun``) or a list (``Mon,Wed``) — DESIGN.md's format, e.g. ``Fri-Sun 22:00-02:00``.
"""

from __future__ import annotations

import logging

import polars as pl

log = logging.getLogger(__name__)

UNIT_PRIOR = 20.0
DISTRICT_PRIOR = 50.0
WINDOW_HOURS = 4
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_GRID = pl.DataFrame(
    {
        "dow": [d for d in range(7) for _ in range(24)],
        "hour": [h for _ in range(7) for h in range(24)],
    },
    schema={"dow": pl.Int64, "hour": pl.Int64},
)


def _counts(events: pl.DataFrame, key: str) -> pl.DataFrame:
    return (
        events.filter(pl.col("hour").is_not_null())
        .with_columns(dow=(pl.col("day") + 3) % 7)
        .group_by(key, "dow", "hour")
        .agg(c=pl.len().cast(pl.Float64))
    )


def _shrunk(
    counts: pl.DataFrame, key: str, prior: pl.DataFrame, prior_key: str | None, strength: float
) -> pl.DataFrame:
    """Shares per (key, dow, hour) = (count + strength·prior share) / (n + strength)."""
    keys = counts.select(key, *([prior_key] if prior_key else [])).unique()
    grid = keys.join(_GRID, how="cross").join(counts, on=[key, "dow", "hour"], how="left")
    on = ([prior_key] if prior_key else []) + ["dow", "hour"]
    grid = grid.join(prior.rename({"share": "p"}), on=on, how="left").with_columns(
        pl.col("c").fill_null(0.0), pl.col("p").fill_null(1.0 / 168)
    )
    return grid.with_columns(
        share=(pl.col("c") + strength * pl.col("p")) / (pl.col("c").sum().over(key) + strength)
    ).select(key, "dow", "hour", "share")


def format_days(days: list[int]) -> str:
    """Day numbers (0 = Mon) → ``daily``, ``Fri-Sun`` (a run, may wrap past Sunday) or ``Mon,Wed``."""
    days = sorted(set(days))
    if len(days) == 7:
        return "daily"
    for start in days:  # a contiguous run, possibly wrapping
        run = [(start + i) % 7 for i in range(len(days))]
        if sorted(run) == days and len(days) > 1:
            return f"{DAYS[run[0]]}-{DAYS[run[-1]]}"
    return ",".join(DAYS[d] for d in days)


def peak_text(shares: list[float]) -> str:
    """Peak window text from 168 hour-of-week shares (index ``dow * 24 + hour``)."""
    by_hour = [sum(shares[d * 24 + h] for d in range(7)) for h in range(24)]
    sums = [sum(by_hour[(s + i) % 24] for i in range(WINDOW_HOURS)) for s in range(24)]
    best = max(range(24), key=lambda s: (sums[s], -s))
    per_day = [sum(shares[d * 24 + (best + i) % 24] for i in range(WINDOW_HOURS)) for d in range(7)]
    mean = sum(per_day) / 7
    days = [d for d in range(7) if per_day[d] >= mean - 1e-12]
    end = (best + WINDOW_HOURS) % 24
    return f"{format_days(days)} {best:02d}:00-{end:02d}:00"


def _peaks(shares: pl.DataFrame, key: str) -> pl.DataFrame:
    per = shares.sort(key, "dow", "hour").group_by(key, maintain_order=True).agg(pl.col("share"))
    return per.select(
        key,
        peak_window=pl.col("share").map_elements(
            lambda s: peak_text(list(s)), return_dtype=pl.Utf8
        ),
    )


def profiles(
    accidents: pl.DataFrame,
    events: pl.DataFrame,
    units: pl.DataFrame,
    ranked: pl.DataFrame,
    top: int,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Profile rows for the ``top`` ranked units and a peak window for every ranked unit.

    Uses the stats helper's :mod:`roadsafety.models.profile` when available (see the module
    docstring), else :func:`own_profiles`.
    """
    try:
        from roadsafety.models import profile as sp
    except ImportError:
        log.warning("models.profile not available: using the simple hour-of-week profile")
        return own_profiles(events, units, ranked, top)
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
    region = d_peak.filter(pl.col("district") == sp.REGION)["d"]
    fallback = region[0] if region.len() else "daily 00:00-03:00"
    keyed = ranked.select("unit_idx", "unit_id", "rank").join(
        units.select("unit_idx", district=pl.col("district").fill_null(sp.REGION)),
        on="unit_idx",
        how="left",
    )
    out = (
        keyed.join(u_peak, on="unit_id", how="left")
        .join(d_peak, on="district", how="left")
        .select("unit_idx", peak_window=pl.coalesce("peak_window", "d", pl.lit(fallback)))
    )
    best = keyed.filter(pl.col("rank") <= top)
    own = best.join(prof, on="unit_id", how="inner").select("unit_id", "dow", "hour", "share")
    rest = (
        best.join(own.select("unit_id").unique(), on="unit_id", how="anti")
        .join(dist, on="district", how="inner")
        .select("unit_id", "dow", "hour", "share")
    )
    return _cast_profile(pl.concat([own, rest])), out


def own_profiles(
    events: pl.DataFrame, units: pl.DataFrame, ranked: pl.DataFrame, top: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Profile rows for the ``top`` ranked units and a peak window for every unit.

    Args:
        events: crash events (``unit_idx, day, hour``) before the cut-off.
        units: the universe (``unit_idx, unit_id, district``).
        ranked: forecast frame with ``unit_idx, unit_id, rank``.
        top: number of best-ranked units whose 168 shares are returned.

    Returns:
        ``(unit_id, dow, hour, share)`` rows and ``(unit_idx, peak_window)`` for every ranked unit.
    """
    ev = events.join(
        units.select("unit_idx", district=pl.col("district").fill_null("?")), on="unit_idx"
    )
    glob = _counts(ev.with_columns(g=pl.lit(0)), "g")
    glob = _shrunk(
        glob,
        "g",
        pl.DataFrame(schema={"dow": pl.Int64, "hour": pl.Int64, "share": pl.Float64}),
        None,
        168.0,
    ).drop("g")
    dist = _shrunk(_counts(ev, "district"), "district", glob, None, DISTRICT_PRIOR)
    unit_counts = _counts(ev, "unit_idx").join(
        ev.select("unit_idx", "district").unique(), on="unit_idx"
    )
    unit = _shrunk(unit_counts, "unit_idx", dist, "district", UNIT_PRIOR)
    u_peak = _peaks(unit, "unit_idx")
    d_peak = _peaks(dist, "district")
    g_text = (
        peak_text(glob.sort("dow", "hour")["share"].to_list())
        if glob.height == 168
        else "daily 00:00-24:00"
    )
    out = (
        ranked.select("unit_idx")
        .join(u_peak, on="unit_idx", how="left")
        .join(
            units.select("unit_idx", district=pl.col("district").fill_null("?")),
            on="unit_idx",
            how="left",
        )
        .join(d_peak.rename({"peak_window": "d"}), on="district", how="left")
        .select("unit_idx", peak_window=pl.coalesce("peak_window", "d", pl.lit(g_text)))
    )
    best = ranked.filter(pl.col("rank") <= top).select("unit_idx", "unit_id")
    prof = best.join(unit, on="unit_idx", how="inner").select("unit_id", "dow", "hour", "share")
    return _cast_profile(prof), out


def _cast_profile(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(
        "unit_id",
        pl.col("dow").cast(pl.Int32),
        pl.col("hour").cast(pl.Int32),
        pl.col("share").cast(pl.Float64),
    )
