"""Page callbacks called directly, inside a logged-in request context."""

from __future__ import annotations

import io
import json
from pathlib import Path

import openpyxl
import pytest
from dash import no_update
from dash.exceptions import PreventUpdate
from worlds import SECRET_HASH

from dash_app.pages import corridor, enforcement, model_health, overview, periods, risk_list
from roadsafety.exports.risk_list import RISK_COLUMNS
from roadsafety.store.users import read_audit_log


def _text(obj: object) -> str:
    return json.dumps(
        obj, default=lambda o: o.to_plotly_json() if hasattr(o, "to_plotly_json") else str(o)
    )


def test_overview_kpis_map_and_alerts(as_user) -> None:
    with as_user("admin"):
        kpis, alerts, risk_map, title = overview.update(None, 7)
    assert len(kpis[0].children) == 2 and "crashes expected" in _text(kpis)  # cards, how made
    assert "Weeks ahead to watch" in _text(alerts) and "HIGH RISK" in _text(alerts)
    assert "all districts" in title
    layers = [c for c in risk_map.children if type(c).__name__ == "GeoJSON"]
    assert layers and sum(len(layer.data["features"]) for layer in layers) > 20
    assert not [c for c in risk_map.children if type(c).__name__ == "TileLayer"]  # no basemap


def test_overview_map_uses_the_configured_basemap(world_db: Path, tmp_path: Path) -> None:
    from flask_login import login_user

    from dash_app.app import create_app
    from dash_app.auth import AppUser

    url = "https://tiles.example/{z}/{x}/{y}.png"
    app = create_app(world_db, key_dir=tmp_path / "k", tile_url=url, tile_attribution="© ex")
    with app.server.test_request_context("/_dash-update-component", method="POST"):
        login_user(AppUser("admin", "admin", None))
        risk_map = overview.update(None, 7)[2]
    tiles = [c for c in risk_map.children if type(c).__name__ == "TileLayer"]
    assert [(t.url, t.attribution) for t in tiles] == [(url, "© ex")]


def test_risk_list_page_keeps_road_wide_units_apart_and_maps_stretches(as_user) -> None:
    with as_user("admin"):
        rows, _, wide, title, cards, _ = risk_list.update_grid(None, None, 7, "all", "low", 500, [])
        _, _, risk_map, _ = overview.update(None, 7)
    assert rows and not any(" | OLD BYPASS" in r["unit_id"] for r in rows)
    assert {r["unit_id"] for r in wide} == {
        "PS KARNAL CITY | OLD BYPASS",
        "PS PANIPAT CITY | OLD BYPASS",
        "PS GURUGRAM CITY | OLD BYPASS",
    }
    assert [r["rank"] for r in wide] == [1, 2, 3] and "(3)" in title
    assert len(cards) == len(rows)  # the phone's cards hold the same rows
    stretch = next(r for r in rows if r["unit_id"] == "NH-44 | km 30-31")
    assert (stretch["km_from"], stretch["km_to"], stretch["road_name"]) == (30.0, 31.0, "NH-44")
    lines = [
        f
        for layer in risk_map.children
        if type(layer).__name__ == "GeoJSON"
        for f in layer.data["features"]
        if f["geometry"]["type"] == "LineString"
    ]
    assert {f["properties"]["unit_id"] for f in lines} == {
        "NH-44 | km 30-31",
        "NH-44 | km 5-6",
        "NH-48 | km 2-3",
    }
    assert all(len(f["geometry"]["coordinates"]) >= 2 for f in lines)


def test_scoped_user_gets_own_district_whatever_is_asked(as_user, world_db: Path) -> None:
    with as_user("karnal_sp"):
        rows, _, wide, *_ = risk_list.update_grid("Panipat", None, 7, "all", "low", 500, [])
        _, _, risk_map, title = overview.update("Panipat", 30)
    assert rows and {r["district"] for r in rows} == {"Karnal"}
    assert wide and {r["district"] for r in wide} == {"Karnal"}
    assert "Karnal" in title and "Panipat" not in _text(risk_map)
    denied = [e for e in read_audit_log(world_db) if e["action"] == "denied"]
    assert (
        denied
        and denied[0]["user"] == "karnal_sp"
        and denied[0]["detail"]["asked_district"] == "Panipat"
    )


