"""Drives in the warehouse: all-or-nothing imports, replacement by id, the import log."""

from __future__ import annotations

from pathlib import Path

import pytest

from roadsafety.sources.drives import read_drives
from roadsafety.store import drives as drive_store
from roadsafety.store.connection import read_connection
from roadsafety.store.drives import (
    drive_summaries,
    read_places,
    record_failed_import,
    write_drives,
)
from roadsafety.store.drives import (
    read_drives as stored_drives,
)

HEADER = "drive_id,name,start_date,end_date,unit_id"


def _file(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "d.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n")
    return path


def test_import_then_replace_a_drive_by_id(tmp_store: Path, tmp_path: Path) -> None:
    first = read_drives(
        _file(
            tmp_path,
            "A,Alpha,2025-01-01,2025-02-01,U1",
            "A,Alpha,2025-01-01,2025-02-01,U2",
            "B,Beta,2025-03-01,2025-03-31,U3",
        )
    )
    result = write_drives(tmp_store, first, "drv-1")
    assert (result.drives_new, result.drives_replaced, result.places) == (2, 0, 3)
    again = read_drives(_file(tmp_path, "A,Alpha again,2025-01-05,2025-02-01,U9"))
    result = write_drives(tmp_store, again, "drv-2")
    assert (result.drives_new, result.drives_replaced, result.places) == (0, 1, 1)
    with read_connection(tmp_store) as con:
        drives, places = stored_drives(con), read_places(con)
        runs = con.execute(
            "SELECT run_id, kind, status, rows_read, loaded FROM ingest_runs ORDER BY run_id"
        ).fetchall()
        summary = drive_summaries(con)
    assert drives["name"].to_list() == ["Alpha again", "Beta"]
    assert places.select("drive_id", "unit_id").rows() == [("A", "U9"), ("B", "U3")]
    assert runs == [("drv-1", "drives", "ok", 3, 3), ("drv-2", "drives", "ok", 1, 1)]
    assert summary["places"].to_list() == [1, 1] and summary["verdict"].to_list() == [None, None]


def test_a_batch_with_rejects_is_never_written(tmp_store: Path, tmp_path: Path) -> None:
    batch = read_drives(
        _file(tmp_path, "A,Alpha,2025-01-01,2025-02-01,U1", "B,,2025-01-01,2025-02-01,U2")
    )
    with pytest.raises(ValueError, match="without rejected rows"):
        write_drives(tmp_store, batch, "drv-x")
    record_failed_import(tmp_store, "drv-x", batch.source_file, "1 of 2 rows rejected")
    with read_connection(tmp_store) as con:
        assert con.execute("SELECT count(*) FROM drives").fetchone() == (0,)
        assert con.execute("SELECT status, message FROM ingest_runs").fetchall() == [
            ("failed", "1 of 2 rows rejected")
        ]


def test_a_write_failing_half_way_leaves_the_stored_drives(
    tmp_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_drives(
        tmp_store, read_drives(_file(tmp_path, "A,Alpha,2025-01-01,2025-02-01,U1")), "drv-1"
    )
    batch = read_drives(
        _file(tmp_path, "A,Alpha 2,2025-01-01,2025-02-01,U6", "B,Beta,2025-01-01,2025-02-01,U5")
    )
    real = drive_store._insert

    def fail_on_places(con, table, frame):
        if table == "drive_places":
            raise RuntimeError("disk full")
        real(con, table, frame)

    monkeypatch.setattr(drive_store, "_insert", fail_on_places)
    with pytest.raises(RuntimeError, match="disk full"):
        write_drives(tmp_store, batch, "drv-2")
    with read_connection(tmp_store) as con:
        assert stored_drives(con)["name"].to_list() == ["Alpha"]
        assert read_places(con)["unit_id"].to_list() == ["U1"]
