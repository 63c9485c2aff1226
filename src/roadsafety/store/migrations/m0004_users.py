"""App users and the app's audit trail.

``users`` is written only by the ``roadsafety users`` command (through ``write_connection``); the web
app reads it read-only. The app appends its audit events (login, logout, download, denied) to an
append-only JSON-lines file beside the warehouse so a click never waits for the nightly job's write
lock; ``roadsafety users audit`` copies new events into ``app_audit`` (idempotent on ``event_id``).
"""

VERSION = 4
NAME = "users"


def statements() -> list[str]:
    """DDL for users and the app audit table."""
    return [
        """CREATE TABLE IF NOT EXISTS users (
            username VARCHAR PRIMARY KEY,
            password_hash VARCHAR NOT NULL,   -- argon2id
            role VARCHAR NOT NULL,            -- viewer | analyst | admin
            district VARCHAR,                 -- scope; NULL = every district
            disabled BOOLEAN DEFAULT FALSE,
            created_at TIMESTAMP)""",
        """CREATE TABLE IF NOT EXISTS app_audit (
            event_id VARCHAR PRIMARY KEY,
            "when" TIMESTAMP,
            "user" VARCHAR,
            action VARCHAR,                   -- login | login_failed | logout | download | denied
            detail VARCHAR)""",
    ]
