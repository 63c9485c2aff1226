"""Pooled features: H3 k-ring neighbours (a road stretch's ring: the stretches k bins along its road),
same road, same police station, same district; unit attributes.

Pure Polars, no I/O. Neighbour sums re-key each crash to every unit ``k`` rings away and reuse
:class:`~roadsafety.features.events.EventIndex`, so they cost the same as own-history counts and see
only events before the origin. Group features are the mean count of the *other* units of the group
(road within district, police station, district), so they carry the neighbourhood's level without
repeating the unit's own count.
"""

from __future__ import annotations

import polars as pl

from roadsafety.features.events import EventIndex, build_index, window_sum
from roadsafety.features.panel import roll_name
from roadsafety.features.units import group_keys, ring_pairs
from roadsafety.schemas import ROAD_CATEGORIES

RING_KS = (1, 2)
RING_WINDOWS = (52, 156)
GROUP_WINDOWS = {"road": (52, 156), "ps": (156,), "district": (52,)}


def ring_feature_names() -> list[str]:
    """Names of the k-ring features."""
    names = [f"nbr_k{k}_{roll_name('crashes', w)}" for k in RING_KS for w in RING_WINDOWS]
    return names + [f"nbr_k1_{roll_name('fatal_grievous', 156)}"]


def group_feature_names() -> list[str]:
    """Names of the road / police-station / district features."""
    return [f"{g}_mean_{roll_name('crashes', w)}" for g, ws in GROUP_WINDOWS.items() for w in ws]


def attribute_names() -> list[str]:
    """Names of the static unit attribute features."""
    cats = [f"road_cat_{c.lower()}" for c in ROAD_CATEGORIES]
    return ["kind_ps_road", "has_road_name", *cats]


def ring_indexes(events: pl.DataFrame, units: pl.DataFrame) -> dict[int, EventIndex]:
    """For each k in :data:`RING_KS`, crash events re-keyed to the units k rings away."""
    out = {}
    for k in RING_KS:
        pairs = ring_pairs(units, k)
        moved = pairs.join(
            events.select("unit_id", "day", "fg"),
            left_on="nbr_unit_id",
            right_on="unit_id",
            how="inner",
        )
        out[k] = build_index(moved, "unit_idx", "day", ("fg",))
    return out


def ring_features(
    samples: pl.DataFrame, units: pl.DataFrame, indexes: dict[int, EventIndex]
) -> pl.DataFrame:
    """Add k-ring crash sums (null for units that are neither H3 cells nor road stretches)."""
    attrs = samples.join(
        units.select("unit_idx", "h3_cell", "kind"),
        on="unit_idx",
        how="left",
        maintain_order="left",
    )
    is_cell = attrs["h3_cell"].is_not_null() | (attrs["kind"] == "stretch").fill_null(False)
    u, t = samples["unit_idx"], samples["origin"]
    cols = {}
    for k, index in indexes.items():
        for w in RING_WINDOWS:
            cols[f"nbr_k{k}_{roll_name('crashes', w)}"] = window_sum(index, u, t - 7 * w, t)
    cols[f"nbr_k1_{roll_name('fatal_grievous', 156)}"] = window_sum(
        indexes[1], u, t - 7 * 156, t, "fg"
    )
    masked = {k: pl.select(pl.when(is_cell).then(v)).to_series() for k, v in cols.items()}
    return samples.with_columns(**{k: v.rename(k) for k, v in masked.items()})


def group_table(units: pl.DataFrame) -> pl.DataFrame:
    """Per unit: integer ids of its road / ps / district groups and each group's unit count."""
    keys = group_keys(units)
    out = keys.select("unit_idx")
    for g in GROUP_WINDOWS:
        col = f"{g}_key"
        ids = keys.select(col).unique().drop_nulls().sort(col).with_row_index(f"{g}_gid")
        sized = (
            keys.join(ids, on=col, how="left")
            .with_columns(pl.len().over(col).alias(f"{g}_n"))
            .select("unit_idx", pl.col(f"{g}_gid").cast(pl.Int64), f"{g}_n")
        )
        out = out.join(sized, on="unit_idx", how="left")
    return out


def group_indexes(events: pl.DataFrame, groups: pl.DataFrame) -> dict[str, EventIndex]:
    """Crash events indexed by each group id."""
    ev = events.select("unit_idx", "day").join(groups, on="unit_idx", how="inner")
    return {g: build_index(ev, f"{g}_gid", "day") for g in GROUP_WINDOWS}


def group_features(
    samples: pl.DataFrame, groups: pl.DataFrame, indexes: dict[str, EventIndex], own: EventIndex
) -> pl.DataFrame:
    """Add the mean crash count of the other units in the same road / police station / district."""
    g = samples.select("unit_idx").join(groups, on="unit_idx", how="left", maintain_order="left")
    u, t = samples["unit_idx"], samples["origin"]
    cols = {}
    for name, windows in GROUP_WINDOWS.items():
        others = g[f"{name}_n"].cast(pl.Float64) - 1.0
        for w in windows:
            total = window_sum(indexes[name], g[f"{name}_gid"], t - 7 * w, t)
            mine = window_sum(own, u, t - 7 * w, t)
            val = pl.select(pl.when(others > 0).then((total - mine) / others)).to_series()
            cols[f"{name}_mean_{roll_name('crashes', w)}"] = val
    return samples.with_columns(**{k: v.rename(k) for k, v in cols.items()})


def attribute_features(samples: pl.DataFrame, units: pl.DataFrame) -> pl.DataFrame:
    """Add static unit attributes: unit kind, named road, road category flags."""
    cat = pl.col("road_category").str.to_lowercase()
    attrs = units.select(
        "unit_idx",
        kind_ps_road=(pl.col("kind") == "ps_road").cast(pl.Float64),
        has_road_name=pl.col("road_name").is_not_null().cast(pl.Float64),
        **{
            f"road_cat_{c.lower()}": (cat == c.lower()).fill_null(False).cast(pl.Float64)
            for c in ROAD_CATEGORIES
        },
    )
    return samples.join(attrs, on="unit_idx", how="left", maintain_order="left")
