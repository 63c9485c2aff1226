"""A4 drive sheets (reportlab): one section per district, starting on a new page.

Each section: the district and forecast window, a small offline map of the listed places
(:mod:`roadsafety.exports.pdf_map`: cells, and road stretches as lines along their road), then the
ranked table — where (road and km stretch, coordinates), police station, when (peak window),
expected crashes and fatal+grievous, band, and why (top factors). Below it, when there are any, the
district's road-wide units ("whole road in the station area": no GPS, no km marker) in a separate,
labelled table ranked among themselves — never mixed with the places above. Gap and blackspot lists use the same layout with their own columns. The footer of every
page carries the model version, data cut-off, run id, generation time and page number. Without an
explicit ``top`` in ``meta.params`` a district lists its first 25 rows (a sheet, not a register).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import registerFontFamily
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from roadsafety import vocabulary
from roadsafety.exports.meta import ExportMeta
from roadsafety.exports.pdf_map import BAND_COLOURS, draw_map
from roadsafety.exports.xlsx import NO_DISTRICT
from roadsafety.features.roads import format_km

MARGIN = 12 * mm
DEFAULT_ROWS_PER_DISTRICT = (
    25  # without an explicit top N, a drive sheet lists a district's first 25
)
BODY_WIDTH = A4[0] - 2 * MARGIN
BAND_LABELS = vocabulary.labels("band")
SECTION_TITLES = {"risk_list": "Enforcement drive sheet"}
RANK_KEYS = {"all": "expected crashes", "fatal_grievous": "expected fatal + grievous crashes"}


def escape(text: object) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def split_factors(row: dict) -> tuple[str | None, str]:
    """(corridor stretch text or None, remaining reasons) from a row's top_factors."""
    parts = [p.strip() for p in (row.get("top_factors") or "").split(";") if p.strip()]
    if (
        str(row.get("unit_id", "")).startswith("corridor:")
        and parts
        and parts[0].startswith(("corridor", "run of"))
    ):
        return parts[0], "; ".join(parts[1:])
    return None, "; ".join(parts)


def _km_text(row: dict) -> str | None:
    if row.get("km_from") is None or row.get("km_to") is None:
        return None
    return f"km {format_km(row['km_from'])}-{format_km(row['km_to'])}"


def where_text(row: dict) -> str:
    """Road name plus the stretch, the coordinates, or 'no coordinates' (HTML-escaped)."""
    road = escape(row.get("road_name") or "unnamed road")
    stretch, _ = split_factors(row)
    km = _km_text(row)
    point = (
        f"{row['latitude']:.4f} N, {row['longitude']:.4f} E"
        if row.get("latitude") is not None and row.get("longitude") is not None
        else None
    )
    if stretch:
        detail = stretch
    elif row.get("h3_cell"):
        detail = " · ".join(p for p in (km, point) if p)
    elif km:
        detail = " · ".join(
            p for p in (km, point or "road not mapped here: find the km stone") if p
        )
    elif row.get("latitude") is not None:
        detail = f"whole road in the station area (approx. {row['latitude']:.3f} N, {row['longitude']:.3f} E)"
    else:
        detail = "whole road in the station area (no coordinates)"
    return f"<b>{road}</b><br/>{escape(detail)}"


def _num(value: object, digits: int = 1) -> str:
    return "" if value is None else f"{value:.{digits}f}"


Column = tuple[str, float, Callable[[dict], str]]
COMMON_START: list[Column] = [
    ("#", 8, lambda r: str(r["rank"])),
    ("Where", 44, where_text),
    ("Police station", 26, lambda r: escape(r.get("police_station") or "")),
]
COLUMNS: dict[str, list[Column]] = {
    "risk_list": COMMON_START
    + [
        ("When (peak)", 27, lambda r: escape(r.get("peak_window") or "")),
        ("Exp. crashes", 15, lambda r: _num(r["expected_crashes"], 2)),
        ("Exp. fatal+ grievous", 15, lambda r: _num(r["expected_fatal_grievous"], 2)),
        ("Band", 15, lambda r: BAND_LABELS.get(r["risk_band"], r["risk_band"] or "")),
        ("Why", 36, lambda r: escape(split_factors(r)[1])),
    ],
    "enforcement_gap": COMMON_START
    + [
        ("When (peak)", 27, lambda r: escape(r.get("peak_window") or "")),
        ("Exp. crashes", 15, lambda r: _num(r["expected_crashes"], 2)),
        ("Band", 15, lambda r: BAND_LABELS.get(r["risk_band"], r["risk_band"] or "")),
        ("Challans 90 d", 16, lambda r: str(r["recent_challans"])),
        ("Challans per exp. crash", 35, lambda r: _num(r["challans_per_expected_crash"], 2)),
    ],
    "blackspots": COMMON_START
    + [
        ("F+G crashes 3 y", 17, lambda r: str(r["fatal_grievous_3y"])),
        ("Deaths 3 y", 15, lambda r: str(r["deaths_3y"])),
        ("Rule met", 36, lambda r: escape(r["rule_met"])),
        (
            "Forecast rank",
            15,
            lambda r: "" if r["forecast_rank"] is None else str(r["forecast_rank"]),
        ),
        ("Band", 25, lambda r: BAND_LABELS.get(r["risk_band"], r["risk_band"] or "")),
    ],
}


FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))


def body_fonts() -> tuple[str, str]:
    """(regular, bold) font names: DejaVu Sans when installed (wide Unicode coverage for place
    names), else the built-in Helvetica (Latin-1 only)."""
    if "DejaVuSans" in pdfmetrics.getRegisteredFontNames():
        return "DejaVuSans", "DejaVuSans-Bold"
    for folder in FONT_DIRS:
        regular, bold = folder / "DejaVuSansCondensed.ttf", folder / "DejaVuSansCondensed-Bold.ttf"
        if regular.exists() and bold.exists():
            pdfmetrics.registerFont(TTFont("DejaVuSans", str(regular)))
            pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(bold)))
            registerFontFamily(
                "DejaVuSans",
                normal="DejaVuSans",
                bold="DejaVuSans-Bold",
                italic="DejaVuSans",
                boldItalic="DejaVuSans-Bold",
            )
            return "DejaVuSans", "DejaVuSans-Bold"
    return "Helvetica", "Helvetica-Bold"


def sheet_styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    regular, bold = body_fonts()
    return {
        "title": ParagraphStyle(
            "t", parent=base["Title"], fontName=bold, fontSize=15, alignment=0, spaceAfter=2
        ),
        "sub": ParagraphStyle(
            "s",
            parent=base["Normal"],
            fontName=regular,
            fontSize=9,
            leading=11,
            textColor=colors.HexColor("#333333"),
        ),
        "cell": ParagraphStyle(
            "c", parent=base["Normal"], fontName=regular, fontSize=7.5, leading=9
        ),
        "head": ParagraphStyle(
            "h",
            parent=base["Normal"],
            fontName=bold,
            fontSize=7.5,
            leading=9,
            textColor=colors.white,
        ),
    }


def ranked_table(rows: pl.DataFrame, kind: str, styles: dict) -> Table:
    """The ranked table of one district (header repeated on each page, band cells coloured)."""
    columns = COLUMNS[kind]
    data = [[Paragraph(name, styles["head"]) for name, _, _ in columns]]
    band_col = next((i for i, (name, _, _) in enumerate(columns) if name == "Band"), None)
    style = [
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#1F3864")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#9AA5B1")),
        ("LEFTPADDING", (0, 0), (-1, -1), 2.5),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2.5),
    ]
    for i, row in enumerate(rows.iter_rows(named=True), start=1):
        data.append([Paragraph(fn(row), styles["cell"]) for _, _, fn in columns])
        if band_col is not None and row.get("risk_band") in BAND_COLOURS:
            style.append(
                ("BACKGROUND", (band_col, i), (band_col, i), BAND_COLOURS[row["risk_band"]])
            )
            text_colour = vocabulary.BAND_TEXT_COLOURS[row["risk_band"]]
            data[-1][band_col] = Paragraph(
                f'<font color="{text_colour}"><b>{BAND_LABELS[row["risk_band"]]}</b></font>',
                styles["cell"],
            )
        if i % 2 == 0:
            style.append(
                (
                    "BACKGROUND",
                    (0, i),
                    (band_col - 1 if band_col else -1, i),
                    colors.HexColor("#F2F4F7"),
                )
            )
    table = Table(data, colWidths=[w * mm for _, w, _ in columns], repeatRows=1)
    table.setStyle(TableStyle(style))
    return table


def _legend() -> str:
    return " &nbsp; ".join(
        f'<font color="{BAND_COLOURS[b].hexval().replace("0x", "#")}">&#9632;</font> {label}'
        for b, label in BAND_LABELS.items()
    )


def ranking_text(rows: pl.DataFrame, meta: ExportMeta) -> str:
    """What the rows of this export are ranked by, in words."""
    if meta.kind == "enforcement_gap":
        return "fewest challans (last 90 days) per expected crash"
    if meta.kind == "blackspots":
        years = rows["years"][0] if "years" in rows.columns and rows.height else "the last 3 years"
        return f"fatal/grievous crashes, then deaths, in {years}"
    return RANK_KEYS.get(meta.params.get("severity", "all"), "expected crashes")


ROAD_WIDE_TITLE = (
    "Whole roads in the station area (no GPS, no km marker): ranked among themselves, "
    "not comparable with the places above"
)


def road_wide_section(rows: pl.DataFrame, styles: dict) -> list:
    """Flowables of a district's road-wide units: a labelled table of their own (or nothing)."""
    if rows is None or rows.is_empty():
        return []
    shown = rows.head(DEFAULT_ROWS_PER_DISTRICT)
    return [
        Spacer(1, 5 * mm),
        Paragraph(f"<b>{ROAD_WIDE_TITLE}</b> ({rows.height})", styles["sub"]),
        Spacer(1, 2 * mm),
        ranked_table(shown, "risk_list", styles),
    ]


