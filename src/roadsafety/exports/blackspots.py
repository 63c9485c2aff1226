"""MoRTH blackspot list (the statutory 3-year rule on ~500 m stretches) beside the forecast.

:func:`build_blackspots` ``(con, cutoff, run_id, filters, length_km=0.5) -> pl.DataFrame`` lists the
~500 m stretches that, over the last three full calendar years before ``cutoff`` (cut-off
2025-03-01 → 2022, 2023, 2024), had at least 5 crashes with deaths or grievous injuries or at
least 10 deaths (:mod:`roadsafety.models.morth`). Deaths use ``killed``; a fatal crash with no count
counts one death.

Where a spot comes from:

- **on a road, by km**: crashes with a road and a km — the record's km marker, or for a located
  crash without one, its km on the road's fit — are placed along the road and windows of
  ``length_km`` searched (``unit_id`` ``ROAD | km A-B``, e.g. ``NH-44 | km 65.3-65.8``);
- **by H3 cell**: located crashes with no km (their road has no fit, or they are off it) are judged
  per cell (about the 500 m stretch at resolution 8);
- road-wide records (no GPS, no km) and records with no unit cannot be placed on 500 m: they are in
  no spot (they count in the road-wide list and the district totals).

``status`` says whether a spot is still active: ``active`` spots meet the rule over the last three
years; ``lapsed`` spots met it over the three years before those (one year earlier) but no longer
do. Rows carry the risk-list contract columns (:data:`~roadsafety.exports.risk_list.RISK_COLUMNS`;
``rank`` is the blackspot rank, the forecast columns are those of the unit holding most of the
spot's crashes, ``forecast_unit``, from the run when one is given) plus :data:`BLACKSPOT_COLUMNS`:
counts per year (``_y1`` is the first of ``years``), over the 3 years, which part of the rule was
met. Ranked active first, then by fatal/grievous crashes, deaths, unit id.
"""

from __future__ import annotations

from datetime import date
from itertools import accumulate

import duckdb
import numpy as np
import polars as pl

from roadsafety.exports.risk_list import (
    RISK_COLUMNS,
    RiskListFilter,
    build_units,
    load_run,
    match_option,
    run_units,
)
from roadsafety.features.road_fit import positions_at, project_to_km
from roadsafety.features.roads import stretch_id, with_normalised_roads
from roadsafety.models.morth import find_cell_spots, find_road_spots, rule_text
from roadsafety.store.export_store import read_road_fit, read_rule_crashes

YEAR_COLUMNS = tuple(
    f"{what}_y{i}" for what in ("crashes", "fatal_grievous", "deaths") for i in (1, 2, 3)
)
BLACKSPOT_COLUMNS = (
    "years",
    "status",
    "crashes_3y",
    "fatal_grievous_3y",
    "deaths_3y",
    *YEAR_COLUMNS,
    "rule_met",
    "forecast_unit",
    "forecast_rank",
)
_FORECAST = {
    "unit_id": pl.Utf8,
    "expected_crashes": pl.Float64,
    "expected_fatal_grievous": pl.Float64,
    "risk_band": pl.Utf8,
    "peak_window": pl.Utf8,
    "top_factors": pl.Utf8,
    "window_start": pl.Date,
    "window_end": pl.Date,
    "model_version": pl.Utf8,
    "forecast_rank": pl.Int64,
}


def blackspot_notes(length_km: float) -> tuple[str, ...]:
    """What a blackspot list's summary says about its rows."""
    return (
        f"MoRTH rule on {length_km * 1000:.0f} m stretches over the 3 calendar years before the "
        "cut-off: >= 5 crashes with deaths or grievous injuries, or >= 10 deaths.",
        "Road spots 'ROAD | km A-B' from km markers (or a located crash's km on its road); H3 cells "
        "where a located crash has no km. Whole roads with neither GPS nor km cannot be placed on "
        "500 m and are not listed.",
        "status: active = meets the rule now; lapsed = met it over the 3 years before, not now.",
    )


