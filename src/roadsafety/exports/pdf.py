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
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from roadsafety import vocabulary
from roadsafety.exports.meta import ExportMeta
from roadsafety.exports.pdf_columns import COLUMNS, band_cell, header_text
from roadsafety.exports.pdf_fonts import (
    body_fonts,
    devanagari_font,
    hindi_latin_fonts,
    markup,
)
from roadsafety.exports.pdf_map import BAND_COLOURS, draw_map
from roadsafety.exports.xlsx import NO_DISTRICT
from roadsafety.vocabulary import ALL, label, plural, sheet_text

MARGIN = 12 * mm
DEFAULT_ROWS_PER_DISTRICT = (
    25  # without an explicit top N, a drive sheet lists a district's first 25
)
BODY_WIDTH = A4[0] - 2 * MARGIN
BAND_LABELS = vocabulary.labels("band")
SECTION_TITLES = {"risk_list": "Enforcement drive sheet"}
RANK_KEYS = {"all": "expected crashes", "fatal_grievous": "expected fatal + grievous crashes"}


def sheet_styles(lang: str = "en") -> dict[str, ParagraphStyle]:
    """Paragraph styles of the sheets; Hindi sheets register the Devanagari font and shape text.

    Raises:
        FontMissingError: for ``lang='hi'`` without the Devanagari font or the shaping package.
    """
    base = getSampleStyleSheet()
    regular, bold = body_fonts()
    shaping = 0
    if lang == "hi":
        devanagari_font()
        regular, bold = hindi_latin_fonts()
        shaping = 1
    return {
        "title": ParagraphStyle(
            "t",
            parent=base["Title"],
            fontName=bold,
            fontSize=15,
            leading=19,
            alignment=0,
            spaceAfter=2,
            shaping=shaping,
        ),
        "sub": ParagraphStyle(
            "s",
            parent=base["Normal"],
            fontName=regular,
            fontSize=9,
            leading=12,
            textColor=colors.HexColor("#333333"),
            shaping=shaping,
        ),
        "cell": ParagraphStyle(
            "c", parent=base["Normal"], fontName=regular, fontSize=7.5, leading=10, shaping=shaping
        ),
        "head": ParagraphStyle(
            "h",
            parent=base["Normal"],
            fontName=bold,
            fontSize=7.5,
            leading=10,
            textColor=colors.white,
            shaping=shaping,
        ),
    }