def test_risk_grid_filters(as_user) -> None:
    with as_user("admin"):
        rows, summary, *_ = risk_list.update_grid(
            "Gurugram", None, 30, "fatal_grievous", "high", 50, []
        )
    assert rows and all(
        r["risk_band"] in ("high", "very_high") and r["district"] == "Gurugram" for r in rows
    )
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    assert "model v1" in summary


def test_xlsx_download_is_the_export_and_is_audited(as_user, world_db: Path) -> None:
    params = risk_list.list_params("Karnal", None, "all", "low", 5, [])
    from dash_app import downloads
    from dash_app.auth import app_store, require_scope

    with as_user("karnal_sp"):
        payload, msg = downloads.risk_list_download(app_store(), require_scope(), 7, params, "xlsx")
    book = openpyxl.load_workbook(io.BytesIO(__import__("base64").b64decode(payload["content"])))
    risk_sheets = [
        ws
        for ws in book.worksheets
        if ws.title not in ("Summary", "Road-wide units", "Enforcement gap", "MoRTH blackspots")
    ]
    assert risk_sheets and tuple(c.value for c in risk_sheets[0][1]) == RISK_COLUMNS
    assert payload["filename"].startswith("risk_list_karnal_") and "(5 rows)" in msg
    event = [e for e in read_audit_log(world_db) if e["action"] == "download"][-1]
    assert event["user"] == "karnal_sp" and event["detail"]["export_record"]["row_count"] == 5


def test_viewer_cannot_download(as_user, world_db: Path) -> None:
    from dash_app import downloads
    from dash_app.auth import app_store, require_scope

    with as_user("viewer"):
        payload, msg = downloads.risk_list_download(
            app_store(), require_scope(), 7, {"top": 5}, "csv"
        )
    assert payload is no_update and "cannot" in msg or "not download" in msg
    assert [e["action"] for e in read_audit_log(world_db)][-1] == "denied"


def test_periods_page(as_user) -> None:
    with as_user("karnal_sp"):
        weekly, heat, calendar = periods.update(None)
    names = {trace.name for trace in weekly.data}
    assert "Karnal" in weekly.layout.title.text
    assert {"Crashes (recorded)", "Forecast", "80% range", "Same week last year"} <= names
    assert len(heat.data[0].z) == 7
    assert [r["risk"] for r in calendar].count("High") == 2


def test_corridor_detail_and_scope(as_user) -> None:
    with as_user("admin"):
        opts = corridor.pick_options("x", None)
        body = corridor.update(opts[0]["value"], None)
        panipat = next(o["value"] for o in opts if "Panipat" in o["label"])
    text = _text(body)
    assert "Next 7 days" in text and "Recent challans" in text and "MoRTH" in text
    assert "Overspeeding" in text or "No helmet" in text  # offence mix in the vocabulary's words
    assert SECRET_HASH not in text
    with as_user("karnal_sp"):
        assert "outside your district" in _text(corridor.update(panipat, None))


def test_enforcement_and_model_health(as_user) -> None:
    with as_user("admin"):
        note, scatter, offences, gap = enforcement.update(None, 7)
        health = model_health.update("x")
    assert note is None and scatter.data and offences.data
    assert gap and gap[0]["rank"] == 1 and all(r["risk_band"] in ("high", "very_high") for r in gap)
    text = _text(health)
    assert "model version v1" in text and "lightgbm" in text and "naive 3y" in text
    assert "Audit: latest app events" in text
    with as_user("viewer"):
        assert "Audit: latest app events" not in _text(model_health.update("x"))


def test_callbacks_refuse_anonymous_requests(app) -> None:
    from dash_app.auth import secured

    guarded = secured(overview.update)
    with (
        app.server.test_request_context("/_dash-update-component", method="POST"),
        pytest.raises(PreventUpdate),
    ):
        guarded(None, 7)


