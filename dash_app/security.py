"""HTTP hardening of the app: security headers with a Content-Security-Policy, request size caps.

The policy is what Dash 4, dash-leaflet and dash-ag-grid work under (checked in headless Chromium
with no violation in the console, ``tests/dash_app/test_security_browser.py``):

* scripts only from the app itself, plus Dash's one inline renderer script by its SHA-256 hash
  (``Dash.csp_hashes()``): no ``'unsafe-inline'`` and no ``'unsafe-eval'`` for scripts, so an
  injected ``<script>`` or ``onerror=`` handler does not run even if some text escaped escaping;
* styles from the app plus inline styles (Plotly, AG Grid and React set element styles at run
  time; style injection cannot run script);
* images from the app and ``data:`` URIs, plus the tile server's origin when
  ``ROADSAFETY_TILE_URL`` is set; no frames, plugins, foreign forms or ``<base>`` changes;
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


def init_security(app: Dash, *, tile_url: str | None, hsts: bool) -> None:
    """Cap request sizes and add the security headers to every response of ``app``."""
    server = app.server
    server.config.update(MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES)
    lock, policy = threading.Lock(), {}

    def csp() -> str:
        # computed on first use: Dash knows its inline scripts once every callback is registered
        with lock:
            if "value" not in policy:
                policy["value"] = content_security_policy(list(app.csp_hashes()), tile_url)
            return policy["value"]

    @server.after_request
    def add_headers(response: flask.Response) -> flask.Response:
        response.headers.update(BASE_HEADERS)
        response.headers["Content-Security-Policy"] = csp()
        if hsts:
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        if not flask.request.path.startswith(STATIC_PREFIXES):
            response.headers["Cache-Control"] = "no-store"
        return response
