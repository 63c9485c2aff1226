"""The demo's logins: created once, with the given password, kept in a private file."""

from __future__ import annotations

import stat
from pathlib import Path

from worlds import app_world

from roadsafety.commands.demo import DEMO_USERS, users_step
from roadsafety.config import Settings
from roadsafety.store.connection import read_connection
from roadsafety.store.users import read_user, verify_password


def test_demo_users_get_the_password_and_keep_it(tmp_path: Path) -> None:
    settings = Settings(db_path=app_world(tmp_path / "wh.duckdb"))
    creds = users_step(settings, "demo-only-password")
    assert creds == {name: "demo-only-password" for name, _, _ in DEMO_USERS}
    with read_connection(settings.db_path) as con:
        users = [read_user(con, name) for name, _, _ in DEMO_USERS]
    assert [(u.role, u.district) for u in users] == [(r, d) for _, r, d in DEMO_USERS]
    assert all(verify_password(u.password_hash, "demo-only-password") for u in users)
    logins = tmp_path / "demo-logins.json"
    assert stat.S_IMODE(logins.stat().st_mode) == 0o600
    assert users_step(settings, "another") == creds  # made once: a second demo keeps them
    logins.unlink()  # the passwords were lost: the users are made again with new ones
    again = users_step(settings)
    assert again.keys() == creds.keys() and again != creds
