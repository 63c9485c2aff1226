"""The login form: plain HTML served by Flask (no Dash, so nothing loads before login).

Before login there is no chosen language (it is kept in the session), so every text on the form is
given in English and Hindi, from the one vocabulary.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from roadsafety.vocabulary import text

_CSS = """body { margin: 0; min-height: 100vh; display: flex; align-items: center; justify-content: center; background: #12355b;
       font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2933; }
.login-card { background: #fff; padding: 28px 26px; border-radius: 10px; width: min(360px, 92vw); box-shadow: 0 8px 28px rgba(0,0,0,.25); }
.login-card h1 { margin: 0; font-size: 24px; }
.login-sub { color: #5f6b76; margin: 4px 0 18px; }
.login-card label { display: block; font-size: 13px; font-weight: 600; margin: 10px 0 4px; }
.login-card input { width: 100%; padding: 10px; font-size: 16px; border: 1px solid #b8c2cc; border-radius: 6px; box-sizing: border-box; }
.login-card button { margin-top: 18px; width: 100%; padding: 11px; font-size: 16px; background: #12355b; color: #fff; border: 0; border-radius: 6px; cursor: pointer; }
.login-error { background: #fdecea; border: 1px solid #e3a29b; padding: 8px 10px; border-radius: 6px; }
.hi { display: block; font-weight: 400; color: #5f6b76; font-size: 0.92em; }
.login-card button .hi { color: #dfe7ef; }
"""

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - {name}</title><style>{css}</style></head>
<body><main class="login-card">
<h1>{name_both}</h1><p class="login-sub">{tagline}</p>
{error}
<form method="post" autocomplete="off">
<input type="hidden" name="csrf" value="{csrf}">
<label for="username">{user}</label>
<input id="username" name="username" autocomplete="username" required autofocus>
<label for="password">{password}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button id="login-submit" type="submit">{submit}</button>
</form></main></body></html>"""

ERRORS = ("login.expired", "login.refused")  # vocabulary keys of the form's own refusals


def both(key: str) -> Markup:
    """A vocabulary text in English, then in Hindi on its own line (``lang="hi"``), escaped."""
    return Markup('{}<span class="hi" lang="hi">{}</span>').format(text(key, "en"), text(key, "hi"))


def render_login(csrf: str, error: str | None) -> str:
    """The login page HTML with the form's CSRF token and an optional error: a vocabulary key of
    :data:`ERRORS` (shown in both languages) or a message given as it is (the login throttle's)."""
    if error is None:
        message = ""
    else:
        shown = both(error) if error in ERRORS else escape(error)
        message = Markup('<p class="login-error" role="alert">{}</p>').format(shown)
    return _PAGE.format(
        csrf=escape(csrf),
        error=message,
        css=_CSS,
        title=text("login.title"),
        name=text("app.name"),
        name_both=both("app.name"),
        tagline=both("app.tagline"),
        user=both("login.user"),
        password=both("login.password"),
        submit=both("login.title"),
    )
