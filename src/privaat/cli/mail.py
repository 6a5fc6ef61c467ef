"""Commands: ``mail deliver`` (send the outbox's pending notices once, e.g. from a timer)."""

from __future__ import annotations

import typer
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from privaat.cli._apps import mail_app
from privaat.domain.clock import SystemClock
from privaat.mail.outbox import MAX_ATTEMPTS, MailServer, MailServerUnreachable, deliver
from privaat.settings import Settings
from privaat.store.db import make_engine
from privaat.store.keys import KeyStore, KeyStoreError, load_master_key


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"privaat: {message}", err=True)
    return typer.Exit(code)


@mail_app.command("deliver")
def deliver_command() -> None:
    """Send every pending message once; exit 1 if any was refused or the server is unreachable."""
    try:
        settings = Settings()
    except ValidationError as error:
        raise _fail(f"invalid PRIVAAT_ settings: {error}", 2) from None
    if not settings.smtp_host:
        raise _fail(
            "no SMTP server configured: set PRIVAAT_SMTP_HOST (and PRIVAAT_SMTP_PORT, "
            "PRIVAAT_MAIL_FROM); nothing was sent",
            2,
        )
    try:
        # delivering mail never creates a master key: without the one that wraps the
        # subjects' keys, no queued message could be opened anyway
        keys = KeyStore(load_master_key(settings, create=False))
    except KeyStoreError as error:
        raise _fail(str(error), 2) from None
    server = MailServer(host=settings.smtp_host, port=settings.smtp_port, sender=settings.mail_from)
    engine = make_engine(settings.database_url)
    try:
        report = deliver(engine, keys, server, clock=SystemClock())
    except MailServerUnreachable as error:
        done = error.report
        raise _fail(f"{error} (sent {done.sent}, failed {done.failed} before that)", 1) from None
    except SQLAlchemyError as error:
        reason = str(error.orig if hasattr(error, "orig") else error).splitlines()[0]
        raise _fail(f"cannot read the outbox: {reason}", 1) from None
    finally:
        engine.dispose()
    typer.echo(f"sent {report.sent}, failed {report.failed}")
    if report.given_up:
        typer.echo(
            f"{report.given_up} message(s) given up after {MAX_ATTEMPTS} attempts "
            "(recorded in the audit trail as mail.given_up)"
        )
    if report.failed:
        raise typer.Exit(1)
