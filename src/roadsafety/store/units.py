"""Derived reference tables, rebuilt after each ingest: spatial units (with each road stretch placed
by its road's km fit and each cell's km range along its road), the road fit itself, districts and
police stations.

Unlocated accidents get their unit re-derived here too (:func:`reassign_unlocated`), so records
loaded before road stretches existed, or under another ``stretch_km``, follow the current rule.
"""

from __future__ import annotations

import logging

import duckdb
import h3
import polars as pl

from roadsafety import schemas
from roadsafety.config import RegionConfig
from roadsafety.features.road_fit import cell_km_ranges, fit_road_km, positions_at
from roadsafety.features.roads import with_normalised_roads
from roadsafety.features.units import record_units, unit_kinds

log = logging.getLogger(__name__)

UNITS_SQL = """
SELECT unit_id,
       any_value(h3_cell) FILTER (WHERE located) AS h3_cell,
       mode(road_name) AS road_name, mode(road_category) AS road_category,
       mode(police_station) AS police_station, mode(district) AS district,
       avg(latitude) FILTER (WHERE located) AS latitude,
       avg(longitude) FILTER (WHERE located) AS longitude,
       median(chainage_km) AS chainage_km, count(*) AS n_accidents,
       min(occurred_at) AS first_seen, max(occurred_at) AS last_seen
FROM accidents WHERE unit_id IS NOT NULL GROUP BY unit_id
"""


def _cell_centres(units: pl.DataFrame) -> pl.DataFrame:
    """Use the H3 cell centre as the point of a located unit (stable for maps and exports)."""
    cells = units.filter(pl.col("h3_cell").is_not_null()).get_column("h3_cell").to_list()
    centres = pl.DataFrame(
        {
            "h3_cell": cells,
            "_lat": [h3.cell_to_latlng(c)[0] for c in cells],
            "_lon": [h3.cell_to_latlng(c)[1] for c in cells],
        },
        schema={"h3_cell": pl.Utf8, "_lat": pl.Float64, "_lon": pl.Float64},
    )
    return (
        units.join(centres, on="h3_cell", how="left")
        .with_columns(
            pl.coalesce("_lat", "latitude").alias("latitude"),
            pl.coalesce("_lon", "longitude").alias("longitude"),
        )
        .drop("_lat", "_lon")
    )


def fill_h3_cells(units: pl.DataFrame) -> pl.DataFrame:
    """Give forecast units that ``spatial_units`` does not describe (e.g. empty H3 neighbour cells
    the forecast adds) their cell and centre.

    A null ``h3_cell`` takes the ``unit_id`` when that is a valid H3 index; a row with a cell and no
    ``latitude`` takes the cell's centre. Other rows are returned unchanged.
    """
    cells = [
        cell if cell else (unit if unit and h3.is_valid_cell(unit) else None)
        for unit, cell in zip(units["unit_id"].to_list(), units["h3_cell"].to_list())
    ]
    lat, lon = units["latitude"].to_list(), units["longitude"].to_list()
    for i, cell in enumerate(cells):
        if cell and lat[i] is None:
            lat[i], lon[i] = h3.cell_to_latlng(cell)
    return units.with_columns(
        pl.Series("h3_cell", cells, dtype=pl.Utf8),
        pl.Series("latitude", lat, dtype=pl.Float64),
        pl.Series("longitude", lon, dtype=pl.Float64),
    )


def reassign_unlocated(con: duckdb.DuckDBPyConnection, region: RegionConfig) -> int:
    """Re-derive the unit of every unlocated accident under the current rule; return rows changed.

    Only ``unit_id`` is rewritten (it is not part of a record's content hash).
    """
    rows = con.execute(
        """SELECT source, accident_id, located, h3_cell, road_name, chainage_km, police_station,
                  district, unit_id AS old_unit FROM accidents WHERE NOT located"""
    ).pl()
    if rows.is_empty():
        return 0
    new = record_units(rows, region.stretch_km).filter(
        pl.col("unit_id").ne_missing(pl.col("old_unit"))
    )
    if new.height:
        con.register("units_new", new.select("source", "accident_id", "unit_id").to_arrow())
        con.execute(
            """UPDATE accidents SET unit_id = n.unit_id FROM units_new n
               WHERE accidents.source = n.source AND accidents.accident_id = n.accident_id"""
        )
        con.unregister("units_new")
        log.info("re-derived the spatial unit of %d unlocated accidents", new.height)
    return new.height


