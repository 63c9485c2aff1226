"""Regenerate docs/screenshots/*.png: every app page in headless Chromium, at 1440 px and on a 390 px phone, in English and Hindi.

Usage::

    .venv/bin/python scripts/screenshots.py                # seeded test world (no pipeline needed)
    .venv/bin/python scripts/screenshots.py --db data/roadsafety.duckdb   # e.g. after `roadsafety demo`
    .venv/bin/python scripts/screenshots.py --pages plan --width 1440     # one page, 1440px wide

The warehouse is copied to a temporary folder and a throw-away admin user is added to the copy, so
the real warehouse is never written. Needs Debian ``chromium`` and ``chromium-driver``.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [
    str(REPO / "tests"),
    str(REPO / "tests" / "dash_app"),
]  # worlds, app_clients, chrome

log = logging.getLogger("screenshots")
USER, PASSWORD = "screenshots", "screenshots-only-pw"
PAGES = (
    ("overview", "/", ".leaflet-interactive"),
    ("risk_list", "/risk-list", "#risk-grid .ag-row"),
    ("plan", "/plan", "#plan-map .leaflet-interactive"),
    ("periods", "/periods", "#periods-weekly .main-svg"),
    ("corridor", "/corridor?unit={unit}", "#corridor-body .kpi-card"),
    ("enforcement", "/enforcement", "#enf-grid .ag-row"),
    ("drives", "/drives?drive={drive}", "#drives-detail .main-svg"),
    ("model_health", "/model-health", "#health-body .card"),
)
SIZES = (("", 1440, 900), ("_phone", 390, 844))  # file suffix, width, height
LANGUAGES = ("en", "hi")  # Hindi files end in _hi


def prepare_db(source: Path | None, tmp: Path) -> Path:
    """A copy of the warehouse (or a new seeded world) with the screenshot user added."""
    from worlds import add_drives, app_world

    from roadsafety.store.connection import copy_warehouse, write_connection
    from roadsafety.store.users import add_user

    db = tmp / "screens.duckdb"
    if source is None:
        app_world(db, years=5, cells_per_road=20, seed=7)
        add_drives(db, tmp)
    else:
        copy_warehouse(source, db)
    with write_connection(db) as con:
        add_user(con, USER, PASSWORD, "admin", None)
    return db


def start_server(db: Path, tmp: Path) -> tuple[object, str]:
    """The app under waitress on a free loopback port."""
    from app_clients import serve_in_thread

    from dash_app.app import create_app

    return serve_in_thread(create_app(db, key_dir=tmp / "keys").server)


def browser(width: int, height: int):
    """Headless Chromium laying pages out for a ``width`` px screen (emulated below 500 px)."""
    from chrome import chrome_options, emulate_screen, start_chrome

    driver = start_chrome(chrome_options(max(width, 500), height, "--hide-scrollbars"))
    emulate_screen(driver, width, height)
    return driver


def wait_for(driver, css: str, timeout: float = 40) -> None:
    """Wait until ``css`` matches, then let charts settle."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout).until(lambda d: d.find_elements(By.CSS_SELECTOR, css))
    time.sleep(1.5)


def login(driver, base: str, out: Path | None) -> None:
    """Sign in (saving the login page first when ``out`` is given)."""
    driver.get(base + "/login")
    wait_for(driver, "#username", 20)
    if out is not None:
        driver.save_screenshot(str(out / "login.png"))
    driver.find_element("id", "username").send_keys(USER)
    driver.find_element("id", "password").send_keys(PASSWORD)
    driver.find_element("id", "login-submit").click()
    wait_for(driver, ".topbar")


def full_height(driver, width: int) -> None:
    """Make the screen as tall as the page (capped) so the screenshot shows it all."""
    from chrome import emulate_screen

    height = driver.execute_script(
        "return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight)"
    )
    tall = min(max(int(height) + 40, 700), 4000)
    driver.set_window_size(max(width, 500), tall)
    emulate_screen(driver, width, tall)
    time.sleep(0.8)


def top_unit(db: Path) -> str:
    """The 7-day forecast's rank-1 unit (for the corridor page)."""
    from dash_app import queries

    units = queries.forecast_units(queries.AppStore(db), 7, None)
    return units.sort("rank")["unit_id"][0]


def first_drive(db: Path) -> str:
    """The first evaluated drive (for the Drives page; '' when none is stored)."""
    from dash_app.queries import AppStore
    from dash_app.queries import drives as q

    rows = q.results(AppStore(db), None)
    drives = [] if rows.is_empty() else [d for d in rows["drive_id"].to_list() if d != "ALL"]
    return drives[0] if drives else ""


def shoot(
    base: str,
    out: Path,
    refs: tuple[str, str],
    size: tuple[str, int, int],
    lang: str,
    names: tuple[str, ...],
    *,
    with_login: bool = True,
) -> None:
    """Save one PNG per page at one screen size and language (``refs``: the corridor unit and
    the drive shown; ``with_login``: the login page too, at the desktop size in English)."""
    from urllib.parse import quote

    from chrome import emulate_screen

    suffix, width, height = size
    suffix += "_hi" if lang == "hi" else ""
    unit, drive = refs
    driver = browser(width, height)
    try:
        login(driver, base, out if suffix == "" and with_login else None)
        driver.get(f"{base}/lang/{lang}?next=/")
        for name, path, ready in PAGES:
            if name not in names:
                continue
            driver.set_window_size(max(width, 500), height)
            emulate_screen(driver, width, height)
            driver.get(base + path.format(unit=quote(unit), drive=quote(drive)))
            wait_for(driver, ready)
            full_height(driver, width)
            driver.refresh()  # lay the page out again at its full height (the map fits its bounds)
            wait_for(driver, ready)
            driver.save_screenshot(str(out / f"{name}{suffix}.png"))
            log.info("saved %s%s.png", name, suffix)
    finally:
        driver.quit()


def main() -> None:
    """Parse options and write the screenshots."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--db", type=Path, default=None, help="warehouse to show (copied); default: seeded world"
    )
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    parser.add_argument("--pages", nargs="+", help="only these pages (default: every page)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="roadsafety-shots-") as tmp:
        db = prepare_db(args.db, Path(tmp))
        srv, base = start_server(db, Path(tmp))
        try:
            refs = (top_unit(db), first_drive(db))
            pages = tuple(
                p[0]
                for p in PAGES
                if (p[0] != "drives" or refs[1]) and (not args.pages or p[0] in args.pages)
            )
            for size in SIZES:
                for lang in LANGUAGES:
                    shoot(base, args.out, refs, size, lang, pages, with_login=not args.pages)
        finally:
            srv.close()


if __name__ == "__main__":
    main()
