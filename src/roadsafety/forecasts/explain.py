"""LightGBM contributions → readable top factors ('3 fatal/grievous crashes in the last 12 months').

Each feature belongs to one factor group (:data:`GROUPS`, matched by name prefix). A unit's
``pred_contrib`` values (log scale) are summed per group; the groups that raise its risk the most
(contribution > :data:`MIN_CONTRIBUTION`, at most :data:`TOP_N`) are rendered from the unit's own
feature values with the group's template, separated by ``'; '``. Features describing the window
length or data span are not factors. Units with no raising factor read 'no strong risk factor'.
"""

from __future__ import annotations

import polars as pl

from roadsafety.features.panel import roll_name
from roadsafety.vocabulary import plural_expr

TOP_N = 3
MIN_CONTRIBUTION = 0.02
NONE_TEXT = "no strong risk factor"

GROUPS: dict[str, tuple[str, ...]] = {
    "recent": (
        roll_name("crashes", 4),
        roll_name("crashes", 13),
        roll_name("crashes", 26),
        roll_name("crashes", 52),
        "crashes_same_window_last_year",
        "days_since_crash",
    ),
    "history": (
        roll_name("crashes", 104),
        roll_name("crashes", 156),
        "crashes_rate_",
        "crashes_roll_sum_w52_lag",
        "years_with_crash",
    ),
    "severity": ("fatal_grievous_", "killed_", "days_since_fatal_grievous"),
    "neighbours": ("nbr_",),
    "road": ("road_mean_", "road_cat_", "has_road_name"),
    "area": ("ps_mean_", "district_mean_", "kind_ps_road"),
    "fog": ("window_fog_share",),
    "festival": ("window_festival_share", "window_holiday"),
    "monsoon": ("window_monsoon_share",),
    "season": ("window_doy_", "window_weekend_share"),
    "night": ("night_share",),
    "enforcement": ("challans_",),
}


def group_of(feature: str) -> str | None:
    """The factor group of a feature name (None for non-factors such as the window length)."""
    for group, prefixes in GROUPS.items():
        if any(feature == p or feature.startswith(p) for p in prefixes):
            return group
    return None


def _num(col: str, digits: int = 0) -> pl.Expr:
    return pl.col(col).fill_null(0).round(digits).cast(pl.Int64 if digits == 0 else pl.Float64)


def _pct(col: str) -> pl.Expr:
    return (pl.col(col).fill_null(0) * 100).round(0).cast(pl.Int64)


def _texts(cols: set[str]) -> dict[str, pl.Expr]:
    """Readable text per group, built from the unit's feature values."""
    c52, c13, c156 = roll_name("crashes", 52), roll_name("crashes", 13), roll_name("crashes", 156)
    f52, k156 = roll_name("fatal_grievous", 52), roll_name("killed", 156)
    nbr = f"nbr_k1_{c156}"
    stretch = (pl.col("kind") == "stretch").fill_null(False) if "kind" in cols else pl.lit(False)
    texts = {
        "recent": pl.when(pl.col(c13) >= 2)
        .then(pl.format("{} in the last 3 months", plural_expr(_num(c13), "crash")))
        .otherwise(pl.format("{} in the last 12 months", plural_expr(_num(c52), "crash"))),
        "history": pl.format("{} in the last 3 years", plural_expr(_num(c156), "crash")),
        "severity": pl.when(pl.col("days_since_fatal_grievous") <= 90)
        .then(
            pl.format(
                "fatal/grievous crash {} ago",
                plural_expr(_num("days_since_fatal_grievous"), "day"),
            )
        )
        .when(pl.col(f52) >= 1)
        .then(pl.format("{} in the last 12 months", plural_expr(_num(f52), "fatal/grievous crash")))
        .otherwise(pl.format("{} in the last 3 years", plural_expr(_num(k156), "death"))),
        "neighbours": pl.when(pl.col(nbr).is_not_null() & stretch)
        .then(
            pl.format(
                "high-risk adjoining stretches ({} in 3 years)", plural_expr(_num(nbr), "crash")
            )
        )
        .when(pl.col(nbr).is_not_null())
        .then(
            pl.format(
                "high-risk neighbouring cells ({} nearby in 3 years)",
                plural_expr(_num(nbr), "crash"),
            )
        ),
        "road": pl.format("high-crash road {}", pl.col("road_name").fill_null("(unnamed)")),
        "area": pl.format(
            "high-crash area ({})",
            pl.col("police_station").fill_null(pl.col("district").fill_null("district")),
        ),
        "fog": pl.format("fog season ({}% of window days)", _pct("window_fog_share")),
        "festival": pl.lit("festival / holiday days in window"),
        "monsoon": pl.format("monsoon ({}% of window days)", _pct("window_monsoon_share")),
        "season": pl.lit("seasonal high for this time of year"),
        "night": pl.format("night crashes common ({}% at 22:00-06:00)", _pct("night_share_w156")),
    }
    if "challans_overspeeding_trend_w13" in cols:
        texts["enforcement"] = (
            pl.when(pl.col("challans_overspeeding_trend_w13") > 0.2)
            .then(pl.lit("overspeeding challans rising"))
            .when(pl.col(roll_name("challans", 13)) < 1)
            .then(pl.lit("little recent enforcement"))
            .otherwise(
                pl.format(
                    "enforcement pattern ({} in 3 months)",
                    plural_expr(_num(roll_name("challans", 13)), "challan"),
                )
            )
        )
    return texts


def top_factors(
    contrib: pl.DataFrame, features: pl.DataFrame, key: str = "unit_idx"
) -> pl.DataFrame:
    """Top readable risk factors per row.

    Args:
        contrib: per-row contributions, one column per feature (row-aligned with ``features``).
        features: the rows' feature values plus ``key``, ``road_name``, ``police_station``, ``district``.
        key: identifier column of ``features``.

    Returns:
        Frame ``key, top_factors`` (factors separated by ``'; '``).
    """
    groups: dict[str, list[str]] = {}
    for f in contrib.columns:
        g = group_of(f)
        if g is not None:
            groups.setdefault(g, []).append(f)
    sums = contrib.select([pl.sum_horizontal(cols).alias(g) for g, cols in groups.items()])
    sums = sums.with_columns(features[key])
    long = (
        sums.unpivot(index=key, variable_name="group", value_name="c")
        .filter(pl.col("c") > MIN_CONTRIBUTION)
        .sort([key, "c"], descending=[False, True])
    )
    long = long.group_by(key, maintain_order=True).head(TOP_N).with_row_index("_o")
    texts = _texts(set(features.columns))
    needed = [g for g in long["group"].unique().to_list() if g in texts]
    rendered = (
        features.select(key, *[texts[g].alias(g) for g in needed])
        .unpivot(index=key, variable_name="group", value_name="text")
        .drop_nulls("text")
    )
    joined = long.join(rendered, on=[key, "group"], how="inner").sort("_o")
    per = joined.group_by(key, maintain_order=True).agg(
        pl.col("text").str.join("; ").alias("top_factors")
    )
    return (
        features.select(key)
        .join(per, on=key, how="left", maintain_order="left")
        .with_columns(pl.col("top_factors").fill_null(NONE_TEXT))
    )
