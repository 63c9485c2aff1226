"""HTTP hardening of the app: security headers with a Content-Security-Policy, request size caps.

The policy is what Dash 4, dash-leaflet and dash-ag-grid work under (checked in headless Chromium
with no violation in the console, ``tests/dash_app/test_security_browser.py``):

* scripts only from the app itself, plus Dash's one inline renderer script by its SHA-256 hash
  (``Dash.csp_hashes()``): no ``'unsafe-inline'`` and no ``'unsafe-eval'`` for scripts, so an
  injected ``<script>`` or ``onerror=`` handler does not run even if some text escaped escaping;
* styles from the app plus inline styles (Plotly, AG Grid and React set element styles at run
  time; style injection cannot run script);
* images from the app and ``data:`` URIs, plus the tile server's origin when a basemap is
  configured (setting ``app.tile_url``, env ``ROADSAFETY_TILE_URL``); no frames, plugins, foreign forms or ``<base>`` changes;
* ``frame-ancestors 'none'`` and ``X-Frame-Options: DENY`` (no clickjacking), ``nosniff``,
  ``Referrer-Policy: same-origin``, a closed ``Permissions-Policy``, ``Cache-Control: no-store`` on
  everything but the fingerprinted static files, and HSTS when cookies are HTTPS-only.
"""

from __future__ import annotations

import re
import threading
from urllib.parse import urlsplit

import flask
from dash import Dash

MAX_REQUEST_BYTES = 4 * 1024 * 1024  # the largest Dash callback body (a 500-row grid as State)
MAX_FORM_BYTES = 16 * 1024  # the sign-in form (set per request by the login view)
ROUTER_ID = "_pages_location"  # Dash pages' URL component
STATIC_PREFIXES = ("/assets/", "/_dash-component-suites/", "/_favicon")
BASE_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def tile_origin(tile_url: str | None) -> str | None:
    """The CSP source of a Leaflet tile URL template (a ``{s}`` subdomain label becomes ``*``)."""
    if not tile_url:
        return None
    parts = urlsplit(tile_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{re.sub(r'[{][^}]*[}]', '*', parts.netloc)}"


def content_security_policy(script_hashes: list[str], tile_url: str | None = None) -> str:
    """The CSP header value for the app."""
    images = ["'self'", "data:"] + ([tile_origin(tile_url)] if tile_origin(tile_url) else [])
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *script_hashes],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": images,
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "frame-src": ["'none'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def _router_value_ok(item: object) -> bool:
    if not isinstance(item, dict) or item.get("id") != ROUTER_ID:
        return True
    value = item.get("value")
    if value is None:
        return True
    return isinstance(value, str) and (item.get("property") != "pathname" or value.startswith("/"))


def refuse_malformed_callback() -> tuple[dict, int] | None:
    """400 for a ``/_dash-update-component`` body Dash itself would crash on.

    That is a body that is not a callback request at all, or one that sends Dash pages' router
    (``_pages_location``) a pathname or query that is not text of this app. The app's own
    callbacks normalise their values (:mod:`dash_app.inputs`).
    """
    request = flask.request
    if request.method != "POST" or request.path != "/_dash-update-component":
        return None
    body = request.get_json(silent=True)
    if (
        not isinstance(body, dict)
        or not isinstance(body.get("output"), str)
        or not isinstance(body.get("inputs"), list)
        or not isinstance(body.get("state", []), list)
    ):
        return {"error": "not a callback request"}, 400
    items = [*body.get("inputs", []), *body.get("state", [])]
    if not all(_router_value_ok(i) for i in items):
        return {"error": "not a path of this app"}, 400
    return None


def init_security(app: Dash, *, tile_url: str | None, hsts: bool) -> None:
    """Cap request sizes, refuse malformed callback bodies, add the security headers."""
    server = app.server
    server.config.update(MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES)
    lock, policy = threading.Lock(), {}

    def csp() -> str:
        # computed on first use: Dash knows its inline scripts once every callback is registered
        with lock:
            if "value" not in policy:
                policy["value"] = content_security_policy(list(app.csp_hashes()), tile_url)
            return policy["value"]

    server.before_request(refuse_malformed_callback)

    @server.after_request
    def add_headers(response: flask.Response) -> flask.Response:
        response.headers.update(BASE_HEADERS)
        response.headers["Content-Security-Policy"] = csp()
        if hsts:
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        if not flask.request.path.startswith(STATIC_PREFIXES):
            response.headers["Cache-Control"] = "no-store"
        return response
