"""What an officer sees in Chromium (issue 16): a clean console, every page within a 390 px phone,
the map framed on the selection, the English/हिन्दी switch."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from app_clients import serve_in_thread
from chrome import CHROMEDRIVER, chrome_options, start_chrome
from worlds import PASSWORD

from dash_app.app import create_app

pytestmark = pytest.mark.browser
WAIT_S = 30
PAGES = {
    "/": "#overview-map-box .leaflet-interactive",
    "/risk-list": "#risk-cards .risk-card",
    "/periods": "#periods-weekly .main-svg",
    "/corridor?unit={unit}": "#corridor-body .kpi-card",
    "/enforcement": "#enf-grid .ag-row",
    "/drives": "#drives-body, .page",
    "/model-health": "#health-body .card",
}


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, world_template: Path
) -> Iterator[tuple[str, object]]:
    tmp = tmp_path_factory.mktemp("officer")
    db = tmp / "wh.duckdb"
    shutil.copyfile(world_template, db)
    app = create_app(db, key_dir=tmp / "keys")
    srv, base = serve_in_thread(app.server)
    yield base, app
    srv.close()


@pytest.fixture
def chrome_at():
    """``chrome_at(width, height)``: headless Chromium recording the console."""
    if not Path(CHROMEDRIVER).exists() or not shutil.which("chromium"):
        pytest.skip("chromium / chromium-driver not installed")
    drivers = []

    def start(width: int, height: int):
        opts = chrome_options(width, height, "--hide-scrollbars")
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        drivers.append(start_chrome(opts))
        return drivers[-1]

    yield start
    for driver in drivers:
        driver.quit()


def _wait(driver, css: str):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT_S).until(lambda d: d.find_elements(By.CSS_SELECTOR, css))


def _login(driver, base: str, user: str = "admin") -> None:
    from selenium.webdriver.common.by import By

    driver.get(base + "/login")
    _wait(driver, "#username")[0].send_keys(user)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "login-submit").click()
    _wait(driver, ".topbar")


def _top_unit(app) -> str:
    from dash_app import queries

    store = app.server.extensions["roadsafety_store"]
    return queries.forecast_units(store, 7, None).sort("rank")["unit_id"][0]


def test_overview_loads_without_console_errors(server, chrome_at) -> None:
    base, _ = server
    driver = chrome_at(1440, 900)
    _login(driver, base)
    _wait(driver, "#overview-map-box .leaflet-interactive")
    time.sleep(1.0)
    errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    assert errors == []
