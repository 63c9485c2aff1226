"""Property-based ingest (hypothesis): whatever rows or bytes a file holds, the command ends with
exit 0 (loaded, quarantined or counted as duplicates) or 2 (a clear file-level error), never 1 (a
crash), and every run it records has ``rows_read = loaded + quarantined + duplicates``.

Example counts are kept small for CI; search harder locally with
``ROADSAFETY_HYPOTHESIS_EXAMPLES=500 .venv/bin/pytest tests/store/test_ingest_properties.py``.
"""

from __future__ import annotations

import os
import tempfile
import traceback
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from roadsafety import schemas
from roadsafety.cli import app
from roadsafety.store.connection import read_connection

TRICKY = [
    "",
    " ",
    "fatal",
    "Grievous",
    "minor",
    "no_helmet",
    "overspeeding",
    "NH-44",
    "Karnal",
    "2024-01-05",
    "2024-01-05 10:00",
    "2100-01-01",
    "9999-12-31 23:59:59",
    "1900-01-01",
    "0000-00-00",
    "3000000000",
    "1e400",
    "-1",
    "nan",
    "inf",
    "0",
    "29.4",
    "76.9",
    "1,5",
    '=HYPERLINK("http://x")',
    "\x1b[31mred\x1b[0m",
    "a\x00b",
    "<img src=x onerror=alert(1)>",
    "HR-26-AB-1234",
]
CELL = st.one_of(
    st.sampled_from(TRICKY),
    st.text(max_size=24),
    st.integers(-(10**12), 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
SETTINGS = settings(
    max_examples=int(os.environ.get("ROADSAFETY_HYPOTHESIS_EXAMPLES", "8")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _quoted(cells: list[str]) -> str:
    return ",".join('"' + c.replace('"', '""') + '"' for c in cells)


def _ingest_exit(db: Path, kind: str, path: Path) -> int:
    result = CliRunner().invoke(app, ["--db", str(db), "ingest", kind, str(path)])
    if result.exit_code not in (0, 2):
        detail = "".join(traceback.format_exception(*result.exc_info)) if result.exc_info else ""
        pytest.fail(f"exit {result.exit_code} for {path.read_bytes()[:300]!r}\n{detail}")
    return result.exit_code


def _accounting_holds(db: Path) -> None:
    with read_connection(db) as con:
        runs = con.execute(
            "SELECT rows_read, loaded, quarantined, duplicates, status FROM ingest_runs"
        ).fetchall()
    for read, loaded, quarantined, duplicates, status in runs:
        assert status == "failed" or read == loaded + quarantined + duplicates


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("prop") / "wh.duckdb"


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ROADSAFETY_KEY_FILE", str(tmp_path / "pii.key"))
    monkeypatch.delenv("ROADSAFETY_CONFIG", raising=False)


def _rows(kind: str) -> st.SearchStrategy[list[list[str]]]:
    width = len(schemas.INPUTS[kind])
    return st.lists(st.lists(CELL, min_size=width, max_size=width), max_size=12)


def _row(kind: str, base: dict, **values: str) -> list[str]:
    return [{**base, **values}.get(col, "") for col in schemas.INPUTS[kind]]


def _load_rows(warehouse: Path, kind: str, rows: list[list[str]]) -> None:
    header = list(schemas.INPUTS[kind])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{kind}.csv"
        path.write_text("\n".join(_quoted(r) for r in [header, *rows]) + "\n", encoding="utf-8")
        code = _ingest_exit(warehouse, kind, path)
    # well-formed CSV with rows: never refused, but exit 2 when every row was quarantined
    assert code == 0 or not rows or _all_quarantined(warehouse)
    _accounting_holds(warehouse)


def _all_quarantined(db: Path) -> bool:
    """The last ingest run completed with every row read quarantined (nothing loaded)."""
    with read_connection(db) as con:
        read, loaded, quarantined, status = con.execute(
            "SELECT rows_read, loaded, quarantined, status FROM ingest_runs "
            "ORDER BY started_at DESC LIMIT 1"
        ).fetchone()
    return status != "failed" and read > 0 and loaded == 0 and quarantined == read


ACCIDENT = {"accident_id": "A1", "occurred_at": "2024-01-05", "severity": "fatal"}
CHALLAN = {"challan_id": "C1", "issued_at": "2024-01-05", "offence": "no_helmet"}


@SETTINGS
@example(rows=[_row("accidents", ACCIDENT, killed=v) for v in ("3000000000", "1e400", "-1e9")])
@example(rows=[_row("accidents", ACCIDENT, occurred_at=v) for v in ("9999-12-31", "2100-01-01")])
@given(rows=_rows("accidents"))
def test_random_accident_rows_load_or_quarantine(warehouse: Path, rows: list[list[str]]) -> None:
    _load_rows(warehouse, "accidents", rows)


@SETTINGS
@example(rows=[_row("challans", CHALLAN, fine_amount=v) for v in ("1e400", "nan", "-inf")])
@example(rows=[_row("challans", CHALLAN, vehicle_reg="HR\x00" + "9" * 100_000)])
@given(rows=_rows("challans"))
def test_random_challan_rows_load_or_quarantine(warehouse: Path, rows: list[list[str]]) -> None:
    _load_rows(warehouse, "challans", rows)


@SETTINGS
@given(blob=st.binary(max_size=400), kind=st.sampled_from(["accidents", "challans"]))
def test_random_bytes_never_crash(warehouse: Path, blob: bytes, kind: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "blob.csv"
        path.write_bytes(",".join(schemas.REQUIRED[kind]).encode() + b"\n" + blob)
        _ingest_exit(warehouse, kind, path)
        path.write_bytes(blob)
        _ingest_exit(warehouse, kind, path)
    _accounting_holds(warehouse)
