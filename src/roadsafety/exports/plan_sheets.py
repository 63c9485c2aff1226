"""Duty sheets of a drive plan: XLSX for the office, an A4 PDF for the teams (readable on a phone).

Both list one line per *team slot* — a place and one ``DAYS HH:MM-HH:MM`` part of its window — with
the place (road, km or coordinates), police station, days, hours, team-hours a week and why, one
section (PDF pages / workbook sheet) per district, districts in the order of their best place.
Rows come from :func:`roadsafety.exports.plan.build_plan`; the writers never query the warehouse.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import xlsxwriter
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from roadsafety.exports import pdf, xlsx
from roadsafety.exports.meta import ExportMeta
from roadsafety.exports.pdf_fonts import markup
from roadsafety.exports.pdf_map import draw_map
from roadsafety.models import allocation, profile
from roadsafety.vocabulary import sheet_text, window_label

DUTY_COLUMNS = {
    "rank": pl.Int64,
    "place": pl.Utf8,
    "road_km": pl.Utf8,
    "police_station": pl.Utf8,
    "district": pl.Utf8,
    "days": pl.Utf8,
    "hours": pl.Utf8,
    "team_hours_per_week": pl.Int64,
    "why": pl.Utf8,
}
HEADER_KEYS = (
    "col_rank",
    "col_place",
    "col_road_km",
    "col_station",
    "col_days",
    "col_hours",
    "col_team_hours",
    "col_why",
)
WIDTHS_MM = (8, 34, 22, 22, 20, 22, 13, 45)


def _road_km(row: dict) -> str:
    road = row.get("road_name") or ""
    lo, hi = row.get("km_from"), row.get("km_to")
    if lo is None or hi is None:
        return road
    return f"{road} km {lo:g}-{hi:g}".strip()


def _place(row: dict) -> str:
    if row.get("latitude") is not None and row.get("longitude") is not None:
        return f"{row['latitude']:.4f} N, {row['longitude']:.4f} E ({row['unit_id']})"
    return str(row["unit_id"])


def _slots(window: str) -> list[tuple[str, str, int]]:
    """``(days, hours, team_hours)`` per part of a plan window (parsed back to its hours)."""
    mask = np.zeros(168, dtype=bool)
    for dow, hour in profile.parse_peak_window(window):
        mask[dow * 24 + hour] = True
    return [
        (profile.format_days(days), f"{start:02d}:00-{(start + n) % 24:02d}:00", len(days) * n)
        for days, start, n in allocation.window_groups(mask)
    ]


def duty_rows(plan: pl.DataFrame) -> pl.DataFrame:
    """One line per team slot (module docstring), in plan order."""
    lines = []
    for row in plan.iter_rows(named=True):
        for days, hours, team_hours in _slots(row["window"]):
            lines.append(
                (
                    row["rank"],
                    _place(row),
                    _road_km(row),
                    row["police_station"] or "",
                    row["district"],
                    days,
                    hours,
                    team_hours,
                    row["why"],
                )
            )
    return pl.DataFrame(lines, schema=DUTY_COLUMNS, orient="row")


def district_totals(plan: pl.DataFrame) -> pl.DataFrame:
    """Places, team-hours and expected crashes covered per district (best place first)."""
    return (
        plan.group_by(pl.col("district").fill_null(xlsx.NO_DISTRICT))
        .agg(
            pl.len().alias("places"),
            pl.col("team_hours_per_week").sum(),
            pl.col("expected_crashes_covered").sum().round(2),
            pl.col("expected_fatal_grievous_covered").sum().round(2),
            pl.col("rank").min().alias("best_rank"),
        )
        .sort(["best_rank", "district"])
    )


def write_plan_xlsx(plan: pl.DataFrame, path: Path, meta: ExportMeta) -> Path:
    """Summary, the plan rows, then a duty sheet per district."""
    book = xlsxwriter.Workbook(str(path), xlsx.WORKBOOK_OPTIONS)
    fmt = xlsx.formats(book)
    context = [
        ("Window", meta.window_text()),
        ("Model version", meta.model_version or "n/a"),
        ("Forecast run", meta.run_id or "n/a"),
        ("Generated (UTC)", f"{meta.generated_at:%Y-%m-%d %H:%M}"),
        ("Team-hours used per week", str(int(plan["team_hours_per_week"].sum()))),
    ]
    totals = district_totals(plan)
    title = f"{meta.title} - where and when to put the teams"
    xlsx.write_summary_sheet(book, title, context, meta, totals, fmt)
    xlsx.write_list_sheet(book, "Plan", plan, fmt)
    duty = duty_rows(plan)
    names = xlsx.sheet_names([None if d == xlsx.NO_DISTRICT else d for d in totals["district"]])
    for district, name in names.items():
        part = duty.filter(
            pl.col("district").is_null() if district is None else pl.col("district") == district
        )
        xlsx.write_list_sheet(book, name, part.drop("district"), fmt)
    book.close()
    return path


def _duty_table(rows: pl.DataFrame, styles: dict, lang: str = "en") -> Table:
    cell = ParagraphStyle("duty", parent=styles["cell"], fontSize=8.5, leading=11)
    head = ParagraphStyle("dutyh", parent=styles["head"], fontSize=8.5, leading=11)
    headers = [markup(sheet_text(key, lang), lang) for key in HEADER_KEYS]
    data, previous = [[Paragraph(h, head) for h in headers]], None
    for r in rows.iter_rows(named=True):
        first = r["rank"] != previous  # place, station and why once per place
        previous = r["rank"]
        place = (r["rank"], r["place"], r["road_km"], r["police_station"]) if first else ("",) * 4
        values = (
            *place,
            window_label(r["days"], lang),
            r["hours"],
            r["team_hours_per_week"],
            r["why"] if first else "",
        )
        data.append([Paragraph(markup(v, lang), cell) for v in values])
    table = Table(data, colWidths=[w * mm for w in WIDTHS_MM], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#1F3864")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#9AA5B1")),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#F2F4F7")]),
            ]
        )
    )
    return table


def _section(district: str, plan: pl.DataFrame, meta: ExportMeta, styles: dict) -> list:
    lang = meta.lang
    fatal = meta.params.get("objective") == "fatal_grievous"
    words = sheet_text("fatal_grievous_crashes" if fatal else "crashes", lang)
    covered = plan["expected_fatal_grievous_covered" if fatal else "expected_crashes_covered"]
    title = f"{sheet_text('title_plan', lang)}: {district}"
    window = f"{meta.window_text()} {sheet_text('plan_repeats', lang)}"
    line = (
        f"<b>{markup(sheet_text('window', lang) + ':', lang)}</b> {markup(window, lang)} &nbsp; "
        f"<b>{markup(sheet_text('team_hours_week', lang) + ':', lang)}</b> "
        f"{int(plan['team_hours_per_week'].sum())} &nbsp; "
        f"<b>{markup(sheet_text('covered', lang, what=words) + ':', lang)}</b> {covered.sum():.1f}"
    )
    story = [
        Paragraph(markup(title, lang), styles["title"]),
        Paragraph(line, styles["sub"]),
        Spacer(1, 3 * mm),
    ]
    drawing = draw_map(plan.with_columns(risk_band=pl.lit("high")), pdf.BODY_WIDTH, 55 * mm)
    if drawing is not None:
        note = markup(sheet_text("plan_map_note", lang), lang)
        story += [drawing, Paragraph(note, styles["sub"])]
    return story + [Spacer(1, 3 * mm), _duty_table(duty_rows(plan), styles, lang)]


def write_plan_pdf(plan: pl.DataFrame, path: Path, meta: ExportMeta) -> Path:
    """A4 duty sheets, one section per district starting on a new page."""
    styles = pdf.sheet_styles(meta.lang)
    sections = [_section(d, part, meta, styles) for d, part in pdf.by_district(plan)]
    empty = sheet_text("plan_empty", meta.lang, title=sheet_text("title_plan", meta.lang))
    return pdf.build_document(
        path, meta, sections, lambda st: [Paragraph(markup(empty, meta.lang), st["title"])]
    )
