"""Risk-list rows, built once, for every export format and the app's table.

Public API (also used by the Dash app):

* :class:`RiskListFilter` — the options of ``export risk-list`` (top, district, police station,
  severity ranking key, minimum band, corridor merging).
* :func:`build_risk_rows` ``(con, run_id, filters, units=None) -> pl.DataFrame`` — the ranked rows
  with exactly :data:`RISK_COLUMNS`, from an open read connection. Same run and filters give
  identical rows. ``units`` is the run's :func:`run_units` when a caller building several lists of
  one run (a workbook: rows, road-wide units, gap, blackspots) has read it once already.
* :func:`read_list_units` ``(con, run_id)`` and :func:`rank_units` ``(info, units, filters)`` — the
  same rows in two halves: one read of the run's units, then a pure ranking for any filter set.
* :func:`load_run` — the run's window, model version and data cut-off (for titles and footers).

Places and road-wide units: the list ranks *places* — H3 cells, road stretches ``ROAD | km A-B``
and corridors of them — and never a whole road against them. Road-wide units
(``POLICE STATION | ROAD``: a road named in FIRs with neither GPS nor km marker, often 10+ km of
highway) have their own list, ranked among themselves (``RiskListFilter(road_wide=True)``); the
workbook, the PDF and the app show it as a separate, labelled section.

Ranking: ``severity='all'`` ranks by ``expected_crashes`` (ties: ``expected_fatal_grievous``, then
``unit_id``); ``'fatal_grievous'`` ranks by ``expected_fatal_grievous`` (ties: ``expected_crashes``,
then ``unit_id``). Filters apply first, corridors merge next (see :mod:`roadsafety.exports.corridors`;
a corridor ranks by its summed value), then the band filter, then the top N rows are kept: ``top``
counts rows, so a merged corridor is one row.

Bands (:func:`list_band_cuts`): cut points on the ranking value taken from the whole run (the value
of its top 1%, 5%, 20% of places), so the band column never rises down the list — for a district,
a corridor (its summed value) or the fatal + grievous ranking alike — and a district's "very high"
means the state's top 1%. Units the forecast names but ``spatial_units`` does not know (for example empty
H3 neighbour cells) get their cell and centre from the unit id when it is an H3 index. A road
stretch is placed at its road's fitted mid-point (``spatial_units``), else has no coordinates: its
km marker is its place. A police station + road unit without a centroid of its own is placed at its
police station (the mean of the station's located crashes, table ``police_stations``) when that is
known, else has no coordinates.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import h3
import polars as pl

from roadsafety.errors import ExportError, NoMatchError
from roadsafety.exports.corridors import merge_corridors, merge_stretch_runs
from roadsafety.features.text import squeezed
from roadsafety.store.export_store import RunInfo, read_forecast_units, read_run_info
from roadsafety.store.units import fill_h3_cells
from roadsafety.vocabulary import BAND_KEYS, BAND_ORDER, band_cuts, band_of

RISK_COLUMNS = (
    "rank",
    "unit_id",
    "h3_cell",
    "road_name",
    "km_from",
    "km_to",
    "police_station",
    "district",
    "latitude",
    "longitude",
    "expected_crashes",
    "expected_fatal_grievous",
    "risk_band",
    "peak_window",
    "top_factors",
    "window_start",
    "window_end",
    "model_version",
)
SEVERITY_KEYS = {"all": "expected_crashes", "fatal_grievous": "expected_fatal_grievous"}
BANDS = tuple(BAND_ORDER)


@dataclass(frozen=True)
class RiskListFilter:
    """Options of a risk list.

    Attributes:
        top: keep the first N rows (None keeps all).
        district: only this district (case-insensitive).
        police_station: only this police station (case-insensitive).
        severity: ranking key, ``all`` (expected crashes) or ``fatal_grievous``.
        min_band: drop rows below this band (``low`` < ``medium`` < ``high`` < ``very_high``).
        merge: merge adjacent high-risk cells (or stretches) along one road into corridor rows.
        road_wide: list the road-wide ``POLICE STATION | ROAD`` units (ranked among themselves)
            instead of the places.
    """

    top: int | None = None
    district: str | None = None
    police_station: str | None = None
    severity: str = "all"
    min_band: str | None = None
    merge: bool = False
    road_wide: bool = False

    def validate(self) -> None:
        """Raise :class:`ExportError` naming the first bad option."""
        if self.top is not None and self.top < 1:
            raise ExportError(f"--top must be at least 1, got {self.top}")
        if self.severity not in SEVERITY_KEYS:
            raise ExportError(
                f"--severity must be one of {', '.join(SEVERITY_KEYS)}, got {self.severity!r}"
            )
        if self.min_band is not None and self.min_band not in BAND_ORDER:
            raise ExportError(
                f"--min-band must be one of {', '.join(BANDS)}, got {self.min_band!r}"
            )

    def as_params(self) -> dict:
        """The filter as a JSON-ready dict (for audit rows and summaries)."""
        return {
            "top": self.top,
            "district": self.district,
            "police_station": self.police_station,
            "severity": self.severity,
            "min_band": self.min_band,
            "merge": self.merge,
            "road_wide": self.road_wide,
        }


def load_run(con: duckdb.DuckDBPyConnection, run_id: str) -> RunInfo:
    """The run's window, model version and cut-off.

    Raises:
        ExportError: when the run does not exist.
    """
    info = read_run_info(con, run_id)
    if info is None:
        raise ExportError(f"forecast run {run_id!r} does not exist in the warehouse")
    return info


JURISDICTION_RINGS = 3


def _nearest_known(
    cell: str, known: dict[str, tuple[str, str | None]]
) -> tuple[str, str | None] | None:
    """District and police station of the nearest described cell within a few rings (ties: the
    smallest cell id), or None."""
    for k in range(1, JURISDICTION_RINGS + 1):
        hits = sorted(c for c in h3.grid_ring(cell, k) if c in known)
        if hits:
            return known[hits[0]]
    return None


def infer_jurisdiction(units: pl.DataFrame) -> pl.DataFrame:
    """Give H3 cells with no district (cells the forecast adds around known ones) the district and
    police station of the nearest cell that has them, so district filters and sheets include them.
    The road name is not inferred (a neighbouring cell need not be on the same road)."""
    orphan = pl.col("h3_cell").is_not_null() & pl.col("district").is_null()
    if units.filter(orphan).is_empty():
        return units
    known = {
        r["h3_cell"]: (r["district"], r["police_station"])
        for r in units.filter(pl.col("h3_cell").is_not_null() & pl.col("district").is_not_null())
        .select("h3_cell", "district", "police_station")
        .iter_rows(named=True)
    }
    found = {c: _nearest_known(c, known) for c in units.filter(orphan)["h3_cell"]}
    lookup = pl.DataFrame(
        [(c, v[0], v[1]) for c, v in found.items() if v],
        schema={"h3_cell": pl.Utf8, "_district": pl.Utf8, "_ps": pl.Utf8},
        orient="row",
    )
    return (
        units.join(lookup, on="h3_cell", how="left", maintain_order="left")
        .with_columns(
            pl.coalesce("district", "_district").alias("district"),
            pl.when(pl.col("district").is_null())
            .then(pl.col("_ps"))
            .otherwise(pl.col("police_station"))
            .alias("police_station"),
        )
        .drop("_district", "_ps")
    )


def complete_units(units: pl.DataFrame) -> pl.DataFrame:
    """Fill the cell and centre of H3 units that ``spatial_units`` does not describe, and give
    police station + road units without coordinates their police station's location."""
    units = infer_jurisdiction(fill_h3_cells(units))
    if "ps_latitude" not in units.columns:
        return units
    road_wide = (pl.col("kind") == "ps_road").fill_null(False) if "kind" in units.columns else True
    no_point = (pl.col("latitude").is_null() | pl.col("longitude").is_null()) & road_wide
    return units.with_columns(
        pl.when(no_point)
        .then(pl.col("ps_latitude"))
        .otherwise(pl.col("latitude"))
        .alias("latitude"),
        pl.when(no_point)
        .then(pl.col("ps_longitude"))
        .otherwise(pl.col("longitude"))
        .alias("longitude"),
    ).drop("ps_latitude", "ps_longitude")


