"""``roadsafety export risk-list | enforcement-gap | blackspots --out FILE``.

The format comes from the ``--out`` extension (.csv, .xlsx, .pdf, .geojson). The forecast run is the
champion's complete run for exactly ``--start..--end`` (inclusive; default the next 7 days from
today); when none exists it is created with ``roadsafety.forecasts.pipeline.ensure_forecast`` (so an
export works right after ``retrain``). Every file written is recorded in ``export_audit``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

import typer

from roadsafety.commands import (
    UserError,
    check_out_path,
    handle_errors,
    settings_of,
    window_option,
)
from roadsafety.config import Settings
from roadsafety.exports.audit import audit_export
from roadsafety.exports.blackspots import blackspot_notes, build_blackspots
from roadsafety.exports.bundle import MAP_FORMATS, risk_list_bundle
from roadsafety.exports.enforcement_gap import build_enforcement_gap
from roadsafety.exports.geometry import read_paths
from roadsafety.exports.meta import ExportBundle, ExportMeta, risk_list_notes
from roadsafety.exports.pdf import DEFAULT_ROWS_PER_DISTRICT
from roadsafety.exports.risk_list import ExportError, RiskListFilter, load_run
from roadsafety.exports.writers import format_of, rows_written, write_export
from roadsafety.store.connection import read_connection
from roadsafety.store.export_store import find_champion_run
from roadsafety.vocabulary import LANGUAGES, plural_word

log = logging.getLogger(__name__)
export_app = typer.Typer(
    help="Risk lists for enforcement drives (CSV, XLSX, PDF, GeoJSON).", no_args_is_help=True
)
DATE_FORMATS = ["%Y-%m-%d"]

OUT = typer.Option(
    ..., "--out", help="File to write; format from the extension: .csv .xlsx .pdf .geojson"
)
START = typer.Option(
    None, "--start", formats=DATE_FORMATS, help="First day of the window (default today)."
)
END = typer.Option(
    None, "--end", formats=DATE_FORMATS, help="Last day, inclusive (default start + 6 days)."
)
TOP = typer.Option(None, "--top", help="Keep the first N rows (a merged corridor is one row).")
DISTRICT = typer.Option(None, "--district", help="Only this district (case-insensitive).")
STATION = typer.Option(
    None, "--police-station", help="Only this police station (case-insensitive)."
)
SEVERITY = typer.Option(
    "all", "--severity", help="Ranking key: all (expected crashes) or fatal_grievous."
)
MIN_BAND = typer.Option(
    None, "--min-band", help="Drop rows below this band: low, medium, high, very_high."
)

MERGE = typer.Option(
    None,
    "--merge/--no-merge",
    help="Merge adjacent high-risk cells along a road into corridors (default: on for xlsx/pdf/geojson, off for csv).",
)
ROAD_WIDE = typer.Option(
    False,
    "--road-wide",
    help="List the road-wide units (a road in a station area, no GPS, no km marker) instead of "
    "the places; they are ranked among themselves.",
)
LANG = typer.Option(
    "en", "--lang", help="Language of the PDF drive sheet: en (English) or hi (Hindi)."
)
GAP_MIN_BAND = typer.Option("high", "--min-band", help="Lowest band listed (default high).")
AS_OF = typer.Option(
    None,
    "--as-of",
    formats=DATE_FORMATS,
    help="Cut-off for the 3-year rule (default: the forecast's data cut-off); with it, no forecast is created.",
)


def register(app: typer.Typer) -> None:
    """Add the ``export`` command group."""
    app.add_typer(export_app, name="export")


@contextmanager
def user_errors() -> Iterator[None]:
    """Report export errors (bad option, nothing matches) as user errors: message and exit code 2."""
    try:
        yield
    except ExportError as exc:
        raise UserError(str(exc)) from exc


def window(start: datetime | None, end: datetime | None) -> tuple[date, date]:
    """The inclusive window from the options (default: the next 7 days from today)."""
    return window_option(start.date() if start else None, end.date() if end else None)


def resolve_run(settings: Settings, start: date, end: date, create: bool = True) -> str | None:
    """The champion's run for the window: an existing one, else a new one from ensure_forecast."""
    with read_connection(settings.db_path) as con:
        run_id = find_champion_run(con, start, end)
    if run_id is not None or not create:
        return run_id
    from roadsafety.forecasts.pipeline import ensure_forecast

    log.info("no forecast for %s..%s yet: forecasting with the champion model", start, end)
    return ensure_forecast(settings, start, end)


def check_lang(lang: str) -> str:
    """The ``--lang`` value, or a :class:`UserError` naming the languages."""
    if lang not in LANGUAGES:
        raise UserError(f"--lang must be one of {', '.join(LANGUAGES)}, got {lang!r}")
    return lang


