"""Doubtful and hostile rows are quarantined with their reason; the file still loads (exit 0).

Rows 6, 7 and 15 of the security issue: dates in 1900, 2100 or 9999, counts of 3,000,000,000 or
1e400, NUL bytes, ANSI escapes, a 10 MB road name; a repeated header column refuses the file
(exit 2) naming the file and the column.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_ingest import GOOD, HEADER, HOSTILE_CASES
from typer.testing import CliRunner

from roadsafety.cli import app
from roadsafety.store.connection import read_connection


def _ingest(*args: str):
    return CliRunner().invoke(app, ["ingest", *args])


def _query(db: str, sql: str) -> list[tuple]:
    with read_connection(Path(db)) as con:
        return con.execute(sql).fetchall()


def test_hostile_rows_are_quarantined_and_the_file_loads(cli_env, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    hostile = [
        row.replace("B1,", f"H{i},", 1) for i, (row, _, _) in enumerate(HOSTILE_CASES.values())
    ]
    rows = [GOOD[0], *hostile]
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    result = _ingest("accidents", str(path))
    assert result.exit_code == 0, result.output
    db = cli_env["ROADSAFETY_DB"]
    assert _query(db, "SELECT rows_read, loaded, quarantined, status FROM ingest_runs") == [
        (10, 1, 9, "ok")
    ]
    found = dict(
        ((r, c), why)
        for r, c, why in _query(db, "SELECT row_number, column_name, reason FROM quarantine")
    )
    for number, (_, column, reason) in enumerate(HOSTILE_CASES.values(), start=2):  # GOOD is row 1
        assert reason in found[(number, column)], (number, column, found)
    values = [v for (v,) in _query(db, "SELECT raw_value FROM quarantine")]
    assert max(len(v) for v in values) <= 203  # the 10 MB name is not copied in
    assert not any("\x1b" in v or "\x00" in v for v in values)  # escapes are written out
    assert _query(db, "SELECT max(occurred_at) < TIMESTAMP '2025-01-01' FROM accidents") == [
        (True,)
    ]


def test_huge_numbers_through_a_mapping_are_quarantined(cli_env, tmp_path: Path) -> None:
    export = tmp_path / "x.csv"
    export.write_text(
        "Id,When,Severity,Dead\n1,2024-01-05,fatal,3000000000\n2,2024-01-05,fatal,1\n"
    )
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        'kind = "accidents"\n[columns]\naccident_id = "Id"\noccurred_at = "When"\n'
        'severity = "Severity"\nkilled = "Dead"\n'
    )
    result = _ingest("accidents", str(export), "--mapping", str(mapping))
    assert result.exit_code == 0, result.output
    db = cli_env["ROADSAFETY_DB"]
    assert _query(db, "SELECT loaded, quarantined FROM ingest_runs") == [(1, 1)]
    assert _query(db, "SELECT column_name FROM quarantine") == [("killed",)]


@pytest.mark.parametrize(
    "header",
    [
        "accident_id,occurred_at,severity,severity",
        "accident_id,occurred_at,Severity,severity ",
    ],
)
def test_repeated_header_column_refuses_the_file(cli_env, tmp_path: Path, header: str) -> None:
    path = tmp_path / "dup.csv"
    path.write_text(f"{header}\nA1,2024-01-05,fatal,minor\n")
    result = _ingest("accidents", str(path))
    assert result.exit_code == 2
    assert "dup.csv" in result.output and "'severity'" in result.output.lower()
    assert "appears twice" in result.output
    runs = _query(cli_env["ROADSAFETY_DB"], "SELECT status, message FROM ingest_runs")
    assert runs[0][0] == "failed" and "appears twice" in runs[0][1]