def match_option(units: pl.DataFrame, column: str, value: str, option: str) -> pl.DataFrame:
    """Rows whose ``column`` equals ``value`` (case and spacing ignored).

    Raises:
        ExportError: naming ``option`` and the known values when nothing matches.
    """
    wanted = " ".join(value.split()).lower()
    norm = squeezed(pl.col(column).fill_null("")).str.to_lowercase()
    kept = units.filter(norm == wanted)
    if kept.is_empty():
        known = sorted(v for v in units[column].drop_nulls().unique().to_list() if v)
        sample = ", ".join(known[:12]) + (" ..." if len(known) > 12 else "")
        raise NoMatchError(
            f"{option} {value!r} matches no unit here; known values: {sample or 'none'}"
        )
    return kept


def is_road_wide() -> pl.Expr:
    """True for road-wide units (``kind = 'ps_road'``), the ones never ranked against places."""
    return (pl.col("kind") == "ps_road").fill_null(False)


def list_band_cuts(units: pl.DataFrame, key: str, road_wide: bool) -> dict[str, float]:
    """Cut points of the list's bands on its ranking ``key``, from the whole run (before filters).

    The run says how many of its places (or, with ``road_wide``, of its road-wide units) are in
    each band or above (its stored ``risk_band``: the top 1%, 5%, 20%); a band's cut is the
    ``key`` value at that position (:func:`roadsafety.vocabulary.band_cuts`). A row's band is then
    the highest band whose cut its ``key`` reaches, so along a list ranked by ``key`` — filtered,
    merged into corridors or cut to the top N — a row is never in a higher band than a row above it.
    """
    if "kind" in units.columns:
        units = units.filter(is_road_wide() if road_wide else ~is_road_wide())
    order = pl.col("risk_band").replace_strict(BAND_ORDER, default=-1)
    counts = {band: units.filter(order >= BAND_ORDER[band]).height for band in BAND_KEYS}
    return band_cuts(units[key], counts)


