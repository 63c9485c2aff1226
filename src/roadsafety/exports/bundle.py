"""Everything one risk-list file carries, built once for the command line, the job and the app.

:func:`risk_list_bundle` ``(con, run_id, filters, fmt, ...)``: the ranked rows; for a workbook also
the enforcement-gap and MoRTH blackspot lists (for a ``top`` list only the blackspots within its
places, see :func:`~roadsafety.exports.blackspots.blackspots_within`); for a workbook or a drive sheet the road-wide units
(their own section); for a map format (PDF, GeoJSON) the road lines of stretch rows.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import duckdb

from roadsafety.exports.blackspots import blackspots_within, build_blackspots
from roadsafety.exports.enforcement_gap import build_enforcement_gap
from roadsafety.exports.geometry import read_paths
from roadsafety.exports.meta import ExportBundle
from roadsafety.exports.risk_list import RiskListFilter, build_risk_rows, load_run, run_units

MAP_FORMATS = ("pdf", "geojson")
SECTION_FORMATS = ("xlsx", "pdf")


def risk_list_bundle(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    filters: RiskListFilter,
    fmt: str,
    *,
    cutoff: date | None = None,
    blackspot_km: float = 0.5,
) -> ExportBundle:
    """The risk list of a run for ``fmt`` with its companions.

    Args:
        con: an open (read) connection.
        run_id: the forecast run.
        filters: the list's options.
        fmt: ``csv``, ``xlsx``, ``pdf`` or ``geojson``.
        cutoff: cut-off of the blackspot rule (default: the run's data cut-off, else its start).
        blackspot_km: the blackspot stretch length (``RegionConfig.blackspot_km``).
    """
    filters.validate()
    units = run_units(con, run_id)  # read once for every list of the file
    rows = build_risk_rows(con, run_id, filters, units)
    road_wide = gap = spots = of_area = None
    if fmt in SECTION_FORMATS and not filters.road_wide:
        road_wide = build_risk_rows(
            con, run_id, replace(filters, road_wide=True, merge=False), units
        )
    if fmt == "xlsx":
        base = RiskListFilter(
            filters.top, filters.district, filters.police_station, filters.severity
        )
        gap = build_enforcement_gap(con, run_id, base, units)
        info = load_run(con, run_id)
        when = cutoff or info.data_cutoff or info.window_start
        spots = build_blackspots(con, when, run_id, replace(base, top=None), blackspot_km, units)
        if filters.top is not None:  # a top-N list: the blackspots within its places
            of_area, spots = spots.height, blackspots_within(spots, rows)
    paths = read_paths(con, rows) if fmt in MAP_FORMATS else {}
    return ExportBundle(rows, gap, spots, road_wide, paths, of_area)
