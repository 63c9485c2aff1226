"""Ingest: row accounting, idempotency, updates with history, quarantine reasons, spatial units."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from roadsafety.config import RegionConfig
from roadsafety.sources.canonical import read_canonical_accidents, read_canonical_challans
from roadsafety.store.connection import read_connection
from roadsafety.store.ingest import ingest_batch

HEADER = "accident_id,occurred_at,latitude,longitude,severity,killed,injured,district,police_station,road_name"
GOOD = [
    "A1,2024-01-05 22:15:00,29.39,76.97,fatal,1,2,Panipat,PS Sadar Panipat,NH-44",
    "A2,2024-01-06,29.40,76.98,Grievous,0,1,Panipat,PS Sadar Panipat,NH-44",
    "A3,2024-02-01 08:30,,,minor,0,1,Karnal,PS  civil lines ,nh-44 ",
    "A4,2024-03-01T07:00:00,29.69,76.99,non-injury,0,0,Karnal,PS Civil Lines,NH-44",
    "A5,2024-03-02 07:00:00,,,minor,0,1,Karnal,,",
]


def write_csv(path: Path, rows: list[str], header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def load(settings, path: Path):
    return ingest_batch(settings, read_canonical_accidents(path))


def table(db: Path, sql: str) -> pl.DataFrame:
    with read_connection(db) as con:
        return con.execute(sql).pl()


def test_good_rows_all_load_and_units_are_assigned(tmp_settings, tmp_path):
    result = load(tmp_settings, write_csv(tmp_path / "a.csv", GOOD))
    assert (result.rows_read, result.loaded, result.quarantined, result.duplicates) == (5, 5, 0, 0)
    rows = table(tmp_settings.db_path, "SELECT * FROM accidents ORDER BY accident_id")
    assert rows["severity"].to_list() == ["fatal", "grievous", "minor", "non_injury", "minor"]
    assert rows["has_time"].to_list() == [True, False, True, True, True]
    assert rows["located"].to_list() == [True, True, False, True, False]
    assert rows["unit_id"][2] == "PS CIVIL LINES | NH-44"
    assert (
        rows["unit_id"][4] is None
    )  # neither coordinates nor road: kept, counts in district totals
    assert rows["unit_id"][0] == rows["h3_cell"][0] and len(rows["h3_cell"][0]) == 15
    units = table(
        tmp_settings.db_path,
        "SELECT kind, count(*) n FROM spatial_units GROUP BY kind ORDER BY kind",
    )
    assert units.rows() == [("h3", 3), ("ps_road", 1)]


# Implausible or hostile values (security issue rows 6, 7 and 15): quarantined like the others.
HOSTILE_CASES = {
    "future 2100": ("B1,2100-01-01 10:00,,,minor,0,1,P,PS,NH-1", "occurred_at", "future"),
    "future 9999": ("B1,9999-12-31 23:59,,,minor,0,1,P,PS,NH-1", "occurred_at", "future"),
    "year 1900": ("B1,1900-05-01,,,minor,0,1,P,PS,NH-1", "occurred_at", "before 1950"),
    "3e9 killed": ("B1,2024-01-05,,,fatal,3000000000,0,P,PS,NH-1", "killed", "out of range"),
    "1e400 killed": ("B1,2024-01-05,,,fatal,1e400,0,P,PS,NH-1", "killed", "not a finite"),
    "501 injured": ("B1,2024-01-05,,,minor,0,501,P,PS,NH-1", "injured", "out of range"),
    "NUL in road": ("B1,2024-01-05,,,minor,0,1,P,PS,NH\x00-1", "road_name", "control"),
    "ANSI in id": ("\x1b[31mB1\x1b[0m,2024-01-05,,,minor,0,1,P,PS,NH-1", "accident_id", "control"),
    "10 MB road": ("B1,2024-01-05,,,minor,0,1,P,PS," + "N" * 10_000_000, "road_name", "too long"),
}
BAD_CASES = {
    "malformed timestamp": (
        "B1,2024-13-45 10:00,29.4,76.9,minor,0,1,P,PS,NH-1",
        "occurred_at",
        "malformed timestamp",
    ),
    "missing timestamp": (
        "B1,,29.4,76.9,minor,0,1,P,PS,NH-1",
        "occurred_at",
        "missing required value",
    ),
    "unknown severity": (
        "B1,2024-01-01,29.4,76.9,explosive,0,1,P,PS,NH-1",
        "severity",
        "unknown value",
    ),
    "latitude out of range": (
        "B1,2024-01-01,129.4,76.9,minor,0,1,P,PS,NH-1",
        "latitude",
        "out of range",
    ),
    "longitude out of range": (
        "B1,2024-01-01,29.4,-276.9,minor,0,1,P,PS,NH-1",
        "longitude",
        "out of range",
    ),
    "not a number": ("B1,2024-01-01,29.4x,76.9,minor,0,1,P,PS,NH-1", "latitude", "not a number"),
    "negative count": ("B1,2024-01-01,29.4,76.9,minor,-1,1,P,PS,NH-1", "killed", "negative value"),
    "fractional count": (
        "B1,2024-01-01,29.4,76.9,minor,1.5,1,P,PS,NH-1",
        "killed",
        "not an integer",
    ),
    "missing id": (
        ",2024-01-01,29.4,76.9,minor,0,1,P,PS,NH-1",
        "accident_id",
        "missing required value",
    ),
    **HOSTILE_CASES,
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_row_is_quarantined_with_column_and_reason(tmp_settings, tmp_path, case):
    row, column, reason = BAD_CASES[case]
    result = load(tmp_settings, write_csv(tmp_path / "a.csv", [*GOOD, row]))
    assert result.rows_read == 6 == result.loaded + result.quarantined + result.duplicates
    assert (result.loaded, result.quarantined) == (5, 1)
    q = table(tmp_settings.db_path, "SELECT * FROM quarantine")
    assert q["row_number"].to_list() == [6]
    assert q["column_name"][0] == column and reason in q["reason"][0]
    assert q["source_file"][0].endswith("a.csv")


def test_duplicate_ids_inside_one_file(tmp_settings, tmp_path):
    rows = [*GOOD, GOOD[0], "A2,2024-01-06,29.40,76.98,fatal,1,0,Panipat,PS Sadar Panipat,NH-44"]
    result = load(tmp_settings, write_csv(tmp_path / "a.csv", rows))
    # A1 repeated exactly: one loaded, one duplicate. A2 repeated with other content: both quarantined.
    assert (result.rows_read, result.loaded, result.quarantined, result.duplicates) == (7, 4, 2, 1)
    q = table(tmp_settings.db_path, "SELECT row_number, reason FROM quarantine ORDER BY 1")
    assert q["row_number"].to_list() == [2, 7]
    assert all("duplicate accident_id" in r for r in q["reason"])


def test_reimport_adds_nothing(tmp_settings, tmp_path):
    path = write_csv(tmp_path / "a.csv", [*GOOD, BAD_CASES["unknown severity"][0]])
    first = load(tmp_settings, path)
    before = table(tmp_settings.db_path, "SELECT * FROM accidents ORDER BY accident_id").drop(
        "ingest_run_id"
    )
    second = load(tmp_settings, path)
    after = table(tmp_settings.db_path, "SELECT * FROM accidents ORDER BY accident_id").drop(
        "ingest_run_id"
    )
    assert first.loaded == 5 and second.loaded == 0 and second.duplicates == 5
    assert before.equals(after)
    runs = table(
        tmp_settings.db_path,
        "SELECT rows_read, loaded, quarantined, duplicates FROM ingest_runs ORDER BY started_at",
    )
    assert runs.rows() == [(6, 5, 1, 0), (6, 0, 1, 5)]


def test_changed_record_updates_and_keeps_history(tmp_settings, tmp_path):
    load(tmp_settings, write_csv(tmp_path / "a.csv", GOOD))
    changed = GOOD[1].replace("Grievous,0,1", "fatal,1,0")  # the victim died within 30 days
    result = load(tmp_settings, write_csv(tmp_path / "b.csv", [changed]))
    assert (result.inserted, result.updated) == (0, 1)
    row = table(
        tmp_settings.db_path,
        "SELECT severity, killed, count(*) OVER () n FROM accidents WHERE accident_id = 'A2'",
    )
    assert row.rows() == [("fatal", 1, 1)]
    hist = table(tmp_settings.db_path, "SELECT * FROM record_history")
    assert hist.height == 1 and hist["record_id"][0] == "A2"
    assert set(hist["changed_columns"][0].split(",")) == {"severity", "killed", "injured"}
    assert "grievous" in hist["old_values"][0] and "fatal" in hist["new_values"][0]
    assert table(tmp_settings.db_path, "SELECT count(*) n FROM accidents")["n"][0] == 5


def test_outside_region_is_kept_unlocated(tmp_settings, tmp_path):
    settings = tmp_settings.model_copy(
        update={"region": RegionConfig(bbox=(74.45, 27.6, 77.6, 31.0))}
    )
    rows = ["C1,2024-01-01 10:00,48.85,2.35,minor,0,1,Paris,PS Louvre,Rue de Rivoli", GOOD[0]]
    result = load(settings, write_csv(tmp_path / "a.csv", rows))
    assert result.loaded == 2
    got = table(
        settings.db_path, "SELECT accident_id, located, h3_cell, unit_id FROM accidents ORDER BY 1"
    )
    assert got.row(0) == ("A1", True, got["h3_cell"][0], got["h3_cell"][0])
    assert got.row(1) == ("C1", False, None, "PS LOUVRE | RUE DE RIVOLI")


def test_parquet_loads_like_csv(tmp_settings, tmp_path):
    csv = write_csv(tmp_path / "a.csv", GOOD)
    pq = tmp_path / "a.parquet"
    pl.read_csv(csv, infer_schema=False).write_parquet(pq)
    result = load(tmp_settings, pq)
    assert result.loaded == 5
    again = load(tmp_settings, csv)  # same source, same ids, same content → all duplicates
    assert again.duplicates == 5 and again.loaded == 0


def test_challans_hash_registrations(tmp_settings, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(
        "challan_id,issued_at,offence,vehicle_reg,latitude,longitude\n"
        "C1,2024-01-01 10:00,Overspeeding,HR-26-AB-1234,28.45,77.02\n"
        "C2,2024-01-02 11:00,no_helmet,hr26ab1234,28.45,77.02\n"
        "C3,2024-01-03 12:00,no_helmet,DL-3C-XY-9876,,\n"
        "C4,2024-01-03 12:00,teleporting,DL-3C-XY-9876,,\n"
    )
    result = ingest_batch(tmp_settings, read_canonical_challans(path))
    assert (result.loaded, result.quarantined) == (3, 1)
    rows = table(tmp_settings.db_path, "SELECT * FROM challans ORDER BY challan_id")
    assert "vehicle_reg" not in rows.columns
    hashes = rows["vehicle_reg_hash"].to_list()
    assert hashes[0] == hashes[1] != hashes[2] and len(hashes[0]) == 64
    assert rows["offence"].to_list() == ["overspeeding", "no_helmet", "no_helmet"]
    q = table(tmp_settings.db_path, "SELECT column_name, raw_value FROM quarantine")
    assert q.rows() == [("offence", "teleporting")]  # the registration is not copied to quarantine


@pytest.mark.parametrize(
    "stamp, severity, expected",
    [
        ("2024-01-05T22:15:00Z", "Serious Injury", ("grievous", True)),
        ("2024-01-05 22:15:00+05:30", "Slight injury", ("minor", True)),
        ("2024-01-05 22:15:00.000", "FATAL", ("fatal", True)),
        ("2024-01-05", "Property damage only", ("non_injury", False)),
    ],
)
def test_common_export_variants_load(tmp_settings, tmp_path, stamp, severity, expected):
    row = f"V1,{stamp},29.39,76.97,{severity},0,1,Panipat,PS Sadar,NH-44"
    result = load(tmp_settings, write_csv(tmp_path / "a.csv", [row]))
    assert result.loaded == 1
    got = table(tmp_settings.db_path, "SELECT severity, has_time, occurred_at FROM accidents")
    assert (got["severity"][0], got["has_time"][0]) == expected
    assert str(got["occurred_at"][0]).startswith("2024-01-05")


def test_file_loaded_knows_files_an_ok_run_loaded(tmp_settings, tmp_path):
    from roadsafety.store.ingest import record_failed_run
    from roadsafety.store.provenance import file_sha256
    from roadsafety.store.status import file_loaded

    good = write_csv(tmp_path / "a.csv", GOOD)
    broken = write_csv(tmp_path / "b.csv", GOOD[:1])
    assert not file_loaded(tmp_settings.db_path, file_sha256(good))  # no warehouse yet
    load(tmp_settings, good)
    record_failed_run(tmp_settings, "accidents", str(broken), "canonical", "unreadable")
    assert file_loaded(tmp_settings.db_path, file_sha256(good))
    assert not file_loaded(tmp_settings.db_path, file_sha256(broken))  # only a failed run
    assert not file_loaded(tmp_settings.db_path, None)


def test_a_load_spares_the_collector_the_objects_before_it_and_hands_them_back(
    tmp_settings, tmp_path, monkeypatch
):
    import gc

    from roadsafety.store import ingest

    seen = []
    real_load = ingest._load

    def spying_load(*args, **kwargs):
        seen.append(gc.get_freeze_count())
        return real_load(*args, **kwargs)

    monkeypatch.setattr(ingest, "_load", spying_load)
    assert gc.get_freeze_count() == 0
    load(tmp_settings, write_csv(tmp_path / "a.csv", GOOD))
    assert seen[0] > 1000 and gc.get_freeze_count() == 0  # frozen while loading, not after
    gc.freeze()  # a process that manages its own heap (the app) keeps its frozen objects
    try:
        frozen = gc.get_freeze_count()
        load(tmp_settings, write_csv(tmp_path / "b.csv", GOOD[:2]))
        assert gc.get_freeze_count() > frozen // 2  # (some are freed by reference counting)
    finally:
        gc.unfreeze()
