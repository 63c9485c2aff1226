"""``roadsafety serve`` (the web app under waitress) and ``roadsafety users add|list|disable|revoke|audit``.

``serve`` reads the warehouse read-only, never trains and loads no data at start-up: the app reads
lazily, on the first request. Passwords come from a hidden prompt or ``--password-stdin`` and are
never echoed or logged. User accounts are read and written through :mod:`roadsafety.store.users`
(this module never imports the web app except to serve it).
"""

from __future__ import annotations

import logging
import sys
import threading
import time

import typer

from roadsafety.commands import UserError, handle_errors, settings_of

log = logging.getLogger("roadsafety")
users_app = typer.Typer(
    help="Web app users: add, list, disable; copy the app audit log.", no_args_is_help=True
)


def _loopback(host: str) -> bool:
    return host in ("127.0.0.1", "localhost", "::1")


def serve(
    ctx: typer.Context,
    host: str = typer.Option(
        "127.0.0.1", "--host", help="Interface to listen on (0.0.0.0 for the LAN)."
    ),
    port: int = typer.Option(8050, "--port", help="TCP port."),
    threads: int = typer.Option(8, "--threads", help="Waitress worker threads."),
    secure_cookies: bool | None = typer.Option(
        None,
        "--secure-cookies/--no-secure-cookies",
        help="Send the session cookie only over HTTPS (default: setting app.secure_cookies, env ROADSAFETY_SECURE_COOKIES, else off).",
    ),
    proxy_hops: int = typer.Option(
        0,
        "--proxy-hops",
        min=0,
        max=5,
        help="Reverse proxies in front that set X-Forwarded-For (sign-in throttling per client).",
    ),
) -> None:
    """Run the web app for officers (read-only; sign-in required)."""
    from waitress import serve as waitress_serve

    from dash_app.app import create_app

    settings = settings_of(ctx)
    if not settings.db_path.exists():
        raise UserError(
            f"warehouse {settings.db_path} does not exist: run `roadsafety demo` or load data first"
        )
    secure = secure_cookies if secure_cookies is not None else settings.app.secure_cookies
    if not secure and not _loopback(host):
        log.warning(
            "serving on %s without --secure-cookies: put HTTPS in front and enable it", host
        )
    app = create_app(
        settings.db_path,
        key_dir=settings.privacy.key_path.parent,
        secure_cookies=secure,
        proxy_hops=proxy_hops,
        tile_url=settings.app.tile_url,
        tile_attribution=settings.app.tile_attribution,
    )
    threading.Thread(
        target=_keep_warm, args=(app.server.extensions["roadsafety_store"],), daemon=True
    ).start()
    log.info("serving %s on http://%s:%d (Ctrl+C to stop)", settings.db_path, host, port)
    waitress_serve(app.server, host=host, port=port, threads=threads, ident="roadsafety")


def _keep_warm(store: object, interval_s: float = 30.0) -> None:
    """Rebuild the app's snapshot in the background after start-up and after each warehouse swap,
    so the first officer after the nightly job does not wait for it (errors are logged, not fatal);
    after each new snapshot, :func:`settle_heap`."""
    shown = None
    while True:
        try:
            snapshot = store.snapshot()  # type: ignore[attr-defined]
            if snapshot is not shown:
                shown = snapshot
                settle_heap()
        except Exception as exc:  # noqa: BLE001 - a missing/broken warehouse must not kill the server
            log.warning("could not pre-load the app snapshot: %s", exc)
        time.sleep(interval_s)