def ranked_table(rows: pl.DataFrame, kind: str, styles: dict, lang: str = "en") -> Table:
    """The ranked table of one district (header repeated on each page, band cells coloured)."""
    columns = COLUMNS[kind]
    data = [[Paragraph(header_text(key, lang), styles["head"]) for key, _, _ in columns]]
    band_col = next((i for i, (key, _, _) in enumerate(columns) if key == "col_band"), None)
    style = [
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#1F3864")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#9AA5B1")),
        ("LEFTPADDING", (0, 0), (-1, -1), 2.5),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2.5),
    ]
    for i, row in enumerate(rows.iter_rows(named=True), start=1):
        data.append([Paragraph(fn(row, lang), styles["cell"]) for _, _, fn in columns])
        if band_col is not None and row.get("risk_band") in BAND_COLOURS:
            style.append(
                ("BACKGROUND", (band_col, i), (band_col, i), BAND_COLOURS[row["risk_band"]])
            )
            text_colour = vocabulary.BAND_TEXT_COLOURS[row["risk_band"]]
            data[-1][band_col] = Paragraph(
                f'<font color="{text_colour}"><b>{band_cell(row, lang)}</b></font>', styles["cell"]
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


def _swatch(band: str) -> str:
    return f'<font color="{BAND_COLOURS[band].hexval().replace("0x", "#")}">&#9632;</font>'


def _legend(lang: str = "en") -> str:
    return " &nbsp; ".join(
        f"{_swatch(b)} {markup(vocabulary.label(b, lang), lang)}" for b in BAND_LABELS
    )


def band_legend(lang: str = "en") -> str:
    """What each band means, in words (one line per sheet, below the map)."""
    ends = {band: ";" for band in BAND_LABELS} | {vocabulary.BAND_KEYS[-1]: "."}
    meanings = " ".join(
        f"{_swatch(b)} {markup(vocabulary.BAND_MEANINGS[b][lang] + ends[b], lang)}"
        for b in BAND_LABELS
    )
    return (
        f"<b>{markup(sheet_text('bands', lang) + ':', lang)}</b> {meanings} "
        f"{markup(vocabulary.BAND_RULE[lang], lang)}"
    )


def ranking_text(rows: pl.DataFrame, meta: ExportMeta) -> str:
    """What the rows of this export are ranked by, in words (paragraph markup)."""
    if meta.kind == "enforcement_gap":
        return "fewest challans (last 90 days) per expected crash"
    if meta.kind == "blackspots":
        years = rows["years"][0] if "years" in rows.columns and rows.height else "the last 3 years"
        return f"fatal/grievous crashes, then deaths, in {years}"
    severity = meta.params.get("severity", "all")
    key = f"rank_{severity}" if severity in RANK_KEYS else "rank_all"
    return markup(sheet_text(key, meta.lang), meta.lang)


ROAD_WIDE_TITLE = vocabulary.SHEET_TEXT["road_wide_title"]["en"]


def road_wide_section(rows: pl.DataFrame, styles: dict, lang: str = "en") -> list:
    """Flowables of a district's road-wide units: a labelled table of their own (or nothing)."""
    if rows is None or rows.is_empty():
        return []
    shown = rows.head(DEFAULT_ROWS_PER_DISTRICT)
    title = markup(sheet_text("road_wide_title", lang), lang)
    heading = Paragraph(f"<b>{title}</b> ({rows.height})", styles["sub"])
    table = ranked_table(shown, "risk_list", styles, lang)
    return [Spacer(1, 5 * mm), KeepTogether([heading, Spacer(1, 2 * mm), table])]


def _title(meta: ExportMeta, district: str) -> str:
    key = f"title_{meta.kind}"
    lang = meta.lang
    title = sheet_text(key, lang) if key in vocabulary.SHEET_TEXT else meta.title
    return markup(f"{title}: {district}", lang)


def _context(rows: pl.DataFrame, meta: ExportMeta, total: int) -> str:
    """The line under the title: window, ranking and how many rows are shown."""
    lang = meta.lang
    shown = f"{rows.height}"
    if rows.height < total:
        shown = markup(sheet_text("first_of", lang, n=rows.height, total=total), lang)
    words = {k: markup(f"{sheet_text(k, lang)}:", lang) for k in ("window", "ranked_by", "rows")}
    return (
        f"<b>{words['window']}</b> {markup(meta.window_text(), lang)} &nbsp; "
        f"<b>{words['ranked_by']}</b> {ranking_text(rows, meta)} &nbsp; "
        f"<b>{words['rows']}</b> {shown}"
    )


def map_height(n_rows: int) -> float:
    """A smaller map for a short list, so short district sections share a page."""
    return (40 if n_rows <= 5 else 62) * mm


def _map_note(rows: pl.DataFrame, drawn: bool, located: int, lang: str) -> str:
    if not drawn:
        return markup(sheet_text("no_map", lang), lang)
    note = f"{markup(sheet_text('map_note', lang) + ';', lang)} {_legend(lang)}"
    missing = rows.height - located
    if missing:
        rows_text = (
            f"{missing} {sheet_text('row', lang)}" if lang == "hi" else plural(missing, "row")
        )
        note += " " + markup(sheet_text("not_drawn", lang, n=rows_text), lang)
    return note


def district_section(
    district: str,
    rows: pl.DataFrame,
    meta: ExportMeta,
    styles: dict,
    paths: dict | None = None,
    road_wide: pl.DataFrame | None = None,
) -> list:
    """Flowables of one district: heading, context line, map (when drawable), band legend, the
    table of places and the road-wide units' own table."""
    total = rows.height
    if meta.params.get("top") is None and rows.height > DEFAULT_ROWS_PER_DISTRICT:
        rows = rows.head(DEFAULT_ROWS_PER_DISTRICT)
    paths = paths or {}
    drawn = pl.col("h3_cell").is_not_null() | pl.col("latitude").is_not_null()
    located = rows.filter(drawn | pl.col("unit_id").is_in(list(paths))).height
    story = [
        Paragraph(_title(meta, district), styles["title"]),
        Paragraph(_context(rows, meta, total), styles["sub"]),
        Spacer(1, 3 * mm),
    ]
    drawing = draw_map(rows, BODY_WIDTH, map_height(rows.height), paths)
    if drawing is not None:
        story += [drawing, Spacer(1, 1 * mm)]
    story += [Paragraph(_map_note(rows, drawing is not None, located, meta.lang), styles["sub"])]
    if meta.kind in ("risk_list", "enforcement_gap", "blackspots"):
        story += [Spacer(1, 1 * mm), Paragraph(band_legend(meta.lang), styles["sub"])]
    story += [Spacer(1, 3 * mm), ranked_table(rows, meta.kind, styles, meta.lang)]
    return story + road_wide_section(road_wide, styles, meta.lang)


def _footer(meta: ExportMeta, styles: dict) -> Callable:
    footer = ParagraphStyle("f", parent=styles["sub"], fontSize=7, leading=9)
    page = ParagraphStyle("p", parent=footer, alignment=2)

    def draw(canvas, doc) -> None:
        canvas.saveState()
        for text, style in (
            (markup(meta.footer_text(), meta.lang), footer),
            (f"{markup(sheet_text('page', meta.lang), meta.lang)} {doc.page}", page),
        ):
            para = Paragraph(text, style)
            para.wrapOn(canvas, BODY_WIDTH, 10 * mm)
            para.drawOn(canvas, MARGIN, 5 * mm)
        canvas.restoreState()

    return draw


def rows_on_sheets(rows: pl.DataFrame, meta: ExportMeta) -> int:
    """How many of ``rows`` the drive sheets print: all with an explicit ``top``, else each
    district's first :data:`DEFAULT_ROWS_PER_DISTRICT`."""
    if meta.params.get("top") is not None:
        return rows.height
    return sum(min(part.height, DEFAULT_ROWS_PER_DISTRICT) for _, part in by_district(rows))


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
    """An A4 document of district sections with the footer on every page. Sections follow each
    other on a page; a section that does not fit in what is left starts a new page (a long one
    then runs over pages), so a statewide top-20 list of many short district sections fills pages
    instead of leaving them mostly empty, and a short section is never split from its table.

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
    styles = sheet_styles(meta.lang)
    doc.addPageTemplates([PageTemplate(id="sheet", frames=[frame], onPage=_footer(meta, styles))])
    story: list = []
    for section in sections:
        story += ([Spacer(1, 6 * mm)] if story else []) + [KeepTogether(section)]
    doc.build(story or empty(styles))
    return path


def is_statewide_top(meta: ExportMeta) -> bool:
    """A list cut to ``top`` rows without a district or station filter: one statewide section
    (one map, one table ranked as listed, the district beside each police station) rather than
    a page per district holding a row or two."""
    params = meta.params
    return (
        params.get("top") is not None
        and not params.get("district")
        and not params.get("police_station")
    )


def _with_district(rows: pl.DataFrame) -> pl.DataFrame:
    """Police station shown as ``STATION (District)`` for a statewide section."""
    station = pl.col("police_station").fill_null("")
    district = pl.col("district").fill_null(NO_DISTRICT)
    return rows.with_columns(police_station=pl.format("{} ({})", station, district))


def write_pdf(
    rows: pl.DataFrame,
    path: Path,
    meta: ExportMeta,
    paths: dict | None = None,
    road_wide: pl.DataFrame | None = None,
) -> Path:
    """Write the drive sheets to ``path`` and return it (stretch rows drawn along ``paths``; each
    district's ``road_wide`` units in their own table). A statewide top-N list is one section
    (:func:`is_statewide_top`)."""
    styles = sheet_styles(meta.lang)
    if is_statewide_top(meta) and rows.height:
        whole = label(ALL, meta.lang)
        wide_rows = _with_district(road_wide) if road_wide is not None else None
        section = district_section(whole, _with_district(rows), meta, styles, paths, wide_rows)
        return build_document(path, meta, [section], lambda st: [])
    wide = dict(by_district(road_wide)) if road_wide is not None and road_wide.height else {}
    sections = [
        district_section(district, part, meta, styles, paths, wide.pop(district, None))
        for district, part in by_district(rows)
    ]
    sections += [  # districts with road-wide units only
        [
            Paragraph(markup(district, meta.lang), styles["title"]),
            *road_wide_section(part, styles, meta.lang),
        ]
        for district, part in wide.items()
    ]
    return build_document(
        path,
        meta,
        sections,
        lambda st: [
            Paragraph(markup(meta.title, meta.lang), st["title"]),
            Paragraph(
                markup(sheet_text("no_rows", meta.lang, window=meta.window_text()), meta.lang),
                st["sub"],
            ),
        ],
    )