def empty_blackspots() -> pl.DataFrame:
    """A list with no rows and the columns and types of a full one."""
    floats = {"km_from", "km_to", "latitude", "longitude", "expected_crashes"}
    floats |= {"expected_fatal_grievous"}
    ints = {"rank", "forecast_rank", "crashes_3y", "fatal_grievous_3y", "deaths_3y", *YEAR_COLUMNS}
    schema = {
        c: pl.Float64
        if c in floats
        else pl.Int64
        if c in ints
        else pl.Date
        if c in ("window_start", "window_end")
        else pl.Utf8
        for c in (*RISK_COLUMNS, *BLACKSPOT_COLUMNS)
    }
    return pl.DataFrame(schema=schema)


def rule_years(cutoff: date) -> tuple[date, date]:
    """The three full calendar years before ``cutoff`` as ``[start, end)``."""
    return date(cutoff.year - 3, 1, 1), date(cutoff.year, 1, 1)


def crashes_with_km(crashes: pl.DataFrame, knots: pl.DataFrame) -> pl.DataFrame:
    """Add ``km``: the record's km marker, else a located crash's km on its road's fit."""
    crashes = with_normalised_roads(crashes)
    km = pl.col("chainage_km")
    need = pl.col("chainage_km").is_null() & pl.col("located").fill_null(False)
    rows = np.flatnonzero(crashes.select(need).to_series().to_numpy())
    if not knots.height or not len(rows):
        return crashes.with_columns(km.alias("km"))
    located = crashes[rows].select("road_name", "latitude", "longitude")  # only they need the fit
    fitted = np.full(crashes.height, np.nan)
    fitted[rows] = project_to_km(knots, located)["fit_km"].fill_null(np.nan).to_numpy()
    return crashes.with_columns(
        pl.coalesce(km, pl.Series(fitted, dtype=pl.Float64).fill_nan(None)).alias("km")
    )


def _spot_keys(window: pl.DataFrame, length_km: float) -> pl.DataFrame:
    """The spots of one 3-year window: ``spot_road, spot_from, spot_to, h3_cell`` (road or cell)."""
    on_road = find_road_spots(window, length_km)
    roads = on_road.select("spot_road", "spot_from", "spot_to").drop_nulls().unique()
    off_road = window.filter(
        pl.col("km").is_null() | pl.col("road_name").is_null(), pl.col("located")
    )
    cells = find_cell_spots(off_road).select("h3_cell")
    return pl.concat([roads, cells], how="diagonal_relaxed")


def _members(spots: pl.DataFrame, crashes: pl.DataFrame) -> pl.DataFrame:
    """Each spot's crashes, as ``_spot`` beside the crash's columns (a crash may sit in two spots),
    in spot order, then in the order of ``crashes`` (which carries its row index ``_crash``).

    A road spot holds its road's crashes between its km (1e-9 either side); a cell spot holds its
    cell's crashes that have no km or no road.
    """
    road_spot, road_crash = _road_members(spots.filter(pl.col("spot_road").is_not_null()), crashes)
    cell = spots.filter(pl.col("spot_road").is_null()).select("_spot", spot_cell="h3_cell")
    off_road = crashes.filter(pl.col("km").is_null() | pl.col("road_name").is_null())
    in_cell = cell.join(
        off_road.select("_crash", "h3_cell"), left_on="spot_cell", right_on="h3_cell"
    )
    pairs = pl.DataFrame(
        {
            "_spot": np.concatenate([road_spot, in_cell["_spot"].to_numpy()]),
            "_crash": np.concatenate([road_crash, in_cell["_crash"].to_numpy()]),
        },
        schema={"_spot": pl.UInt32, "_crash": pl.UInt32},
    ).sort("_spot", "_crash")
    return pl.concat([pairs.select("_spot"), crashes[pairs["_crash"]]], how="horizontal")


