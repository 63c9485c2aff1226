"""Writes are atomic: a load killed mid-way leaves nothing partial; writers exclude each other."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from roadsafety.store.connection import StoreBusyError, read_connection, write_connection

ROWS = 300_000


def _write_big_file(path: Path, start: int, n: int) -> Path:
    with path.open("w") as fh:
        fh.write(
            "accident_id,occurred_at,latitude,longitude,severity,district,police_station,road_name\n"
        )
        for i in range(start, start + n):
            fh.write(
                f"K{i},2024-01-{1 + i % 28:02d} 10:00,{28 + (i % 1000) / 1000},{76 + (i % 997) / 1000},"
                f"minor,D{i % 7},PS {i % 13},NH-{i % 5}\n"
            )
    return path


def _ingest_cmd(path: Path) -> list[str]:
    return [sys.executable, "-m", "roadsafety.cli", "ingest", "accidents", str(path)]


def _count(db: str) -> int:
    with read_connection(db) as con:
        return con.execute("SELECT count(*) FROM accidents").fetchone()[0]


@pytest.mark.slow
def test_killed_load_leaves_previous_state_and_next_load_completes(tmp_path, cli_env):
    env = {**os.environ, **cli_env}
    db = cli_env["ROADSAFETY_DB"]
    small = _write_big_file(tmp_path / "small.csv", 0, 50)
    subprocess.run(_ingest_cmd(small), env=env, check=True, capture_output=True)
    before = Path(db).read_bytes()
    big = _write_big_file(tmp_path / "big.csv", 1000, ROWS)
    proc = subprocess.Popen(
        _ingest_cmd(big), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    staging = list(Path(db).parent.glob(".cli.duckdb.*.staging"))
    deadline = time.monotonic() + 120
    # Wait until the loader is writing rows into its staging copy, then kill it hard.
    while time.monotonic() < deadline:
        staging = list(Path(db).parent.glob(".cli.duckdb.*.staging*"))
        if staging and sum(p.stat().st_size for p in staging if p.exists()) > len(before) + 100_000:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "loader finished before it could be killed; raise ROWS"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert Path(db).read_bytes() == before
    assert _count(db) == 50
    subprocess.run(_ingest_cmd(big), env=env, check=True, capture_output=True)
    assert _count(db) == 50 + ROWS
    assert not list(Path(db).parent.glob(".cli.duckdb.*.staging*"))


def test_failed_write_leaves_warehouse_unchanged(tmp_store):
    with write_connection(tmp_store) as con:
        con.execute("CREATE TABLE t (x INTEGER)")
        con.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(RuntimeError):
        with write_connection(tmp_store) as con:
            con.execute("INSERT INTO t VALUES (2)")
            raise RuntimeError("boom")
    with read_connection(tmp_store) as con:
        assert con.execute("SELECT list(x) FROM t").fetchone()[0] == [1]


def test_second_writer_waits_then_gives_up_clearly(tmp_store):
    code = (
        "import sys, time; from roadsafety.store.connection import write_connection\n"
        f"with write_connection({str(tmp_store)!r}):\n    print('locked', flush=True); time.sleep(5)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    with pytest.raises(StoreBusyError, match="being written by another process"):
        with write_connection(tmp_store, lock_timeout_s=0.5):
            pass
    holder.kill()
    holder.wait()


def test_reader_sees_old_state_during_a_write(tmp_store):
    with write_connection(tmp_store) as con:
        con.execute("CREATE TABLE t (x INTEGER)")
    with write_connection(tmp_store) as con:
        con.execute("INSERT INTO t VALUES (1)")
        with read_connection(tmp_store) as ro:  # readers are never blocked and see no partial write
            assert ro.execute("SELECT count(*) FROM t").fetchone()[0] == 0
    with read_connection(tmp_store) as ro:
        assert ro.execute("SELECT count(*) FROM t").fetchone()[0] == 1


def test_killed_writer_staging_is_removed_by_the_next_reader(tmp_store):
    code = (
        "import time; from roadsafety.store.connection import write_connection\n"
        f"with write_connection({str(tmp_store)!r}) as con:\n"
        "    con.execute('CREATE TABLE big AS SELECT range AS x FROM range(100000)')\n"
        "    print('writing', flush=True); time.sleep(60)\n"
    )
    writer = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert writer.stdout.readline().strip() == "writing"
    staging = list(tmp_store.parent.glob(f".{tmp_store.name}.*.staging*"))
    with read_connection(tmp_store):  # the writer is alive: its staging file is kept
        assert all(p.exists() for p in staging) and staging
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    with read_connection(tmp_store) as con:
        assert "big" not in {r[0] for r in con.execute("SHOW TABLES").fetchall()}
    assert not list(tmp_store.parent.glob(f".{tmp_store.name}.*.staging*"))


def test_warehouse_and_lock_are_not_world_readable(tmp_store):
    with write_connection(tmp_store) as con:
        con.execute("CREATE TABLE t (x INTEGER)")
    assert tmp_store.stat().st_mode & 0o777 == 0o640
    assert Path(str(tmp_store) + ".lock").stat().st_mode & 0o777 == 0o640
