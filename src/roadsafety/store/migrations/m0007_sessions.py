"""Session revocation: a per-user session version.

The app stamps each session with the user's ``session_version`` at sign-in and refuses a session
whose stamp differs from the stored value. ``roadsafety users disable`` (and ``--enable``) and
``roadsafety users revoke`` bump it, so every open session of that user ends on its next request,
and a cookie copied before a disable does not come back to life after a re-enable.
"""

VERSION = 7
NAME = "sessions"


def statements() -> list[str]:
    """DDL adding ``users.session_version``."""
    return ["ALTER TABLE users ADD COLUMN IF NOT EXISTS session_version INTEGER DEFAULT 0"]
