"""Commands: ``serve`` (the web app), ``demo`` (with Flexibelt's demo data), ``db upgrade``."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
import uvicorn
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from privaat.bootstrap import Context, bootstrap, open_database
from privaat.cli._apps import app, db_app
from privaat.demo import example_site, third_party
from privaat.domain.principal import SystemJob
from privaat.policy.loader import PolicyError
from privaat.services.account_commands import AccountCreate
from privaat.services.activities import PolicyIncomplete
from privaat.settings import Mode, Settings
from privaat.store.db import migrate
from privaat.store.key_errors import MasterKeyConfigError
from privaat.store.tables import accounts
from privaat.web.app import create_app
from privaat.web.server_log import log_config

DEMO_PASSWORD = "demo-wachtwoord"  # noqa: S105  (published demo credentials, demo mode only)
DEMO_ACCOUNTS = (
    {
        "email": "jan.jansen@example.nl",
        "name": "Jan Jansen",
        "street": "Dorpsstraat 1",
        "postal_code": "2721 NA",
        "city": "Zoetermeer",
        "phone": "+31612345678",
        "language": "nl",
    },
    {
        "email": "emma.devries@example.nl",
        "name": "Emma de Vries",
        "city": "Delft",
        "vat_number": "NL004495445B01",
        "language": "en",
    },
)

# the services on each demo account, in DEMO_ACCOUNTS order (P4: selection may target them)
DEMO_SERVICES = (("hosting", "email"), ("voip", "apps"))
_DEMO = SystemJob("demo_seed")

Host = Annotated[str | None, typer.Option(help="Address to listen on (default: PRIVAAT_HOST).")]
Port = Annotated[int | None, typer.Option(help="Port to listen on (default: PRIVAAT_PORT).")]


class DatabaseFileInsecure(Exception):
    """A SQLite database file that group or others can open."""


def refuse_open_database_files(database_url: str) -> None:
    """Refuse a SQLite database (or its -wal, -shm) that group or others can access."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return
    for path in (Path(url.database + suffix) for suffix in ("", "-wal", "-shm")):
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            continue  # make_engine creates a missing database file 0600
        if os.name == "posix" and mode & 0o077:
            raise DatabaseFileInsecure(
                f"database file {path} is accessible to group or others "
                f"(mode {stat.S_IMODE(mode):04o}); run `chmod 600 {path}`"
            )


def _context(settings: Settings) -> Context:
    try:
        context = bootstrap(settings)
    except (PolicyError, PolicyIncomplete, MasterKeyConfigError) as error:
        _cannot_start(error)
    if settings.mode is Mode.PRODUCTION:
        # after the policy and the key: a missing file is created 0600 by make_engine
        try:
            refuse_open_database_files(settings.database_url)
        except DatabaseFileInsecure as error:
            context.close()
            _cannot_start(error)
    return context


def _cannot_start(error: Exception) -> NoReturn:
    typer.echo(f"privaat: cannot start: {error}", err=True)
    raise typer.Exit(2) from None


def _serve(
    context: Context, host: str | None, port: int | None, app: FastAPI | None = None
) -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    settings = context.settings
    try:
        uvicorn.run(
            app or create_app(context),
            host=host or settings.host,
            port=port or settings.port,
            **_uvicorn_options(settings),
        )
    finally:
        context.close()


def _uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Proxy headers only from the configured proxies; an access log without full client IPs."""
    # uvicorn believes X-Forwarded-For from 127.0.0.1 by default: any local process could
    # then pick its own address (and walk past the per-IP log-in limit)
    proxies = settings.forwarded_allow_ips
    return {
        "proxy_headers": bool(proxies),
        "forwarded_allow_ips": proxies or None,
        "log_config": log_config(),
    }


@app.command()
def serve(host: Host = None, port: Port = None) -> None:
    """Serve the web app and API with the configured policy and database."""
    _serve(_context(Settings()), host, port)


StandInPort = Annotated[
    int, typer.Option(help="Port of the demo's stand-in third party (0: a free port).")
]


@app.command()
def demo(
    host: Host = None,
    port: Port = None,
    analytics_port: StandInPort = 0,
    social_port: StandInPort = 0,
) -> None:
    """Serve on the embedded SQLite default with Flexibelt's policy and demo accounts, and an
    example site at /example/ that uses the cookie banner, its analytics and social network
    stand-ins each on an origin of its own (another port)."""
    settings = Settings(mode=Mode.DEMO)
    context = _context(settings)
    seeded = seed_demo(context)
    if seeded:
        typer.echo(
            f"demo: created {seeded} accounts; "
            f"log in as {DEMO_ACCOUNTS[0]['email']} / {DEMO_PASSWORD}"
        )
    bind = host or settings.host
    analytics = third_party.start(
        "analytics", third_party.ANALYTICS_JS, host=bind, port=analytics_port
    )
    social = third_party.start("social", third_party.SOCIAL_JS, host=bind, port=social_port)
    web = create_app(context)
    example_site.install(web, analytics_origin=analytics.origin, social_origin=social.origin)
    where = f"http://{bind}:{port or settings.port}"
    typer.echo(f"privaat demo on {where} — policy at /privacy, API docs at /docs")
    typer.echo(
        f"example site with the cookie banner at {where}/example/ — stand-in analytics on "
        f"{analytics.origin}, social network on {social.origin}"
    )
    try:
        _serve(context, host, port, web)
    finally:
        analytics.stop()
        social.stop()


def seed_demo(context: Context) -> int:
    """Create the demo accounts in an empty database; returns how many were created."""
    with context.unit_of_work() as uow:
        with uow.reading() as connection:
            if connection.execute(select(func.count()).select_from(accounts)).scalar():
                return 0
        for fields, services in zip(DEMO_ACCOUNTS, DEMO_SERVICES, strict=True):
            command = AccountCreate.model_validate(
                {**fields, "password": DEMO_PASSWORD, "age_declaration": True}
            )
            outcome = context.accounts.sign_up(uow, command)
            if outcome.subject_id is None or not context.preferences.services:
                continue
            with uow.writing() as connection:
                for service in services:
                    context.preferences.add_service(
                        connection, _DEMO, outcome.subject_id, service, since=context.clock.now()
                    )
    return len(DEMO_ACCOUNTS)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Migrate the configured database to the newest schema (or REVISION)."""
    settings = Settings()
    engine = open_database(settings)
    try:
        migrate(engine, revision)
    finally:
        engine.dispose()
    typer.echo(f"database at {revision}")
