"""``roadsafety users`` and ``serve`` option checks through the real CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from roadsafety.cli import app as cli
from roadsafety.store.connection import ensure_warehouse, read_connection, write_connection
from roadsafety.store.users import append_audit, read_user, verify_password


def _run(db: Path, *args: str, stdin: str | None = None):
    return CliRunner().invoke(cli, ["--db", str(db), *args], input=stdin)


def _warehouse_with_districts(db: Path) -> Path:
    with write_connection(db) as con:
        con.execute(
            "INSERT INTO districts VALUES ('Karnal', 'Haryana', 29.7, 77.0), "
            "('Panipat', 'Haryana', 29.4, 77.0)"
        )
    return db


def test_users_add_list_disable(tmp_path: Path) -> None:
    db = _warehouse_with_districts(tmp_path / "wh.duckdb")
    res = _run(
        db,
        "users",
        "add",
        "sp_karnal",
        "--role",
        "analyst",
        "--district",
        "karnal ",
        "--password-stdin",
        stdin="s3cret-passphrase\n",
    )
    assert res.exit_code == 0, res.output
    assert "s3cret-passphrase" not in res.output
    with read_connection(db) as con:
        user = read_user(con, "sp_karnal")
    assert user.district == "Karnal"  # the warehouse's spelling
    assert user.password_hash.startswith("$argon2id$") and verify_password(
        user.password_hash, "s3cret-passphrase"
    )
    listing = _run(db, "users", "list")
    assert (
        "sp_karnal" in listing.output
        and "Karnal" in listing.output
        and "argon2" not in listing.output
    )
    assert _run(db, "users", "disable", "sp_karnal").exit_code == 0
    with read_connection(db) as con:
        assert read_user(con, "sp_karnal").disabled


def test_users_bad_input_exits_2(tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    ensure_warehouse(db)
    bad_role = _run(
        db, "users", "add", "x", "--role", "boss", "--password-stdin", stdin="long enough pw\n"
    )
    assert bad_role.exit_code == 2 and "role" in bad_role.output
    short = _run(db, "users", "add", "x", "--password-stdin", stdin="short\n")
    assert short.exit_code == 2 and "8 characters" in short.output
    assert _run(db, "users", "disable", "ghost").exit_code == 2


def test_audit_import_is_idempotent_and_fills_export_audit(tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    ensure_warehouse(db)
    append_audit(db, "sp", "login")
    record = {
        "audit_id": "a1",
        "exported_at": "2026-01-01T10:00:00",
        "user_name": "sp",
        "user_kind": "app",
        "export_kind": "risk_list",
        "format": "csv",
        "path": "x.csv",
        "params": {"top": 5},
        "run_id": "r",
        "model_version": "v1",
        "row_count": 5,
        "file_sha256": "ab",
    }
    append_audit(db, "sp", "download", {"export_record": record})
    assert _run(db, "users", "audit").exit_code == 0
    assert _run(db, "users", "audit").exit_code == 0
    with read_connection(db) as con:
        assert con.execute("SELECT count(*) FROM app_audit").fetchone()[0] == 2
        row = con.execute(
            "SELECT user_name, user_kind, row_count, params FROM export_audit"
        ).fetchall()
    assert len(row) == 1 and row[0][:3] == ("sp", "app", 5) and json.loads(row[0][3]) == {"top": 5}


def test_serve_refuses_a_missing_warehouse(tmp_path: Path) -> None:
    res = _run(tmp_path / "none.duckdb", "serve", "--port", "0")
    assert res.exit_code == 2 and "does not exist" in res.output


@pytest.mark.parametrize(
    ("district", "message"),
    [
        ("", "--district is empty"),
        ("   ", "--district is empty"),
        ("Atlantis", "not in the warehouse"),
    ],
)
def test_users_add_refuses_blank_or_unknown_district(
    tmp_path: Path, district: str, message: str
) -> None:
    db = _warehouse_with_districts(tmp_path / "wh.duckdb")
    res = _run(
        db,
        "users",
        "add",
        "x",
        "--district",
        district,
        "--password-stdin",
        stdin="long enough pw\n",
    )
    assert res.exit_code == 2 and message in res.output
    with read_connection(db) as con:
        assert read_user(con, "x") is None  # no all-districts user slipped in


def test_disable_enable_and_revoke_bump_the_session_version(tmp_path: Path) -> None:
    db = _warehouse_with_districts(tmp_path / "wh.duckdb")
    add = ("users", "add", "sp", "--password-stdin")
    assert _run(db, *add, stdin="long enough pw\n").exit_code == 0
    versions = []
    for args in (("disable", "sp"), ("disable", "sp", "--enable"), ("revoke", "sp")):
        assert _run(db, "users", *args).exit_code == 0
        with read_connection(db) as con:
            versions.append(read_user(con, "sp").session_version)
    assert versions == [1, 2, 3]
    assert _run(db, "users", "revoke", "ghost").exit_code == 2


def test_user_commands_do_not_import_the_web_app(tmp_path: Path) -> None:
    db = _warehouse_with_districts(tmp_path / "wh.duckdb")
    code = (
        "import sys; from roadsafety.cli import app; "
        f"app(['--db', {str(db)!r}, 'users', 'list'], standalone_mode=False); "
        "print('LOADED', any(m == 'dash_app' or m.startswith('dash_app.') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "LOADED False" in out.stdout


def test_audit_log_clips_huge_input_and_is_not_world_readable(tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    append_audit(db, "x" * 400_000, "login_failed", {"asked_district": ["y" * 10_000] * 500})
    path = db.with_name(db.name + ".app_audit.jsonl")
    assert path.stat().st_size < 20_000
    assert path.stat().st_mode & 0o777 == 0o640
    event = json.loads(path.read_text())
    assert event["user"].startswith("x" * 64) and "chars)" in event["user"]
    assert len(event["detail"]["asked_district"]) == 50


def test_background_builder_settles_the_heap_once_per_new_snapshot(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from roadsafety.commands import web

    class Store:
        shown = iter(["v1", "v1", "v2", "v2"])

        def snapshot(self) -> str:
            return next(self.shown)

    settled = []
    monkeypatch.setattr(web, "settle_heap", lambda: settled.append(1))
    ticks = iter(range(3))

    def sleep(_: float) -> None:
        if next(ticks, None) is None:
            raise KeyboardInterrupt  # end the endless loop after four rounds

    monkeypatch.setattr(web.time, "sleep", sleep)
    with pytest.raises(KeyboardInterrupt):
        web._keep_warm(Store())
    assert len(settled) == 2  # v1 and v2, not every round


def test_settle_heap_collects_cycles_and_freezes_the_rest() -> None:
    import gc
    import weakref

    from roadsafety.commands import web

    class Node:
        pass

    try:
        cycle = Node()
        cycle.me = cycle
        gone = weakref.ref(cycle)
        web.settle_heap()  # the cycle is alive: frozen
        assert all(o is not cycle for o in gc.get_objects())  # out of the collector's view
        del cycle
        web.settle_heap()  # unfreezes first, so the now-dead frozen cycle is collected
        assert gone() is None and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
