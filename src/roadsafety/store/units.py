"""Derived reference tables: spatial units, districts and police stations, rebuilt after each ingest."""

from __future__ import annotations

import duckdb
import h3
import polars as pl

UNITS_SQL = """
SELECT unit_id,
       CASE WHEN bool_or(located) THEN 'h3' ELSE 'ps_road' END AS kind,
       any_value(h3_cell) FILTER (WHERE located) AS h3_cell,
       mode(road_name) AS road_name, mode(road_category) AS road_category,
       mode(police_station) AS police_station, mode(district) AS district,
       avg(latitude) AS latitude, avg(longitude) AS longitude,
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


def refresh_reference_tables(con: duckdb.DuckDBPyConnection, h3_resolution: int) -> None:
    """Rebuild spatial_units, districts and police_stations from the fact tables."""
    units = _cell_centres(con.execute(UNITS_SQL).pl()).with_columns(
        pl.when(pl.col("h3_cell").is_not_null())
        .then(pl.lit(h3_resolution))
        .otherwise(None)
        .cast(pl.Int32)
        .alias("h3_resolution")
    )
    con.register("units_in", units.to_arrow())
    con.execute("DELETE FROM spatial_units")
    con.execute(
        """INSERT INTO spatial_units BY NAME SELECT unit_id, kind, h3_cell, h3_resolution, road_name,
           road_category, police_station, district, latitude, longitude, chainage_km, n_accidents,
           first_seen, last_seen FROM units_in"""
    )
    con.unregister("units_in")
    con.execute("DELETE FROM districts")
    con.execute(
        """INSERT INTO districts SELECT district, NULL, avg(latitude), avg(longitude) FROM (
             SELECT district, latitude, longitude FROM accidents WHERE district IS NOT NULL
             UNION ALL SELECT district, NULL, NULL FROM (SELECT DISTINCT district FROM challans
             WHERE district IS NOT NULL)) GROUP BY district"""
    )
    con.execute("DELETE FROM police_stations")
    con.execute(
        """INSERT INTO police_stations SELECT police_station, coalesce(district, ''), avg(latitude), avg(longitude)
           FROM (SELECT police_station, district, latitude, longitude FROM accidents
                 WHERE police_station IS NOT NULL
                 UNION ALL SELECT DISTINCT police_station, district, NULL, NULL FROM challans
                 WHERE police_station IS NOT NULL) GROUP BY police_station, coalesce(district, '')"""
    )
