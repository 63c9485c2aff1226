"""Sign-in throttling with Flask-Limiter: per user name and per client address, race-free.

Two failure budgets, each a fixed 15-minute window in Flask-Limiter's storage:

* :data:`USER_LIMIT` failed sign-ins per user name (case-insensitive): then that name is locked out
  of the form until the window ends, whatever the password;
* :data:`ADDRESS_LIMIT` failed sign-ins per client address, whatever the names tried (password
  spraying over many names from one computer).

An attempt *reserves* one unit of both budgets before the password is checked (``hit`` is an atomic
increment), so parallel wrong passwords cannot all slip past the limit; a successful sign-in gives
the address's unit back and clears the user's budget. On top, :data:`FLOOD_LIMIT` caps every
sign-in POST per address (Flask-Limiter's decorator, answer 429).

Storage is in memory (``memory://``): right for the single waitress process ``roadsafety serve``
runs; counters restart with the process. Behind a reverse proxy, start ``serve --proxy-hops N`` so
the client address is taken from ``X-Forwarded-For`` (else every client shares the proxy's address).
"""

from __future__ import annotations

import flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import parse

USER_LIMIT = parse("5 per 15 minutes")
ADDRESS_LIMIT = parse("10 per 15 minutes")
FLOOD_LIMIT = "30 per minute"


class LoginThrottle:
    """The sign-in budgets of one app."""

    def __init__(self, server: flask.Flask) -> None:
        self.limiter = Limiter(
            get_remote_address,
            app=server,
            storage_uri="memory://",
            strategy="fixed-window",
            default_limits=[],
            headers_enabled=False,
        )

    def flood_guard(self, view):
        """``view`` limited to :data:`FLOOD_LIMIT` POSTs per client address."""
        return self.limiter.limit(FLOOD_LIMIT, methods=["POST"])(view)

    def reserve(self, username: str, address: str) -> str | None:
        """Take one unit of both budgets; return the refusal message when one is spent."""
        strategy, user = self.limiter.limiter, username.casefold()
        if not strategy.hit(USER_LIMIT, "login-user", user):
            return "Too many failed attempts for this user; try again in 15 minutes."
        if not strategy.hit(ADDRESS_LIMIT, "login-address", address):
            self._refund(USER_LIMIT, "login-user", user)
            return "Too many failed sign-ins from this computer; try again in 15 minutes."
        return None

    def succeeded(self, username: str, address: str) -> None:
        """A correct sign-in: clear the user's failures, give the address its unit back."""
        self.limiter.limiter.clear(USER_LIMIT, "login-user", username.casefold())
        self._refund(ADDRESS_LIMIT, "login-address", address)

    def _refund(self, item, *identifiers: str) -> None:
        self.limiter.storage.decr(item.key_for(*identifiers))
