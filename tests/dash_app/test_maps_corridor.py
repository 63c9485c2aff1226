"""Maps framed on the selection with labels beneath the data; the corridor page in officers' words
(issue 16, item 5)."""

from __future__ import annotations

import json
from datetime import date

import polars as pl
from worlds import app_world

from dash_app import figures, maps, queries
from dash_app.auth import app_store
from dash_app.pages import corridor, overview


def _text(component: object) -> str:
    return json.dumps(component.to_plotly_json(), default=str)


def _inside(bounds: list, lat: float, lon: float) -> bool:
    return bounds[0][0] <= lat <= bounds[1][0] and bounds[0][1] <= lon <= bounds[1][1]


def test_map_fits_the_district_and_ignores_a_stray_point(as_user) -> None:
    with as_user("admin"):
        _, _, state, _ = overview.update(None, 7)
        _, _, karnal, _ = overview.update("Karnal", 7)
    assert _inside(state.bounds, 28.46, 77.03) and _inside(state.bounds, 29.69, 76.99)
    assert not _inside(karnal.bounds, 29.39, 76.96)  # Panipat is not in Karnal's frame
    assert karnal.bounds[1][0] - karnal.bounds[0][0] < 0.5
    units = pl.DataFrame({"latitude": [29.0 + i / 1000 for i in range(99)] + [12.0]})
    units = units.with_columns(longitude=pl.col("latitude") * 0 + 76.0)
    assert maps.map_bounds(units)[0][0] > 28.5  # one mis-placed record does not shrink it
    assert karnal.trackViewport is False  # no console error on move


def test_district_names_sit_beneath_the_data(as_user) -> None:
    with as_user("admin"):
        _, _, risk_map, _ = overview.update(None, 7)
    panes = [c for c in risk_map.children if c.__class__.__name__ == "Pane"]
    assert len(panes) == 1 and panes[0].style["zIndex"] < 400  # Leaflet's overlay pane: 400
    names = {m.children.children for m in panes[0].children}
    assert names == {"Karnal", "Panipat", "Gurugram"}
    assert all(m.children.pane == maps.LABEL_PANE for m in panes[0].children)


def test_corridor_page_speaks_of_places_not_ids(as_user) -> None:
    with as_user("admin"):
        units = queries.forecast_units(app_store(), 7, "Karnal")
        cells = units.filter(pl.col("h3_cell").is_not_null()).sort("rank")["unit_id"].to_list()
        body = _text(corridor.update(cells[0], None))
        run = "corridor:SH-8:" + cells[0]
        merged = _text(corridor.update(run, ";".join(cells[:3])))
        opts = corridor.pick_options("x", cells[-1])
    assert cells[0] not in body  # no raw map-cell id anywhere on the page
    assert "PS Karnal" in body and "0.0 - 0.0" not in body
    assert "3 map cells together" in merged and "riskiest cell" in merged
    label = next(o["label"] for o in opts if o["value"] == cells[-1])
    assert cells[-1] not in label and "Karnal" in label


def test_corridor_counts_every_cell_and_months_are_months(as_user) -> None:
    with as_user("admin"):
        store = app_store()
        units = queries.forecast_units(store, 7, "Panipat").sort("rank")
        cells = units.filter(pl.col("h3_cell").is_not_null())["unit_id"].to_list()[:4]
        detail = queries.unit_detail(store, tuple(cells))
        one = [queries.unit_detail(store, (c,)) for c in cells]
        text = corridor.counts_text(detail, len(cells))
    total = sum(int(d.monthly["crashes"].sum()) for d in one)
    assert f"{total} crashes recorded" in text and total > 0
    fig = figures.history_figure(detail.monthly, "t", last=date(2026, 11, 29))
    assert len(fig.data[0].x) == 36 and fig.data[0].x[-1] == date(2026, 11, 1)


def test_small_ranges_hidden_and_causes_labelled() -> None:
    assert corridor.range_text(0.0, 0.04) is None and corridor.range_text(None, 1.0) is None
    assert corridor.range_text(0.2, 1.4) == "80% range 0.2 - 1.4"
    cols = {c["field"]: c for c in corridor.grid_columns(corridor.CRASH_SPEC)}
    assert "No seat belt" in cols["cause"]["valueFormatter"]["function"]


def test_hour_panel_says_when_no_crash_has_a_time(tmp_path, as_user) -> None:
    db = app_world(tmp_path / "w.duckdb", seed=5)
    from roadsafety.store.connection import write_connection

    with write_connection(db) as con:
        con.execute("DELETE FROM unit_hour_profile")
        con.execute("UPDATE accidents SET has_time = FALSE")
    store = queries.AppStore(db)
    unit = queries.forecast_units(store, 7, None).sort("rank")["unit_id"][0]
    detail = queries.unit_detail(store, (unit,))
    assert detail.profile.is_empty()
    body = _text(corridor.detail_body(detail, unit, date(2026, 1, 1)))
    assert "No crashes with a recorded time" in body
