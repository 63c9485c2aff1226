"""The "Plan a drive" page: a plan for analysts within budget, refusals (viewer, other district,
bad budgets), downloads that are the ``plan`` command's files, and the page's builders."""

from __future__ import annotations

import base64
import csv
import io
import json
import subprocess
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from app_clients import callback_payload
from dash import no_update
from test_auth import _login
from worlds import PASSWORD

from dash_app import plan_figures
from dash_app.app import nav_bar
from dash_app.auth import require_scope
from dash_app.pages import plan as page
from dash_app.queries import AppStore
from dash_app.queries import plan as q
from roadsafety.exports.plan import PLAN_COLUMNS
from roadsafety.store.users import read_audit_log

TODAY = date.today()
MONDAY = q.next_monday(TODAY)
FOUR_WEEKS = (str(MONDAY), str(MONDAY + timedelta(days=27)))


def _text(obj: object) -> str:
    return json.dumps(
        obj,
        default=lambda o: o.to_plotly_json() if hasattr(o, "to_plotly_json") else str(o),
        ensure_ascii=False,
    )


def _plan(district=None, hours="120", shift=3, objective="all", dates=FOUR_WEEKS, ps=None):
    return page.update_plan(district, ps, hours, shift, objective, *dates)


def _features(the_map) -> list[dict]:
    return [
        f
        for layer in the_map.children
        if type(layer).__name__ == "GeoJSON"
        for f in layer.data["features"]
    ]


def _denials(db: Path) -> list[dict]:
    return [e for e in read_audit_log(db) if e["action"] == "denied"]


def test_next_monday_is_after_today() -> None:
    assert q.next_monday(date(2026, 11, 30)) == date(2026, 12, 7)  # a Monday: the next one
    assert q.next_monday(date(2026, 12, 5)) == date(2026, 12, 7)
    assert q.next_monday(date(2026, 12, 6)) == date(2026, 12, 7)


def test_the_page_is_in_the_nav_for_analysts_only(app, as_user) -> None:
    assert any(k.startswith("..plan-summary.children") for k in app.callback_map)
    with as_user("karnal_sp"):
        assert "/plan" in _text(nav_bar())
        assert "plan-hours" in _text(page.layout())
    with as_user("viewer"):
        assert "/plan" not in _text(nav_bar()) and "/risk-list" in _text(nav_bar())
        refused = _text(page.layout())
    assert "analysts and admins" in refused and "plan-hours" not in refused


def test_an_analyst_gets_a_plan_of_their_district_within_budget(as_user) -> None:
    with as_user("karnal_sp"):
        summary, the_map, legend, rows, cards = _plan()
    assert rows and {r["district"] for r in rows} == {"Karnal"}
    used = sum(r["team_hours_per_week"] for r in rows)
    assert used <= 120 and f"Budget used: {used} of 120 team-hours a week; {len(rows)} places" in (
        _text(summary)
    )
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    assert all(r["window"] and r["why"] and r["road_km"] for r in rows)
    assert len(_features(the_map)) == len(rows) and len(cards) == len(rows)
    labels = [c.children for c in the_map.children if type(c).__name__ == "CircleMarker"]
    ranks = [t.children for t in labels if t.className == "plan-rank"]
    assert ranks == [str(r["rank"]) for r in rows]  # every place numbered as in the grid
    assert [t.children for t in labels if t.className == "district-label"] == ["Karnal"]
    assert "expected crashes covered" in _text(legend).lower()


def test_summary_says_the_source_run_and_the_backtest_against_naive_counts(as_user) -> None:
    with as_user("admin"):
        moved = _text(_plan()[0])
        run = q.plan_run(AppStore(page.app_store().db_path), MONDAY, MONDAY + timedelta(27))
        exact = _text(_plan(dates=(str(TODAY), str(TODAY + timedelta(days=29))))[0])
        fg = _text(_plan(objective="fatal_grievous")[0])
    assert run.run_id == "run-30"  # overlaps the four weeks most
    assert "each weekday at that forecast's daily rate" in moved
    assert "daily rate" not in exact and "model v1" in exact
    # the world's backtest: plans 0.12 / 0.30 of crashes, naive counts 0.08 / 0.24
    assert "1.50× at 300 team-hours a week; 1.25× at 1,200 team-hours a week the crashes" in moved
    assert "1.67× at 300 team-hours a week the fatal or grievous crashes" in fg


