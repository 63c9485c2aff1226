"""End-to-end: the real app under waitress, driven by headless Chromium (Debian chromium-driver)."""

from __future__ import annotations

import time

import openpyxl
import pytest
import requests
from app_clients import callback_payload
from worlds import PASSWORD

from roadsafety.exports.risk_list import RISK_COLUMNS

pytestmark = pytest.mark.browser
WAIT_S = 30


def _wait(driver, css: str, count: int = 1):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT_S).until(
        lambda d: (
            len(d.find_elements(By.CSS_SELECTOR, css)) >= count
            and d.find_elements(By.CSS_SELECTOR, css)
        )
    )


def _login(driver, base: str, user: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(base + "/")
    _wait(driver, "#username").__getitem__(0).send_keys(user)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "login-submit").click()
    _wait(driver, ".topbar")


def _grid_districts(driver) -> set[str]:
    cells = _wait(driver, "#risk-grid .ag-center-cols-container [col-id='district']")
    return {c.text for c in cells}


def _choose_district(driver, name: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    box = _wait(driver, "#risk-district")[0]
    box.click()
    ActionChains(driver).send_keys(name).pause(0.5).send_keys(Keys.ENTER).perform()


def test_login_map_list_filter_and_xlsx_download(server, browser) -> None:
    base, _ = server
    _login(browser, base, "admin")
    assert len(_wait(browser, "#overview-map-box .leaflet-interactive", 10)) >= 10
    assert "crashes expected" in _wait(browser, ".kpi-card")[0].text
    cell = _wait(browser, "#overview-map-box path.leaflet-interactive")[-1]
    browser.execute_script(
        "arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))", cell
    )
    _wait(browser, "#corridor-body .kpi-card")  # a tap on a map cell opens its detail
    assert "/corridor?unit=" in browser.current_url
    browser.get(base + "/risk-list")
    deadline = time.monotonic() + WAIT_S
    while _grid_districts(browser) != {"Gurugram"} and time.monotonic() < deadline:
        if len(_grid_districts(browser)) > 1:
            _choose_district(browser, "Gurugram")
        time.sleep(1.0)
    assert _grid_districts(browser) == {"Gurugram"}
    _wait(browser, "#risk-dl-xlsx")[0].click()
    deadline = time.monotonic() + WAIT_S
    while not list(browser.download_dir.glob("*.xlsx")) and time.monotonic() < deadline:
        time.sleep(0.3)
    files = list(browser.download_dir.glob("*.xlsx"))
    assert files and files[0].name.startswith("risk_list_gurugram_")
    time.sleep(0.5)
    book = openpyxl.load_workbook(files[0])
    sheet = next(
        ws
        for ws in book.worksheets
        if ws.title not in ("Summary", "Road-wide units", "Enforcement gap", "MoRTH blackspots")
    )
    assert tuple(c.value for c in sheet[1]) == RISK_COLUMNS


def test_scoped_user_sees_only_their_district(server, browser) -> None:
    base, app = server
    _login(browser, base, "karnal_sp")
    browser.get(base + "/risk-list")
    deadline = time.monotonic() + WAIT_S
    while not _grid_districts(browser) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _grid_districts(browser) == {"Karnal"}
    dropdown = _wait(browser, "#risk-district")[0]
    assert dropdown.get_attribute("disabled") is not None and "Karnal" in dropdown.text
    # the same session, crafting the callback request for another district
    session = requests.Session()  # same cookie and user agent (session protection is 'strong')
    session.headers["User-Agent"] = browser.execute_script("return navigator.userAgent")
    for c in browser.get_cookies():
        session.cookies.set(c["name"], c["value"])
    body = callback_payload(
        app,
        "risk-grid.rowData",
        {
            "risk-district": "Panipat",
            "risk-window": 30,
            "risk-severity": "all",
            "risk-band": "low",
            "risk-top": 500,
            "risk-merge": [],
        },
    )
    resp = session.post(base + "/_dash-update-component", json=body, timeout=30)
    rows = resp.json()["response"]["risk-grid"]["rowData"]
    assert rows and {r["district"] for r in rows} == {"Karnal"}
    anonymous = requests.post(base + "/_dash-update-component", json=body, timeout=30)
    assert anonymous.status_code == 401 and "rowData" not in anonymous.text
