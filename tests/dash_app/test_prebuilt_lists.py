"""First views from the snapshot: risk and gap lists ranked from the run's units read once per
warehouse version equal what the exports read from the warehouse for the same filters."""

from __future__ import annotations

from pathlib import Path

import pytest

from dash_app import queries
from roadsafety.exports.enforcement_gap import build_enforcement_gap
from roadsafety.exports.risk_list import RiskListFilter, build_risk_rows
from roadsafety.store.connection import read_connection

BASE = {
    "top": 100,
    "district": None,
    "police_station": None,
    "severity": "all",
    "min_band": None,
    "merge": False,
    "road_wide": False,
}
FILTERS = [
    {},
    {"district": "Karnal"},
    {"district": " karnal ", "merge": True},
    {"district": "Panipat", "severity": "fatal_grievous", "top": 7},
    {"min_band": "high", "merge": True},
    {"road_wide": True},
    {"district": "Karnal", "road_wide": True, "top": 3},
    {"min_band": "very_high", "severity": "fatal_grievous", "top": 500},
]


@pytest.fixture
def store(world_db: Path) -> queries.AppStore:
    return queries.AppStore(world_db)


def _no_reads(store: queries.AppStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Build the snapshot, then make any further warehouse read fail the test."""
    store.snapshot()

    def refuse(*_: object) -> None:
        raise AssertionError("a list was read from the warehouse, not ranked from the snapshot")

    monkeypatch.setattr(store, "read", refuse)


@pytest.mark.parametrize("window", [7, 30])
def test_lists_from_the_snapshot_equal_the_exports(
    store: queries.AppStore, world_db: Path, window: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = store.snapshot().runs[window].run_id
    with read_connection(world_db) as con:
        risk = [build_risk_rows(con, run_id, RiskListFilter(**BASE | f)) for f in FILTERS]
        gap = [
            build_enforcement_gap(con, run_id, RiskListFilter(**BASE | f | {"top": 200}))
            for f in FILTERS[:4]
        ]
    _no_reads(store, monkeypatch)
    for f, expected in zip(FILTERS, risk, strict=True):
        assert queries.risk_rows(store, window, BASE | f).equals(expected), f
    for f, expected in zip(FILTERS[:4], gap, strict=True):
        assert queries.enforcement_gap(store, window, BASE | f | {"top": 200}).equals(expected), f
    assert not risk[1].is_empty() and set(risk[1]["district"]) == {"Karnal"}


def test_unmatched_filters_give_no_rows_without_a_read(
    store: queries.AppStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_reads(store, monkeypatch)
    assert queries.risk_rows(store, 7, BASE | {"district": "Nowhere"}).is_empty()
    assert queries.enforcement_gap(store, 7, BASE | {"police_station": "Nowhere"}).is_empty()


def test_snapshot_holds_each_shown_runs_units_once(store: queries.AppStore) -> None:
    s = store.snapshot()
    assert set(s.lists) == {r.run_id for r in s.runs.values()}
    for run in s.runs.values():
        info, units = s.lists[run.run_id]
        assert info.run_id == run.run_id
        assert (
            units["unit_id"].n_unique()
            == units.height
            == queries.forecast_units(store, run.window_days, None).height
        )


def test_a_run_without_rows_falls_back_to_the_exports_read(
    store: queries.AppStore, world_db: Path
) -> None:
    from roadsafety.store.connection import write_connection

    with write_connection(world_db) as con:
        con.execute("DELETE FROM forecasts WHERE run_id = 'run-30'")
    s = store.snapshot()
    assert "run-30" not in s.lists and "run-7" in s.lists
    with pytest.raises(Exception, match="has no rows"):
        queries.risk_rows(store, 30, BASE)


def test_one_snapshot_build_at_a_time_and_logged(
    store: queries.AppStore, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import threading
    import time

    from dash_app.queries import snapshot as snap

    calls = []
    real = snap.build_snapshot

    def slow(*args: object) -> snap.Snapshot:
        calls.append(1)
        time.sleep(0.3)  # long enough for the other requests to arrive during the build
        return real(*args)

    monkeypatch.setattr(snap, "build_snapshot", slow)
    got = []
    threads = [threading.Thread(target=lambda: got.append(store.snapshot())) for _ in range(3)]
    with caplog.at_level("INFO", logger="dash_app.queries"):
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(calls) == 1 and len(got) == 3 and all(s is got[0] for s in got)
    assert "app snapshot of wh.duckdb built in" in caplog.text and "list units" in caplog.text
