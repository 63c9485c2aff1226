"""Fixtures for the app tests: one seeded warehouse per session, apps, logged-in request contexts."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask_login import login_user
from worlds import app_world

from dash_app.app import create_app
from dash_app.auth import AppUser


@pytest.fixture(scope="session")
def world_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A seeded warehouse built once; tests copy it."""
    return app_world(tmp_path_factory.mktemp("world") / "world.duckdb")


@pytest.fixture
def world_db(tmp_path: Path, world_template: Path) -> Path:
    """A private copy of the seeded warehouse."""
    db = tmp_path / "wh.duckdb"
    shutil.copyfile(world_template, db)
    return db


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