def filter_units(units: pl.DataFrame, filters: RiskListFilter) -> pl.DataFrame:
    """Apply the district and police-station filters and keep the places (or, with ``road_wide``,
    the road-wide units); the band filter applies after merging (:func:`build_units`)."""
    if filters.district:
        units = match_option(units, "district", filters.district, "--district")
    if filters.police_station:
        units = match_option(units, "police_station", filters.police_station, "--police-station")
    if "kind" in units.columns:
        units = units.filter(is_road_wide() if filters.road_wide else ~is_road_wide())
    return units


def keep_bands(rows: pl.DataFrame, min_band: str | None) -> pl.DataFrame:
    """Drop rows below ``min_band`` (None keeps all)."""
    if not min_band:
        return rows
    floor = BAND_ORDER[min_band]
    return rows.filter(pl.col("risk_band").replace_strict(BAND_ORDER, default=-1) >= floor)


def rank_rows(rows: pl.DataFrame, severity: str, top: int | None) -> pl.DataFrame:
    """Sort by the severity key with stable tie-breaks, cut to ``top`` rows, number them."""
    key = SEVERITY_KEYS[severity]
    other = "expected_fatal_grievous" if key == "expected_crashes" else "expected_crashes"
    rows = rows.sort([key, other, "unit_id"], descending=[True, True, False], nulls_last=True)
    if top is not None:
        rows = rows.head(top)
    return rows.with_columns(pl.int_range(1, rows.height + 1, dtype=pl.Int64).alias("rank"))


def read_list_units(con: duckdb.DuckDBPyConnection, run_id: str) -> tuple[RunInfo, pl.DataFrame]:
    """The run's info and every one of its forecast units, completed (:func:`complete_units`): what
    every list of the run is ranked from (:func:`rank_units`), whatever its filters.

    Raises:
        ExportError: when the run does not exist or has no rows.
    """
    info = load_run(con, run_id)
    units = read_forecast_units(con, run_id)
    if units.is_empty():
        raise ExportError(f"forecast run {run_id!r} has no rows")
    return info, complete_units(units)


def run_units(con: duckdb.DuckDBPyConnection, run_id: str) -> pl.DataFrame:
    """Every forecast row of a run with its unit's attributes, completed: what :func:`build_units`
    starts from. A file carrying several lists reads it once (:func:`read_list_units`' units).

    Raises:
        ExportError: when the run does not exist or has no rows.
    """
    return read_list_units(con, run_id)[1]


def build_units(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    filters: RiskListFilter,
    units: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Filtered, merged and ranked rows with every column (contract and extras such as n_cells);
    ``units`` is the run's :func:`run_units` when the caller has read it already."""
    filters.validate()
    if units is None:
        return rank_units(*read_list_units(con, run_id), filters)
    return rank_units(load_run(con, run_id), units, filters)


def rank_units(info: RunInfo, units: pl.DataFrame, filters: RiskListFilter) -> pl.DataFrame:
    """:func:`build_units` on a run's units already read (:func:`read_list_units`): no I/O, so a
    reader that keeps the run's units (the app, once per warehouse version) ranks any filter set
    without reading the warehouse again. Same units and filters give the same rows."""
    filters.validate()
    key = SEVERITY_KEYS[filters.severity]
    banded = band_of(pl.col(key), list_band_cuts(units, key, filters.road_wide)).alias("risk_band")
    units = filter_units(units, filters).with_columns(banded)
    units = (
        merge_stretch_runs(merge_corridors(units, key), key)
        if filters.merge
        else units.with_columns(pl.lit(1, dtype=pl.Int64).alias("n_cells"))
    )
    units = keep_bands(units.with_columns(banded), filters.min_band)
    return rank_rows(units, filters.severity, filters.top).with_columns(
        pl.lit(info.window_start, dtype=pl.Date).alias("window_start"),
        pl.lit(info.window_end, dtype=pl.Date).alias("window_end"),
        pl.lit(info.version_id, dtype=pl.Utf8).alias("model_version"),
    )


def build_risk_rows(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    filters: RiskListFilter,
    units: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The ranked risk list of a forecast run, with exactly :data:`RISK_COLUMNS`.

    Args:
        con: an open (read) connection to the warehouse.
        run_id: the forecast run (see ``forecast_runs``).
        filters: the list's options.
        units: the run's :func:`run_units`, when already read (else read here).

    Returns:
        One row per unit (or merged corridor), ranked from 1.

    Raises:
        ExportError: on a bad option, an unknown run or a filter that matches nothing.
    """
    return build_units(con, run_id, filters, units).select(RISK_COLUMNS)
