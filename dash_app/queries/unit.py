"""Per-unit reads for the corridor detail page (no personal fields are selected).

A scoped reader passes its district: a cell on a district border can hold another district's
records, which are then left out of the record-level parts (records without a district follow the
unit, which the page has already checked belongs to the reader's district). Place-level figures
(the forecast, the MoRTH blackspot rule) stay whole: they describe the place.
"""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from dash_app.queries.challans import RECENT, ChallanIndex, newest_days, offence_mix
from dash_app.queries.snapshot import UnitDetail
from roadsafety.store import challan_days

CHALLAN_COLUMNS = (
    "issued_at",
    "offence",
    "challan_type",
    "vehicle_class",
    "fine_amount",
    "camera_id",
)


def _ids(unit_ids: tuple[str, ...]) -> str:
    return ", ".join("?" for _ in unit_ids)


def _blackspot(
    con: duckdb.DuckDBPyConnection, unit_ids: tuple[str, ...], cutoff: date | None
) -> dict:
    """MoRTH rule over the 3 calendar years before the cut-off year (together, for all cells)."""
    year = (cutoff or date.today()).year
    row = con.execute(
        f"""SELECT count(*) FILTER (WHERE severity IN ('fatal', 'grievous')),
                   coalesce(sum(CASE WHEN killed IS NOT NULL THEN killed WHEN severity = 'fatal' THEN 1 ELSE 0 END), 0)
            FROM accidents WHERE unit_id IN ({_ids(unit_ids)})
              AND year(occurred_at) BETWEEN ? AND ?""",
        [*unit_ids, year - 3, year - 1],
    ).fetchone()
    fg, deaths = int(row[0] or 0), int(row[1] or 0)
    return {
        "years": f"{year - 3}-{year - 1}",
        "fatal_grievous": fg,
        "deaths": deaths,
        "blackspot": fg >= 5 or deaths >= 10,
    }


def _in_scope(district: str | None) -> tuple[str, list]:
    if district is None:
        return "", []
    return " AND (district IS NULL OR lower(district) = lower(?))", [district]


def _challans(
    con: duckdb.DuckDBPyConnection,
    unit_ids: tuple[str, ...],
    district: str | None,
    index: ChallanIndex | None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(newest challans, 90-day offence mix) of the units: from the prebuilt index when it can
    tell, else from the aggregate."""
    columns = list(CHALLAN_COLUMNS)
    days = newest_days(index, unit_ids, district, RECENT) if index is not None else None
    if days is None:
        recent = challan_days.recent_rows(con, unit_ids, columns, RECENT, district)
    else:
        recent = challan_days.rows_of_days(con, unit_ids, columns, RECENT, district, days)
    if index is not None:
        return recent, offence_mix(index, unit_ids, district)
    scope_sql, scope_args = _in_scope(district)
    mix = (
        challan_days.offence_counts(
            con, f"unit_id IN ({_ids(unit_ids)}){scope_sql}", [*unit_ids, *scope_args]
        )
        .group_by("offence")
        .agg(pl.col("challans").sum())
        .sort(["challans", "offence"], descending=[True, False])
    )
    return recent, mix


def read_unit_detail(
    con: duckdb.DuckDBPyConnection,
    unit_ids: tuple[str, ...],
    run_ids: tuple[str, ...],
    district: str | None = None,
    index: ChallanIndex | None = None,
) -> UnitDetail:
    """Attributes, forecasts, 3-year monthly history, recent crashes and challans of the units
    (challan days and offence mix from ``index`` when given: the snapshot's, read once)."""
    q = _ids(unit_ids)
    scope_sql, scope_args = _in_scope(district)
    units = con.execute(
        f"""SELECT unit_id, kind, h3_cell, road_name, km_from, km_to, road_category,
                   police_station, district, latitude, longitude, chainage_km, n_accidents,
                   first_seen, last_seen
            FROM spatial_units WHERE unit_id IN ({q}) ORDER BY unit_id""",
        list(unit_ids),
    ).pl()
    runs = run_ids or ("",)
    forecasts = con.execute(
        f"""SELECT f.*, r.window_start AS run_start, r.window_end AS run_end, r.data_cutoff
            FROM forecasts f JOIN forecast_runs r USING (run_id)
            WHERE f.unit_id IN ({q}) AND f.run_id IN ({_ids(runs)})""",
        [*unit_ids, *runs],
    ).pl()
    monthly = con.execute(
        f"""SELECT CAST(date_trunc('month', occurred_at) AS DATE) AS month, count(*) AS crashes,
                   count(*) FILTER (WHERE severity IN ('fatal', 'grievous')) AS fatal_grievous,
                   CAST(coalesce(sum(killed), 0) AS BIGINT) AS killed
            FROM accidents WHERE unit_id IN ({q}){scope_sql}
              AND occurred_at >= (SELECT max(occurred_at) FROM accidents) - INTERVAL 3 YEAR
            GROUP BY 1 ORDER BY 1""",
        [*unit_ids, *scope_args],
    ).pl()
    crashes = con.execute(
        f"""SELECT occurred_at, has_time, severity, killed, injured, road_name, chainage_km,
                   police_station, vehicle_types, weather, light, cause
            FROM accidents WHERE unit_id IN ({q}){scope_sql}
            ORDER BY occurred_at DESC LIMIT {RECENT}""",
        [*unit_ids, *scope_args],
    ).pl()
    challans, mix = _challans(con, unit_ids, district, index)
    profile = con.execute(
        f"""SELECT dow, hour, avg(share) AS share FROM unit_hour_profile
            WHERE unit_id IN ({q}) AND run_id = ? GROUP BY 1, 2 ORDER BY 1, 2""",
        [*unit_ids, runs[-1]],
    ).pl()
    if profile.is_empty():  # no stored profile for these units: their timed crashes, 3 years
        profile = con.execute(
            f"""SELECT isodow(occurred_at) - 1 AS dow, hour(occurred_at) AS hour,
                       count(*) / sum(count(*)) OVER () AS share
                FROM accidents WHERE unit_id IN ({q}){scope_sql} AND has_time
                  AND occurred_at >= (SELECT max(occurred_at) FROM accidents) - INTERVAL 3 YEAR
                GROUP BY 1, 2 ORDER BY 1, 2""",
            [*unit_ids, *scope_args],
        ).pl()
    cutoff = forecasts["data_cutoff"].max() if not forecasts.is_empty() else None
    return UnitDetail(
        units,
        forecasts,
        monthly,
        crashes,
        challans,
        mix,
        profile,
        _blackspot(con, unit_ids, cutoff),
    )
