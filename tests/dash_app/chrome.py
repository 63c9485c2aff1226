"""Headless Chromium (Debian's chromium-driver) for the browser tests and the screenshots script."""

from __future__ import annotations

CHROMEDRIVER = "/usr/bin/chromedriver"
ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def chrome_options(width: int, height: int, *extra: str):
    """Chrome options: headless, quiet, at the given window size (plus ``extra`` switches)."""
    from selenium import webdriver

    opts = webdriver.ChromeOptions()
    for arg in (*ARGS, *extra, f"--window-size={width},{height}"):
        opts.add_argument(arg)
    return opts


def start_chrome(opts):
    """A Chromium driven through Debian's chromedriver."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)


def emulate_screen(driver, width: int, height: int) -> None:
    """Lay pages out for a ``width`` x ``height`` screen (a phone): Chromium's window cannot be
    narrower than 500 px, so a 390 px phone needs device-metrics emulation."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 500},
    )