def test_stretches_are_drawn_as_their_road_line(as_user) -> None:
    with as_user("admin"):
        _, the_map, _, rows, _ = _plan(hours="5000")
    lines = [f for f in _features(the_map) if f["geometry"]["type"] == "LineString"]
    assert {f["properties"]["unit_id"] for f in lines} == {
        "NH-44 | km 30-31",
        "NH-44 | km 5-6",
        "NH-48 | km 2-3",
    }
    stretch = next(r for r in rows if r["unit_id"] == "NH-44 | km 30-31")
    assert stretch["road_km"] == "NH-44 km 30-31"


def test_a_viewer_is_refused_and_audited(as_user, world_db: Path) -> None:
    with as_user("viewer"):
        summary, the_map, _, rows, _ = _plan()
        payload, msg = page.download("csv", None, None, "120", 3, "all", *FOUR_WEEKS)
    assert "analysts and admins" in _text(summary) and the_map is None and rows == []
    assert payload is no_update and "analysts and admins" in msg
    assert [e["detail"]["role"] for e in _denials(world_db)[-2:]] == ["viewer", "viewer"]


def test_another_district_is_refused_and_audited(as_user, world_db: Path) -> None:
    with as_user("karnal_sp"):
        summary, the_map, _, rows, _ = _plan(district="Panipat")
        payload, msg = page.download("xlsx", "Panipat", None, "120", 3, "all", *FOUR_WEEKS)
    assert "You can plan drives for Karnal only" in _text(summary) and rows == []
    assert payload is no_update and "Karnal only" in msg
    assert _denials(world_db)[-1]["detail"]["asked_district"] == "Panipat"


def test_a_crafted_request_for_another_district_gets_no_rows(app) -> None:
    client = app.server.test_client()
    assert _login(client, "karnal_sp", PASSWORD).status_code == 302
    client.get("/")
    values = {
        "plan-district": "Panipat",
        "plan-hours": "500",
        "plan-shift": 3,
        "plan-dates.start_date": FOUR_WEEKS[0],
        "plan-dates.end_date": FOUR_WEEKS[1],
    }
    body = callback_payload(app, "plan-summary.children", values)
    resp = client.post("/_dash-update-component", json=body)
    assert resp.status_code == 200 and b"Karnal only" in resp.data
    assert b"PS Panipat" not in resp.data and b"team_hours_per_week" not in resp.data
    body["inputs"][0]["value"] = "Karnal"  # the same request for their own district plans
    resp = client.post("/_dash-update-component", json=body)
    assert b"PS Karnal" in resp.data and b"PS Panipat" not in resp.data


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ("0", "must be more than 0 (got 0)"),
        ("-5", "must be more than 0 (got -5)"),
        ("abc", "enter a number of hours"),
        ("", "enter a number of hours"),
        (None, "enter a number of hours"),
        ("1e400", "enter a number of hours"),
        ("2", "2 is less than one shift of 3 hours"),
        ("1e9", "at most 100,000"),
    ],
)
def test_bad_budgets_get_a_clear_message(as_user, hours: object, message: str) -> None:
    with as_user("karnal_sp"):
        summary, the_map, _, rows, _ = _plan(hours=hours)
        _, msg = page.download("pdf", None, None, hours, 3, "all", *FOUR_WEEKS)
    assert f"Team-hours a week: {message}" in _text(summary) and message in msg
    assert the_map is None and rows == []


def test_bad_dates_get_a_clear_message(as_user) -> None:
    far = (str(TODAY + timedelta(days=400)), str(TODAY + timedelta(days=406)))
    with as_user("admin"):
        backwards = _text(_plan(dates=(FOUR_WEEKS[1], FOUR_WEEKS[0]))[0])
        long = _text(_plan(dates=(FOUR_WEEKS[0], str(MONDAY + timedelta(days=200))))[0])
        missing = _text(_plan(dates=(None, "junk"))[0])
        uncovered = _text(_plan(dates=far)[0])
    assert "the last day is before the first" in backwards
    assert "at most 13 weeks" in long and "choose the first and the last day" in missing
    assert "No published forecast covers" in uncovered and "roadsafety forecast --start" in (
        uncovered
    )


