"""Commands: ``serve`` (the web app), ``demo`` (with Flexibelt's demo data), ``db upgrade``."""

from __future__ import annotations

import logging
import os
import stat
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
import uvicorn
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from privaat.bootstrap import Context, bootstrap, open_database
from privaat.cli._apps import app, db_app
from privaat.demo import customer_sites, example_site, external_stores, third_party
from privaat.domain.clock import SystemClock
from privaat.domain.principal import DataSubject, SystemJob
from privaat.policy.loader import PolicyError, load_policy_file
from privaat.policy.stores import StoresFileError
from privaat.services.account_commands import AccountCreate
from privaat.services.activities import PolicyIncomplete
from privaat.services.policy_publishing import in_force
from privaat.services.shop import CheckoutCommand
from privaat.services.support_desk import Channel, NewCase
from privaat.services.support_desk import Product as SupportProduct
from privaat.settings import Mode, Settings
from privaat.store.db import migrate
from privaat.store.key_errors import MasterKeyConfigError
from privaat.store.tables import accounts
from privaat.store.unit_of_work import UnitOfWork
from privaat.web.app import create_app
from privaat.web.server_log import log_config

log = logging.getLogger("privaat.serve")
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
    except (PolicyError, PolicyIncomplete, MasterKeyConfigError, StoresFileError) as error:
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


VERSION_CHECK_SECONDS = 60.0  # how often a running server asks which policy version is in force


class VersionWatch(threading.Thread):
    """Stops the server when another policy version comes into force (P19, L49): a version
    published with ``policy publish --effective DATE`` is enforced from that day without an
    operator's restart. ``serve`` then starts again over the version in force (the guard and
    every service are built over one policy, so the switch is a restart of the app in the
    same process: in-flight requests finish first, a second or two without answers)."""

    def __init__(self, context: Context, server: uvicorn.Server) -> None:
        super().__init__(name="policy-version-watch", daemon=True)
        self.context, self.server = context, server
        self.switch_to: int | None = None
        self._halt = threading.Event()

    def check(self) -> int | None:
        """The version to switch to, or None while the running one is in force; a file
        that no longer loads, or a database that does not answer, changes nothing."""
        context = self.context
        try:
            # in_force falls back on the file when the database does not answer: during an
            # outage that would look like another version; ask the database first
            with context.engine.connect() as connection:
                connection.exec_driver_sql("SELECT 1")
            source = load_policy_file(context.settings.policy_file)
            due = in_force(context.engine, context.clock, source).policy.version
        except (PolicyError, OSError, SQLAlchemyError) as error:
            log.warning("policy version not checked: %s", type(error).__name__)
            return None
        return None if due == context.policy.policy.version else due

    def run(self) -> None:
        while not self._halt.wait(VERSION_CHECK_SECONDS):
            due = self.check()
            if due is not None:
                log.info("policy version %s is in force from today: restarting to enforce it", due)
                self.switch_to = due
                self.server.should_exit = True
                return

    def stop(self) -> None:
        self._halt.set()


def _serve(
    context: Context,
    host: str | None,
    port: int | None,
    make_app: Callable[[Context], FastAPI] = create_app,
) -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    while True:
        settings = context.settings
        server = uvicorn.Server(
            uvicorn.Config(
                make_app(context),
                host=host or settings.host,
                port=port or settings.port,
                **_uvicorn_options(settings),
            )
        )
        watch = VersionWatch(context, server)
        watch.start()
        try:
            server.run()
        finally:
            watch.stop()
            context.close()
        if watch.switch_to is None:
            return
        context = _context(settings)  # bootstrap again: now over the version in force


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
    bind = host or settings.host
    # Flexibelt's billing database and webmail system (issue 15): a person's export and
    # erasure span three stores; an operator's own PRIVAAT_STORES_FILE wins
    webmail, environ = external_stores.start_demo_stores(
        settings.var_dir, DEMO_ACCOUNTS, today=SystemClock().now().date(), host=bind
    )
    os.environ.update(environ)
    if settings.stores_file is None:
        settings = settings.model_copy(update={"stores_file": external_stores.DEMO_STORES_FILE})
    context = _context(settings)
    seeded = seed_demo(context)
    if seeded:
        typer.echo(
            f"demo: created {seeded} accounts; "
            f"log in as {DEMO_ACCOUNTS[0]['email']} / {DEMO_PASSWORD}"
        )
    for declared in customer_sites.seed(context):
        typer.echo(f"demo customer site {declared}")
    analytics = third_party.start(
        "analytics", third_party.ANALYTICS_JS, host=bind, port=analytics_port
    )
    social = third_party.start("social", third_party.SOCIAL_JS, host=bind, port=social_port)

    def demo_app(running: Context) -> FastAPI:
        web = create_app(running)
        example_site.install(web, analytics_origin=analytics.origin, social_origin=social.origin)
        customer_sites.install(web, analytics_origin=analytics.origin)
        return web

    where = f"http://{bind}:{port or settings.port}"
    typer.echo(f"privaat demo on {where} — policy at /privacy, API docs at /docs")
    typer.echo(
        f"example site with the cookie banner at {where}/example/ — stand-in analytics on "
        f"{analytics.origin}, social network on {social.origin}"
    )
    typer.echo(
        f"stores outside privaat: billing database {environ['PRIVAAT_DEMO_BILLING_URL']}, "
        f"webmail API {webmail.origin} (docs/stores.md)"
    )
    typer.echo(
        f"hosting customers' sites at http://a1.test:{port or settings.port}/site/ (and a2.test, "
        "b1.test; map *.test to this address, e.g. in /etc/hosts)"
    )
    try:
        _serve(context, host, port, demo_app)
    finally:
        analytics.stop()
        social.stop()
        webmail.stop()


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
            if outcome.subject_id is None:
                continue
            _demo_order_and_case(context, uow, DataSubject(outcome.subject_id), fields)
            if not context.preferences.services:
                continue
            with uow.writing() as connection:
                for service in services:
                    context.preferences.add_service(
                        connection, _DEMO, outcome.subject_id, service, since=context.clock.now()
                    )
    return len(DEMO_ACCOUNTS)


def _demo_order_and_case(
    context: Context, uow: UnitOfWork, customer: DataSubject, fields: dict[str, str]
) -> None:
    """A web shop order and a question to customer service, where the policy has them, so
    the privacy centre and the console show them (issue 12)."""
    declared = context.policy.activity_ids
    address = ("name", "street", "postal_code", "city", "email")
    if "shop_orders" in declared and all(fields.get(k) for k in address):
        order = CheckoutCommand.model_validate(
            {
                "lines": {"snom-d785": 1},
                **{k: fields[k] for k in address},
                "provider": "sisow",
                "language": fields["language"],
            }
        )
        context.shop.check_out(uow, order, buyer=customer, ip="145.97.12.34")
    if "support_desk" in declared:
        question = NewCase(
            channel=Channel.WEB,
            title="Toestel belt niet" if fields["language"] == "nl" else "Phone does not ring",
            question="Mijn bureautoestel gaat niet over bij inkomende gesprekken.",
            email=fields["email"],
            products=(SupportProduct("SN-D785-004211", date(2026, 10, 2)),),
        )
        context.support.file_by_customer(uow, customer, question)


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
