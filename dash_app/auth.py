"""Session login for the app (Flask-Login), the request guard, and the caller's scope.

* Every request except the login form, its stylesheet and the health probe needs a logged-in,
  enabled user: pages redirect to ``/login``; Dash's JSON endpoints (``/_dash-update-component``,
  ``/_dash-layout``, ``/_dash-dependencies``) and downloads answer 401 with no data.
* Callbacks check again themselves (:func:`require_scope`) and force a district-scoped user's
  district whatever the callback inputs say.
* The user is re-read (cached per warehouse version) on every request, so disabling a user or
  changing their scope takes effect at once.
* Five failed logins for one user name lock it out of the form for 15 minutes (in memory).
* Session cookie: HttpOnly, SameSite=Lax, ``Secure`` when configured; the secret key comes from
  ``ROADSAFETY_SECRET_KEY`` or a generated key file outside the warehouse (mode 0600).
"""

from __future__ import annotations

import functools
import hmac
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import flask
from dash.exceptions import PreventUpdate
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from dash_app.queries import AppStore, Scope
from dash_app.users import append_audit, hash_password, verify_password

log = logging.getLogger(__name__)

MAX_FAILURES = 5
LOCKOUT_S = 15 * 60
PUBLIC_PATHS = ("/login", "/healthz")
JSON_PREFIXES = ("/_dash-", "/download")


class AccessDenied(PermissionError):
    """The request has no logged-in user (or the user may not see what was asked)."""


class AppUser(UserMixin):
    """The logged-in user as Flask-Login sees it."""

    def __init__(self, username: str, role: str, district: str | None) -> None:
        self.id = username
        self.role = role
        self.district = district

    def scope(self) -> Scope:
        """The user's scope for data reads."""
        return Scope(self.id, self.role, self.district)


def secret_key(key_dir: Path) -> str:
    """``ROADSAFETY_SECRET_KEY`` or the key in ``key_dir/app_secret.key`` (created once, mode 0600)."""
    env = os.environ.get("ROADSAFETY_SECRET_KEY")
    if env:
        return env
    path = key_dir / "app_secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
        log.info("generated the app's session key in %s", path)
    return path.read_text().strip()


def app_store() -> AppStore:
    """The warehouse access object of the running app."""
    return flask.current_app.extensions["roadsafety_store"]


def require_scope() -> Scope:
    """The logged-in user's scope; raises :class:`AccessDenied` for anonymous requests."""
    if not flask.has_request_context() or not current_user.is_authenticated:
        raise AccessDenied("login required")
    return current_user.scope()


def audit(action: str, detail: dict | None = None, user: str | None = None) -> None:
    """Append an audit event for the current (or given) user."""
    name = user or (current_user.id if current_user and current_user.is_authenticated else "-")
    append_audit(app_store().db_path, name, action, detail)


def _load_user(username: str) -> AppUser | None:
    record = app_store().user(username)
    if record is None or record.disabled:
        return None
    return AppUser(record.username, record.role, record.district)


def _guard() -> flask.Response | None:
    path = flask.request.path
    if path in PUBLIC_PATHS or current_user.is_authenticated:
        return None
    if path.startswith(JSON_PREFIXES) or flask.request.method != "GET":
        return flask.Response(
            '{"error": "login required"}', status=401, mimetype="application/json"
        )
    if path.startswith(("/assets/", "/_dash-component-suites/", "/_favicon")):
        return None  # static JavaScript and CSS, no data
    return flask.redirect(flask.url_for("login", next=path))


def _safe_next(target: str | None) -> str:
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


def _csrf_token() -> str:
    token = flask.session.get("csrf")
    if not token:
        token = flask.session["csrf"] = secrets.token_urlsafe(24)
    return token


def _login_view() -> flask.Response | str:
    error = None
    if flask.request.method == "POST":
        form = flask.request.form
        expected = flask.session.get("csrf", "")
        if not expected or not hmac.compare_digest(form.get("csrf", ""), expected):
            error = "The form expired; please try again."
        else:
            user, error = _authenticate(form.get("username", "").strip(), form.get("password", ""))
            if user is not None:
                flask.session.clear()
                login_user(user)
                audit("login", {"role": user.role, "district": user.district}, user=user.id)
                return flask.redirect(_safe_next(flask.request.args.get("next")))
    from dash_app.login_page import render_login

    return render_login(_csrf_token(), error)


def _throttled(username: str, failed: bool | None = None) -> bool:
    """True when ``username`` had MAX_FAILURES failed logins in the last LOCKOUT_S seconds.

    ``failed=True`` records a failure, ``failed=False`` (a success) clears the record.
    """
    ext = flask.current_app.extensions
    lock, failures = ext["roadsafety_login_lock"], ext["roadsafety_login_failures"]
    now, key = time.monotonic(), username.casefold()
    with lock:
        recent = [t for t in failures.get(key, []) if now - t < LOCKOUT_S]
        if failed:
            recent.append(now)
        failures[key] = [] if failed is False else recent
        return len(recent) >= MAX_FAILURES and failed is None


def _authenticate(username: str, password: str) -> tuple[AppUser | None, str | None]:
    if _throttled(username):
        audit("login_failed", {"reason": "too many failures"}, user=username or "-")
        return None, "Too many failed attempts for this user; try again in 15 minutes."
    record = app_store().user(username) if username else None
    # a missing user still costs one argon2 verification, so timing does not reveal user names
    dummy = flask.current_app.extensions["roadsafety_dummy_hash"]
    ok = verify_password(record.password_hash if record else dummy, password)
    if record is None or not ok or record.disabled:
        audit(
            "login_failed",
            {"reason": "disabled" if record and ok else "bad credentials"},
            user=username or "-",
        )
        _throttled(username, failed=True)
        return None, "Wrong user name or password, or the account is disabled."
    _throttled(username, failed=False)
    return AppUser(record.username, record.role, record.district), None


def _logout_view() -> flask.Response:
    if current_user.is_authenticated:
        audit("logout")
    logout_user()
    flask.session.clear()
    return flask.redirect(flask.url_for("login"))


def init_auth(server: flask.Flask, store: AppStore, key_dir: Path, secure_cookies: bool) -> None:
    """Wire session login, the login/logout routes and the guard into the Flask server."""
    server.extensions["roadsafety_store"] = store
    server.extensions["roadsafety_dummy_hash"] = hash_password(secrets.token_hex(16))
    server.extensions["roadsafety_login_lock"] = threading.Lock()
    server.extensions["roadsafety_login_failures"] = {}
    server.config.update(
        SECRET_KEY=secret_key(key_dir),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure_cookies,
        SESSION_COOKIE_NAME="roadsafety_session",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
    )
    manager = LoginManager()
    manager.session_protection = "strong"
    manager.user_loader(_load_user)
    manager.init_app(server)
    server.add_url_rule("/login", "login", _login_view, methods=["GET", "POST"])
    server.add_url_rule("/logout", "logout", _logout_view)
    server.add_url_rule("/healthz", "healthz", lambda: "ok")
    server.before_request(_guard)


def secured(func: Callable[..., Any]) -> Callable[..., Any]:
    """Callback decorator: no logged-in user means no update and no data (HTTP 204)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            require_scope()
        except AccessDenied:
            raise PreventUpdate from None
        return func(*args, **kwargs)

    return wrapper


def scoped_district(scope: Scope, requested: str | None) -> str | None:
    """The district a read may cover; a scoped user asking for another one is audited as denied."""
    district = scope.district_for(requested)
    if scope.district and requested and requested.casefold() != scope.district.casefold():
        audit("denied", {"asked_district": requested, "scope": scope.district})
    return district
