"""The pieces of a drive's before/after study, from crash records and drive places (pure Polars).

Frames (see :func:`roadsafety.models.drive_evaluation.evaluate_drives` for the whole flow):

- ``crashes``: one row per record: ``row, day, unit_id, h3_cell, road_name, road_category,
  police_station, district, chainage_km, fatal_grievous, latitude, longitude``.
- ``periods``: one row per drive: ``drive_id, before_start, before_end, after_start, after_end,
  history_start, history_end, before_days, after_days, history_days, win`` (``win`` names the set
  of periods).
- ``parts``: one row per drive, place and spatial unit holding the place's records, with the place's
  share of the unit (``share``: its records ÷ the unit's records, over all the data) and its counts.

The EB expectation of each part over the history is in :mod:`roadsafety.models.drive_eb`.
"""

from __future__ import annotations

import logging
from datetime import date

import h3
import polars as pl

from roadsafety.features.units import build_units
from roadsafety.models import drive_effect as de
from roadsafety.models.drive_effect import Periods, StudyOptions, comparison_ratio, study_periods

log = logging.getLogger(__name__)

PART_KEY = ("drive_id", "place_no", "unit_id")
ANY = "*"
UNKNOWN = "?"
PERIODS = ("before", "after", "history")


def drive_periods(
    drives: pl.DataFrame, data_start: date, data_end: date, options: StudyOptions
) -> pl.DataFrame:
    """One row of study periods per drive (:func:`~roadsafety.models.drive_effect.study_periods`)."""
    rows = []
    for drive_id, start in drives.select("drive_id", "start_date").iter_rows():
        p: Periods = study_periods(
            start, data_start, data_end, options.after_months, options.history_years
        )
        row = {"drive_id": drive_id}
        for name in PERIODS:
            row |= {f"{name}_{end}": getattr(p, f"{name}_{end}") for end in ("start", "end")}
            row[f"{name}_days"] = getattr(p, f"{name}_days")
        row["win"] = "|".join(str(row[f"{n}_{e}"]) for n in PERIODS for e in ("start", "end"))
        rows.append(row)
    schema = {"drive_id": pl.Utf8, "win": pl.Utf8}
    for name in PERIODS:
        schema |= {f"{name}_start": pl.Date, f"{name}_end": pl.Date, f"{name}_days": pl.Int64}
    return pl.DataFrame(rows, schema=schema)


def in_period(which: str) -> pl.Expr:
    """True when ``day`` lies in the row's ``before``, ``after`` or ``history`` period."""
    return (
        pl.col("day").is_between(pl.col(f"{which}_start"), pl.col(f"{which}_end")).fill_null(False)
    )


def unit_universe(crashes: pl.DataFrame) -> pl.DataFrame:
    """Every unit with a record, plus the empty H3 neighbours of cells (the SPF's population)."""
    events = crashes.filter(pl.col("unit_id").is_not_null())
    return build_units(events, neighbours=True)


def place_parts(
    matched: pl.DataFrame, crashes: pl.DataFrame, periods: pl.DataFrame
) -> pl.DataFrame:
    """Counts per (drive, place, unit) in the periods, with the place's share of the unit.

    Args:
        matched: ``drive_id, place_no, row`` from
            :func:`~roadsafety.features.drive_places.match_places`.
        crashes: the records.
        periods: :func:`drive_periods` output.
    """
    per_unit = crashes.group_by("unit_id").agg(pl.len().alias("unit_records"))
    rows = matched.join(crashes.select("row", "day", "unit_id", "fatal_grievous"), on="row").join(
        periods, on="drive_id"
    )
    before, after, fg = in_period("before"), in_period("after"), pl.col("fatal_grievous")
    return (
        rows.filter(pl.col("unit_id").is_not_null())
        .group_by(*PART_KEY)
        .agg(
            pl.len().alias("records"),
            in_period("history").sum().cast(pl.Int64).alias("crashes_history"),
            before.sum().cast(pl.Int64).alias("crashes_before"),
            after.sum().cast(pl.Int64).alias("crashes_after"),
            (before & fg).sum().cast(pl.Int64).alias("fatal_grievous_before"),
            (after & fg).sum().cast(pl.Int64).alias("fatal_grievous_after"),
        )
        .join(per_unit, on="unit_id")
        .with_columns((pl.col("records") / pl.col("unit_records")).alias("share"))
        .drop("records", "unit_records")
    )