def meta_of(
    kind: str,
    settings: Settings,
    run_id: str | None,
    params: dict,
    notes: tuple[str, ...] = (),
    lang: str = "en",
) -> ExportMeta:
    """Export context from the run (or an empty one for a rule-only list)."""
    if run_id is None:
        return ExportMeta(
            kind, None, None, None, None, params.get("as_of"), params, notes=notes, lang=lang
        )
    with read_connection(settings.db_path) as con:
        info = load_run(con, run_id)
    return ExportMeta(
        kind,
        run_id,
        info.version_id,
        info.window_start,
        info.window_end,
        info.data_cutoff,
        params,
        notes=notes,
        lang=lang,
    )


def finish(settings: Settings, bundle: ExportBundle, out: Path, fmt: str, meta: ExportMeta) -> None:
    """Write the file, record the audit row and say what was written."""
    path = write_export(bundle, out, fmt, meta)
    written = rows_written(bundle, fmt, meta)
    audit_export(settings.db_path, path, fmt, meta, written)
    what = f"{meta.kind.replace('_', ' ')} {plural_word(written, 'row')}"
    if written < bundle.rows.height:
        log.info(
            "wrote %d of %d %s to %s (a drive sheet lists each district's first %d; choose with --top)",
            written,
            bundle.rows.height,
            what,
            path,
            DEFAULT_ROWS_PER_DISTRICT,
        )
    else:
        log.info("wrote %d %s to %s", written, what, path)


@export_app.command("risk-list")
@handle_errors
def risk_list(
    ctx: typer.Context,
    out: Path = OUT,
    start: datetime | None = START,
    end: datetime | None = END,
    top: int | None = TOP,
    district: str | None = DISTRICT,
    police_station: str | None = STATION,
    severity: str = SEVERITY,
    min_band: str | None = MIN_BAND,
    merge: bool | None = MERGE,
    road_wide: bool = ROAD_WIDE,
    lang: str = LANG,
) -> None:
    """Ranked risk list of places and times for enforcement drives."""
    settings = settings_of(ctx)
    with user_errors():
        fmt = format_of(check_out_path(out))
        first, last = window(start, end)
        filters = RiskListFilter(
            top,
            district,
            police_station,
            severity,
            min_band,
            fmt != "csv" if merge is None else merge,
            road_wide,
        )
        filters.validate()
        check_lang(lang)
        run_id = resolve_run(settings, first, last)
        params = filters.as_params()
        meta = meta_of("risk_list", settings, run_id, params, risk_list_notes(params), lang)
        with read_connection(settings.db_path) as con:
            bundle = risk_list_bundle(
                con,
                run_id,
                filters,
                fmt,
                cutoff=meta.data_cutoff or first,
                blackspot_km=settings.region.blackspot_km,
            )
        finish(settings, bundle, out, fmt, meta)


@export_app.command("enforcement-gap")
@handle_errors
def enforcement_gap(
    ctx: typer.Context,
    out: Path = OUT,
    start: datetime | None = START,
    end: datetime | None = END,
    top: int | None = TOP,
    district: str | None = DISTRICT,
    police_station: str | None = STATION,
    severity: str = SEVERITY,
    min_band: str | None = GAP_MIN_BAND,
) -> None:
    """High forecast risk with few recent challans per expected crash."""
    settings = settings_of(ctx)
    with user_errors():
        fmt = format_of(check_out_path(out))
        first, last = window(start, end)
        filters = RiskListFilter(top, district, police_station, severity, min_band)
        filters.validate()
        run_id = resolve_run(settings, first, last)
        notes = (
            "Challans in the 90 days before the data cut-off per expected crash (scaled to 90 days); fewest first.",
        )
        meta = meta_of("enforcement_gap", settings, run_id, filters.as_params(), notes)
        with read_connection(settings.db_path) as con:
            rows = build_enforcement_gap(con, run_id, filters)
        finish(settings, ExportBundle(rows), out, fmt, meta)


@export_app.command("blackspots")
@handle_errors
def blackspots(
    ctx: typer.Context,
    out: Path = OUT,
    start: datetime | None = START,
    end: datetime | None = END,
    top: int | None = TOP,
    district: str | None = DISTRICT,
    police_station: str | None = STATION,
    severity: str = SEVERITY,
    as_of: datetime | None = AS_OF,
) -> None:
    """MoRTH blackspots (>= 5 fatal/grievous crashes or >= 10 deaths in 3 calendar years), beside the forecast."""
    settings = settings_of(ctx)
    with user_errors():
        fmt = format_of(check_out_path(out))
        first, last = window(start, end)
        filters = RiskListFilter(top, district, police_station, severity)
        filters.validate()
        run_id = resolve_run(settings, first, last, create=as_of is None)
        params = {**filters.as_params(), "as_of": as_of.date() if as_of else None}
        length = settings.region.blackspot_km
        meta = meta_of("blackspots", settings, run_id, params, blackspot_notes(length))
        cutoff = as_of.date() if as_of else meta.data_cutoff
        if cutoff is None:
            raise UserError("--as-of is needed: the forecast run has no data cut-off")
        with read_connection(settings.db_path) as con:
            rows = build_blackspots(con, cutoff, run_id, filters, length)
            paths = read_paths(con, rows) if fmt in MAP_FORMATS else {}
        finish(settings, ExportBundle(rows, paths=paths), out, fmt, meta)
