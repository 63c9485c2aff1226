"""Road stretches: km range of each spatial unit and the km -> position fit of each road.

``spatial_units.km_from`` / ``km_to``: the bin edges of a stretch unit (``kind = 'stretch'``,
``ROAD | km A-B``), or the km range of the unit's road inside an H3 cell when that road has a fit;
null otherwise. ``road_km_fit`` holds the knots of each fitted road (see features/road_fit.py),
rebuilt with the reference tables after every ingest.
"""

from roadsafety import schemas as s

VERSION = 8
NAME = "road_stretches"


def statements() -> list[str]:
    """DDL for the stretch columns and the road fit table."""
    return [
        "ALTER TABLE spatial_units ADD COLUMN IF NOT EXISTS km_from DOUBLE",
        "ALTER TABLE spatial_units ADD COLUMN IF NOT EXISTS km_to DOUBLE",
        s.create_table_sql("road_km_fit", s.ROAD_KM_FIT, key=("road_name", "km")),
    ]
