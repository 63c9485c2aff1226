"""Data commands: synth, ingest, status."""

from __future__ import annotations

import logging
from enum import Enum
from pathlib import Path

import typer

from roadsafety.commands import (
    UserError,
    handle_errors,
    parse_date_option,
    print_frame,
    settings_of,
)
from roadsafety.vocabulary import plural

log = logging.getLogger("roadsafety")


class Kind(str, Enum):
    """What a file holds."""

    accidents = "accidents"
    challans = "challans"


class FileFormat(str, Enum):
    """Output format of the synthetic generator."""

    csv = "csv"
    parquet = "parquet"


def synth(
    ctx: typer.Context,
    out: Path = typer.Option(Path("data/synthetic"), "--out", help="Output folder."),
    years: int = typer.Option(3, min=1, max=30, help="Years of history ending yesterday."),
    scale: float = typer.Option(
        1.0, min=0.001, help="1.0 = ~10,400 accidents and 500,000 challans a year."
    ),
    seed: int = typer.Option(42, help="Random seed (same seed, same files)."),
    fmt: FileFormat = typer.Option(FileFormat.csv, "--format", help="csv or parquet."),
    end: str | None = typer.Option(
        None, help="Day after the last generated day (YYYY-MM-DD; default today)."
    ),
    challan_scale: float | None = typer.Option(
        None,
        "--challan-scale",
        min=0.001,
        help="Challan volume alone (default --scale); 10.4 = Haryana's real ~52 lakh a year.",
    ),
    plant_drives: bool = typer.Option(
        False, "--plant-drives", help="Plant enforcement drives over the last year (drives.csv)."
    ),
    drive_effect: float = typer.Option(-0.3, help="Planted change of crashes at effect drives."),
    drive_places: int = typer.Option(40, min=0, help="Places of the effect drives."),
    placebo_places: int = typer.Option(40, min=0, help="Places of the placebo drives."),
) -> None:
    """Write a seeded synthetic Haryana world (accidents, challans, planted truth)."""
    from roadsafety.sources.synthetic import generate_world

    settings = settings_of(ctx)
    summary = generate_world(
        out,
        years=years,
        scale=scale,
        seed=seed,
        fmt=fmt.value,
        end=parse_date_option(end, "--end"),
        h3_resolution=settings.region.h3_resolution,
        challan_scale=challan_scale,
        stretch_km=settings.region.stretch_km,
        drives=_drive_options(plant_drives, drive_effect, drive_places, placebo_places, years),
    )
    typer.echo(str(summary))


def _drive_options(plant: bool, effect: float, places: int, placebo: int, years: int):
    """The planted drives of ``synth`` (None unless ``--plant-drives``)."""
    from roadsafety.sources.synthetic_drives import DriveOptions

    if not plant:
        return None
    if years < 2:
        raise UserError(
            "--plant-drives needs --years 2 or more (places are chosen on the year before)"
        )
    try:
        return DriveOptions(effect=effect, effect_places=places, placebo_places=placebo)
    except ValueError as exc:
        raise UserError(f"--drive-effect/--drive-places: {exc}") from exc


def ingest(
    ctx: typer.Context,
    kind: Kind = typer.Argument(..., help="accidents or challans"),
    file: Path = typer.Argument(..., help="CSV or Parquet file (or folder, for folder formats)."),
    fmt: str = typer.Option("canonical", "--format", "-f", help="Source format (see README)."),
    mapping: Path | None = typer.Option(
        None, "--mapping", help="TOML column mapping for another export."
    ),
) -> None:
    """Validate and load a file; print rows read = loaded + quarantined + duplicates."""
    from roadsafety.sources.base import SourceError
    from roadsafety.sources.registry import get_reader
    from roadsafety.store.ingest import ingest_batch, record_failed_run

    settings = settings_of(ctx)
    reader = (
        get_reader(kind.value, fmt)
        if mapping is None
        else get_reader(kind.value, "mapping", mapping=mapping)
    )
    try:
        batch = reader(file)
    except SourceError as exc:
        record_failed_run(settings, kind.value, str(file), fmt, str(exc))
        raise
    result = ingest_batch(settings, batch, fmt=fmt if mapping is None else f"mapping:{mapping}")
    typer.echo(
        f"{kind.value} {file}: rows read {result.rows_read:,} = loaded {result.loaded:,} "
        f"(new {result.inserted:,}, updated {result.updated:,}) + quarantined {result.quarantined:,} "
        f"+ duplicates {result.duplicates:,}   [run {result.run_id}]"
    )
    _refuse_all_quarantined(settings, file, result)


def _refuse_all_quarantined(settings, file: Path, result) -> None:
    """Exit 2 when a file had rows and every one was quarantined: nothing loaded is a failure a
    scheduler must notice (a partly quarantined file loads the rest and exits 0)."""
    from roadsafety.store.status import read_run_reasons

    if result.rows_read == 0 or result.quarantined < result.rows_read:
        return
    reasons = "; ".join(
        f"{column or '(row)'}: {reason} ({plural(rows, 'row')})"
        for column, reason, rows in read_run_reasons(settings.db_path, result.run_id)
    )
    raise UserError(
        f"{file}: all {plural(result.rows_read, 'row')} quarantined, nothing loaded "
        f"(most common: {reasons}); see `roadsafety status` and docs/import-format.md"
    )


def status(
    ctx: typer.Context, runs: int = typer.Option(10, help="How many recent ingest runs to list.")
) -> None:
    """Counts, date ranges, recent ingest runs and quarantine reasons."""
    from roadsafety.store.status import read_status

    report = read_status(settings_of(ctx).db_path, runs=runs)
    for title, frame in report.items():
        print_frame(frame, title)


def register(app: typer.Typer) -> None:
    """Add the data commands."""
    app.command()(handle_errors(synth))
    app.command()(handle_errors(ingest))
    app.command()(handle_errors(status))