def _road_members(road_spots: pl.DataFrame, crashes: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """``(_spot, _crash)`` pairs of the crashes within road spots: per road, the crashes sorted by
    km and each spot's range found by binary search (a join by road would pair every spot with
    every crash of its road)."""
    located = crashes.filter(pl.col("road_name").is_not_null() & pl.col("km").is_not_null())
    by_road = (
        located.select("road_name", "km", "_crash")
        .sort("road_name", "km")
        .partition_by("road_name", as_dict=True)
    )
    spot_ids, crash_ids = [np.empty(0, dtype=np.uint32)], [np.empty(0, dtype=np.uint32)]
    for (road,), spots in road_spots.partition_by("spot_road", as_dict=True).items():
        part = by_road.get((road,))
        if part is None:
            continue
        km = part["km"].to_numpy()
        lo = np.searchsorted(km, spots["spot_from"].to_numpy() - 1e-9, side="left")
        hi = np.searchsorted(km, spots["spot_to"].to_numpy() + 1e-9, side="right")
        n = np.maximum(hi - lo, 0)
        first = np.repeat(lo - (np.cumsum(n) - n), n)
        spot_ids.append(np.repeat(spots["_spot"].to_numpy(), n))
        crash_ids.append(part["_crash"].to_numpy()[first + np.arange(n.sum())])
    return np.concatenate(spot_ids), np.concatenate(crash_ids)


def _not_overlapping(before: pl.DataFrame, now: pl.DataFrame) -> pl.DataFrame:
    """The spots of ``before`` that are no part of a spot of ``now`` (same cell, or same road with
    km ranges touching), in their order."""
    before = before.with_row_index("_b")
    now_roads = now.filter(pl.col("spot_road").is_not_null()).select(
        "spot_road", now_from="spot_from", now_to="spot_to"
    )
    road_hit = before.join(now_roads, on="spot_road").filter(
        (pl.col("now_from") <= pl.col("spot_to")) & (pl.col("now_to") >= pl.col("spot_from"))
    )
    cell_hit = before.filter(
        pl.col("spot_road").is_null()
        & pl.col("h3_cell").is_in(now["h3_cell"].drop_nulls().implode())
    )
    hit = pl.concat([road_hit["_b"], cell_hit["_b"]])
    return before.filter(~pl.col("_b").is_in(hit.implode())).drop("_b")


def _mode(col: str) -> pl.Expr:
    return pl.col(col).drop_nulls().mode().sort().first()


def _spot_counts(members: pl.DataFrame, years: list[int]) -> pl.DataFrame:
    """Counts per year (``years``) and attributes (all four years) per ``_spot``."""
    counts = []
    for i, year in enumerate(years, start=1):
        in_year = pl.col("year") == year
        counts += [
            in_year.sum().cast(pl.Int64).alias(f"crashes_y{i}"),
            pl.col("fg").filter(in_year).sum().cast(pl.Int64).alias(f"fatal_grievous_y{i}"),
            pl.col("deaths").filter(in_year).sum().cast(pl.Int64).alias(f"deaths_y{i}"),
        ]
    per_spot = members.group_by("_spot", maintain_order=True).agg(
        *counts,
        *[_mode(c) for c in ("road_name", "police_station", "district", "unit_id")],
        pl.col("h3_cell").drop_nulls().unique().sort().str.join(";").alias("cells"),
        pl.len().alias("_n"),
    )
    sizes = per_spot["_n"].to_list()
    return per_spot.drop("_n").with_columns(
        pl.Series(c, _run_means(members[c], sizes), dtype=pl.Float64)
        for c in ("latitude", "longitude")
    )


def _run_means(values: pl.Series, sizes: list[int]) -> list[float | None]:
    """The mean of each run of ``sizes`` consecutive values, each taken over one contiguous array.

    Not a group-by mean: Polars sums a float column chunk by chunk, and a group-by (or a filter,
    whose result has one chunk per thread) adds in another order, which moves the last bit and can
    flip a coordinate's 6th decimal in the outputs. One contiguous array per spot gives the same
    value on any number of cores."""
    values = values.rechunk()
    starts = [0, *accumulate(sizes)]
    return [values.slice(start, size).mean() for start, size in zip(starts, sizes)]


def _spot_rows(spots: pl.DataFrame, crashes: pl.DataFrame, years: list[int]) -> pl.DataFrame:
    """One row per spot (``spots``: ``_spot, status, spot_road, spot_from, spot_to, h3_cell``):
    counts per year, where it is and the unit holding most of its crashes, in ``_spot`` order."""
    counts = _spot_counts(_members(spots, crashes.with_row_index("_crash")), years)
    joined = spots.join(counts, on="_spot", how="left").sort("_spot")
    road = pl.col("spot_road")
    unit_ids = [
        stretch_id(r, a, b) if r is not None else c
        for r, a, b, c in joined.select("spot_road", "spot_from", "spot_to", "h3_cell").iter_rows()
    ]
    count_columns = [
        f"{what}_y{i}" for i in (1, 2, 3) for what in ("crashes", "fatal_grievous", "deaths")
    ]
    return joined.select(
        "status",
        "spot_road",
        *[pl.col(c).fill_null(0) for c in count_columns],
        pl.Series("unit_id", unit_ids, dtype=pl.Utf8),
        pl.coalesce(road, pl.col("road_name")).alias("road_name"),
        pl.col("spot_from").alias("km_from"),
        pl.col("spot_to").alias("km_to"),
        pl.when(road.is_not_null())
        .then(pl.col("cells").replace("", None))
        .otherwise(pl.col("h3_cell"))
        .alias("h3_cell"),
        "police_station",
        "district",
        "latitude",
        "longitude",
        pl.col("unit_id").alias("forecast_unit"),
    )


def find_blackspots(
    crashes: pl.DataFrame, cutoff: date, length_km: float, knots: pl.DataFrame
) -> pl.DataFrame:
    """Active and lapsed spots with per-year counts (pure: ``crashes`` of the 4 calendar years before
    the cutoff's year, with ``km``; ``knots`` place road spots on the map).

    Each spot's crashes are found with one join for all spots (a road's crashes within a road spot's
    km, a cell's crashes without km within a cell spot), never a filter per spot."""
    start, end = rule_years(cutoff)
    years = list(range(start.year, end.year))
    current = crashes.filter(pl.col("year").is_in(years))
    earlier = crashes.filter(pl.col("year").is_between(start.year - 1, end.year - 2))
    now, before = _spot_keys(current, length_km), _spot_keys(earlier, length_km)
    lapsed = _not_overlapping(before, now)
    keys = pl.concat(
        [now.with_columns(status=pl.lit("active")), lapsed.with_columns(status=pl.lit("lapsed"))],
        how="diagonal_relaxed",
    ).with_row_index("_spot")
    if keys.is_empty():
        return pl.DataFrame()
    spots = _spot_rows(keys, crashes, years)
    return _place(spots, knots).with_columns(
        pl.lit(f"{years[0]}-{years[-1]}").alias("years"),
        pl.sum_horizontal(f"crashes_y{i}" for i in (1, 2, 3)).alias("crashes_3y"),
        pl.sum_horizontal(f"fatal_grievous_y{i}" for i in (1, 2, 3)).alias("fatal_grievous_3y"),
        pl.sum_horizontal(f"deaths_y{i}" for i in (1, 2, 3)).alias("deaths_3y"),
    )


def _place(spots: pl.DataFrame, knots: pl.DataFrame) -> pl.DataFrame:
    """Road spots at their road's fitted mid-point when the road has a fit there."""
    mid = spots.select(
        road_name=pl.col("spot_road"), km=(pl.col("km_from") + pl.col("km_to")) / 2
    ).with_columns(pl.col("road_name").fill_null(""))
    fit = positions_at(knots, mid)
    return spots.with_columns(
        pl.coalesce(fit["fit_latitude"], pl.col("latitude")).alias("latitude"),
        pl.coalesce(fit["fit_longitude"], pl.col("longitude")).alias("longitude"),
    ).drop("spot_road")


def _rule_met(start: date, end: date) -> pl.Expr:
    """Which part of the rule an active spot meets; when a lapsed spot last met it."""
    met = rule_text(pl.col("fatal_grievous_3y"), pl.col("deaths_3y"))
    lapsed = f"met the rule in {start.year - 1}-{end.year - 2}, not in {start.year}-{end.year - 1}"
    return pl.when(pl.col("status") == "active").then(met).otherwise(pl.lit(lapsed))


def _forecast_part(
    con: duckdb.DuckDBPyConnection,
    run_id: str | None,
    severity: str,
    units: pl.DataFrame | None,
) -> pl.DataFrame:
    if run_id is None:
        return pl.DataFrame(schema=_FORECAST)
    units = run_units(con, run_id) if units is None else units
    units = pl.concat(
        [
            build_units(con, run_id, RiskListFilter(severity=severity, road_wide=wide), units)
            for wide in (False, True)
        ],
        how="diagonal_relaxed",
    )
    return units.rename({"rank": "forecast_rank"}).select(list(_FORECAST))


def build_blackspots(
    con: duckdb.DuckDBPyConnection,
    cutoff: date,
    run_id: str | None,
    filters: RiskListFilter,
    length_km: float = 0.5,
    units: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Stretches meeting the MoRTH rule before ``cutoff``, with the run's forecast beside them.

    Args:
        con: an open (read) connection.
        cutoff: the data cut-off (usually the run's); the rule looks at the 3 calendar years before.
        run_id: the forecast run to compare with, or None for the rule alone.
        filters: district / police station / top / severity (for ``forecast_rank``); band and
            merge are ignored.
        length_km: the stretch length of the rule (``RegionConfig.blackspot_km``).
        units: the run's :func:`~roadsafety.exports.risk_list.run_units`, when already read.
    """
    filters.validate()
    start, end = rule_years(cutoff)
    crashes = read_rule_crashes(con, date(start.year - 1, 1, 1), end)
    if filters.district and crashes.height:
        crashes = match_option(crashes, "district", filters.district, "--district")
    if filters.police_station and crashes.height:
        crashes = match_option(
            crashes, "police_station", filters.police_station, "--police-station"
        )
    knots = read_road_fit(con)
    spots = find_blackspots(crashes_with_km(crashes, knots), cutoff, length_km, knots)
    if run_id is not None:
        load_run(con, run_id)
    if spots.is_empty():
        return empty_blackspots()
    forecast = _forecast_part(con, run_id, filters.severity, units).rename(
        {"unit_id": "forecast_unit"}
    )
    spots = spots.join(forecast, on="forecast_unit", how="left")
    spots = spots.sort(
        [pl.col("status") != "active", "fatal_grievous_3y", "deaths_3y", "unit_id"],
        descending=[False, True, True, False],
    )
    if filters.top is not None:
        spots = spots.head(filters.top)
    return spots.with_columns(
        pl.int_range(1, spots.height + 1, dtype=pl.Int64).alias("rank"),
        _rule_met(start, end).alias("rule_met"),
    ).select(*RISK_COLUMNS, *BLACKSPOT_COLUMNS)


def blackspots_within(spots: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    """The blackspots that lie within listed places: their forecast unit is a listed row, their
    cell is one of a listed row's cells, or they are on a listed row's road inside its km range.
    Ranks are renumbered from 1 in the same order."""
    if spots.is_empty() or rows.is_empty():
        return spots.clear()
    cells = {c for text in rows["h3_cell"].drop_nulls() for c in text.split(";") if c}
    spans = rows.filter(pl.col("km_from").is_not_null() & pl.col("road_name").is_not_null())
    on_span = pl.lit(False)
    for road, lo, hi in spans.select("road_name", "km_from", "km_to").iter_rows():
        on_span = on_span | (
            (pl.col("road_name") == road) & (pl.col("km_to") > lo) & (pl.col("km_from") < hi)
        )
    inside = (
        pl.col("forecast_unit").is_in(rows["unit_id"].implode())
        | pl.col("h3_cell").is_in(list(cells))
        | on_span.fill_null(False)
    )
    kept = spots.filter(inside)
    return kept.with_columns(pl.int_range(1, kept.height + 1, dtype=pl.Int64).alias("rank"))
