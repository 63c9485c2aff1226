"""The login form: plain HTML served by Flask (no Dash, so nothing loads before login)."""

from __future__ import annotations

from markupsafe import escape

_CSS = """body { margin: 0; min-height: 100vh; display: flex; align-items: center; justify-content: center; background: #12355b;
       font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2933; }
.login-card { background: #fff; padding: 28px 26px; border-radius: 10px; width: min(360px, 92vw); box-shadow: 0 8px 28px rgba(0,0,0,.25); }
.login-card h1 { margin: 0; font-size: 24px; }
.login-sub { color: #5f6b76; margin: 4px 0 18px; }
.login-card label { display: block; font-size: 13px; font-weight: 600; margin: 10px 0 4px; }
.login-card input { width: 100%; padding: 10px; font-size: 16px; border: 1px solid #b8c2cc; border-radius: 6px; box-sizing: border-box; }
.login-card button { margin-top: 18px; width: 100%; padding: 11px; font-size: 16px; background: #12355b; color: #fff; border: 0; border-radius: 6px; cursor: pointer; }
.login-error { background: #fdecea; border: 1px solid #e3a29b; padding: 8px 10px; border-radius: 6px; }
"""

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in - Road safety</title><style>{css}</style></head>
<body><main class="login-card">
<h1>Road safety</h1><p class="login-sub">Crash risk forecasts for traffic police</p>
{error}
<form method="post" autocomplete="off">
<input type="hidden" name="csrf" value="{csrf}">
<label for="username">User name</label>
<input id="username" name="username" autocomplete="username" required autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button id="login-submit" type="submit">Sign in</button>
</form></main></body></html>"""


def render_login(csrf: str, error: str | None) -> str:
    """The login page HTML with the form's CSRF token and an optional error line."""
    message = f'<p class="login-error" role="alert">{escape(error)}</p>' if error else ""
    return _PAGE.format(csrf=escape(csrf), error=message, css=_CSS)
