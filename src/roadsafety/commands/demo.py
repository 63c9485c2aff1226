"""``roadsafety demo``: synthetic Haryana world → warehouse → retrain → forecasts → app.

Each step is skipped when its result is already there (world files for the same parameters, files
already ingested, a champion trained on the current data, forecasts for today's windows), so running
the demo again starts the app in seconds.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from datetime import date
from pathlib import Path

import typer

from roadsafety.commands import handle_errors, settings_of
from roadsafety.config import Settings, load_settings

log = logging.getLogger("roadsafety")
PACKAGED_CONFIG = Path(__file__).resolve().parents[1] / "sources" / "data" / "haryana.toml"
DEMO_USERS = (("officer", "admin", None), ("sp.gurugram", "analyst", "Gurugram"))


def _haryana(settings: Settings) -> Settings:
    """The demo always runs on Haryana's region and calendar."""
    if settings.region.bbox is not None and settings.calendar.country:
        return settings
    log.info("demo: using the packaged Haryana settings (%s)", PACKAGED_CONFIG)
    packaged = load_settings(db_path=settings.db_path, config_path=PACKAGED_CONFIG)
    return settings.model_copy(update={"region": packaged.region, "calendar": packaged.calendar})


def synth_step(out: Path, years: int, scale: float, seed: int, settings: Settings) -> Path:
    """Generate the world unless the same parameters were generated already."""
    from roadsafety.sources.synthetic import generate_world

    manifest = out / "demo-manifest.json"
    region = settings.region
    params = {
        "years": years,
        "scale": scale,
        "seed": seed,
        "h3": region.h3_resolution,
        "stretch_km": region.stretch_km,
    }
    if (
        manifest.exists()
        and json.loads(manifest.read_text()) == params
        and (out / "accidents.csv").exists()
    ):
        log.info("demo: reusing the synthetic world in %s", out)
        return out
    generate_world(
        out,
        years=years,
        scale=scale,
        seed=seed,
        h3_resolution=region.h3_resolution,
        stretch_km=region.stretch_km,
    )
    manifest.write_text(json.dumps(params))
    return out


def ingest_step(settings: Settings, world: Path) -> None:
    """Ingest the world's files unless the same file content was loaded before."""
    from roadsafety.sources.registry import get_reader
    from roadsafety.store.ingest import ingest_batch
    from roadsafety.store.provenance import file_sha256
    from roadsafety.store.status import file_loaded

    for kind in ("accidents", "challans"):
        path = world / f"{kind}.csv"
        if file_loaded(settings.db_path, file_sha256(path)):
            log.info("demo: %s already loaded", path)
            continue
        result = ingest_batch(settings, get_reader(kind, "canonical")(path))
        log.info(
            "demo: %s rows read %d = loaded %d + quarantined %d + duplicates %d",
            kind,
            result.rows_read,
            result.loaded,
            result.quarantined,
            result.duplicates,
        )


def model_step(settings: Settings, today: date) -> None:
    """Retrain unless the champion already saw all the data; then forecast the standard windows."""
    from roadsafety.forecasts import pipeline

    as_of = pipeline.default_as_of(settings)
    champ = pipeline.current_champion(settings)
    if champ is None or champ["as_of"] != as_of:
        result = pipeline.retrain(settings, as_of)
        log.info(
            "demo: trained %s (%s)",
            result.version_id,
            "promoted" if result.promoted else result.reason,
        )
    pipeline.publish_standard_forecasts(settings, today)


def users_step(settings: Settings, password: str | None = None) -> dict[str, str]:
    """Create the demo users once; their passwords (``password``, else random) are kept in a 0600
    file beside the warehouse."""
    from roadsafety.store.connection import read_connection, write_connection
    from roadsafety.store.users import add_user, delete_user, read_user

    creds_path = settings.db_path.parent / "demo-logins.json"
    creds = json.loads(creds_path.read_text()) if creds_path.exists() else {}
    with read_connection(settings.db_path) as con:
        missing = [u for u in DEMO_USERS if read_user(con, u[0]) is None or u[0] not in creds]
    if missing:
        with write_connection(settings.db_path) as con:
            for name, role, district in missing:
                creds[name] = password or secrets.token_urlsafe(9)
                delete_user(con, name)
                add_user(con, name, creds[name], role, district)
        fd = os.open(creds_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(creds, fh)
    return creds


def demo(
    ctx: typer.Context,
    years: int = typer.Option(5, min=1, max=30, help="Years of synthetic history."),
    scale: float = typer.Option(0.5, min=0.01, help="1.0 = Haryana's ~10,400 accidents a year."),
    seed: int = typer.Option(42, help="Seed of the synthetic world."),
    out: Path = typer.Option(Path("data/synthetic"), "--out", help="Where the world's files go."),
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8050, "--port"),
    serve: bool = typer.Option(True, "--serve/--no-serve", help="Start the app at the end."),
    password: str | None = typer.Option(
        None,
        "--password",
        envvar="ROADSAFETY_DEMO_PASSWORD",
        help="Password of the demo logins (default: a random one, shown at the end).",
    ),
) -> None:
    """Synthetic Haryana data → warehouse → retrain → forecasts → app on http://HOST:PORT."""
    settings = _haryana(settings_of(ctx))
    world = synth_step(out, years, scale, seed, settings)
    ingest_step(settings, world)
    model_step(settings, date.today())
    creds = users_step(settings, password)
    typer.secho(f"\nroadsafety demo ready: http://{host}:{port}", fg=typer.colors.GREEN, bold=True)
    for name, role, district in DEMO_USERS:
        typer.echo(
            f"  sign in as {name!r} / {creds[name]!r}  ({role}, {district or 'all districts'})"
        )
    if serve:
        from roadsafety.commands.web import serve as serve_app

        ctx.find_root().obj = settings
        serve_app(ctx, host=host, port=port, threads=8, secure_cookies=False)


def register(app: typer.Typer) -> None:
    """Add the demo command."""
    app.command()(handle_errors(demo))
