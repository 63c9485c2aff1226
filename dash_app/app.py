"""The web app shell: Dash ``pages``, a navigation bar, login wiring. No data is read here.

``create_app(db_path)`` builds a new app (and its Flask server) each call: pages are registered
explicitly and their callbacks are attached to this app only, so tests can build several apps in
one process. ``roadsafety serve`` runs ``create_app(...).server`` under waitress.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import dash
from dash import Dash, dcc, html
from flask_login import current_user

from dash_app import auth, figures, i18n
from dash_app.i18n import t
from dash_app.pages import (
    corridor,
    drives,
    enforcement,
    model_health,
    overview,
    periods,
    plan,
    risk_list,
)
from dash_app.queries import AppStore
from dash_app.security import init_security

PAGES = (overview, risk_list, plan, periods, corridor, enforcement, drives, model_health)
ASSETS = Path(__file__).parent / "assets"


def page_key(page: object) -> str:
    """The vocabulary key of a page's name (``page.<module>``)."""
    return "page." + page.__name__.rsplit(".", 1)[-1]


def nav_bar() -> html.Header:
    """Top bar: app name, page links (they wrap on a phone), the language switch, the signed-in
    user and a sign-out link."""
    user = current_user if current_user and current_user.is_authenticated else None
    who = (
        t(
            "app.user",
            user=user.id,
            role=t(f"role.{user.role}"),
            where=user.district or t("app.all_districts"),
        )
        if user
        else ""
    )
    other = "en" if i18n.current() == "hi" else "hi"
    links = [
        dcc.Link(t(page_key(p)), href=p.PATH, className="nav-link", id=f"nav-{p.P}")
        for p in PAGES
        if not hasattr(p, "ROLES") or (user and user.role in p.ROLES)  # a page may name its roles
    ]
    return html.Header(
        className="topbar",
        children=[
            html.Div(t("app.name"), className="brand"),
            html.Nav(links, className="nav"),
            html.Div(
                [
                    html.A(
                        t("app.switch"),
                        href=f"/lang/{other}",
                        id="lang-switch",
                        className="lang-switch",
                        title=t("app.switch_hint"),
                        lang=other,
                    ),
                    html.Span(who, className="who"),
                    html.A(t("app.sign_out"), href="/logout", className="signout"),
                ],
                className="user",
            ),
        ],
    )


def shell() -> html.Div:
    """The layout around every page (evaluated per request, so it shows the current user)."""
    return html.Div(
        className="app", children=[nav_bar(), html.Main(dash.page_container, className="main")]
    )


def create_app(
    db_path: Path | str,
    *,
    key_dir: Path | None = None,
    secure_cookies: bool = False,
    proxy_hops: int = 0,
    tile_url: str | None = None,
    tile_attribution: str | None = None,
    today: Callable[[], date] = date.today,
) -> Dash:
    """Build the app for one warehouse file.

    Args:
        db_path: the DuckDB warehouse (read-only; must exist when pages are used).
        key_dir: folder of the generated session key file (default ``~/.config/roadsafety``),
            used unless ``ROADSAFETY_SECRET_KEY`` is set; never inside the warehouse.
        secure_cookies: send the session cookie only over HTTPS (and send HSTS).
        proxy_hops: reverse proxies in front that set ``X-Forwarded-For`` (0 = none).
        tile_url, tile_attribution: the map's basemap tiles (settings ``app.tile_url``,
            ``app.tile_attribution``; the CSP allows the tile server's images); none draws the
            map on a plain background (intranet).
        today: the app's clock for "ahead" and "last year" (tests fix it).
    """
    app = Dash(
        __name__,
        use_pages=True,
        pages_folder="",
        assets_folder=str(ASSETS),
        title="Road safety",
        suppress_callback_exceptions=True,
        update_title=None,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    app.index_string = app.index_string.replace(
        "{%css%}", "{%css%}\n        <style>" + figures.band_css() + "</style>"
    )
    app.server.config.update(BASEMAP_URL=tile_url, BASEMAP_ATTRIBUTION=tile_attribution)
    key_dir = key_dir or Path.home() / ".config" / "roadsafety"
    auth.init_auth(app.server, AppStore(db_path, today), key_dir, secure_cookies, proxy_hops)
    i18n.init_language(app.server)
    init_security(app, tile_url=tile_url, hsts=secure_cookies)
    for order, page in enumerate(PAGES):
        dash.register_page(
            page.__name__,
            path=page.PATH,
            name=page.TITLE,
            title=f"{page.TITLE} - Road safety",
            layout=page.layout,
            order=order,
        )
        page.register_callbacks(app)
    app.layout = shell
    return app
