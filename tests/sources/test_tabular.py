"""Exports as Excel workbooks and Parquet files load through the same mapping as CSV."""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from roadsafety.sources.base import SourceError
from roadsafety.sources.mapping import load_mapping, read_mapped
from roadsafety.sources.tabular import read_table_text

MAPPING = """
source = "xl"
skip_rows = 1
sheet = "FIRs"
[columns]
occurred_at = "Date"
police_station = "PS"
severity = "Severity"
killed = "Killed"
[dates]
formats = ["%d/%m/%Y"]
time_column = "Time"
[id]
columns = ["PS", "FIR"]
"""


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    sheet = book.create_sheet("FIRs")
    sheet.append(["District Karnal, crash FIRs 2024"])
    sheet.append(["PS", "FIR", "Date", "Time", "Severity", "Killed"])
    sheet.append(["Madhuban", 7, datetime(2024, 4, 2), time(11, 10), "fatal", 1.0])
    sheet.append(["Madhuban", 8, "05/04/2024", None, "minor", 0])
    sheet.append([None, None, None, None, None, None])
    sheet.append(["Indri", 9, datetime(2024, 4, 6, 18, 30), None, "grievous", 0])
    path = tmp_path / "firs.xlsx"
    book.save(path)
    return path


def test_excel_sheet_through_mapping(tmp_path: Path, workbook: Path) -> None:
    spec_path = tmp_path / "m.toml"
    spec_path.write_text(MAPPING, encoding="utf-8")
    batch = read_mapped(workbook, load_mapping(spec_path, "accidents"))
    assert batch.rows_read == 3  # blank rows are not data rows
    rows = {r["accident_id"]: r for r in batch.frame.iter_rows(named=True)}
    assert rows["MADHUBAN/7"]["occurred_at"] == "2024-04-02 11:10:00"
    assert rows["MADHUBAN/7"]["killed"] == 1
    assert rows["MADHUBAN/8"]["occurred_at"] == "2024-04-05"
    assert rows["INDRI/9"]["occurred_at"] == "2024-04-06 18:30:00"


def test_excel_errors(tmp_path: Path, workbook: Path) -> None:
    with pytest.raises(SourceError, match="no sheet 'Other'"):
        read_table_text(workbook, sheet="Other")
    broken = tmp_path / "broken.xlsx"
    broken.write_text("not a zip")
    with pytest.raises(SourceError, match="not readable as an Excel workbook"):
        read_table_text(broken)


def test_parquet_columns_arrive_as_text(tmp_path: Path) -> None:
    path = tmp_path / "c.parquet"
    pl.DataFrame({"Id ": [1, 2], "When": ["2024-01-01 10:00", "2024-01-02"]}).write_parquet(path)
    frame = read_table_text(path)
    assert frame.columns == ["Id", "When"]
    assert frame.schema["Id"] == pl.Utf8 and frame["Id"].to_list() == ["1", "2"]