def _group_keys(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        pl.col("district").fill_null(UNKNOWN).alias("g_d"),
        pl.col("road_category").fill_null(UNKNOWN).alias("g_c"),
    )


LEVELS = (
    (1, pl.col("g_d"), pl.col("g_c")),
    (2, pl.col("g_d"), pl.lit(ANY)),
    (3, pl.lit(ANY), pl.col("g_c")),
    (4, pl.lit(ANY), pl.lit(ANY)),
)


def _at_levels(frame: pl.DataFrame, keep: list[str]) -> pl.DataFrame:
    """Each row repeated at the four comparison levels with its level keys."""
    return pl.concat(
        [
            frame.select(*keep, pl.lit(level).alias("level"), d.alias("g_d"), c.alias("g_c"))
            for level, d, c in LEVELS
        ]
    )


def comparison_months(
    crashes: pl.DataFrame, periods: pl.DataFrame, treated: pl.Series
) -> pl.DataFrame:
    """Untreated crashes per study window, comparison group (every level) and month.

    Returns:
        ``win, level, g_d, g_c, month`` and the counts ``history, before, after`` (a month of the
        before period is also in the history).
    """
    cols = ["win"] + [f"{n}_{e}" for n in PERIODS for e in ("start", "end")]
    windows = periods.select(cols).unique()
    untreated = ~pl.col("unit_id").is_in(treated.implode()).fill_null(False)
    base = _group_keys(crashes.filter(untreated)).select("day", "g_d", "g_c")
    rows = base.join(windows, how="cross").with_columns(
        *[in_period(n).alias(n) for n in PERIODS], pl.col("day").dt.truncate("1mo").alias("month")
    )
    rows = rows.filter(pl.col("history") | pl.col("after"))
    return (
        _at_levels(rows, ["win", "month", *PERIODS])
        .group_by("win", "level", "g_d", "g_c", "month")
        .agg(pl.col(n).sum().cast(pl.Int64) for n in PERIODS)
    )


def comparison_counts(months: pl.DataFrame) -> pl.DataFrame:
    """Totals per window and comparison group (``cmp_history, cmp_before, cmp_after``)."""
    return months.group_by("win", "level", "g_d", "g_c").agg(
        pl.col(n).sum().alias(f"cmp_{n}") for n in PERIODS
    )


def choose_groups(
    parts: pl.DataFrame, units: pl.DataFrame, counts: pl.DataFrame, options: StudyOptions
) -> pl.DataFrame:
    """Each part's comparison group: the narrowest level with enough crashes, and its trend ratio.

    Args:
        parts: :func:`place_parts` rows with the drive's ``win``.
        units: the universe (for each part's district and road category).
        counts: :func:`comparison_counts` output.
        options: ``min_group_crashes``.

    Returns:
        ``parts`` with ``district, road_category`` (of the part's unit), ``level, g_d, g_c,
        cmp_history, cmp_before, cmp_after, cmp_key, ratio, ratio_var, before_share``.
    """
    attrs = units.select("unit_id", "district", "road_category")
    keyed = _group_keys(parts.join(attrs, on="unit_id", how="left"))
    cands = _at_levels(keyed, [*PART_KEY, "win"]).join(
        counts, on=["win", "level", "g_d", "g_c"], how="left"
    )
    ok = (pl.col("cmp_history") >= options.min_group_crashes) & (pl.col("cmp_after") >= 1)
    chosen = (
        cands.with_columns(ok.fill_null(False).alias("_ok"))
        .sort([*PART_KEY, "_ok", "level"], descending=[False, False, False, True, False])
        .unique(list(PART_KEY), keep="first", maintain_order=True)
        .drop("_ok", "win")
    )
    history = pl.col("cmp_history").cast(pl.Float64)
    ratio, ratio_var = comparison_ratio(history, pl.col("cmp_after").cast(pl.Float64))
    before_share = pl.col("cmp_before") / history
    key = pl.concat_str([pl.col("win"), pl.col("level").cast(pl.Utf8), "g_d", "g_c"], separator="|")
    joined = keyed.drop("g_d", "g_c").join(chosen, on=list(PART_KEY), how="left")
    return joined.with_columns(
        key.alias("cmp_key"),
        ratio.alias("ratio"),
        ratio_var.alias("ratio_var"),
        before_share.alias("before_share"),
    )


