"""Files that cannot be read at all give a clear error naming the file and the problem (and exit 2)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from roadsafety.sources.base import SourceError
from roadsafety.sources.canonical import read_canonical_accidents

GOOD_HEADER = "accident_id,occurred_at,severity\n"


def _missing(tmp: Path) -> Path:
    return tmp / "nope.csv"


def _empty(tmp: Path) -> Path:
    (tmp / "empty.csv").write_bytes(b"")
    return tmp / "empty.csv"


def _header_only(tmp: Path) -> Path:
    (tmp / "header.csv").write_text(GOOD_HEADER)
    return tmp / "header.csv"


def _wrong_header(tmp: Path) -> Path:
    (tmp / "wrong.csv").write_text("id,date,sev\n1,2024-01-01,fatal\n")
    return tmp / "wrong.csv"


def _undecodable(tmp: Path) -> Path:
    (tmp / "latin1.csv").write_bytes(
        (GOOD_HEADER + "1,2024-01-01,fatal,Ch\xe2teau\n").encode("latin-1")
    )
    return tmp / "latin1.csv"


def _directory(tmp: Path) -> Path:
    (tmp / "adir").mkdir()
    return tmp / "adir"


def _bad_parquet(tmp: Path) -> Path:
    (tmp / "bad.parquet").write_bytes(b"PAR1 this is not parquet")
    return tmp / "bad.parquet"


CASES = {
    "missing": (_missing, "does not exist"),
    "empty": (_empty, "empty"),
    "header only": (_header_only, "no data rows"),
    "wrong header": (_wrong_header, "wrong header"),
    "undecodable": (_undecodable, "UTF-8"),
    "directory": (_directory, "directory"),
    "bad parquet": (_bad_parquet, "cannot"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_unreadable_file_raises_naming_file_and_problem(tmp_path, case):
    make, problem = CASES[case]
    path = make(tmp_path)
    with pytest.raises(SourceError) as err:
        read_canonical_accidents(path)
    assert str(path) in str(err.value) and problem in str(err.value)


@pytest.mark.parametrize("case", ["wrong header", "undecodable", "empty"])
def test_cli_exits_nonzero_with_message_and_records_failed_run(tmp_path, cli_env, case):
    make, problem = CASES[case]
    path = make(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "roadsafety.cli", "ingest", "accidents", str(path)],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, **cli_env},
    )
    assert proc.returncode == 2
    assert str(path) in proc.stderr and problem in proc.stderr
    assert "Traceback" not in proc.stderr
    from roadsafety.store.connection import read_connection

    with read_connection(cli_env["ROADSAFETY_DB"]) as con:
        assert con.execute("SELECT status, rows_read FROM ingest_runs").fetchall() == [
            ("failed", 0)
        ]
        assert con.execute("SELECT count(*) FROM accidents").fetchone()[0] == 0
