"""What an officer opens: band labels and their meaning, the blackspot sheet of a top-N list, page
counts, rows-written log lines, missing output folders and the Hindi drive and duty sheets."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
from dataclasses import replace
from datetime import date
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from typer.testing import CliRunner

from roadsafety.cli import app
from roadsafety.exports import pdf_fonts
from roadsafety.exports.meta import ExportBundle, ExportMeta
from roadsafety.exports.writers import rows_written, write_export
from roadsafety.vocabulary import BAND_MEANINGS, label

WINDOW = ["--start", "2025-01-01", "--end", "2025-01-07"]
needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdffonts") is None,
    reason="poppler-utils (pdftotext, pdffonts) not installed",
)


def _font_reason() -> str | None:
    """Why a Hindi sheet cannot be made here (None when it can). CI installs the font."""
    try:
        pdf_fonts.devanagari_font()
    except pdf_fonts.FontMissingError as exc:
        return str(exc)
    return None


needs_devanagari = pytest.mark.skipif(
    not os.environ.get("CI") and _font_reason() is not None,
    reason=f"Devanagari font missing outside CI: {_font_reason()}",
)


def pdf_text(path: Path) -> str:
    out = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True)
    return " ".join(out.stdout.split())


def test_xlsx_shows_band_labels_in_colour_and_explains_them(
    world, bundle_of, tmp_path: Path
) -> None:
    b, meta = bundle_of(world, "xlsx")
    book = openpyxl.load_workbook(write_export(b, tmp_path / "l.xlsx", "xlsx", meta))
    sheet = book["Risk list"]
    col = [c.value for c in sheet[1]].index("risk_band") + 1
    shown = {sheet.cell(r, col).value for r in range(2, sheet.max_row + 1)}
    assert shown <= {label(b) for b in BAND_MEANINGS} and "Very high" in shown
    very_high = next(
        r for r in range(2, sheet.max_row + 1) if sheet.cell(r, col).value == "Very high"
    )
    assert sheet.cell(very_high, col).fill.fgColor.rgb.endswith("A50026")
    summary = [c.value for row in book["Summary"].iter_rows() for c in row if c.value]
    assert BAND_MEANINGS["very_high"]["en"] in summary
    assert "Very high" in summary  # the per-district totals name the bands, not their keys


def test_top_n_workbook_lists_only_the_blackspots_within_its_places(
    world, bundle_of, tmp_path
) -> None:
    full, meta = bundle_of(world, "xlsx")
    assert full.blackspots_of_area is None and full.blackspots.height == 3
    top, top_meta = bundle_of(world, "xlsx", top=1)  # the NH-44 corridor of road cells 0-2
    assert top.rows.height == 1 and top.blackspots_of_area == 3
    corridor = set(top.rows["h3_cell"].item().split(";"))
    assert set(top.blackspots["forecast_unit"]) == {world.road_cells[0], world.road_cells[1]}
    assert set(top.blackspots["forecast_unit"]) <= corridor  # not the Panipat spot
    assert top.blackspots["rank"].to_list() == [1, 2]
    book = openpyxl.load_workbook(write_export(top, tmp_path / "t.xlsx", "xlsx", top_meta))
    assert "Blackspots in listed places" in book.sheetnames
    assert "MoRTH blackspots" not in book.sheetnames
    assert book["Blackspots in listed places"].max_row == 3  # header + the two spots
    summary = [c.value for row in book["Summary"].iter_rows() for c in row if c.value]
    assert "2 of the area's 3 blackspots: those within the 1 listed place" in " ".join(
        str(v) for v in summary
    )


def test_geojson_carries_the_band_label(world, bundle_of, tmp_path: Path) -> None:
    b, meta = bundle_of(world, "geojson")
    doc = json.loads(write_export(b, tmp_path / "l.geojson", "geojson", meta).read_text())
    props = doc["features"][0]["properties"]
    assert props["risk_band"] == "very_high" and props["risk_band_label"] == "Very high"


def _many_rows(rows: pl.DataFrame, n: int) -> pl.DataFrame:
    base = rows.filter(pl.col("district") == "Karnal").head(1)
    return pl.concat([base] * n).with_columns(
        pl.int_range(1, n + 1).alias("rank"), pl.format("u{}", pl.int_range(n)).alias("unit_id")
    )


@needs_poppler
def test_pdf_without_top_prints_25_a_district_and_says_so(world, bundle_of, tmp_path: Path) -> None:
    b, meta = bundle_of(world, "pdf")
    many = ExportBundle(_many_rows(b.rows, 30))
    assert rows_written(many, "pdf", meta) == 25
    assert rows_written(many, "csv", meta) == 30
    text = pdf_text(write_export(many, tmp_path / "k.pdf", "pdf", meta))
    assert "first 25 of 30 (choose with --top)" in text


@needs_poppler
def test_statewide_top_list_is_one_section_not_a_page_per_district(
    world, bundle_of, tmp_path: Path
) -> None:
    b, meta = bundle_of(world, "pdf", top=4)
    assert b.rows["district"].n_unique() == 2
    path = write_export(b, tmp_path / "top.pdf", "pdf", meta)
    text = pdf_text(path)
    assert "Enforcement drive sheet: All districts" in text
    assert "Enforcement drive sheet: Karnal" not in text
    assert "(Panipat)" in text and "(Karnal)" in text  # the district beside each station
    pages = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    assert "Pages: 1" in " ".join(pages.stdout.split())
    assert "Very high: among the top 1% of places" in text  # the bands in words


def run_cli(world, *args: str):
    return CliRunner().invoke(app, ["--db", str(world.db_path), *args])


def test_out_in_a_missing_folder_is_exit_2_and_creates_nothing(world, tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "list.xlsx"
    for args in (
        ["export", "risk-list", *WINDOW, "--out", str(target)],
        ["plan", *WINDOW, "--team-hours", "10", "--out", str(target)],
        ["drives", "evaluate", "--out", str(target)],
    ):
        result = run_cli(world, *args)
        assert result.exit_code == 2, result.output
        assert f"the folder {tmp_path / 'no' / 'such'} does not exist" in " ".join(
            result.output.split()
        )
    assert not (tmp_path / "no").exists()


def test_log_line_counts_the_rows_written(world, bundle_of, tmp_path: Path, caplog) -> None:
    caplog.set_level(logging.INFO, logger="roadsafety")
    logging.getLogger("roadsafety").addHandler(caplog.handler)  # the CLI resets the root handlers
    out = tmp_path / "k.pdf"
    try:
        result = run_cli(
            world, "export", "risk-list", *WINDOW, "--district", "Karnal", "--out", str(out)
        )
    finally:
        logging.getLogger("roadsafety").removeHandler(caplog.handler)
    assert result.exit_code == 0, result.output
    lines = [r.getMessage() for r in caplog.records if "wrote" in r.getMessage()]
    karnal = bundle_of(world, "pdf", district="Karnal")[0].rows.height
    assert lines == [f"wrote {karnal} risk list rows to {out}"]


def test_bad_lang_is_exit_2(world, tmp_path: Path) -> None:
    result = run_cli(
        world, "export", "risk-list", *WINDOW, "--lang", "fr", "--out", str(tmp_path / "x.pdf")
    )
    assert result.exit_code == 2 and "--lang must be one of en, hi" in result.output


@needs_poppler
@needs_devanagari
def test_hindi_drive_sheet_has_hindi_labels_shaped_in_an_embedded_font(world, bundle_of, tmp_path):
    b, meta = bundle_of(world, "pdf")
    path = write_export(b, tmp_path / "hi.pdf", "pdf", replace(meta, lang="hi"))
    text = pdf_text(path)
    # words whose glyphs map one to one survive text extraction; a conjunct or a placed matra is
    # drawn as a glyph of its own that the text layer holds as a private-use character
    for word in ("थाना", "कारण", "मॉडल", "आधार", "Karnal", "NH-44", "2025"):
        assert word in text, word
    shaped = [c for c in text if 0xE000 <= ord(c) <= 0xF8FF]
    assert shaped, "no conjunct or matra glyph: Devanagari was not shaped"
    assert "Enforcement drive sheet" not in text and "Police station" not in text
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    devanagari = [line for line in fonts.splitlines() if "NotoSansDevanagari" in line]
    assert devanagari and all(
        " yes yes yes " in f" {' '.join(line.split())} " for line in devanagari
    )
    english = pdf_text(write_export(b, tmp_path / "en.pdf", "pdf", meta))
    assert "Enforcement drive sheet: Karnal" in english and "थाना" not in english


@needs_devanagari
def test_hindi_sheets_shape_conjuncts_and_matras() -> None:
    """Shaping is on: a conjunct is one glyph, so a shaped word has fewer glyphs than letters;
    Latin words are never shaped (no ligature glyph that text extraction would lose)."""
    from reportlab.pdfbase.ttfonts import shapeStr

    from roadsafety.exports.pdf import sheet_styles

    styles = sheet_styles("hi")
    assert all(style.shaping for style in styles.values())
    font = pdf_fonts.devanagari_font()
    for word in ("दुर्घटना", "क्षेत्र", "ज़िला"):
        shaped = shapeStr(word, font, 10)
        assert hasattr(shaped, "__shapeData__"), word
        assert len(shaped) < len(word) or shaped != word, word
    latin = pdf_fonts.body_fonts()[0]
    assert shapeStr("stretches last", latin, 10) == "stretches last"
    markup = pdf_fonts.markup("ज़िला: NH-44 km 5", "hi")
    assert markup.startswith('<font name="NotoSansDevanagari">ज़िला:</font>')
    assert "NH-44 km 5" in markup


@needs_devanagari
def test_hindi_duty_sheet(tmp_path: Path) -> None:
    from roadsafety.exports.plan_sheets import write_plan_pdf

    plan = pl.DataFrame(
        {
            "rank": [1],
            "unit_id": ["NH-44 | km 65-66"],
            "h3_cell": [None],
            "road_name": ["NH-44"],
            "km_from": [65.0],
            "km_to": [66.0],
            "police_station": ["SADAR KARNAL"],
            "district": ["Karnal"],
            "latitude": [None],
            "longitude": [None],
            "window": ["Fri-Sun 22:00-02:00"],
            "team_hours_per_week": [12],
            "expected_crashes_covered": [1.5],
            "expected_fatal_grievous_covered": [0.5],
            "why": ["night truck traffic"],
        },
        schema_overrides={"h3_cell": pl.Utf8, "latitude": pl.Float64, "longitude": pl.Float64},
    )
    meta = ExportMeta("plan", "r", "v", date(2025, 1, 1), date(2025, 1, 7), None, {}, lang="hi")
    path = write_plan_pdf(plan, tmp_path / "duty.pdf", meta)
    if shutil.which("pdftotext"):
        text = pdf_text(path)
        assert "Karnal" in text and "योजना" in text and "थाना" in text and "Drive plan" not in text
