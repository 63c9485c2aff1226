"""In headless Chromium: hostile names stay text on the map, and the CSP breaks no page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from app_clients import serve_in_thread
from test_e2e_browser import WAIT_S, _login, _wait

from dash_app.app import create_app
from roadsafety.store.connection import copy_warehouse, write_connection

pytestmark = pytest.mark.browser
ROAD = "<img src=x onerror=alert(1)>"
STATION = "<script>alert(2)</script>"
DISTRICT = "<img src=y onerror=alert(3)>"
RENDERED = {  # what each page shows once its callbacks have run
    "/": "#overview-map-box path.leaflet-interactive",
    "/risk-list": "#risk-grid .ag-row",
    "/periods": "#periods-weekly .main-svg",
    "/enforcement": "#enf-grid .ag-row",
    "/model-health": "#health-body .ag-row",
}


def _serve(db: Path, keys: Path) -> tuple[object, str]:
    return serve_in_thread(create_app(db, key_dir=keys).server)


@pytest.fixture(scope="module")
def hostile_base(tmp_path_factory: pytest.TempPathFactory, world_template: Path) -> Iterator[str]:
    """The app on a world whose every road and station name is a script, and one district too."""
    tmp = tmp_path_factory.mktemp("xss")
    db = tmp / "wh.duckdb"
    copy_warehouse(world_template, db)
    with write_connection(db) as con:
        con.execute("UPDATE spatial_units SET road_name = ?, police_station = ?", [ROAD, STATION])
        for table in ("spatial_units", "districts", "accidents"):
            con.execute(f"UPDATE {table} SET district = ? WHERE district = 'Gurugram'", [DISTRICT])
    srv, base = _serve(db, tmp / "keys")
    yield base
    srv.close()


def _no_alert(driver) -> bool:
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        WebDriverWait(driver, 1).until(ec.alert_is_present())
    except TimeoutException:
        return True
    driver.switch_to.alert.dismiss()
    return False


def _csp_violations(driver) -> list[str]:
    return [
        e["message"]
        for e in driver.get_log("browser")
        if "Content Security Policy" in e["message"] or "Refused to" in e["message"]
    ]


def test_hostile_names_show_as_text_in_map_tooltips(hostile_base: str, browser) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    _login(browser, hostile_base, "admin")
    cells = _wait(browser, "#overview-map-box path.leaflet-interactive", 10)
    labels = _wait(browser, ".district-label", 3)  # permanent district name tooltips
    assert DISTRICT in {label.text for label in labels}
    ActionChains(browser).move_to_element(cells[-1]).perform()
    tooltip = WebDriverWait(browser, WAIT_S).until(
        lambda d: [
            t for t in d.find_elements(By.CSS_SELECTOR, ".leaflet-tooltip") if ROAD in t.text
        ]
    )[0]
    assert ROAD in tooltip.text and STATION in tooltip.text
    assert not tooltip.find_elements(By.CSS_SELECTOR, "img, script")
    assert not browser.find_elements(By.CSS_SELECTOR, "img[src='x'], img[src='y']")
    assert _no_alert(browser)
    browser.get(hostile_base + "/risk-list")
    _wait(browser, "#risk-grid .ag-row", 3)
    assert ROAD in browser.find_element(By.ID, "risk-grid").text and _no_alert(browser)
    assert _csp_violations(browser) == []


@pytest.fixture(scope="module")
def plain_base(tmp_path_factory: pytest.TempPathFactory, world_template: Path) -> Iterator[str]:
    """The app on an untouched copy of the seeded world."""
    tmp = tmp_path_factory.mktemp("csp")
    copy_warehouse(world_template, tmp / "wh.duckdb")
    srv, base = _serve(tmp / "wh.duckdb", tmp / "keys")
    yield base
    srv.close()


def test_every_page_renders_under_the_csp(plain_base: str, browser) -> None:
    base = plain_base
    _login(browser, base, "admin")
    for path in RENDERED:
        browser.get(base + path)
        _wait(browser, RENDERED[path])
    browser.get(base + "/corridor?unit=" + _first_unit(browser, base))
    _wait(browser, "#corridor-body .kpi-card")
    _wait(browser, "#corridor-body .ag-row")
    assert _csp_violations(browser) == []


def _first_unit(browser, base: str) -> str:
    from selenium.webdriver.common.by import By

    browser.get(base + "/risk-list")
    _wait(browser, "#risk-grid .ag-row")
    return browser.find_element(By.CSS_SELECTOR, "#risk-grid .ag-row").get_attribute("row-id")
