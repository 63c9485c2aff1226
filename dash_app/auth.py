"""Session login for the app (Flask-Login), the request guard, and the caller's scope.

* Every request except the login form, its stylesheet and the health probe needs a logged-in,
  enabled user: pages redirect to ``/login``; Dash's JSON endpoints (``/_dash-update-component``,
  ``/_dash-layout``, ``/_dash-dependencies``) and downloads answer 401 with no data.
* Callbacks check again themselves (:func:`require_scope`) and force a district-scoped user's
  district whatever the callback inputs say.
* The user is re-read (cached per warehouse version) on every request, and the session's stamps
  are checked (:mod:`dash_app.sessions`): logout, ``users disable`` and ``users revoke`` end a
  session at once, even for a copied cookie.
* Failed sign-ins are throttled per user name and per client address (:mod:`dash_app.throttle`).
* ``next`` after sign-in only ever leads to a path on this site (:func:`safe_next`).
* Session cookie: HttpOnly, SameSite=Lax, ``Secure`` when configured; the secret key comes from
  ``ROADSAFETY_SECRET_KEY`` or a generated key file outside the warehouse (mode 0600).
"""

from __future__ import annotations

import functools
import hmac
import logging
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import flask
from dash.exceptions import PreventUpdate
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from werkzeug.middleware.proxy_fix import ProxyFix

from dash_app.queries import AppStore, Scope
from dash_app.security import MAX_FORM_BYTES
from dash_app.sessions import SESSION_LIFETIME, RevokedSessions, new_stamps, session_valid
from dash_app.throttle import LoginThrottle
from roadsafety.store.users import (
    USERNAME_MAX,
    append_audit,
    clip_text,
    hash_password,
    valid_username,
    verify_password,
)

log = logging.getLogger(__name__)

PUBLIC_PATHS = ("/login", "/healthz")
JSON_PREFIXES = ("/_dash-", "/download")
NEXT_MAX = 512


class AccessDenied(PermissionError):
    """The request has no logged-in user (or the user may not see what was asked)."""


class AppUser(UserMixin):
    """The logged-in user as Flask-Login sees it."""

    def __init__(
        self, username: str, role: str, district: str | None, session_version: int = 0
    ) -> None:
        self.id = username
        self.role = role
        self.district = district
        self.session_version = session_version

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
    """Append an audit event for the current (or given) user (texts are clipped by the store)."""
    name = user or (current_user.id if current_user and current_user.is_authenticated else "-")
    append_audit(app_store().db_path, name, action, detail)


def _revoked() -> RevokedSessions:
    return flask.current_app.extensions["roadsafety_revoked"]


def _load_user(username: str) -> AppUser | None:
    record = app_store().user(username)
    if record is None or record.disabled:
        return None
    if not session_valid(flask.session, record.session_version, _revoked()):
        return None
    return AppUser(record.username, record.role, record.district, record.session_version)


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


def safe_next(target: object) -> str:
    """``target`` when it is a plain path on this site, else ``/``.

    Refused: anything not starting with one ``/``, a scheme or host (``//evil``, ``/\\evil``),
    and any space, control character (tab, CR, LF: browsers drop tabs, so ``/%09/evil`` would
    become ``//evil``) or non-ASCII character.
    """
    if not isinstance(target, str) or not target.startswith("/") or len(target) > NEXT_MAX:
        return "/"
    if any(not 0x21 <= ord(ch) <= 0x7E or ch == "\\" for ch in target):
        return "/"
    parts = urlsplit(target)
    if target.startswith("//") or parts.scheme or parts.netloc:
        return "/"
    return target


def _csrf_token() -> str:
    token = flask.session.get("csrf")
    if not token:
        token = flask.session["csrf"] = secrets.token_urlsafe(24)
    return token


def _sign_in(user: AppUser) -> flask.Response:
    flask.session.clear()  # no fixation: nothing from the anonymous session survives
    flask.session.update(new_stamps(user.session_version))
    flask.session.permanent = True
    login_user(user)
    audit("login", {"role": user.role, "district": user.district}, user=user.id)
    return flask.redirect(safe_next(flask.request.args.get("next")))


def _login_view() -> flask.Response | str:
    error = None
    flask.request.max_content_length = MAX_FORM_BYTES  # a 400 kB user name gets a 413
    if flask.request.method == "POST":
        form = flask.request.form
        expected = flask.session.get("csrf", "")
        if not expected or not hmac.compare_digest(form.get("csrf", ""), expected):
            error = "login.expired"  # a vocabulary key: the page shows it in both languages
        else:
            user, error = _authenticate(form.get("username", "").strip(), form.get("password", ""))
            if user is not None:
                return _sign_in(user)
    from dash_app.login_page import render_login

    return render_login(_csrf_token(), error)


def _authenticate(username: str, password: str) -> tuple[AppUser | None, str | None]:
    throttle: LoginThrottle = flask.current_app.extensions["roadsafety_throttle"]
    address = flask.request.remote_addr or "-"
    name = clip_text(username, USERNAME_MAX) or "-"
    refusal = throttle.reserve(name, address)
    if refusal:
        audit("login_failed", {"reason": "too many failures", "address": address}, user=name)
        return None, refusal
    record = app_store().user(username) if valid_username(username) else None
    # a missing user still costs one argon2 verification, so timing does not reveal user names
    dummy = flask.current_app.extensions["roadsafety_dummy_hash"]
    ok = verify_password(record.password_hash if record else dummy, password)
    if record is None or not ok or record.disabled:
        reason = "disabled" if record and ok else "bad credentials"
        audit("login_failed", {"reason": reason, "address": address}, user=name)
        return None, "login.refused"
    throttle.succeeded(name, address)
    return AppUser(record.username, record.role, record.district, record.session_version), None


def _logout_view() -> flask.Response:
    if current_user.is_authenticated:
        audit("logout")
    sid, iat = flask.session.get("sid"), flask.session.get("iat")
    if isinstance(sid, str) and isinstance(iat, int):
        _revoked().revoke(sid, iat)
    logout_user()
    flask.session.clear()
    return flask.redirect(flask.url_for("login"))


def init_auth(
    server: flask.Flask,
    store: AppStore,
    key_dir: Path,
    secure_cookies: bool,
    proxy_hops: int = 0,
) -> None:
    """Wire session login, the login/logout routes, throttling and the guard into the server.

    ``proxy_hops``: how many reverse proxies in front set ``X-Forwarded-For``/``-Proto`` (0 =
    none; then those headers are ignored, so a client cannot fake its address).
    """
    if proxy_hops:
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=proxy_hops, x_proto=proxy_hops)
    throttle = LoginThrottle(server)
    server.extensions["roadsafety_store"] = store
    server.extensions["roadsafety_revoked"] = RevokedSessions(store.db_path)
    server.extensions["roadsafety_throttle"] = throttle
    server.extensions["roadsafety_dummy_hash"] = hash_password(secrets.token_hex(16))
    server.config.update(
        SECRET_KEY=secret_key(key_dir),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure_cookies,
        SESSION_COOKIE_NAME="roadsafety_session",
        SESSION_REFRESH_EACH_REQUEST=False,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=secure_cookies,
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
    )
    manager = LoginManager()
    manager.session_protection = "strong"
    manager.user_loader(_load_user)
    manager.init_app(server)
    login_view = throttle.flood_guard(_login_view)
    server.add_url_rule("/login", "login", login_view, methods=["GET", "POST"])
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
