"""What travels with exported rows: the run, the window, the parameters (titles, footers, audit)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import polars as pl

from roadsafety.vocabulary import DATE_FORMATS, plural, sheet_text

KINDS = ("risk_list", "enforcement_gap", "blackspots", "plan", "drive_evaluation")
TITLES = {
    "risk_list": "Risk list",
    "enforcement_gap": "Enforcement gap",
    "blackspots": "MoRTH blackspots",
    "plan": "Drive plan",
    "drive_evaluation": "Drive evaluation",
}


@dataclass(frozen=True)
class ExportMeta:
    """Context of one export.

    Attributes:
        kind: ``risk_list``, ``enforcement_gap``, ``blackspots`` or ``plan``.
        run_id: forecast run the rows come from (None for a rule-only blackspot list).
        model_version: model version id of the run.
        window_start: first day of the forecast window.
        window_end: last day (inclusive).
        data_cutoff: the model saw records strictly before this day.
        params: the filters and options, as given.
        generated_at: when the export was made (UTC).
        notes: short sentences shown in summaries (how rows were ranked, merged, ...).
        lang: language of the printed sheets' words (``en`` or ``hi``; PDF drive and duty sheets).
    """

    kind: str
    run_id: str | None
    model_version: str | None
    window_start: date | None
    window_end: date | None
    data_cutoff: date | None
    params: dict = field(default_factory=dict)
    generated_at: datetime = field(
        default_factory=lambda: datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    )
    notes: tuple[str, ...] = ()
    lang: str = "en"

    @property
    def title(self) -> str:
        """Human title of the export kind."""
        return TITLES.get(self.kind, self.kind)

    def window_text(self) -> str:
        """'01 Jan 2025 - 07 Jan 2025 (7 days)' or 'no forecast window'."""
        if self.window_start is None or self.window_end is None:
            return "no forecast window"
        days = (self.window_end - self.window_start).days + 1
        when = DATE_FORMATS[self.lang]
        count = plural(days, "day") if self.lang == "en" else f"{days} {sheet_text('day', 'hi')}"
        return sheet_text(
            "window_text",
            self.lang,
            start=f"{self.window_start:{when}}",
            end=f"{self.window_end:{when}}",
            days=count,
        )

    def footer_text(self) -> str:
        """One line naming the model version, data cut-off, run and generation time."""
        cutoff = f"{self.data_cutoff:%Y-%m-%d}" if self.data_cutoff else "n/a"
        return sheet_text(
            "footer",
            self.lang,
            model=self.model_version or "n/a",
            cutoff=cutoff,
            run=self.run_id or "n/a",
            at=f"{self.generated_at:%Y-%m-%d %H:%M}",
        )


@dataclass(frozen=True)
class ExportBundle:
    """Frames of one export: the main list, and the companion lists and map lines it carries.

    Attributes:
        rows: the main list.
        enforcement_gap: the enforcement-gap list (risk-list workbook).
        blackspots: the MoRTH blackspot list (risk-list workbook).
        road_wide: the road-wide units, ranked among themselves (risk-list workbook and PDF).
        paths: ``unit_id -> [(lat, lon), ...]``: the road line of stretch rows (GeoJSON, PDF).
        blackspots_of_area: how many blackspots the whole area has when ``blackspots`` holds only
            those within the listed places (a ``--top`` list), else None (the full area list).
    """

    rows: pl.DataFrame
    enforcement_gap: pl.DataFrame | None = None
    blackspots: pl.DataFrame | None = None
    road_wide: pl.DataFrame | None = None
    paths: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    blackspots_of_area: int | None = None


def risk_list_notes(params: dict) -> tuple[str, ...]:
    """What a risk list's summary says about its rows (ranking, merging, place kinds)."""
    key = (
        "expected fatal + grievous crashes"
        if params.get("severity") == "fatal_grievous"
        else "expected crashes"
    )
    merged = (
        "Adjacent high/very-high cells (or road stretches) on one road are merged into corridor "
        "rows (h3_cell lists the cells with ';'; km_from-km_to the stretch; expected values summed)."
        if params.get("merge")
        else "One row per spatial unit (no corridor merging)."
    )
    places = (
        "Road-wide units only: a road named in FIRs with neither GPS nor km marker, in one police "
        "station area (often 10+ km); ranked among themselves, not against places."
        if params.get("road_wide")
        else "Places: H3 cells (about 0.7 km2) and road stretches 'ROAD | km A-B' placed by km "
        "marker. Whole roads in a station area (no GPS, no km) are listed apart, never ranked "
        "against places."
    )
    return (f"Ranked by {key}; ties by the other expected value, then unit id.", merged, places)