def fill_counts(rows: pl.DataFrame) -> pl.DataFrame:
    """Zero for missing crash sums (a pool or drive whose places never had a crash)."""
    present = [c for c in (*de.SUMS, "expected_after_without_drive") if c in rows.columns]
    missing = [pl.lit(0).alias(c) for c in de.SUMS if c not in rows.columns]
    return rows.with_columns(*missing, pl.col(present).fill_null(0))


def _centre(cell: str | None) -> tuple[float | None, float | None]:
    if cell and h3.is_valid_cell(cell):
        return h3.cell_to_latlng(cell)
    return None, None


def fill_cell_centres(info: pl.DataFrame) -> pl.DataFrame:
    """Give places without located records the centre of their (first) H3 cell, when they name one."""
    cell = pl.coalesce(pl.col("cell"), pl.col("label").str.to_lowercase())
    candidates = info.select(cell.alias("c"))["c"].to_list()
    centres = [_centre(c) for c in candidates]
    return info.with_columns(
        pl.coalesce("latitude", pl.Series([c[0] for c in centres], dtype=pl.Float64)),
        pl.coalesce("longitude", pl.Series([c[1] for c in centres], dtype=pl.Float64)),
    ).drop("cell")


MIN_EXPECTED_FOR_SPREAD = 1.0


def extra_variation(
    unit_eb: pl.DataFrame,
    crashes: pl.DataFrame,
    periods: pl.DataFrame,
    treated: pl.Series,
    units: pl.DataFrame,
    counts: pl.DataFrame,
    options: StudyOptions,
) -> pl.DataFrame:
    """How much places without a drive swing from one period to the next beyond chance, per window.

    Every untreated unit is evaluated as if it had had a drive: ``π = r·EB`` (its comparison
    group's trend, as for a drive place) against its crashes ``λ`` in the after period. With
    Poisson chance alone ``E[(λ − π)²] = λ + r²·Var(EB)``; the excess, relative to ``π²``, is
    ``φ = Σ[(λ − π)² − λ − r²·Var(EB)] / Σπ²`` over units expecting at least
    :data:`MIN_EXPECTED_FOR_SPREAD` crashes, floored at 0. A drive place's after-count then varies
    by ``λ + φ·π²`` (roads change, works start and end, police stations are split...).

    Returns:
        ``win, phi``.
    """
    windows = (
        periods.filter(pl.col("history_start").is_not_null())
        .select("win", "history_start", "history_end", "after_start", "after_end")
        .unique()
    )
    untreated = unit_eb.filter(~pl.col("unit_id").is_in(treated.implode()))
    pseudo = windows.join(untreated, on=["history_start", "history_end"]).with_columns(
        pl.col("win").alias("drive_id"), pl.lit(0, pl.Int32).alias("place_no")
    )
    if pseudo.is_empty():
        return pl.DataFrame(schema={"win": pl.Utf8, "phi": pl.Float64})
    after = (
        crashes.join(windows.select("win", "after_start", "after_end"), how="cross")
        .filter(pl.col("day").is_between(pl.col("after_start"), pl.col("after_end")))
        .group_by("win", "unit_id")
        .agg(pl.len().alias("lam"))
    )
    rated = choose_groups(pseudo.drop("after_start", "after_end"), units, counts, options)
    rated = rated.join(after, on=["win", "unit_id"], how="left").with_columns(
        (pl.col("ratio") * pl.col("eb_history")).alias("pi"), pl.col("lam").fill_null(0)
    )
    excess = (
        (pl.col("lam") - pl.col("pi")) ** 2
        - pl.col("lam")
        - pl.col("ratio") ** 2 * pl.col("var_eb")
    )
    return (
        rated.filter(pl.col("pi") >= MIN_EXPECTED_FOR_SPREAD)
        .group_by("win")
        .agg((excess.sum() / (pl.col("pi") ** 2).sum()).clip(lower_bound=0.0).alias("phi"))
    )
