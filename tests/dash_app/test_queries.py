"""Cached read-only queries: run choice, scope filters, same rows as the exports, no personal data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from worlds import SECRET_HASH

from dash_app import queries
from dash_app.queries import snapshot
from roadsafety.errors import ExportError
from roadsafety.exports.risk_list import RiskListFilter, build_risk_rows
from roadsafety.store.connection import read_connection, write_connection


@pytest.fixture
def store(world_db: Path) -> queries.AppStore:
    return queries.AppStore(world_db)


def test_latest_complete_standard_runs_are_chosen(store: queries.AppStore) -> None:
    runs = store.snapshot().runs
    assert {d: r.run_id for d, r in runs.items()} == {7: "run-7", 30: "run-30"}
    assert runs[30].window_days == 30


def test_kpis_respect_district(store: queries.AppStore) -> None:
    state = dict(queries.kpis(store, None))
    karnal = dict(queries.kpis(store, "Karnal"))
    assert 0 < karnal[7].crashes < state[7].crashes
    assert set(queries.forecast_units(store, 7, "karnal")["district"]) == {"Karnal"}


def test_risk_rows_equal_the_export_builder(store: queries.AppStore, world_db: Path) -> None:
    params = {
        "top": 10,
        "district": "Panipat",
        "police_station": None,
        "severity": "fatal_grievous",
        "min_band": None,
        "merge": False,
    }
    rows = queries.risk_rows(store, 7, params)
    with read_connection(world_db) as con:
        expected = build_risk_rows(con, "run-7", RiskListFilter(**params))
    assert rows.equals(expected)
    assert queries.risk_rows(store, 7, params | {"district": "Nowhere"}).is_empty()
    with read_connection(world_db) as con, pytest.raises(ExportError, match="--severity"):
        snapshot.read_risk_rows(con, "run-7", params | {"severity": "worst"})  # not swallowed


def test_unit_detail_has_no_personal_fields(store: queries.AppStore) -> None:
    unit = queries.forecast_units(store, 7, "Karnal").sort("rank")["unit_id"][0]
    detail = queries.unit_detail(store, (unit,))
    frames = [detail.units, detail.forecasts, detail.crashes, detail.challans, detail.challan_mix]
    assert all("vehicle_reg_hash" not in f.columns and "raw" not in f.columns for f in frames)
    assert SECRET_HASH not in str([f.to_dicts() for f in frames])
    assert not detail.challans.is_empty() and detail.profile.height == 168


def test_cache_follows_the_warehouse_file(store: queries.AppStore, world_db: Path) -> None:
    first = store.snapshot()
    assert store.snapshot() is first
    with write_connection(world_db) as con:
        con.execute("UPDATE forecast_runs SET status = 'failed' WHERE run_id = 'run-7'")
    os.utime(world_db)
    assert store.snapshot() is not first
    assert store.snapshot().runs[7].run_id != "run-7"


def test_period_series_and_alerts(store: queries.AppStore) -> None:
    history, forecast = queries.period_series(store, None)
    assert not history.is_empty() and forecast.height == 10
    alerts = queries.alerts(store, "Karnal")
    assert len(alerts) == 2 and alerts[0][0]["drivers"].startswith("fog")
    prof = queries.hour_profile(store, "Karnal")
    assert prof["share"].sum() == pytest.approx(1.0)


def test_scope_forces_own_district() -> None:
    sp = queries.Scope("sp", "analyst", "Karnal")
    hq = queries.Scope("hq", "viewer", None)
    assert sp.district_for("Panipat") == "Karnal" and sp.district_for(None) == "Karnal"
    assert hq.district_for("Panipat") == "Panipat" and hq.district_for(None) is None
    assert sp.allows("karnal") and not sp.allows("Panipat") and not sp.allows(None)
    assert sp.can_download and not hq.can_download
