"""The app's language: English or Hindi, chosen in the nav bar and kept in the signed session.

Every label and text on a page comes from :mod:`roadsafety.vocabulary` (its app section) through
:func:`t`; keys of bands, offences, severities and days through :func:`key_label` / :func:`day`.
Layouts and callbacks run inside a request, so they read the caller's language from the session;
outside a request (tests of pure builders) the language is English unless given.

``/lang/<code>`` sets the language and sends the user back to the page they were on (a local path
only, :func:`dash_app.auth.safe_next`).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import flask

from roadsafety import vocabulary

SESSION_KEY = "lang"


def current() -> str:
    """The caller's language (``en`` outside a request or when none was chosen)."""
    if not flask.has_request_context():
        return "en"
    lang = flask.session.get(SESSION_KEY)
    return lang if lang in vocabulary.LANGUAGES else "en"


def t(key: str, lang: str | None = None, **values: object) -> str:
    """An app text in the caller's language (or ``lang``), ``{name}`` fields filled from ``values``."""
    return vocabulary.text(key, lang or current(), **values)


def key_label(key: str | None, lang: str | None = None) -> str:
    """A band, offence, severity or sentinel key as its label (unknown keys as they are)."""
    if key is None:
        return "-"
    return vocabulary.label(key, lang or current(), default=key)


def band_labels(lang: str | None = None) -> dict[str, str]:
    """Band key -> label, riskiest first."""
    return vocabulary.labels("band", lang or current())


def window(text: str | None, lang: str | None = None) -> str:
    """A peak-window text with its day words in the caller's language."""
    return vocabulary.window_label(text, lang or current()) if text else "-"


def _switch(code: str) -> flask.Response:
    from dash_app.auth import safe_next

    if code in vocabulary.LANGUAGES:
        flask.session[SESSION_KEY] = code
    target = flask.request.args.get("next")
    if target is None and flask.request.referrer:
        parts = urlsplit(flask.request.referrer)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
    return flask.redirect(safe_next(target))


def init_language(server: flask.Flask) -> None:
    """Add the ``/lang/<code>`` route (behind the login guard like every page)."""
    server.add_url_rule("/lang/<code>", "language", _switch)
