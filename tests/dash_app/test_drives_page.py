"""The Drives page: list by scope, one drive's chart and map, downloads; figure builders."""

from __future__ import annotations

import base64
import io
import json
from datetime import date
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from dash import no_update
from worlds import add_drives

from dash_app import drive_figures
from dash_app.app import create_app
from dash_app.auth import app_store, require_scope
from dash_app.drive_downloads import drive_download
from dash_app.pages import drives as page
from roadsafety.exports.drives import DRIVE_COLUMNS
from roadsafety.store.connection import copy_warehouse
from roadsafety.store.users import read_audit_log


def _text(obj: object) -> str:
    return json.dumps(
        obj, default=lambda o: o.to_plotly_json() if hasattr(o, "to_plotly_json") else str(o)
    )


@pytest.fixture(scope="module")
def evaluated(world_template: Path, tmp_path_factory) -> Path:
    """The app world with two drives (Karnal cells, Panipat cells) imported and evaluated."""
    tmp = tmp_path_factory.mktemp("drives_page")
    db = tmp / "wh.duckdb"
    copy_warehouse(world_template, db)
    add_drives(db, tmp)
    return db


@pytest.fixture
def drives_app(evaluated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("ROADSAFETY_SECRET_KEY", raising=False)
    monkeypatch.delenv("ROADSAFETY_TILE_URL", raising=False)
    db = tmp_path / "wh.duckdb"
    copy_warehouse(evaluated, db)
    return create_app(db, key_dir=tmp_path / "keys"), db


@pytest.fixture
def as_drives_user(drives_app):
    from contextlib import contextmanager

    from flask_login import login_user

    from dash_app.auth import AppUser

    app, _ = drives_app

    @contextmanager
    def ctx(username: str):
        record = app.server.extensions["roadsafety_store"].user(username)
        with app.server.test_request_context("/_dash-update-component", method="POST"):
            login_user(AppUser(record.username, record.role, record.district))
            yield

    return ctx


def test_the_page_is_registered(drives_app) -> None:
    app, _ = drives_app
    assert any(k.startswith("..drives-grid.rowData") for k in app.callback_map)


def test_list_for_the_state_and_for_a_district(as_drives_user) -> None:
    with as_drives_user("admin"):
        rows, info = page.update_list(None)
    assert [r["drive_id"] for r in rows] == ["KNL-1", "PNP-1", "ALL"]
    assert "all districts" in _text(info)
    with as_drives_user("karnal_sp"):
        rows, info = page.update_list("Panipat")
    assert [(r["drive_id"], r["scope"]) for r in rows] == [("KNL-1", ""), ("ALL", "Karnal")]


def test_a_drive_shows_its_verdict_chart_and_places(as_drives_user) -> None:
    with as_drives_user("admin"):
        rows, _ = page.update_list(None)
        detail = page.show_drive([rows[0]], None, None)
    text = _text(detail)
    assert "Expected without the drive" in text and rows[0]["verdict"].capitalize() in text
    assert "Its places (4)" in text and text.count('"Polygon"') == 4


def test_verdicts_read_in_hindi_for_a_hindi_reader(as_drives_user) -> None:
    import flask

    from dash_app.i18n import SESSION_KEY
    from roadsafety.vocabulary import verdict_label

    with as_drives_user("admin"):
        english, _ = page.update_list(None)
        flask.session[SESSION_KEY] = "hi"
        rows, _ = page.update_list(None)
        detail = _text(page.show_drive([rows[0]], None, None))
    assert [r["verdict"] for r in rows] == [verdict_label(r["verdict"], "hi") for r in english]
    assert all(r["verdict"] != e["verdict"] for r, e in zip(rows, english, strict=True))
    assert "expected without the drive" not in detail
    assert "अपेक्षित के मुकाबले" in json.dumps(json.loads(detail), ensure_ascii=False)


def test_a_link_opens_a_drive_and_junk_does_not(as_drives_user) -> None:
    with as_drives_user("admin"):
        linked = page.show_drive(None, "PNP-1", None)
        junk = page.show_drive({"x": 1}, ["PNP-1"], None)
    assert "PNP-1: Panipat NH checks" in _text(linked)
    assert "Choose a drive" in _text(junk)


def test_a_district_user_cannot_open_another_districts_drive(as_drives_user, drives_app) -> None:
    _, db = drives_app
    with as_drives_user("admin"):
        rows, _ = page.update_list(None)
    panipat = next(r for r in rows if r["drive_id"] == "PNP-1")
    with as_drives_user("karnal_sp"):
        out = page.show_drive([panipat], None, None)
    assert "outside your district" in _text(out)
    assert [e for e in read_audit_log(db) if e["action"] == "denied"][-1]["detail"][
        "asked_drive"
    ] == "PNP-1"


def test_downloads_are_the_export_rows_and_audited(as_drives_user, drives_app) -> None:
    _, db = drives_app
    with as_drives_user("viewer"):
        payload, msg = drive_download(app_store(), require_scope(), None, "csv")
    assert payload is no_update and "viewer" in msg
    with as_drives_user("karnal_sp"):
        payload, msg = drive_download(app_store(), require_scope(), "Karnal", "xlsx")
    book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(payload["content"])))
    sheet = book["Drives"]
    assert [c.value for c in sheet[1]] == list(DRIVE_COLUMNS)
    assert [sheet.cell(r, 1).value for r in (2, 3)] == ["KNL-1", "ALL"]
    assert payload["filename"] == "drive_evaluation_karnal.xlsx" and "(2 rows)" in msg
    event = [e for e in read_audit_log(db) if e["action"] == "download"][-1]
    assert event["detail"]["export_record"]["export_kind"] == "drive_evaluation"


def test_before_evaluation_the_page_says_what_to_run(as_user) -> None:
    with as_user("admin"):
        rows, info = page.update_list(None)
    assert rows == [] and "roadsafety drives evaluate" in _text(info)


def test_figures_draw_the_expectation_line_and_say_the_naive_claim() -> None:
    months = pl.DataFrame(
        {
            "month": [date(2024, 1, 1), date(2024, 2, 1), date(2025, 1, 1)],
            "period": ["before", "before", "after"],
            "crashes": [5, 6, 2],
            "expected": [4.0, 4.5, 4.2],
        }
    )
    drive = {
        "name": "D",
        "after_start": date(2025, 1, 1),
        "verdict": "crashes fell: likely the drive",
        "change_pct": -40.0,
        "ci_low_pct": -60.0,
        "ci_high_pct": -10.0,
        "crashes_after": 2,
        "expected_after_without_drive": 4.2,
        "naive_change_pct": -64.0,
    }
    fig = drive_figures.before_after_figure(months, drive)
    assert [t.name for t in fig.data] == [
        "Crashes, before the drive",
        "Crashes since the drive began",
        "Expected without the drive",
        "Expected without the drive",
    ]
    assert [len(t.x) for t in fig.data[2:]] == [2, 1] and fig.data[3].showlegend is False
    text = drive_figures.verdict_text(drive)
    assert text.startswith("Crashes fell: likely the drive: 2 crashes against 4.2 expected")
    assert "(90% range -60% to -10%)" in text and "would say -64%" in text


def test_hostile_place_names_are_inert_in_the_map_tooltip() -> None:
    row = {
        "label": "<img src=x onerror=alert(1)>",
        "district": "<script>alert(2)</script>",
        "crashes_before": 3,
        "crashes_after": 1,
    }
    tip = drive_figures._tooltip(row)
    assert "<img" not in tip and "<script" not in tip
    assert "&lt;img src=x onerror=alert(1)&gt;" in tip
