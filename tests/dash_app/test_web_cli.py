"""``roadsafety users`` and ``serve`` option checks through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from dash_app.users import append_audit, read_user, verify_password
from roadsafety.cli import app as cli
from roadsafety.store.connection import ensure_warehouse, read_connection


def _run(db: Path, *args: str, stdin: str | None = None):
    return CliRunner().invoke(cli, ["--db", str(db), *args], input=stdin)


def test_users_add_list_disable(tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    ensure_warehouse(db)
    res = _run(
        db,
        "users",
        "add",
        "sp_karnal",
        "--role",
        "analyst",
        "--district",
        "Karnal",
        "--password-stdin",
        stdin="s3cret-passphrase\n",
    )
    assert res.exit_code == 0, res.output
    assert "s3cret-passphrase" not in res.output
    with read_connection(db) as con:
        user = read_user(con, "sp_karnal")
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
