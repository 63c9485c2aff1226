"""Each real public file through its adapter and the validated ingest into a fresh warehouse.

Row accounting must be exact (rows read = loaded + quarantined + duplicates), the stored severity
split must match the adapter's (itself checked against independent counts in test_france/test_delhi),
quarantine reasons are the adapter's, and re-loading a file changes nothing.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from roadsafety.sources.delhi import read_delhi_fir
from roadsafety.sources.delhi_fatal import read_delhi_fatal
from roadsafety.sources.france import read_baac
from roadsafety.sources.maryland import read_montgomery
from roadsafety.store.connection import read_connection
from roadsafety.store.ingest import ingest_batch

pytestmark = pytest.mark.realdata


def _query(db: Path, sql: str, params: list | None = None) -> pl.DataFrame:
    with read_connection(db) as con:
        return con.execute(sql, params or []).pl()


def _path(real_data: Path, name: str) -> Path:
    path = real_data / name
    if not path.exists():
        pytest.skip(f"{path} absent")
    return path


def _split(db: Path, source: str) -> dict[str, int]:
    frame = _query(
        db, "SELECT severity, count(*) AS n FROM accidents WHERE source = ? GROUP BY 1", [source]
    )
    return dict(frame.iter_rows())


def _reasons(db: Path, run_id: str) -> dict[str, int]:
    frame = _query(
        db,
        "SELECT reason, count(*) AS n FROM quarantine WHERE ingest_run_id = ? GROUP BY 1",
        [run_id],
    )
    return dict(frame.iter_rows())


def test_baac_into_warehouse(tmp_settings, real_data: Path) -> None:
    result = ingest_batch(tmp_settings, read_baac(_path(real_data, "baac_france_5dep.csv.gz")))
    assert result.rows_read == result.loaded + result.quarantined + result.duplicates == 105_697
    assert (result.loaded, result.quarantined, result.duplicates) == (105_697, 0, 0)
    assert _split(tmp_settings.db_path, "baac") == {
        "fatal": 5_052,
        "grievous": 38_218,
        "minor": 62_427,
    }
    row = _query(
        tmp_settings.db_path, "SELECT * FROM accidents WHERE accident_id = '200500000849'"
    ).row(0, named=True)
    assert (str(row["occurred_at"]), row["has_time"], row["located"]) == (
        "2005-01-16 17:00:00",
        True,
        True,
    )
    assert (row["road_name"], row["district"], row["h3_cell"] == row["unit_id"]) == (
        "D68 (26)",
        "26",
        True,
    )
    # unlocated records with a PR marker are 1 km stretches, most placed by their road's km fit
    kinds = _query(
        tmp_settings.db_path,
        "SELECT kind, count(*) AS n, count(latitude) AS placed FROM spatial_units GROUP BY kind",
    )
    stretch = kinds.filter(pl.col("kind") == "stretch").row(0, named=True)
    assert stretch["n"] > 5_000 and stretch["placed"] > 0.5 * stretch["n"]
    fitted = _query(tmp_settings.db_path, "SELECT count(DISTINCT road_name) FROM road_km_fit")
    assert fitted.item() > 300


def test_delhi_fir_into_warehouse_twice(tmp_settings, real_data: Path) -> None:
    path = _path(real_data, "delhi_fir_crashes_2016_2020.csv")
    first = ingest_batch(tmp_settings, read_delhi_fir(path))
    assert (first.rows_read, first.loaded, first.quarantined, first.duplicates) == (
        30_351,
        30_351,
        0,
        0,
    )
    assert _split(tmp_settings.db_path, "delhi_fir") == {
        "fatal": 7_366,
        "grievous": 1_497,
        "minor": 21_488,
    }
    row = _query(
        tmp_settings.db_path, "SELECT * FROM accidents WHERE accident_id = 'KAROL BAGH/1/2020'"
    ).row(0, named=True)
    assert (row["has_time"], row["located"], row["unit_id"]) == (
        False,
        False,
        "KAROL BAGH | PUSA ROAD",
    )
    again = ingest_batch(tmp_settings, read_delhi_fir(path))
    assert (again.inserted, again.updated, again.duplicates) == (0, 0, 30_351)


def test_delhi_fatal_into_warehouse(tmp_settings, real_data: Path) -> None:
    batch = read_delhi_fatal(_path(real_data, "delhi_fatal_forms"))
    result = ingest_batch(tmp_settings, batch)
    assert result.rows_read == result.loaded + result.quarantined + result.duplicates == 3_799
    assert result.quarantined == batch.rejected.height and result.duplicates == 0
    assert _split(tmp_settings.db_path, "delhi_fatal") == {"fatal": result.loaded}
    assert _reasons(tmp_settings.db_path, result.run_id) == {
        "crash date not readable": 15,
        "crash date outside the folder's year": 13,
        "same crash (station/FIR/year) entered twice; other entry kept": 12,
        "same FIR, date and time entered under another police station; other entry kept": 2,
    }


def test_montgomery_into_warehouse_twice(tmp_settings, real_data: Path) -> None:
    path = _path(real_data, "montgomery_traffic_violations_2016.csv")
    first = ingest_batch(tmp_settings, read_montgomery(path))
    assert (first.rows_read, first.loaded, first.quarantined, first.duplicates) == (
        11_983,
        11_964,
        19,
        0,
    )
    reasons = _reasons(tmp_settings.db_path, first.run_id)
    assert sorted(reasons.values()) == [1, 18]
    stored = _query(
        tmp_settings.db_path,
        "SELECT count(*) AS n, count(vehicle_reg_hash) AS reg, "
        "min(issued_at) AS lo, max(issued_at) AS hi FROM challans",
    ).row(0, named=True)
    assert (stored["n"], stored["reg"]) == (11_964, 0)
    assert (str(stored["lo"]), str(stored["hi"])) == ("2016-03-21 15:51:00", "2016-12-04 22:47:00")
    again = ingest_batch(tmp_settings, read_montgomery(path))
    assert (again.inserted, again.updated, again.duplicates, again.quarantined) == (
        0,
        0,
        11_964,
        19,
    )