def _decode(payload: dict) -> bytes:
    return base64.b64decode(payload["content"])


def test_downloads_are_plan_files_within_budget_and_audited(as_user, world_db: Path) -> None:
    args = ("Karnal", None, "90", 3, "fatal_grievous", *FOUR_WEEKS)
    with as_user("karnal_sp"):
        files = {fmt: page.download(fmt, *args) for fmt in ("csv", "xlsx", "pdf")}
        _, _, _, rows, _ = page.update_plan(*args)
    payload, msg = files["csv"]
    table = list(csv.DictReader(io.StringIO(_decode(payload).decode("utf-8"))))
    assert list(table[0]) == list(PLAN_COLUMNS) and len(table) == len(rows)
    assert sum(int(r["team_hours_per_week"]) for r in table) <= 90
    assert {r["district"] for r in table} == {"Karnal"}
    assert {(r["window_start"], r["window_end"]) for r in table} == {FOUR_WEEKS}
    assert payload["filename"] == f"drive_plan_karnal_{FOUR_WEEKS[0]}_{FOUR_WEEKS[1]}.csv"
    assert f"({len(rows)} rows)" in msg
    book = openpyxl.load_workbook(io.BytesIO(_decode(files["xlsx"][0])))
    sheet = book["Plan"]
    header = [c.value for c in sheet[1]]
    hours = [r[header.index("team_hours_per_week")] for r in sheet.iter_rows(2, values_only=True)]
    assert 0 < sum(hours) <= 90 and "Karnal" in book.sheetnames
    pdf = _decode(files["pdf"][0])
    assert pdf.startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True).stdout.decode()
    assert "Drive plan: Karnal" in text and f"Team-hours a week: {sum(hours)}" in text
    events = [e for e in read_audit_log(world_db) if e["action"] == "download"][-3:]
    assert [e["detail"]["export_record"]["export_kind"] for e in events] == ["plan"] * 3
    assert events[0]["detail"]["export_record"]["params"]["objective"] == "fatal_grievous"


def test_plans_are_memoised_per_request(as_user) -> None:
    with as_user("admin"):
        asked = page.read_request(require_scope(), None, None, "120", 3, "all", *FOUR_WEEKS)
        first = q.make_plan(page.app_store(), asked.request, asked.start, asked.end)
        again = q.make_plan(page.app_store(), asked.request, asked.start, asked.end)
    assert first.rows is again.rows  # the second is the cached frame


def test_colour_classes_and_cards() -> None:
    values = pl.Series([0.1, 0.4, 0.8])
    edges = plan_figures.class_edges(values)
    assert edges == pytest.approx([0.2, 0.4, 0.6, 0.8])
    colours = [plan_figures.colour_of(v, edges) for v in values]
    assert colours == ["#fed976", "#fd8d3c", "#800026"]
    assert plan_figures.class_edges(pl.Series([0.0])) == [1.0, 2.0, 3.0, 4.0]
    row = {
        "rank": 1,
        "road_km": "NH-44 km 30-31",
        "police_station": "PS <b>",
        "district": "Karnal",
        "window": "Fri-Sun 22:00-01:00",
        "team_hours_per_week": 9,
        "expected_crashes_covered": 0.5,
        "why": "night",
    }
    card = _text(plan_figures.plan_cards([row]))
    assert "#1 NH-44 km 30-31" in card and "9 team-hours a week; 0.50" in card


def test_the_download_buttons_answer_over_http(app) -> None:
    client = app.server.test_client()
    assert _login(client, "karnal_sp", PASSWORD).status_code == 302
    client.get("/")
    values = {
        "plan-dl-xlsx": 1,
        "plan-hours": "60",
        "plan-shift": 3,
        "plan-objective": "all",
        "plan-dates.start_date": FOUR_WEEKS[0],
        "plan-dates.end_date": FOUR_WEEKS[1],
    }
    body = callback_payload(app, "plan-download.data", values)
    body["changedPropIds"] = ["plan-dl-xlsx.n_clicks"]
    resp = client.post("/_dash-update-component", json=body)
    answer = resp.get_json()["response"]
    assert answer["plan-download"]["data"]["filename"].startswith("drive_plan_karnal_")
    assert answer["plan-download"]["data"]["filename"].endswith(".xlsx")
    assert "rows)" in answer["plan-dl-msg"]["children"]
