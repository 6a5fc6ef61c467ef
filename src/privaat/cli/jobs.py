"""Commands: ``jobs minimise-login-ips``, ``jobs expire-requests`` and ``jobs remind-requests``
(more arrive with retention)."""

from __future__ import annotations

import typer

from privaat.bootstrap import bootstrap
from privaat.cli._apps import jobs_app
from privaat.policy.loader import PolicyError
from privaat.services.activities import PolicyIncomplete
from privaat.services.login_history import ip_minimisation_period
from privaat.settings import Settings
from privaat.store.key_errors import MasterKeyConfigError


@jobs_app.command("minimise-login-ips")
def minimise_ips() -> None:
    """Erase full IP addresses of log-ins past the policy's period (P9, LEGAL L23)."""
    try:
        context = bootstrap(Settings())
    except (PolicyError, PolicyIncomplete, MasterKeyConfigError) as error:
        typer.echo(f"privaat: {error}", err=True)
        raise typer.Exit(2) from None
    if context.logins is None:
        context.close()
        typer.echo("log-in locations are not recorded (PRIVAAT_RECORD_LOGIN_LOCATIONS=false)")
        return
    try:
        with context.unit_of_work() as uow:
            done = context.logins.minimise_ips(uow)
    finally:
        context.close()
    period = ip_minimisation_period(context.policy)
    typer.echo(f"truncated the IP address of {done} log-ins older than {period}")


@jobs_app.command("expire-requests")
def expire_requests() -> None:
    """Close data-subject requests whose confirmation link went unused for 7 days (L57)."""
    try:
        context = bootstrap(Settings())
    except (PolicyError, PolicyIncomplete, MasterKeyConfigError) as error:
        typer.echo(f"privaat: {error}", err=True)
        raise typer.Exit(2) from None
    try:
        with context.unit_of_work() as uow:
            closed = context.requests.expire_unconfirmed(uow)
    finally:
        context.close()
    typer.echo(f"closed {closed} unconfirmed request(s)")


@jobs_app.command("remind-requests")
def remind_requests() -> None:
    """Remind the privacy officer of requests due within 7 days or overdue (art. 12(3))."""
    try:
        context = bootstrap(Settings())
    except (PolicyError, PolicyIncomplete, MasterKeyConfigError) as error:
        typer.echo(f"privaat: {error}", err=True)
        raise typer.Exit(2) from None
    try:
        with context.unit_of_work() as uow:
            sent = context.reminders.remind(uow)
    finally:
        context.close()
    for reminder in sent:
        typer.echo(
            f"{reminder.reference}\t{reminder.reminder.value}\t{reminder.due_on.isoformat()}"
        )
    typer.echo(f"queued {len(sent)} reminder(s) to {context.policy.privacy_contact.email}")


@jobs_app.command("purge-answers")
def purge_answers() -> None:
    """Delete the access and portability answers whose download link expired (7 days)."""
    try:
        context = bootstrap(Settings())
    except (PolicyError, PolicyIncomplete, MasterKeyConfigError) as error:
        typer.echo(f"privaat: {error}", err=True)
        raise typer.Exit(2) from None
    try:
        with context.unit_of_work() as uow:
            gone = context.answers.purge_expired(uow)
    finally:
        context.close()
    typer.echo(f"deleted {gone} expired answer(s)")
