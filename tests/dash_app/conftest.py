"""Fixtures for the app tests: one seeded warehouse per session, apps, logged-in request contexts."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from chrome import CHROMEDRIVER, chrome_options, start_chrome
from flask_login import login_user
from worlds import app_world

from dash_app.app import create_app
from dash_app.auth import AppUser
from roadsafety.store.connection import copy_warehouse


@pytest.fixture
def browser(tmp_path: Path):
    """Headless Chromium (skips when Debian's chromium and chromium-driver are absent)."""
    if not Path(CHROMEDRIVER).exists() or not shutil.which("chromium"):
        pytest.skip(
            "chromium / chromium-driver not installed (apt-get install chromium chromium-driver)"
        )
    opts = chrome_options(1280, 900)
    opts.add_experimental_option(
        "prefs",
        {"download.default_directory": str(tmp_path), "download.prompt_for_download": False},
    )
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # console, for CSP checks
    driver = start_chrome(opts)
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)}
    )
    driver.download_dir = tmp_path
    yield driver
    driver.quit()


@pytest.fixture(scope="session")
def world_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A seeded warehouse built once; tests copy it."""
    return app_world(tmp_path_factory.mktemp("world") / "world.duckdb")


@pytest.fixture
def world_db(tmp_path: Path, world_template: Path) -> Path:
    """A private copy of the seeded warehouse."""
    db = tmp_path / "wh.duckdb"
    copy_warehouse(world_template, db)
    return db


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, world_template: Path
) -> Iterator[tuple[str, object]]:
    """The app on a free loopback port, in a thread (one per test module): (base URL, app)."""
    from app_clients import serve_in_thread

    tmp = tmp_path_factory.mktemp("served")
    db = tmp / "wh.duckdb"
    copy_warehouse(world_template, db)
    app = create_app(db, key_dir=tmp / "keys")
    srv, base = serve_in_thread(app.server)
    yield base, app
    srv.close()


@pytest.fixture
def app(world_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A fresh app on the private warehouse (session key in tmp)."""
    monkeypatch.delenv("ROADSAFETY_SECRET_KEY", raising=False)
    return create_app(world_db, key_dir=tmp_path / "keys")


@pytest.fixture
def as_user(app) -> Callable:
    """``with as_user('karnal_sp'):`` runs code in a request context logged in as that user."""

    @contextmanager
    def ctx(username: str) -> Iterator[None]:
        record = app.server.extensions["roadsafety_store"].user(username)
        with app.server.test_request_context("/_dash-update-component", method="POST"):
            login_user(AppUser(record.username, record.role, record.district))
            yield

    return ctx