def district_section(
    district: str,
    rows: pl.DataFrame,
    meta: ExportMeta,
    styles: dict,
    paths: dict | None = None,
    road_wide: pl.DataFrame | None = None,
) -> list:
    """Flowables of one district: heading, context line, map (when drawable), the table of places
    and the road-wide units' own table."""
    severity = ranking_text(rows, meta)
    shown = f"{rows.height}"
    if meta.params.get("top") is None and rows.height > DEFAULT_ROWS_PER_DISTRICT:
        shown = f"first {DEFAULT_ROWS_PER_DISTRICT} of {rows.height} (choose with --top)"
        rows = rows.head(DEFAULT_ROWS_PER_DISTRICT)
    paths = paths or {}
    drawn = pl.col("h3_cell").is_not_null() | pl.col("latitude").is_not_null()
    located = rows.filter(drawn | pl.col("unit_id").is_in(list(paths))).height
    story = [
        Paragraph(
            f"{escape(SECTION_TITLES.get(meta.kind, meta.title))}: {escape(district)}",
            styles["title"],
        ),
        Paragraph(
            f"<b>Window:</b> {meta.window_text()} &nbsp; <b>Ranked by:</b> {severity} &nbsp; "
            f"<b>Rows:</b> {shown}",
            styles["sub"],
        ),
        Spacer(1, 3 * mm),
    ]
    drawing = draw_map(rows, BODY_WIDTH, 62 * mm, paths)
    if drawing is not None:
        story += [drawing, Spacer(1, 1 * mm)]
    note = f"Map: numbers are ranks; {_legend()}."
    if drawing is None:
        note = "No map: none of these rows has coordinates."
    elif located < rows.height:
        note += f" {rows.height - located} row(s) without coordinates are not drawn."
    story += [
        Paragraph(note, styles["sub"]),
        Spacer(1, 3 * mm),
        ranked_table(rows, meta.kind, styles),
    ]
    return story + road_wide_section(road_wide, styles)


def _footer(meta: ExportMeta) -> Callable:
    def draw(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(body_fonts()[0], 7)
        canvas.setFillColor(colors.HexColor("#444444"))
        canvas.drawString(MARGIN, 7 * mm, meta.footer_text())
        canvas.drawRightString(A4[0] - MARGIN, 7 * mm, f"Page {doc.page}")
        canvas.restoreState()

    return draw


def by_district(rows: pl.DataFrame) -> list[tuple[str, pl.DataFrame]]:
    """Rows grouped by district, districts ordered by their best rank."""
    keyed = rows.with_columns(pl.col("district").fill_null(NO_DISTRICT).alias("_d"))
    order = (
        keyed.group_by("_d").agg(pl.col("rank").min().alias("_best")).sort(["_best", "_d"])["_d"]
    )
    return [(d, keyed.filter(pl.col("_d") == d).drop("_d").sort("rank")) for d in order]


def build_document(
    path: Path, meta: ExportMeta, sections: list[list], empty: Callable[[dict], list]
) -> Path:
    """An A4 document of district sections, each on a new page, with the footer on every page.

    Args:
        path: file to write.
        meta: export context (title, window, footer).
        sections: flowables of each section.
        empty: styles → flowables shown when there is no section.
    """
    doc = BaseDocTemplate(
        str(path),
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=14 * mm,
        title=f"{meta.title} {meta.window_text()}",
        author="roadsafety",
        subject=meta.footer_text(),
    )
    frame = Frame(MARGIN, 14 * mm, BODY_WIDTH, A4[1] - MARGIN - 14 * mm, id="body")
    doc.addPageTemplates([PageTemplate(id="sheet", frames=[frame], onPage=_footer(meta))])
    story: list = []
    for section in sections:
        story += ([PageBreak()] if story else []) + section
    doc.build(story or empty(sheet_styles()))
    return path


def write_pdf(
    rows: pl.DataFrame,
    path: Path,
    meta: ExportMeta,
    paths: dict | None = None,
    road_wide: pl.DataFrame | None = None,
) -> Path:
    """Write the drive sheets to ``path`` and return it (stretch rows drawn along ``paths``; each
    district's ``road_wide`` units in their own table)."""
    styles = sheet_styles()
    wide = dict(by_district(road_wide)) if road_wide is not None and road_wide.height else {}
    sections = [
        district_section(district, part, meta, styles, paths, wide.pop(district, None))
        for district, part in by_district(rows)
    ]
    sections += [  # districts with road-wide units only
        [Paragraph(escape(district), styles["title"]), *road_wide_section(part, styles)]
        for district, part in wide.items()
    ]
    return build_document(
        path,
        meta,
        sections,
        lambda st: [
            Paragraph(f"{escape(meta.title)}", st["title"]),
            Paragraph(f"No units match these options ({meta.window_text()}).", st["sub"]),
        ],
    )