def refresh_road_fit(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Fit every road's km -> position line from located, km-marked accidents; store and return it."""
    markers = con.execute(
        """SELECT road_name, chainage_km, latitude, longitude FROM accidents
           WHERE located AND road_name IS NOT NULL AND chainage_km IS NOT NULL"""
    ).pl()
    knots = fit_road_km(with_normalised_roads(markers))
    con.execute("DELETE FROM road_km_fit")
    con.register("fit_in", knots.select(list(schemas.ROAD_KM_FIT)).to_arrow())
    con.execute("INSERT INTO road_km_fit BY NAME SELECT * FROM fit_in")
    con.unregister("fit_in")
    return knots


def place_units(units: pl.DataFrame, knots: pl.DataFrame, h3_resolution: int) -> pl.DataFrame:
    """Stretches at their fitted mid-point; cells with the km range of their road inside them."""
    mid = units.select("unit_id", "road_name", km=(pl.col("km_from") + pl.col("km_to")) / 2).filter(
        pl.col("km").is_not_null()
    )
    placed = positions_at(knots, mid).select("unit_id", "fit_latitude", "fit_longitude")
    ranges = cell_km_ranges(knots, h3_resolution).rename(
        {"km_from": "cell_km_from", "km_to": "cell_km_to"}
    )
    is_cell = pl.col("kind") == "h3"
    return (
        units.join(placed, on="unit_id", how="left")
        .join(ranges, on=["road_name", "h3_cell"], how="left")
        .with_columns(
            pl.coalesce("latitude", "fit_latitude").alias("latitude"),
            pl.coalesce("longitude", "fit_longitude").alias("longitude"),
            pl.when(is_cell)
            .then(pl.col("cell_km_from"))
            .otherwise(pl.col("km_from"))
            .alias("km_from"),
            pl.when(is_cell).then(pl.col("cell_km_to")).otherwise(pl.col("km_to")).alias("km_to"),
        )
        .drop("fit_latitude", "fit_longitude", "cell_km_from", "cell_km_to")
    )


def build_spatial_units(con: duckdb.DuckDBPyConnection, region: RegionConfig) -> pl.DataFrame:
    """One row per unit of the accidents, as stored in ``spatial_units``."""
    units = unit_kinds(with_normalised_roads(con.execute(UNITS_SQL).pl()))
    units = _cell_centres(units).with_columns(
        pl.when(pl.col("h3_cell").is_not_null())
        .then(pl.lit(region.h3_resolution))
        .otherwise(None)
        .cast(pl.Int32)
        .alias("h3_resolution")
    )
    return place_units(units, refresh_road_fit(con), region.h3_resolution)


def refresh_reference_tables(con: duckdb.DuckDBPyConnection, region: RegionConfig) -> None:
    """Re-derive unlocated units, then rebuild the road fit, spatial_units, districts and
    police_stations from the fact tables."""
    reassign_unlocated(con, region)
    units = build_spatial_units(con, region)
    con.register("units_in", units.to_arrow())
    con.execute("DELETE FROM spatial_units")
    con.execute(
        """INSERT INTO spatial_units BY NAME SELECT unit_id, kind, h3_cell, h3_resolution, road_name,
           road_category, police_station, district, latitude, longitude, chainage_km, n_accidents,
           first_seen, last_seen, km_from, km_to FROM units_in"""
    )
    con.unregister("units_in")
    con.execute("DELETE FROM districts")
    con.execute(
        """INSERT INTO districts SELECT district, NULL, avg(latitude), avg(longitude) FROM (
             SELECT district, latitude, longitude FROM accidents WHERE district IS NOT NULL
             UNION ALL SELECT district, NULL, NULL FROM (SELECT DISTINCT district FROM challan_unit_day
             WHERE district IS NOT NULL)) GROUP BY district"""
    )
    con.execute("DELETE FROM police_stations")
    con.execute(
        """INSERT INTO police_stations SELECT police_station, coalesce(district, ''), avg(latitude), avg(longitude)
           FROM (SELECT police_station, district, latitude, longitude FROM accidents
                 WHERE police_station IS NOT NULL
                 UNION ALL SELECT DISTINCT police_station, district, NULL, NULL FROM challan_unit_day
                 WHERE police_station IS NOT NULL) GROUP BY police_station, coalesce(district, '')"""
    )