def test_pages_explain_an_empty_warehouse(tmp_path: Path) -> None:
    from flask_login import login_user

    from dash_app.app import create_app
    from dash_app.auth import AppUser
    from roadsafety.store.connection import ensure_warehouse

    db = tmp_path / "empty.duckdb"
    ensure_warehouse(db)
    app = create_app(db, key_dir=tmp_path / "keys")
    with app.server.test_request_context("/"):
        login_user(AppUser("hq", "admin", None))
        kpis, _, _, _ = overview.update(None, 7)
        rows, summary, wide, *_ = risk_list.update_grid(None, None, 7, "all", "low", 100, [])
        weekly, _heat, calendar = periods.update(None)
        note, *_ = enforcement.update(None, 30)
        health = _text(model_health.update("x"))
        body = _text(corridor.update(None, None))
    assert (
        "No forecast has been published yet" in _text(kpis)
        and rows == wide == []
        and "retrain" in _text(summary)
    )
    assert "No weekly" in weekly.layout.annotations[0].text and calendar == []
    assert (
        "No forecast" in _text(note)
        and "No model is in use yet" in health
        and "Choose a place" in body
    )


def test_stretch_and_run_details(as_user) -> None:
    with as_user("admin"):
        body = _text(corridor.update("NH-44 | km 30-31", None))
        run = _text(corridor.update("corridor:NH-44 | km 30-31", None))
    assert "NH-44 km 30-31" in body and "crashes recorded here" in body
    assert "NH-44 km 30-31" in run and "No unit" not in run


def test_border_cell_shows_a_district_user_only_their_records(as_user, world_db: Path) -> None:
    from roadsafety.store.connection import read_connection, write_connection
    from roadsafety.store.facts import append_relation

    with read_connection(world_db) as con:
        unit = con.execute(
            "SELECT unit_id FROM spatial_units WHERE district = 'Karnal' AND kind = 'h3' "
            "ORDER BY unit_id LIMIT 1"
        ).fetchone()[0]
    with write_connection(world_db) as con:  # a Panipat crash and challan inside a Karnal cell
        con.execute(
            "INSERT INTO accidents (accident_id, occurred_at, severity, district, unit_id, cause, "
            "source) VALUES ('X1', now(), 'fatal', 'Panipat', ?, 'PANIPAT-ONLY-CAUSE', 'world')",
            [unit],
        )
        cols = "SELECT * REPLACE ('XC1' AS challan_id, now()::TIMESTAMP AS issued_at, "
        append_relation(
            con,
            world_db,
            "challans",
            cols + "'red_light' AS offence, 'Panipat' AS district, "
            f"'{unit}' AS unit_id, 'CAM-PANIPAT-ONLY' AS camera_id) FROM challans LIMIT 1",
            "ingest-x",
        )
    with as_user("karnal_sp"):
        scoped = _text(corridor.update(unit, None))
    with as_user("admin"):
        state = _text(corridor.update(unit, None))
    assert "Recent crashes" in scoped and "PANIPAT-ONLY" not in scoped
    assert "PANIPAT-ONLY-CAUSE" in state and "CAM-PANIPAT-ONLY" in state


def test_model_health_is_scoped_for_a_district_user(as_user, world_db: Path) -> None:
    from roadsafety.store.connection import read_connection

    with read_connection(world_db) as con:
        karnal, total = con.execute(
            "SELECT count(*) FILTER (WHERE district = 'Karnal'), count(*) FROM accidents"
        ).fetchone()
    with as_user("karnal_sp"):
        scoped = _text(model_health.update("x"))
    with as_user("admin"):
        state = _text(model_health.update("x"))
    assert f'"n": {karnal}' in scoped and f'"n": {total}' not in scoped
    assert "shown to state-level users" in scoped and "canonical" not in scoped
    assert f'"n": {total}' in state and "canonical" in state


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_downloads_neutralise_formula_names(as_user, world_db: Path, fmt: str) -> None:
    import base64
    import zipfile

    from dash_app import downloads
    from dash_app.auth import app_store, require_scope
    from roadsafety.store.connection import write_connection

    formula = '=HYPERLINK("http://x","click")'
    with write_connection(world_db) as con:
        con.execute("UPDATE spatial_units SET road_name = ?", [formula])
    params = risk_list.list_params("Karnal", None, "all", "low", 5, [])
    with as_user("karnal_sp"):
        payload, _ = downloads.risk_list_download(app_store(), require_scope(), 7, params, fmt)
    data = base64.b64decode(payload["content"])
    if fmt == "csv":
        assert b"'=HYPERLINK" in data and b"\n=HYPERLINK" not in data and b",=HYPERLINK" not in data
    else:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
            assert not any(b"<f>" in z.read(n) for n in sheets)
