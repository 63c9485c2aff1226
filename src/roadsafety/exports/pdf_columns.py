"""The columns of the printed drive sheets: header word, width and how each cell is written.

Each column is ``(header, width in mm, cell)``: the header is a key of
:data:`roadsafety.vocabulary.SHEET_TEXT` (printed in the sheet's language) or a literal; ``cell``
turns a row into paragraph markup in a language (:func:`roadsafety.exports.pdf_fonts.markup`).
"""

from __future__ import annotations

from collections.abc import Callable

from roadsafety import vocabulary
from roadsafety.exports.pdf_fonts import escape, markup
from roadsafety.features.roads import format_km
from roadsafety.vocabulary import sheet_text

BAND_LABELS = vocabulary.labels("band")


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


def _where_detail(row: dict, lang: str) -> str:
    """The stretch, km and coordinates of a row, or what stands in for them (plain text)."""
    stretch, _ = split_factors(row)
    km = _km_text(row)
    has_point = row.get("latitude") is not None and row.get("longitude") is not None
    point = f"{row['latitude']:.4f} N, {row['longitude']:.4f} E" if has_point else None
    if stretch:
        return stretch
    if row.get("h3_cell"):
        return " · ".join(p for p in (km, point) if p)
    if km:
        return " · ".join(p for p in (km, point or sheet_text("find_km_stone", lang)) if p)
    whole = sheet_text("whole_road", lang)
    if has_point:
        where = f"{row['latitude']:.3f} N, {row['longitude']:.3f} E"
        return f"{whole} ({sheet_text('approx', lang)} {where})"
    return f"{whole} ({sheet_text('no_coordinates', lang)})"


def where_text(row: dict, lang: str = "en") -> str:
    """Road name plus the stretch, the coordinates, or 'no coordinates' (paragraph markup)."""
    road = markup(row.get("road_name") or sheet_text("unnamed_road", lang), lang)
    return f"<b>{road}</b><br/>{markup(_where_detail(row, lang), lang)}"


def _num(value: object, digits: int = 1) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def band_cell(row: dict, lang: str) -> str:
    band = row.get("risk_band")
    return markup(vocabulary.label(band, lang) if band in BAND_LABELS else band or "", lang)


# (header key of vocabulary.SHEET_TEXT or a literal, width mm, row, lang -> paragraph markup)
Column = tuple[str, float, Callable[[dict, str], str]]
COMMON_START: list[Column] = [
    ("col_rank", 8, lambda r, lang: str(r["rank"])),
    ("col_where", 44, where_text),
    ("col_station", 26, lambda r, lang: markup(r.get("police_station") or "", lang)),
]
WHEN: Column = (
    "col_when",
    27,
    lambda r, lang: markup(vocabulary.window_label(r.get("peak_window") or "", lang), lang),
)
COLUMNS: dict[str, list[Column]] = {
    "risk_list": COMMON_START
    + [
        WHEN,
        ("col_expected", 15, lambda r, lang: _num(r["expected_crashes"], 2)),
        ("col_fatal_grievous", 15, lambda r, lang: _num(r["expected_fatal_grievous"], 2)),
        ("col_band", 15, band_cell),
        ("col_why", 36, lambda r, lang: markup(split_factors(r)[1], lang)),
    ],
    "enforcement_gap": COMMON_START
    + [
        WHEN,
        ("col_expected", 15, lambda r, lang: _num(r["expected_crashes"], 2)),
        ("col_band", 15, band_cell),
        ("Challans 90 d", 16, lambda r, lang: str(r["recent_challans"])),
        ("Challans per exp. crash", 35, lambda r, lang: _num(r["challans_per_expected_crash"], 2)),
    ],
    "blackspots": COMMON_START
    + [
        ("F+G crashes 3 y", 17, lambda r, lang: str(r["fatal_grievous_3y"])),
        ("Deaths 3 y", 15, lambda r, lang: str(r["deaths_3y"])),
        ("Rule met", 36, lambda r, lang: escape(r["rule_met"])),
        (
            "Forecast rank",
            15,
            lambda r, lang: "" if r["forecast_rank"] is None else str(r["forecast_rank"]),
        ),
        ("col_band", 25, band_cell),
    ],
}


def header_text(key: str, lang: str) -> str:
    return markup(sheet_text(key, lang) if key in vocabulary.SHEET_TEXT else key, lang)
