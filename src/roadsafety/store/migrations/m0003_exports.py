"""Export audit trail: every risk list, gap list or blackspot list written to a file is recorded."""

VERSION = 3
NAME = "exports"


def statements() -> list[str]:
    """DDL for the export audit table."""
    return [
        """CREATE TABLE IF NOT EXISTS export_audit (
            audit_id VARCHAR PRIMARY KEY,     -- uuid4 hex
            exported_at TIMESTAMP,            -- UTC
            user_name VARCHAR,                -- OS user (CLI) or the app's logged-in user
            user_kind VARCHAR,                -- os | app
            export_kind VARCHAR,              -- risk_list | enforcement_gap | blackspots
            format VARCHAR,                   -- csv | xlsx | pdf | geojson
            path VARCHAR,                     -- file written (absolute), or the download name
            params VARCHAR,                   -- JSON of the filters and window
            run_id VARCHAR,                   -- forecast run the rows came from (null if none)
            model_version VARCHAR,
            row_count BIGINT,
            file_sha256 VARCHAR)""",
    ]