def settle_heap() -> float:
    """Collect the garbage of a snapshot build (and of the previous snapshot), then freeze what is
    alive (modules, the app, the new snapshot) out of the cycle collector's view; returns seconds.

    Without it, Python's full (generation 2) collection scans every live object (about 165,000 in
    the app) every few dozen requests: a 100-160 ms pause landing in whichever request is running.
    Frozen objects are still freed by reference counting; the next call unfreezes first, so a
    replaced snapshot's cyclic garbage is collected too. Runs once per warehouse version, in the
    background thread (the one collection holds the interpreter about as long as one such pause).
    """
    import gc

    t0 = time.perf_counter()
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    seconds = time.perf_counter() - t0
    log.info("app heap settled in %.2f s (%d objects frozen)", seconds, gc.get_freeze_count())
    return seconds


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@users_app.command("add")
@handle_errors
def users_add(
    ctx: typer.Context,
    username: str = typer.Argument(..., help="Sign-in name (letters, digits, '.', '_')."),
    role: str = typer.Option(
        "viewer", "--role", help="viewer (look), analyst (look and download) or admin."
    ),
    district: str | None = typer.Option(
        None,
        "--district",
        help="Limit the user to one district known to the warehouse (default: all districts).",
    ),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input."
    ),
) -> None:
    """Add a user (password asked without echo)."""
    from roadsafety.store.connection import write_connection
    from roadsafety.store.users import UserStoreError, add_user

    password = _read_password(password_stdin)
    try:
        with write_connection(settings_of(ctx).db_path) as con:
            add_user(con, username, password, role, district)
    except UserStoreError as exc:
        raise UserError(str(exc)) from exc
    log.info("added user %s (%s, %s)", username, role, district or "all districts")


@users_app.command("list")
@handle_errors
def users_list(ctx: typer.Context) -> None:
    """List users (never their password hashes)."""
    from rich.console import Console
    from rich.table import Table

    from roadsafety.store.connection import read_connection
    from roadsafety.store.users import list_users

    with read_connection(settings_of(ctx).db_path) as con:
        users = list_users(con)
    table = Table("user", "role", "district", "status", "created")
    for u in users:
        table.add_row(
            u.username,
            u.role,
            u.district or "(all)",
            "disabled" if u.disabled else "active",
            str(u.created_at or ""),
        )
    Console().print(table)


@users_app.command("disable")
@handle_errors
def users_disable(
    ctx: typer.Context,
    username: str = typer.Argument(...),
    enable: bool = typer.Option(False, "--enable", help="Re-enable instead."),
) -> None:
    """Disable a user (every open session of theirs ends at once; re-enabling does not revive them)."""
    from roadsafety.store.connection import write_connection
    from roadsafety.store.users import UserStoreError, set_disabled

    try:
        with write_connection(settings_of(ctx).db_path) as con:
            set_disabled(con, username, not enable)
    except UserStoreError as exc:
        raise UserError(str(exc)) from exc
    log.info("%s user %s", "enabled" if enable else "disabled", username)


@users_app.command("revoke")
@handle_errors
def users_revoke(ctx: typer.Context, username: str = typer.Argument(...)) -> None:
    """End every open session of a user (e.g. a lost phone); they must sign in again."""
    from roadsafety.store.connection import write_connection
    from roadsafety.store.users import UserStoreError, revoke_sessions

    try:
        with write_connection(settings_of(ctx).db_path) as con:
            revoke_sessions(con, username)
    except UserStoreError as exc:
        raise UserError(str(exc)) from exc
    log.info("revoked every session of user %s", username)


@users_app.command("audit")
@handle_errors
def users_audit(ctx: typer.Context) -> None:
    """Copy new app audit events (logins, downloads, refusals) into the warehouse table app_audit."""
    from roadsafety.store.connection import write_connection
    from roadsafety.store.users import import_audit, read_audit_log

    db = settings_of(ctx).db_path
    events = read_audit_log(db)
    with write_connection(db) as con:
        added = import_audit(con, events)
    log.info("app audit: %d events in the log, %d new copied into app_audit", len(events), added)


def register(app: typer.Typer) -> None:
    """Add ``serve`` and the ``users`` group to the CLI."""
    app.command("serve")(handle_errors(serve))
    app.add_typer(users_app, name="users")
