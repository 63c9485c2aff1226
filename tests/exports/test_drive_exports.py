"""The drive-evaluation file: exact columns, the pooled row per scope, CSV/XLSX/PDF."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from roadsafety.exports.drives import (
    DRIVE_COLUMNS,
    DriveExportMeta,
    drive_rows,
    format_of,
    write_drive_export,
)
from roadsafety.exports.risk_list import ExportError


def _row(drive_id: str, scope: str, districts: str, change: float, verdict: str) -> dict:
    return {
        "drive_id": drive_id,
        "scope": scope,
        "name": "All drives (2 drives)" if drive_id == "ALL" else f"Drive {drive_id}",
        "districts": districts,
        "places": 3,
        "before_start": date(2024, 1, 1),
        "before_end": date(2024, 12, 31),
        "after_start": date(2025, 1, 1),
        "after_end": date(2025, 12, 31),
        "crashes_before": 40,
        "crashes_after": 25,
        "expected_after_without_drive": 33.456,
        "change_pct": change,
        "ci_low_pct": change - 20.04,
        "ci_high_pct": change + 15.06,
        "fatal_grievous_before": 20,
        "fatal_grievous_after": 12,
        "challans_before": 100,
        "challans_during": 180,
        "verdict": verdict,
        "theta": 0.7,
    }


@pytest.fixture()
def results() -> pl.DataFrame:
    return pl.DataFrame(
        [
            _row("K1", "", "Karnal", -30.0, "crashes fell: likely the drive"),
            _row("P1", "", "Panipat;Karnal", 5.0, "no clear change"),
            _row("G1", "", "Gurugram", 2.0, "no clear change"),
            _row("ALL", "", "", -10.0, "no clear change"),
            _row("ALL", "Karnal", "Karnal", -14.0, "no clear change"),
            _row("ALL", "Gurugram", "Gurugram", 2.0, "no clear change"),
        ]
    )


def test_rows_have_exactly_the_contract_columns_and_the_state_pool_last(results) -> None:
    rows = drive_rows(results)
    assert rows.columns == list(DRIVE_COLUMNS)
    assert rows["drive_id"].to_list() == ["K1", "P1", "G1", "ALL"]
    assert rows["change_pct"][-1] == -10.0
    assert rows["expected_after_without_drive"][0] == 33.46


def test_a_district_gets_its_drives_and_its_own_pool(results) -> None:
    rows = drive_rows(results, district="karnal")
    assert rows["drive_id"].to_list() == ["K1", "P1", "ALL"]
    assert rows["change_pct"][-1] == -14.0
    with pytest.raises(ExportError, match="in Hisar"):
        drive_rows(results, district="Hisar")


def test_formats_from_the_name() -> None:
    assert [format_of(n) for n in ("a.CSV", "b.xlsx", "c.pdf")] == ["csv", "xlsx", "pdf"]
    with pytest.raises(ExportError, match=r"\.csv, \.xlsx or \.pdf"):
        format_of("d.geojson")


META = DriveExportMeta(
    "eval-1", date(2021, 1, 1), date(2025, 12, 31), {"history_years": 3, "level": 0.9}
)


def test_csv_and_xlsx(results, tmp_path: Path) -> None:
    rows = drive_rows(results)
    csv = write_drive_export(rows, tmp_path / "e.csv", META)
    assert pl.read_csv(csv, infer_schema=False).columns == list(DRIVE_COLUMNS)
    places = pl.DataFrame({"drive_id": ["K1", "K1"], "label": ["NH-44 | km 65-66", "PS A | NH-44"]})
    book = openpyxl.load_workbook(write_drive_export(rows, tmp_path / "e.xlsx", META, places))
    assert book.sheetnames == ["Summary", "Drives", "Places"]
    drives = book["Drives"]
    assert [c.value for c in drives[1]] == list(DRIVE_COLUMNS)
    assert drives.max_row == 5 and drives.cell(5, 1).value == "ALL"
    summary = " ".join(str(c.value) for c in book["Summary"]["A"] if c.value)
    assert "regression to the mean" in summary and "-38%" in summary  # the naive pooled claim


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdf_sheet_says_the_verdicts_and_the_limits(results, tmp_path: Path) -> None:
    places = pl.DataFrame({"drive_id": ["K1"], "label": ["NH-44 | km 65-66"]})
    path = write_drive_export(drive_rows(results), tmp_path / "e.pdf", META, places)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True
    ).stdout
    for words in (
        "crashes fell: likely the drive",
        "All drives",
        "spillover",
        "NH-44 | km 65-66",
        "-30% (-50% to -15%)",
    ):
        assert words in " ".join(text.split()), words


def test_a_drive_name_that_looks_like_a_formula_stays_text(results, tmp_path: Path) -> None:
    hostile = results.with_columns(
        pl.when(pl.col("drive_id") == "K1")
        .then(pl.lit('=HYPERLINK("http://x","y")'))
        .otherwise(pl.col("name"))
        .alias("name")
    )
    rows = drive_rows(hostile)
    csv = pl.read_csv(write_drive_export(rows, tmp_path / "e.csv", META), infer_schema=False)
    assert csv["name"][0] == '\'=HYPERLINK("http://x","y")'
    book = openpyxl.load_workbook(write_drive_export(rows, tmp_path / "e.xlsx", META))
    cell = book["Drives"].cell(2, 2)
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")
