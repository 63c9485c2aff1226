"""The MoRTH blackspot rule on ~500 m road stretches (pure Polars + numpy, no I/O).

MoRTH calls a stretch of about 500 m a blackspot when, over the last three calendar years together,
at least 5 crashes with deaths or grievous injuries happened on it, or at least 10 people died.

:func:`find_road_spots` places the stretches along each road from the crashes' km (a km marker, or
a located crash's km on its road's fit): every window ``[x, x + length]`` starting at a crash is a
candidate; the one with the most fatal/grievous crashes that meets the rule (ties: more deaths,
then the smaller km, then the road name) becomes a spot, its crashes are taken out, and the search
repeats on the rest of the road without overlapping a chosen spot. A cluster is never split by a
fixed grid, and each crash counts in one spot at most. Crashes with no km but a location are
judged per H3 cell by :func:`find_cell_spots` (a resolution-8 cell is about the 500 m stretch).
"""

from __future__ import annotations

import numpy as np
import polars as pl

MORTH_FG, MORTH_KILLED = 5, 10  # the rule: fatal/grievous crashes, deaths in 3 years
SPOT_COLUMNS = {"spot_road": pl.Utf8, "spot_from": pl.Float64, "spot_to": pl.Float64}


def meets_rule(fatal_grievous: pl.Expr, deaths: pl.Expr) -> pl.Expr:
    """True where the counts meet the rule (>= 5 fatal/grievous crashes or >= 10 deaths)."""
    return (fatal_grievous >= MORTH_FG) | (deaths >= MORTH_KILLED)


def rule_text(fatal_grievous: pl.Expr, deaths: pl.Expr) -> pl.Expr:
    """Which part of the rule the counts meet, in words (null when neither)."""
    fg, dead = fatal_grievous >= MORTH_FG, deaths >= MORTH_KILLED
    return (
        pl.when(fg & dead)
        .then(pl.lit(f">= {MORTH_FG} fatal/grievous crashes and >= {MORTH_KILLED} deaths"))
        .when(fg)
        .then(pl.lit(f">= {MORTH_FG} fatal/grievous crashes"))
        .when(dead)
        .then(pl.lit(f">= {MORTH_KILLED} deaths"))
    )


def _window_sums(km: np.ndarray, values: np.ndarray, length: float) -> np.ndarray:
    """Sum of ``values`` over ``[km[i], km[i] + length]`` for each i (``km`` sorted)."""
    end = np.searchsorted(km, km + length + 1e-9, side="right")
    cum = np.concatenate([[0.0], np.cumsum(values)])
    return cum[end] - cum[np.arange(len(km))]


def _spots_on_road(km: np.ndarray, fg: np.ndarray, deaths: np.ndarray, length: float) -> np.ndarray:
    """Spot number of each crash (sorted by km) on one road, -1 outside every spot."""
    spot = np.full(len(km), -1)
    clear = np.ones(len(km), dtype=bool)  # a window starting here overlaps no chosen spot
    end = np.searchsorted(km, km + length + 1e-9, side="right")  # as _window_sums, found once
    first = np.arange(len(km))

    def window_sums(values: np.ndarray) -> np.ndarray:
        cum = np.concatenate([[0.0], np.cumsum(values)])
        return cum[end] - cum[first]

    chosen = 0
    while True:
        free = (spot < 0).astype(float)
        fg_w = window_sums(fg * free)
        dead_w = window_sums(deaths * free)
        ok = clear & (spot < 0) & ((fg_w >= MORTH_FG) | (dead_w >= MORTH_KILLED))
        if not ok.any():
            return spot
        cand = np.flatnonzero(ok)
        best = cand[np.lexsort((km[cand], -dead_w[cand], -fg_w[cand]))[0]]
        inside = (km >= km[best] - 1e-9) & (km <= km[best] + length + 1e-9) & (spot < 0)
        spot[inside] = chosen
        lo, hi = float(km[best]), float(km[best]) + length
        clear &= (km > hi + 1e-9) | (km + length < lo - 1e-9)
        chosen += 1


def _spot_frame(
    rows: pl.Series, road: str, km: np.ndarray, spot: np.ndarray, length_km: float
) -> pl.DataFrame:
    """``_row, spot_road, spot_from, spot_to`` of one road's crashes (``spot`` from
    :func:`_spots_on_road`; nulls outside every spot). A spot runs from its lowest km."""
    inside = spot >= 0
    start = np.full(int(spot.max()) + 1 if inside.any() else 0, np.inf)
    np.minimum.at(start, spot[inside], km[inside])
    end = np.array([round(v + length_km, 6) for v in start], dtype=float)  # numpy's rounding
    at = np.where(inside, spot, 0)
    frame = pl.DataFrame(
        {
            "_row": rows,
            "_in": inside,
            "spot_from": start[at] if len(start) else np.zeros(len(km)),
            "spot_to": end[at] if len(end) else np.zeros(len(km)),
        }
    )
    use = pl.col("_in")
    return frame.select(
        pl.col("_row").cast(pl.UInt32),
        spot_road=pl.when(use).then(pl.lit(road, dtype=pl.Utf8)),
        spot_from=pl.when(use).then(pl.col("spot_from")),
        spot_to=pl.when(use).then(pl.col("spot_to")),
    )


def find_road_spots(crashes: pl.DataFrame, length_km: float) -> pl.DataFrame:
    """Assign crashes to MoRTH blackspot stretches along their roads.

    Args:
        crashes: the rule's crashes with ``road_name, km`` (rows missing either are left out of any
            spot), ``fg`` (1 for fatal or grievous) and ``deaths``.
        length_km: the stretch length (0.5 by default in the region settings).

    Returns:
        ``crashes`` with ``spot_road, spot_from, spot_to`` (the spot's road and km range; null for
        crashes in no spot).
    """
    frame = crashes.with_row_index("_row")
    usable = frame.filter(pl.col("road_name").is_not_null() & pl.col("km").is_not_null())
    parts = []
    for (road,), part in usable.sort("road_name", "km", "_row").group_by(
        ["road_name"], maintain_order=True
    ):
        km = part["km"].to_numpy().astype(float)
        spot = _spots_on_road(
            km,
            part["fg"].to_numpy().astype(float),
            part["deaths"].fill_null(0).to_numpy().astype(float),
            length_km,
        )
        parts.append(_spot_frame(part["_row"], road, km, spot, length_km))
    spots = pl.concat(parts) if parts else pl.DataFrame(schema={"_row": pl.UInt32, **SPOT_COLUMNS})
    return frame.join(spots, on="_row", how="left").sort("_row").drop("_row")


def find_cell_spots(crashes: pl.DataFrame) -> pl.DataFrame:
    """H3 cells meeting the rule: ``h3_cell, crashes, fatal_grievous, deaths`` of the cells whose
    crashes (``h3_cell, fg, deaths``; rows without a cell ignored) meet it."""
    return (
        crashes.filter(pl.col("h3_cell").is_not_null())
        .group_by("h3_cell")
        .agg(
            pl.len().alias("crashes"),
            pl.col("fg").sum().alias("fatal_grievous"),
            pl.col("deaths").fill_null(0).sum().alias("deaths"),
        )
        .filter(meets_rule(pl.col("fatal_grievous"), pl.col("deaths")))
        .sort("h3_cell")
    )
