"""Commands: ``serve`` (the web app), ``demo`` (with Flexibelt's demo data), ``db upgrade``."""

from __future__ import annotations

import logging
from typing import Annotated

import typer
import uvicorn
from sqlalchemy import func, select

from privaat.bootstrap import Context, bootstrap, open_database
from privaat.cli._apps import app, db_app
from privaat.policy.loader import PolicyError
from privaat.services.account_commands import AccountCreate
from privaat.services.activities import PolicyIncomplete
from privaat.settings import Mode, Settings
from privaat.store.db import migrate
from privaat.store.key_errors import MasterKeyConfigError
from privaat.store.tables import accounts
from privaat.web.app import create_app

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

Host = Annotated[str | None, typer.Option(help="Address to listen on (default: PRIVAAT_HOST).")]
Port = Annotated[int | None, typer.Option(help="Port to listen on (default: PRIVAAT_PORT).")]


def _context(settings: Settings) -> Context:
    try:
        return bootstrap(settings)
    except (PolicyError, PolicyIncomplete, MasterKeyConfigError) as error:
        typer.echo(f"privaat: cannot start: {error}", err=True)
        raise typer.Exit(2) from None


def _serve(context: Context, host: str | None, port: int | None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    settings = context.settings
    try:
        uvicorn.run(create_app(context), host=host or settings.host, port=port or settings.port)
    finally:
        context.close()


@app.command()
def serve(host: Host = None, port: Port = None) -> None:
    """Serve the web app and API with the configured policy and database."""
    _serve(_context(Settings()), host, port)


@app.command()
def demo(host: Host = None, port: Port = None) -> None:
    """Serve on the embedded SQLite default with Flexibelt's policy and demo accounts."""
    settings = Settings(mode=Mode.DEMO)
    context = _context(settings)
    seeded = seed_demo(context)
    if seeded:
        typer.echo(
            f"demo: created {seeded} accounts; "
            f"log in as {DEMO_ACCOUNTS[0]['email']} / {DEMO_PASSWORD}"
        )
    typer.echo(f"privaat demo on {settings.base_url} — policy at /privacy, API docs at /docs")
    _serve(context, host, port)


def seed_demo(context: Context) -> int:
    """Create the demo accounts in an empty database; returns how many were created."""
    with context.unit_of_work() as uow:
        with uow.reading() as connection:
            if connection.execute(select(func.count()).select_from(accounts)).scalar():
                return 0
        for fields in DEMO_ACCOUNTS:
            command = AccountCreate.model_validate(
                {**fields, "password": DEMO_PASSWORD, "age_declaration": True}
            )
            context.accounts.sign_up(uow, command)
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
