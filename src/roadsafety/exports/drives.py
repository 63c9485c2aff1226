"""The drive evaluation as a file: the rows of ``drives evaluate`` in CSV, XLSX or PDF.

:func:`drive_rows` picks the rows (one per drive, then the pooled ``ALL`` row) with exactly the
columns of :data:`DRIVE_COLUMNS` (issue 14 / DESIGN.md "Drives"); :func:`write_drive_export` writes
them with the shared writers (CSV: :func:`~roadsafety.exports.csv_writer.write_csv`; XLSX: the list
sheet of :mod:`roadsafety.exports.xlsx` plus a summary sheet with the method; PDF: an A4 sheet with
the verdicts, the places of each drive and the method in plain words).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import xlsxwriter
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from roadsafety.exports import xlsx
from roadsafety.exports.csv_writer import write_csv
from roadsafety.exports.pdf import sheet_styles
from roadsafety.exports.pdf_fonts import escape
from roadsafety.exports.risk_list import ExportError

DRIVE_COLUMNS = (
    "drive_id", "name", "places", "before_start", "before_end", "after_start", "after_end",
    "crashes_before", "crashes_after", "expected_after_without_drive", "change_pct",
    "ci_low_pct", "ci_high_pct", "fatal_grievous_before", "fatal_grievous_after",
    "challans_before", "challans_during", "verdict",
)  # fmt: skip
FORMATS = ("csv", "xlsx", "pdf")
ROUND = {"expected_after_without_drive": 2, "change_pct": 1, "ci_low_pct": 1, "ci_high_pct": 1}
METHOD = (
    "Expected without the drive: the Empirical Bayes estimate of each place's crashes over up to "
    "{history} years before the drive (it discounts a bad last year: places chosen because they "
    "just had many crashes would have had fewer anyway), times the change in comparable places "
    "without a drive (same district and road category) from then to the after period. "
    "change_pct = 100 x (theta - 1), theta the Hauer index of effectiveness; "
    "ci_low_pct..ci_high_pct its {level:.0%} interval.",
    "A plain before/after count would claim {naive} for the pooled row; that difference is "
    "regression to the mean and the trend, not the drive.",
    "Limits: crashes can move to nearby roads (spillover); other changes at the same time "
    "(road works, a new flyover, weather) are not separated from the drive; few crashes give "
    "wide intervals.",
)


@dataclass(frozen=True)
class DriveExportMeta:
    """Context of one drive-evaluation file."""

    evaluation_id: str | None
    data_start: date | None
    data_end: date | None
    options: dict = field(default_factory=dict)
    scope: str | None = None
    generated_at: datetime = field(
        default_factory=lambda: datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    )

    def footer_text(self) -> str:
        """One line naming the evaluation, its data range and the generation time."""
        return (
            f"Evaluation {self.evaluation_id or 'n/a'} | crash data {self.data_start} to "
            f"{self.data_end} | {self.scope or 'all districts'} | generated "
            f"{self.generated_at:%Y-%m-%d %H:%M} UTC"
        )

    def notes(self, rows: pl.DataFrame) -> list[str]:
        """The method and its limits in a few sentences (with the pooled naive claim)."""
        pooled = rows.filter(pl.col("drive_id") == "ALL")
        naive = "no change"
        if pooled.height and pooled["crashes_before"][0]:
            change = 100 * (pooled["crashes_after"][0] / pooled["crashes_before"][0] - 1)
            naive = f"{change:+.0f}%"
        history, level = self.options.get("history_years", 3), self.options.get("level", 0.9)
        return [n.format(history=history, level=level, naive=naive) for n in METHOD]


def drive_rows(
    results: pl.DataFrame, *, district: str | None = None, drive_ids: list[str] | None = None
) -> pl.DataFrame:
    """The export rows: drives (of the district / the ids), then the matching pooled row.

    Args:
        results: stored or fresh result rows (drive rows with ``scope`` '', pooled rows ``ALL``).
        district: only drives touching this district, with the district's pooled row.
        drive_ids: only these drives (their pooled row must be in ``results`` as scope '').

    Raises:
        ExportError: when no drive matches.
    """
    drives = results.filter(pl.col("drive_id") != "ALL")
    if district is not None:
        listed = pl.col("districts").fill_null("").str.to_lowercase().str.split(";")
        drives = drives.filter(listed.list.contains(district.lower()))
    if drive_ids is not None:
        drives = drives.filter(pl.col("drive_id").is_in(drive_ids))
    if drives.is_empty():
        where = f" in {district}" if district else ""
        raise ExportError(f"no evaluated drive{where} matches {drive_ids or 'the options'}")
    scope = (pl.col("scope").str.to_lowercase() == (district or "").lower()) & (
        pl.col("drive_id") == "ALL"
    )
    rows = pl.concat([drives, results.filter(scope).head(1)], how="diagonal_relaxed")
    return rows.select(DRIVE_COLUMNS).with_columns(pl.col(c).round(d) for c, d in ROUND.items())


def format_of(path: Path | str) -> str:
    """csv, xlsx or pdf from the file name.

    Raises:
        ExportError: for any other extension.
    """
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise ExportError(f"--out {str(path)!r}: use a .csv, .xlsx or .pdf file name")
    return suffix


def _write_xlsx(
    rows: pl.DataFrame, places: pl.DataFrame, path: Path, meta: DriveExportMeta
) -> None:
    book = xlsxwriter.Workbook(str(path), xlsx.WORKBOOK_OPTIONS)
    fmt = xlsx.formats(book)
    sheet = book.add_worksheet("Summary")
    sheet.set_column(0, 0, 110)
    sheet.write_string(
        0, 0, "Did the drive work? Empirical Bayes before/after evaluation", fmt["title"]
    )
    lines = [meta.footer_text(), ""] + meta.notes(rows)
    for i, line in enumerate(lines, start=2):
        sheet.write_string(i, 0, line, fmt["wrap"])
    xlsx.write_list_sheet(book, "Drives", rows, fmt)
    if places.height:
        xlsx.write_list_sheet(book, "Places", places, fmt)
    book.close()


PDF_COLUMNS = (
    ("Drive", 48, lambda r: f"<b>{escape(r['drive_id'])}</b><br/>{escape(r['name'])}"),
    ("Places", 13, lambda r: str(r["places"])),
    ("After period", 30, lambda r: f"{r['after_start']} to {r['after_end'] or '-'}"),
    ("Crashes before / after", 26, lambda r: f"{r['crashes_before']} / {r['crashes_after']}"),
    ("Expected without drive", 24, lambda r: f"{r['expected_after_without_drive'] or 0:.1f}"),
    ("Change (90% range)", 34, lambda r: _change_text(r)),
    ("Fatal+grievous before / after", 26, lambda r: f"{r['fatal_grievous_before']} / {r['fatal_grievous_after']}"),
    ("Challans before / during", 26, lambda r: f"{_n(r['challans_before'])} / {_n(r['challans_during'])}"),
    ("Verdict", 42, lambda r: f"<b>{escape(r['verdict'])}</b>"),
)  # fmt: skip


def _n(value: object) -> str:
    return "-" if value is None else f"{value:,}"


def _change_text(row: dict) -> str:
    if row["change_pct"] is None:
        return "-"
    return f"{row['change_pct']:+.0f}% ({row['ci_low_pct']:+.0f}% to {row['ci_high_pct']:+.0f}%)"


def _pdf_table(rows: pl.DataFrame, styles: dict) -> Table:
    data = [[Paragraph(name, styles["head"]) for name, _, _ in PDF_COLUMNS]]
    data += [
        [Paragraph(fn(r), styles["cell"]) for _, _, fn in PDF_COLUMNS]
        for r in rows.iter_rows(named=True)
    ]
    table = Table(data, colWidths=[w * mm for _, w, _ in PDF_COLUMNS], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#1F3864")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#9AA5B1")),
                ("BACKGROUND", (0, len(data) - 1), (-1, len(data) - 1), colors.HexColor("#EEF2F7")),
            ]
        )
    )
    return table


def _write_pdf(rows: pl.DataFrame, places: pl.DataFrame, path: Path, meta: DriveExportMeta) -> None:
    styles = sheet_styles()
    doc = SimpleDocTemplate(
        str(path),
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title="Drive evaluation",
    )
    story = [
        Paragraph(
            "Did the drive work? Crashes at drive places against what was expected without it",
            styles["title"],
        ),
        Paragraph(escape(meta.footer_text()), styles["sub"]),
        Spacer(1, 3 * mm),
        _pdf_table(rows, styles),
        Spacer(1, 4 * mm),
    ]
    story += [Paragraph(escape(note), styles["sub"]) for note in meta.notes(rows)]
    for drive_id, part in places.group_by("drive_id", maintain_order=True):
        labels = "; ".join(escape(str(v)) for v in part["label"].to_list())
        story.append(Paragraph(f"<b>Places of {escape(drive_id[0])}:</b> {labels}", styles["sub"]))
    doc.build(story)


def write_drive_export(
    rows: pl.DataFrame, path: Path | str, meta: DriveExportMeta, places: pl.DataFrame | None = None
) -> Path:
    """Write the evaluation rows (and the places, for XLSX and PDF) in the format of ``path``."""
    path = Path(path)
    fmt = format_of(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    places = (
        places
        if places is not None
        else pl.DataFrame(schema={"drive_id": pl.Utf8, "label": pl.Utf8})
    )
    if fmt == "csv":
        write_csv(rows, path)
    elif fmt == "xlsx":
        _write_xlsx(rows, places, path, meta)
    else:
        _write_pdf(rows, places, path, meta)
    return path
