"""Export audit: records written, and parked (not lost) while the warehouse is locked."""

from __future__ import annotations

import fcntl
from datetime import date

from roadsafety.exports.audit import audit_export, file_sha256, pending_path
from roadsafety.exports.meta import ExportMeta
from roadsafety.store.connection import lock_path, read_connection
from roadsafety.store.export_store import read_audit


def _meta() -> ExportMeta:
    return ExportMeta(
        "risk_list",
        "run-test-1",
        "v1",
        date(2025, 1, 1),
        date(2025, 1, 7),
        date(2025, 1, 1),
        {"top": 3},
    )


def test_app_user_is_recorded_with_file_hash(world, tmp_path):
    out = tmp_path / "f.csv"
    out.write_text("rank\n1\n")
    audit_export(world.db_path, out, "csv", _meta(), 1, user="dsp.karnal", user_kind="app")
    with read_connection(world.db_path) as con:
        rec = read_audit(con).row(0, named=True)
    assert (rec["user_name"], rec["user_kind"], rec["row_count"]) == ("dsp.karnal", "app", 1)
    assert rec["file_sha256"] == file_sha256(out) and rec["path"] == str(out.resolve())
    assert '"window_end": "2025-01-07"' in rec["params"]


def test_record_is_parked_while_the_warehouse_is_locked_then_written(world, tmp_path):
    out = tmp_path / "f.csv"
    out.write_text("rank\n")
    with lock_path(world.db_path).open("a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        first = audit_export(world.db_path, out, "csv", _meta(), 0, lock_timeout_s=0.2)
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
    assert pending_path(world.db_path).exists()
    with read_connection(world.db_path) as con:
        assert read_audit(con).is_empty()
    second = audit_export(world.db_path, out, "csv", _meta(), 0)
    assert not pending_path(world.db_path).exists()
    with read_connection(world.db_path) as con:
        assert set(read_audit(con)["audit_id"]) == {first.audit_id, second.audit_id}
