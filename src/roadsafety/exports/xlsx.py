"""Formatted workbook (xlsxwriter) for analysts and district officers.

Sheets: ``Summary`` (window, model version, data cut-off, parameters, per-district totals, notes),
``Risk list`` (every row), one sheet per district (its rows, same columns), then ``Road-wide units``
(whole roads in a station area with neither GPS nor km marker, ranked among themselves: a section
apart, never mixed with the places), ``Enforcement gap`` and ``MoRTH blackspots`` when the bundle
carries them — for a ``--top`` list ``Blackspots in listed places`` (only those within the listed
places; the Summary says how many the area has). ``risk_band`` cells show the band's label in its
colour ("Very high"); the Summary explains the bands in words. Every list sheet starts with the risk-list
contract columns, has a frozen header row, an autofilter and set column widths. For a gap or
blackspot export the main sheet is named after the list.

Every text is written as a text cell, never as a formula or a link: the workbook is opened with
xlsxwriter's ``strings_to_formulas``, ``strings_to_urls`` and ``strings_to_numbers`` off, so a road
named ``=HYPERLINK(...)`` is shown as those characters and runs nothing (OWASP: "write strings as
strings"). Numbers and dates keep their types and formats.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import polars as pl
import xlsxwriter

from roadsafety.exports.csv_writer import round_for_output
from roadsafety.exports.meta import ExportBundle, ExportMeta
from roadsafety.vocabulary import (
    BAND_COLOURS,
    BAND_KEYS,
    BAND_MEANINGS,
    BAND_RULE,
    BAND_TEXT_COLOURS,
    HIGH_BANDS,
    label,
    plural,
)

WIDTHS = {
    "rank": 6,
    "unit_id": 30,
    "h3_cell": 18,
    "road_name": 16,
    "km_from": 8,
    "km_to": 8,
    "police_station": 18,
    "district": 14,
    "latitude": 11,
    "longitude": 11,
    "expected_crashes": 12,
    "expected_fatal_grievous": 12,
    "risk_band": 10,
    "peak_window": 22,
    "top_factors": 60,
    "window_start": 11,
    "window_end": 11,
    "model_version": 18,
    "gap_reason": 50,
    "rule_met": 30,
}
WORKBOOK_OPTIONS = {
    "remove_timezone": True,
    "strings_to_formulas": False,  # '=HYPERLINK(...)' stays text
    "strings_to_urls": False,
    "strings_to_numbers": False,
}
ROAD_WIDE_SHEET = "Road-wide units"
BLACKSPOT_SHEET = "MoRTH blackspots"
LISTED_BLACKSPOT_SHEET = "Blackspots in listed places"
FIXED_SHEETS = (
    "Summary",
    "Risk list",
    ROAD_WIDE_SHEET,
    "Enforcement gap",
    BLACKSPOT_SHEET,
    LISTED_BLACKSPOT_SHEET,
)
NO_DISTRICT = "No district"


def sheet_names(districts: list[str | None]) -> dict[str | None, str]:
    """Unique Excel-safe sheet names (<= 31 characters) for districts, in the given order."""
    taken = {n.casefold() for n in FIXED_SHEETS}
    names: dict[str | None, str] = {}
    for district in districts:
        base = re.sub(r"[\[\]:*?/\\']", " ", district or NO_DISTRICT).strip()[:28] or NO_DISTRICT
        name, i = base, 2
        while name.casefold() in taken:
            name, i = f"{base[:27]}~{i}", i + 1
        taken.add(name.casefold())
        names[district] = name
    return names


def formats(book: xlsxwriter.Workbook) -> dict:
    return {
        "header": book.add_format(
            {
                "bold": True,
                "bg_color": "#1F3864",
                "font_color": "white",
                "text_wrap": True,
                "valign": "top",
                "border": 1,
            }
        ),
        "float": book.add_format({"num_format": "0.00"}),
        "coord": book.add_format({"num_format": "0.000000"}),
        "date": book.add_format({"num_format": "yyyy-mm-dd"}),
        "text": book.add_format({"text_wrap": False}),
        "title": book.add_format({"bold": True, "font_size": 14}),
        "bold": book.add_format({"bold": True}),
        "wrap": book.add_format({"text_wrap": True, "valign": "top"}),
        **{
            f"band_{band}": book.add_format(
                {"bg_color": BAND_COLOURS[band], "font_color": BAND_TEXT_COLOURS[band]}
            )
            for band in BAND_KEYS
        },
    }


def _cell_format(name: str, dtype: pl.DataType, fmt: dict):
    if name in ("latitude", "longitude"):
        return fmt["coord"]
    if dtype.is_float():
        return fmt["float"]
    if dtype == pl.Date:
        return fmt["date"]
    return None


def write_list_sheet(book: xlsxwriter.Workbook, name: str, rows: pl.DataFrame, fmt: dict) -> None:
    """One list sheet: header, typed cells, frozen header, autofilter, column widths."""
    sheet = book.add_worksheet(name)
    rows = round_for_output(rows)
    sheet.set_row(0, 30)
    for j, (col, dtype) in enumerate(rows.schema.items()):
        sheet.write_string(0, j, col, fmt["header"])
        sheet.set_column(
            j, j, WIDTHS.get(col, max(10, min(len(col) + 2, 24))), _cell_format(col, dtype, fmt)
        )
        for i, value in enumerate(rows[col].to_list(), start=1):
            if value is None:
                continue
            if isinstance(value, date):
                sheet.write_datetime(i, j, value, fmt["date"])
            elif col == "risk_band" and value in BAND_KEYS:  # the label, in the band's colour
                sheet.write_string(i, j, label(value), fmt[f"band_{value}"])
            elif isinstance(value, str):
                sheet.write_string(i, j, value)
            else:
                sheet.write(i, j, value)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(rows.height, 1), max(rows.width - 1, 0))


def district_totals(rows: pl.DataFrame) -> pl.DataFrame:
    """Rows, expected crashes and expected fatal+grievous per district (highest first)."""
    return (
        rows.group_by(pl.col("district").fill_null(NO_DISTRICT))
        .agg(
            pl.len().alias("rows"),
            pl.col("expected_crashes").sum().round(2),
            pl.col("expected_fatal_grievous").sum().round(2),
            *[(pl.col("risk_band") == band).sum().alias(label(band)) for band in HIGH_BANDS],
            pl.col("rank").min().alias("best_rank"),
        )
        .sort(["best_rank", "district"])
    )


def _write_pairs(sheet, start: int, pairs: list[tuple[str, str]], fmt: dict) -> int:
    for i, (name, value) in enumerate(pairs):
        sheet.write_string(start + i, 0, name, fmt["bold"])
        sheet.write_string(start + i, 1, value)
    return start + len(pairs) + 1


def write_summary_sheet(
    book: xlsxwriter.Workbook,
    title: str,
    context: list[tuple[str, str]],
    meta: ExportMeta,
    totals: pl.DataFrame,
    fmt: dict,
) -> None:
    """A Summary sheet: title, context pairs, the options, a per-district table and the notes."""
    sheet = book.add_worksheet("Summary")
    sheet.set_column(0, 0, 26)
    sheet.set_column(1, 6, 16)
    sheet.write_string(0, 0, title, fmt["title"])
    params = [(f"Option {k}", "" if v is None else str(v)) for k, v in sorted(meta.params.items())]
    row = _write_pairs(sheet, 2, context + params, fmt)
    for j, col in enumerate(totals.columns):
        sheet.write_string(row, j, col, fmt["header"])
    for i, values in enumerate(totals.iter_rows(), start=row + 1):
        for j, value in enumerate(values):
            sheet.write(i, j, value)
    row += totals.height + 2
    for i, note in enumerate((*meta.notes, *band_notes())):
        sheet.write_string(row + i, 0, note)


def band_notes() -> tuple[str, ...]:
    """The bands in words, for the Summary sheet."""
    meanings = tuple(BAND_MEANINGS[band]["en"] for band in BAND_KEYS)
    return ("Bands (column risk_band):", *meanings, BAND_RULE["en"])


def write_summary(
    book: xlsxwriter.Workbook, bundle: ExportBundle, meta: ExportMeta, fmt: dict
) -> None:
    """The Summary sheet: context, parameters, per-district totals and notes."""
    context = [
        ("Forecast window", meta.window_text()),
        ("Model version", meta.model_version or "n/a"),
        ("Data cut-off", f"{meta.data_cutoff:%Y-%m-%d}" if meta.data_cutoff else "n/a"),
        ("Forecast run", meta.run_id or "n/a"),
        ("Generated (UTC)", f"{meta.generated_at:%Y-%m-%d %H:%M}"),
        ("Rows", str(bundle.rows.height)),
    ]
    if bundle.road_wide is not None:
        context.append((ROAD_WIDE_SHEET, f"{bundle.road_wide.height} (own sheet, ranked apart)"))
    if bundle.blackspots is not None:
        context.append(blackspot_context(bundle))
    title = f"{meta.title} - road-crash risk for enforcement drives"
    write_summary_sheet(book, title, context, meta, district_totals(bundle.rows), fmt)


def blackspot_context(bundle: ExportBundle) -> tuple[str, str]:
    """The Summary line saying what the blackspot sheet holds."""
    spots = bundle.blackspots.height if bundle.blackspots is not None else 0
    if bundle.blackspots_of_area is None:
        return (BLACKSPOT_SHEET, f"{plural(spots, 'blackspot')}: every MoRTH blackspot in the area")
    return (
        LISTED_BLACKSPOT_SHEET,
        f"{spots} of the area's {plural(bundle.blackspots_of_area, 'blackspot')}: those within "
        f"the {plural(bundle.rows.height, 'listed place')} (export blackspots for all of them)",
    )


def write_xlsx(bundle: ExportBundle, path: Path, meta: ExportMeta) -> Path:
    """Write the workbook and return its path."""
    book = xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)
    fmt = formats(book)
    write_summary(book, bundle, meta, fmt)
    write_list_sheet(
        book, "Risk list" if meta.kind == "risk_list" else meta.title, bundle.rows, fmt
    )
    if meta.kind == "risk_list":
        order = district_totals(bundle.rows)["district"].to_list()
        names = sheet_names([None if d == NO_DISTRICT else d for d in order])
        for district, name in names.items():
            part = bundle.rows.filter(
                pl.col("district").is_null() if district is None else pl.col("district") == district
            )
            write_list_sheet(book, name, part, fmt)
    if bundle.road_wide is not None:
        write_list_sheet(book, ROAD_WIDE_SHEET, bundle.road_wide, fmt)
    if bundle.enforcement_gap is not None:
        write_list_sheet(book, "Enforcement gap", bundle.enforcement_gap, fmt)
    if bundle.blackspots is not None:
        name = BLACKSPOT_SHEET if bundle.blackspots_of_area is None else LISTED_BLACKSPOT_SHEET
        write_list_sheet(book, name, bundle.blackspots, fmt)
    book.close()
    return path
