"""The Plan a drive page in headless Chromium: a plan on a 390 px phone, no wider than the screen."""

from __future__ import annotations

from pathlib import Path

import pytest
from app_clients import serve_in_thread
from test_e2e_browser import _login, _wait

from dash_app.app import create_app
from roadsafety.store.connection import copy_warehouse

pytestmark = pytest.mark.browser


def test_plan_on_a_phone_is_cards_no_wider_than_the_screen(
    browser, world_template: Path, tmp_path: Path
) -> None:
    db = tmp_path / "wh.duckdb"
    copy_warehouse(world_template, db)
    srv, base = serve_in_thread(create_app(db, key_dir=tmp_path / "keys").server)
    try:
        browser.set_window_size(390, 844)
        _login(browser, base, "karnal_sp")
        browser.get(base + "/plan")
        cards = _wait(browser, ".plan-card")
        assert "Karnal" in cards[0].text and "team-hours a week" in cards[0].text
        _wait(browser, "#plan-map .leaflet-interactive")
        width, screen = browser.execute_script(
            "return [document.documentElement.scrollWidth, window.innerWidth]"
        )
        assert width <= screen <= 390
        grid = browser.find_element("css selector", ".plan-grid")
        assert not grid.is_displayed()  # the wide grid gives way to the cards
        assert "Budget used:" in browser.find_element("id", "plan-summary").text
    finally:
        srv.close()
