"""Sign-in, the request guard, cookies, crafted callback requests and user changes, over HTTP."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from app_clients import callback_payload
from worlds import PASSWORD

from dash_app.app import create_app
from roadsafety.store.connection import write_connection
from roadsafety.store.users import read_audit_log, set_disabled
from roadsafety.vocabulary import text

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


def test_login_page_speaks_english_and_hindi_before_any_language_is_chosen(app) -> None:
    client = app.server.test_client()
    page = client.get("/login").get_data(as_text=True)
    for key in ("app.name", "app.tagline", "login.user", "login.password", "login.title"):
        assert text(key, "en") in page and text(key, "hi") in page
    assert '<span class="hi" lang="hi">' in page
    refused = _login(client, "admin", "wrong password!").get_data(as_text=True)
    expired = client.post("/login", data={"csrf": "stale", "username": "a", "password": "b"})
    for answer, key in (
        (refused, "login.refused"),
        (expired.get_data(as_text=True), "login.expired"),
    ):
        assert text(key, "en") in answer and text(key, "hi") in answer
        assert "login." not in answer.split('role="alert">')[1][:20]  # the text, not the key


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


@pytest.mark.parametrize(
    "next_url",
    [
        "/%09/evil.example",  # browsers drop the tab: //evil.example
        "/%0d%0aSet-Cookie:x=1",
        "/%5Cevil.example",
        "/%5C%5Cevil.example",
        "https://evil.example/",
        "//evil.example",
        "/ /evil.example",
        "javascript:alert(1)",
    ],
)
def test_next_never_leaves_the_site(app, next_url: str) -> None:
    resp = _login(app.server.test_client(), "admin", next_url=f"?next={next_url}")
    assert resp.status_code == 302 and resp.headers["Location"] == "/"


def test_next_keeps_a_local_page(app) -> None:
    resp = _login(app.server.test_client(), "admin", next_url="?next=/risk-list%3Fa%3D1")
    assert resp.headers["Location"] == "/risk-list?a=1"


def _cookie_of(client) -> str:
    return client.get_cookie("roadsafety_session").value


def _replay(app, cookie: str) -> int:
    other = app.server.test_client()
    other.set_cookie("roadsafety_session", cookie)
    return other.get("/_dash-layout").status_code


def test_logout_revokes_a_copied_cookie(app, world_db: Path, tmp_path: Path) -> None:
    client = app.server.test_client()
    _login(client, "admin")
    stolen = _cookie_of(client)
    assert _replay(app, stolen) == 200
    client.get("/logout")
    assert _replay(app, stolen) == 401
    # a restarted app (new process state) still refuses it: the revocation is on disk
    again = create_app(world_db, key_dir=tmp_path / "keys")  # the app fixture's key folder
    again_client = again.server.test_client()
    again_client.set_cookie("roadsafety_session", stolen)
    assert again_client.get("/_dash-layout").status_code == 401
    assert (world_db.with_name(world_db.name + ".revoked_sessions").stat().st_mode & 0o777) == 0o640


def test_disable_then_enable_does_not_revive_an_old_session(app, world_db: Path) -> None:
    client = app.server.test_client()
    _login(client, "karnal_sp")
    stolen = _cookie_of(client)
    with write_connection(world_db) as con:
        set_disabled(con, "karnal_sp")
    assert _replay(app, stolen) == 401
    with write_connection(world_db) as con:
        set_disabled(con, "karnal_sp", disabled=False)
    assert _replay(app, stolen) == 401
    assert _login(app.server.test_client(), "karnal_sp").status_code == 302


def test_parallel_wrong_passwords_are_not_all_checked(app, monkeypatch) -> None:
    import threading

    from dash_app import auth

    checked, barrier = [], threading.Barrier(8, timeout=2)

    def slow_verify(password_hash: str, password: str) -> bool:
        checked.append(password)
        try:  # hold every verification until all 8 arrive (they do only without reservation)
            barrier.wait()
        except threading.BrokenBarrierError:
            pass
        return False

    monkeypatch.setattr(auth, "verify_password", slow_verify)
    answers: list[bytes] = []

    def attempt() -> None:
        answers.append(_login(app.server.test_client(), "viewer", "wrong password!").data)

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(checked) == 5
    assert sum(b"Too many failed attempts" in a for a in answers) == 3


def test_many_user_names_from_one_address_are_throttled(app) -> None:
    client = app.server.test_client()
    answers = [_login(client, f"user{i}", "wrong password!").data for i in range(12)]
    assert all(b"Wrong user name" in a for a in answers[:10])
    assert all(b"from this computer" in a for a in answers[10:])
    assert b"from this computer" in _login(client, "admin").data
    elsewhere = app.server.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "10.0.0.9"
    assert _login(elsewhere, "admin").status_code == 302


def test_huge_user_name_never_reaches_the_audit_log(app, world_db: Path) -> None:
    client = app.server.test_client()
    huge = _login(client, "u" * 400_000)
    assert huge.status_code == 413
    _login(client, "v" * 10_000)
    log = world_db.with_name(world_db.name + ".app_audit.jsonl")
    assert log.stat().st_size < 5_000
    assert read_audit_log(world_db)[-1]["user"].startswith("v" * 64)


@pytest.mark.parametrize("path", ["/login", "/", "/_dash-layout", "/healthz"])
def test_security_headers_on_every_response(app, path: str) -> None:
    client = app.server.test_client()
    _login(client, "admin")
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self' 'sha256-" in csp and "'unsafe-eval'" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in headers  # only with --secure-cookies


def test_hsts_and_tile_origin_when_configured(world_db: Path, tmp_path: Path) -> None:
    tiles = "https://{s}.tiles.example/{z}/{x}/{y}.png"
    app = create_app(world_db, key_dir=tmp_path / "k", secure_cookies=True, tile_url=tiles)
    headers = app.server.test_client().get("/login").headers
    assert headers["Strict-Transport-Security"].startswith("max-age=")
    assert "img-src 'self' data: https://*.tiles.example" in headers["Content-Security-Policy"]
