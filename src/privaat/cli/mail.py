"""Commands: ``mail deliver`` (send the outbox's pending notices once, e.g. from a timer)."""

from __future__ import annotations

import typer
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from privaat.bootstrap import bootstrap, mail_transport
from privaat.cli._apps import mail_app
from privaat.policy.loader import PolicyError
from privaat.services.activities import PolicyIncomplete
from privaat.services.outbox import MailServerUnreachable
from privaat.settings import Settings
from privaat.store.key_errors import KeyStoreError


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
    transport = mail_transport(settings)
    if transport is None:
        raise _fail(
            "no SMTP server configured: set PRIVAAT_SMTP_HOST (and PRIVAAT_SMTP_PORT, "
            "PRIVAAT_MAIL_FROM); nothing was sent",
            2,
        )
    try:
        # delivering mail never creates a master key: without the one that wraps the
        # subjects' keys, no queued message could be opened anyway
        context = bootstrap(settings, run_migrations=False, create_master_key=False)
    except (KeyStoreError, PolicyError, PolicyIncomplete) as error:
        raise _fail(str(error), 2) from None
    try:
        report = context.outbox.deliver(transport)
    except MailServerUnreachable as error:
        done = error.report
        raise _fail(f"{error} (sent {done.sent}, failed {done.failed} before that)", 1) from None
    except SQLAlchemyError as error:
        reason = str(error.orig if hasattr(error, "orig") else error).splitlines()[0]
        raise _fail(f"cannot read the outbox: {reason}", 1) from None
    finally:
        context.close()
    typer.echo(f"sent {report.sent}, failed {report.failed}")
    if report.stopped:
        typer.echo(f"stopped: {report.stopped}; nothing was counted, the next run tries again")
    if report.given_up:
        typer.echo(
            f"{report.given_up} message(s) given up: refused for good (5xx) or older than "
            f"{settings.mail_give_up_hours} hours (recorded in the audit trail as mail.given_up)"
        )
    if report.failed or report.stopped:
        raise typer.Exit(1)
