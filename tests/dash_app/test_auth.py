"""Sign-in, the request guard, cookies, crafted callback requests and user changes, over HTTP."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from app_clients import callback_payload
from worlds import PASSWORD

from dash_app.app import create_app
from dash_app.users import read_audit_log, set_disabled
from roadsafety.store.connection import write_connection

GRID_INPUTS = {
    "risk-district": "Panipat",
    "risk-window": 7,
    "risk-severity": "all",
    "risk-band": "low",
    "risk-top": 500,
    "risk-merge": [],
}


def _login(client, username: str, password: str = PASSWORD, next_url: str = ""):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    return client.post(
        "/login" + next_url, data={"csrf": token, "username": username, "password": password}
    )


def _grid_rows(app, client, values: dict):
    client.get("/")  # first request sets up the callback map
    resp = client.post(
        "/_dash-update-component", json=callback_payload(app, "risk-grid.rowData", values)
    )
    return resp


def test_anonymous_gets_no_page_and_no_data(app) -> None:
    client = app.server.test_client()
    assert client.get("/risk-list").status_code == 302
    assert "/login" in client.get("/").headers["Location"]
    for path in ("/_dash-layout", "/_dash-dependencies"):
        assert client.get(path).status_code == 401
    body = {
        "output": "risk-grid.rowData",
        "outputs": {"id": "risk-grid", "property": "rowData"},
        "inputs": [{"id": "risk-district", "property": "value", "value": "Karnal"}],
        "changedPropIds": [],
    }
    resp = client.post("/_dash-update-component", json=body)
    assert resp.status_code == 401 and b"Karnal" not in resp.data


def test_login_sets_hardened_cookie_and_audits(app, world_db: Path) -> None:
    client = app.server.test_client()
    bad = _login(client, "admin", "wrong password!")
    assert bad.status_code == 200 and b"Wrong user name or password" in bad.data
    ok = _login(client, "admin")
    assert ok.status_code == 302
    cookie = ok.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert client.get("/_dash-layout").status_code == 200
    actions = [(e["user"], e["action"]) for e in read_audit_log(world_db)]
    assert ("admin", "login_failed") in actions and ("admin", "login") in actions
    client.get("/logout")
    assert client.get("/_dash-layout").status_code == 401
    assert read_audit_log(world_db)[-1]["action"] == "logout"


def test_secure_cookie_flag_and_open_redirect(world_db: Path, tmp_path: Path) -> None:
    app = create_app(world_db, key_dir=tmp_path / "k", secure_cookies=True)
    client = app.server.test_client()
    resp = _login(client, "admin", next_url="?next=//evil.example/x")
    assert "Secure" in resp.headers["Set-Cookie"] and resp.headers["Location"].endswith("/")
    assert (tmp_path / "k" / "app_secret.key").stat().st_mode & 0o777 == 0o600


def test_missing_csrf_token_is_refused(app) -> None:
    client = app.server.test_client()
    resp = client.post("/login", data={"username": "admin", "password": PASSWORD})
    assert resp.status_code == 200 and b"expired" in resp.data


def test_crafted_callback_for_another_district_returns_only_own(app) -> None:
    client = app.server.test_client()
    _login(client, "karnal_sp")
    resp = _grid_rows(app, client, GRID_INPUTS)
    rows = resp.get_json()["response"]["risk-grid"]["rowData"]
    assert rows and {r["district"] for r in rows} == {"Karnal"}
    assert b"Panipat" not in resp.data


def test_state_user_can_filter_by_district(app) -> None:
    client = app.server.test_client()
    _login(client, "admin")
    rows = _grid_rows(app, client, GRID_INPUTS).get_json()["response"]["risk-grid"]["rowData"]
    assert {r["district"] for r in rows} == {"Panipat"}


def test_disabled_user_loses_the_session(app, world_db: Path) -> None:
    client = app.server.test_client()
    _login(client, "karnal_sp")
    assert client.get("/_dash-layout").status_code == 200
    with write_connection(world_db) as con:
        set_disabled(con, "karnal_sp")
    assert client.get("/_dash-layout").status_code == 401
    assert _login(client, "karnal_sp").status_code == 200  # form again, with the error


@pytest.mark.parametrize("name", ["", "nobody"])
def test_unknown_users_are_refused(app, name: str) -> None:
    assert _login(app.server.test_client(), name).status_code == 200


def test_repeated_failures_lock_the_user_out(app, world_db: Path) -> None:
    client = app.server.test_client()
    for _ in range(5):
        assert b"Wrong user name" in _login(client, "viewer", "not the password").data
    locked = _login(client, "viewer")  # right password, but locked for now
    assert locked.status_code == 200 and b"Too many failed attempts" in locked.data
    assert _login(client, "admin").status_code == 302  # other users are not affected
    assert read_audit_log(world_db)[-2]["detail"]["reason"] == "too many failures"
