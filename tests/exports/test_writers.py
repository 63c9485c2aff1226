"""Every format: CSV, XLSX (openpyxl), PDF (poppler), GeoJSON (geojson + shapely)."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import geojson
import h3
import openpyxl
import polars as pl
import pytest
from shapely.geometry import shape
from worlds import nh48

from roadsafety.exports.geometry import read_paths
from roadsafety.exports.meta import ExportBundle, ExportMeta
from roadsafety.exports.risk_list import RISK_COLUMNS, ExportError
from roadsafety.exports.writers import format_of, write_export
from roadsafety.store.connection import read_connection

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None,
    reason="poppler-utils (pdftoppm, pdftotext) not installed",
)


@pytest.fixture()
def bundle(world, bundle_of) -> tuple[ExportBundle, ExportMeta]:
    built, meta = bundle_of(world, "xlsx")
    with read_connection(world.db_path) as con:
        return replace(built, paths=read_paths(con, built.rows)), meta


def test_format_comes_from_the_extension():
    assert [format_of(p) for p in ("a.CSV", "b.xlsx", "c.pdf", "d.geojson")] == [
        "csv",
        "xlsx",
        "pdf",
        "geojson",
    ]
    with pytest.raises(ExportError, match="--out"):
        format_of("list.txt")


def test_csv_round_trips_the_rows(bundle, tmp_path: Path):
    b, meta = bundle
    path = write_export(b, tmp_path / "list.csv", "csv", meta)
    back = pl.read_csv(path, infer_schema=False)
    assert tuple(back.columns) == RISK_COLUMNS
    assert back["unit_id"].to_list() == b.rows["unit_id"].to_list()
    assert back["h3_cell"][0] == b.rows["h3_cell"][0] and ";" in back["h3_cell"][0]


def test_xlsx_has_contract_columns_on_every_risk_sheet(bundle, tmp_path: Path):
    b, meta = bundle
    book = openpyxl.load_workbook(write_export(b, tmp_path / "list.xlsx", "xlsx", meta))
    assert book.sheetnames == [
        "Summary",
        "Risk list",
        "Karnal",
        "Panipat",
        "Road-wide units",
        "Enforcement gap",
        "MoRTH blackspots",
    ]
    for name in book.sheetnames[1:]:
        sheet = book[name]
        header = [c.value for c in sheet[1]][: len(RISK_COLUMNS)]
        assert tuple(header) == RISK_COLUMNS, name
        assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref, name
    karnal = book["Karnal"]
    col = RISK_COLUMNS.index("district") + 1
    assert {karnal.cell(r, col).value for r in range(2, karnal.max_row + 1)} == {"Karnal"}
    wide = book["Road-wide units"]
    assert [wide.cell(r, 2).value for r in (2, 3)] == [
        "CITY PANIPAT | GT ROAD",
        "CITY PANIPAT | DELHI ROAD",
    ]
    places = {book["Risk list"].cell(r, 2).value for r in range(2, book["Risk list"].max_row + 1)}
    assert "CITY PANIPAT | GT ROAD" not in places
    assert book["Risk list"].max_row == b.rows.height + 1
    assert book["Risk list"].column_dimensions["O"].width > 30  # top_factors is readable
    summary = [c.value for row in book["Summary"].iter_rows() for c in row if c.value]
    assert "v20250101T000000" in summary and "2025-01-01" in summary


@needs_poppler
def test_pdf_renders_and_names_the_top_corridor(bundle, tmp_path: Path):
    b, meta = bundle
    pdf = write_export(b, tmp_path / "list.pdf", "pdf", meta)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p")],
        check=True,
    )
    assert (tmp_path / "p-1.png").stat().st_size > 5000
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "Enforcement drive sheet: Karnal" in text and "Enforcement drive sheet: Panipat" in text
    flat = " ".join(text.split())  # cell wrapping must not matter
    assert "corridor of 3 cells, km 110.0-" in flat and "NH-44" in flat
    assert "run of 2 stretches, km 20-22" in flat and "NH-48" in flat
    assert "Whole roads in the station area (no GPS, no km marker)" in flat
    assert "GT ROAD" in flat  # the road-wide section of Panipat
    assert "Fri-Sun 22:00-02:00" in text
    assert "v20250101T000000" in text and "cut-off 2025-01-01" in text
    assert text.count("\f") >= 2  # one page per district at least


def test_geojson_validates_and_each_feature_matches_its_row(bundle, tmp_path: Path):
    b, meta = bundle
    path = write_export(b, tmp_path / "list.geojson", "geojson", meta)
    collection = geojson.loads(path.read_text())
    assert collection.is_valid, collection.errors()
    rows = {r["unit_id"]: r for r in b.rows.iter_rows(named=True)}
    assert len(collection["features"]) == len(rows)
    for feature in collection["features"]:
        row = rows[feature["properties"]["unit_id"]]
        assert set(RISK_COLUMNS) <= set(feature["properties"])
        assert feature["properties"]["h3_cell"] == row["h3_cell"]
        cells = [c for c in (row["h3_cell"] or "").split(";") if c]
        geom = feature["geometry"]
        if not cells:
            assert (geom is None) == (row["latitude"] is None)
            continue
        poly = shape(geom)
        assert poly.is_valid
        cell_area = sum(
            shape(
                {"type": "Polygon", "coordinates": [[[x, y] for y, x in h3.cell_to_boundary(c)]]}
            ).area
            for c in cells
        )
        assert poly.area == pytest.approx(cell_area, rel=1e-4)  # exactly the listed cells
        for cell in cells:
            lat, lng = h3.cell_to_latlng(cell)
            assert poly.buffer(1e-9).contains(shape({"type": "Point", "coordinates": [lng, lat]}))


def test_empty_list_still_writes_every_format(bundle, tmp_path: Path):
    b, meta = bundle
    empty = b.rows.clear()
    for fmt in ("csv", "xlsx", "pdf", "geojson"):
        assert write_export(empty, tmp_path / f"e.{fmt}", fmt, meta).stat().st_size > 0
    assert json.loads((tmp_path / "e.geojson").read_text())["features"] == []


@needs_poppler
def test_pdf_of_units_without_coordinates_has_no_map_but_lists_them(bundle, tmp_path: Path):
    b, meta = bundle
    rows = b.rows.filter(pl.col("h3_cell").is_null() & pl.col("latitude").is_null())
    assert rows["unit_id"].to_list() == ["SH-7 | km 5-6"]  # a stretch of a road with no fit
    wide = b.road_wide.filter(pl.col("latitude").is_null())
    pdf = write_export(ExportBundle(rows, road_wide=wide), tmp_path / "nogeo.pdf", "pdf", meta)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    flat = " ".join(text.split())
    assert "SH-7" in flat and "km 5-6" in flat and "road not mapped here" in flat
    assert "DELHI ROAD" in flat and "whole road in the station area" in flat
    assert "No map: none of these rows has coordinates" in flat


def test_geojson_draws_stretches_along_their_road(bundle, tmp_path: Path):
    b, meta = bundle
    path = write_export(b, tmp_path / "list.geojson", "geojson", meta)
    features = {f["id"]: f for f in json.loads(path.read_text())["features"]}
    line = features["corridor:NH-48 | km 20-22"]["geometry"]
    assert line["type"] == "LineString"
    (lon0, lat0), (lon1, lat1) = line["coordinates"][0], line["coordinates"][-1]
    assert (lat0, lon0) == pytest.approx(nh48(20.0), abs=1e-6)
    assert (lat1, lon1) == pytest.approx(nh48(22.0), abs=1e-6)
    assert features["SH-7 | km 5-6"]["geometry"] is None


def test_district_sheet_names_are_excel_safe_and_unique():
    from roadsafety.exports.xlsx import sheet_names

    names = sheet_names([None, "Summary", "A/B: [C]?", "x" * 40, "X" * 40])
    assert names[None] == "No district" and names["Summary"] != "Summary"
    assert all(len(n) <= 31 and not set(n) & set("[]:*?/\\") for n in names.values())
    assert len({n.casefold() for n in names.values()}) == 5


FORMULAS = [
    '=HYPERLINK("http://x","click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
]


def _hostile(bundle: ExportBundle) -> ExportBundle:
    rows = bundle.rows.head(len(FORMULAS)).with_columns(
        pl.Series("road_name", FORMULAS), pl.Series("police_station", FORMULAS)
    )
    return ExportBundle(rows, bundle.enforcement_gap, bundle.blackspots)


def test_csv_neutralises_formula_cells_and_keeps_numbers(bundle, tmp_path: Path) -> None:
    hostile, meta = _hostile(bundle[0]), bundle[1]
    path = write_export(hostile, tmp_path / "r.csv", "csv", meta)
    back = pl.read_csv(path, infer_schema=False)
    assert back["road_name"].to_list() == ["'" + f for f in FORMULAS]
    assert back["police_station"].to_list() == ["'" + f for f in FORMULAS]
    typed = pl.read_csv(path)
    assert (
        typed["expected_crashes"].to_list() == hostile.rows["expected_crashes"].round(4).to_list()
    )
    assert typed["window_start"].cast(pl.Utf8).to_list() == [
        str(d) for d in hostile.rows["window_start"].to_list()
    ]


def test_xlsx_writes_formula_text_as_text(bundle, tmp_path: Path) -> None:
    import zipfile

    hostile, meta = _hostile(bundle[0]), bundle[1]
    path = write_export(hostile, tmp_path / "r.xlsx", "xlsx", meta)
    with zipfile.ZipFile(path) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/")]
        assert not any(b"<f>" in z.read(n) or b"<f " in z.read(n) for n in sheets)
        assert not any(n.startswith("xl/worksheets/_rels") for n in z.namelist())  # no links
    sheet = openpyxl.load_workbook(path)["Risk list"]
    header = [c.value for c in sheet[1]]
    col = header.index("road_name") + 1
    shown = [sheet.cell(i, col).value for i in range(2, 2 + len(FORMULAS))]
    assert shown == [f.replace("\r", "_x000D_") for f in FORMULAS]  # CR as Excel escapes it
    num = header.index("expected_crashes") + 1
    assert all(
        isinstance(sheet.cell(i, num).value, (int, float)) for i in range(2, 2 + len(FORMULAS))
    )
