"""Foundation tables: facts, reference tables, spatial units, ingest runs, quarantine, history."""

from roadsafety import schemas as s

VERSION = 1
NAME = "foundation"


def statements() -> list[str]:
    """DDL for the foundation tables."""
    return [
        s.create_table_sql(
            "accidents", s.ACCIDENTS
        ),  # uniqueness of (source, id) is enforced by the ingest merge; no index keeps bulk loads fast
        s.create_table_sql("challans", s.CHALLANS),
        s.create_table_sql("quarantine", s.QUARANTINE),
        """CREATE TABLE IF NOT EXISTS ingest_runs (
            run_id VARCHAR PRIMARY KEY, kind VARCHAR, source VARCHAR, format VARCHAR,
            source_file VARCHAR, file_sha256 VARCHAR, started_at TIMESTAMP, finished_at TIMESTAMP,
            rows_read BIGINT, loaded BIGINT, inserted BIGINT, updated BIGINT, quarantined BIGINT,
            duplicates BIGINT, status VARCHAR, message VARCHAR, os_user VARCHAR)""",
        """CREATE TABLE IF NOT EXISTS record_history (
            kind VARCHAR, source VARCHAR, record_id VARCHAR, changed_at TIMESTAMP,
            ingest_run_id VARCHAR, changed_columns VARCHAR, old_values VARCHAR, new_values VARCHAR)""",
        """CREATE TABLE IF NOT EXISTS districts (
            district VARCHAR PRIMARY KEY, state VARCHAR, latitude DOUBLE, longitude DOUBLE)""",
        """CREATE TABLE IF NOT EXISTS police_stations (
            police_station VARCHAR, district VARCHAR, latitude DOUBLE, longitude DOUBLE,
            PRIMARY KEY (police_station, district))""",
        """CREATE TABLE IF NOT EXISTS spatial_units (
            unit_id VARCHAR PRIMARY KEY, kind VARCHAR, h3_cell VARCHAR, h3_resolution INTEGER,
            road_name VARCHAR, road_category VARCHAR, police_station VARCHAR, district VARCHAR,
            latitude DOUBLE, longitude DOUBLE, chainage_km DOUBLE, n_accidents BIGINT,
            first_seen TIMESTAMP, last_seen TIMESTAMP)""",
    ]
