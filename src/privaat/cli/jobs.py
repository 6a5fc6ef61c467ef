"""Commands: ``jobs expire-requests``, ``jobs remind-requests``, ``jobs request-watchdog`` and
``jobs purge-answers``; the
IP minimisation and the purges are rules of ``privaat retention sweep`` (issue 13). Each job
runs in one unit of work of its own process; a policy or key that cannot start it is
``privaat: …`` and exit 2."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import typer

from privaat.bootstrap import Context, bootstrap
from privaat.cli._apps import jobs_app
from privaat.policy.loader import PolicyError
from privaat.services.activities import PolicyIncomplete
from privaat.settings import Settings
from privaat.store.key_errors import MasterKeyConfigError
from privaat.store.unit_of_work import UnitOfWork

T = TypeVar("T")


def _context() -> Context:
    try:
        return bootstrap(Settings())
    except (PolicyError, PolicyIncomplete, MasterKeyConfigError) as error:
        typer.echo(f"privaat: {error}", err=True)
        raise typer.Exit(2) from None


def _run(context: Context, job: Callable[[UnitOfWork], T]) -> T:
    """Run ``job`` in one unit of work, then close the context whatever happens."""
    try:
        with context.unit_of_work() as uow:
            return job(uow)
    finally:
        context.close()


@jobs_app.command("expire-requests")
def expire_requests() -> None:
    """Close data-subject requests whose confirmation link went unused for 7 days (L57)."""
    context = _context()
    closed = _run(context, context.requests.expire_unconfirmed)
    typer.echo(f"closed {closed} unconfirmed request(s)")


@jobs_app.command("remind-requests")
def remind_requests() -> None:
    """Remind the privacy officer of requests due within 7 days or overdue (art. 12(3))."""
    context = _context()
    sent = _run(context, context.reminders.remind)
    for reminder in sent:
        typer.echo(
            f"{reminder.reference}\t{reminder.reminder.value}\t{reminder.due_on.isoformat()}"
        )
    typer.echo(f"queued {len(sent)} reminder(s) to {context.policy.privacy_contact.email}")


@jobs_app.command("request-watchdog")
def request_watchdog() -> None:
    """Alert the privacy officer of stuck requests, failing stores and due dates (hourly)."""
    context = _context()
    run = _run(context, context.watchdog.run)
    for reminder in run.reminders:
        typer.echo(
            f"{reminder.reference}\t{reminder.reminder.value}\t{reminder.due_on.isoformat()}"
        )
    for alert in run.alerts:
        where = f"\t{alert.store}" if alert.store else ""
        typer.echo(
            f"{alert.reference}\t{alert.alert.value}\t{alert.status.value}"
            f"\t{alert.since.isoformat()}{where}"
        )
    typer.echo(
        f"queued {len(run.reminders)} reminder(s) and {len(run.alerts)} alert(s) "
        f"to {context.policy.privacy_contact.email}"
    )


@jobs_app.command("purge-answers")
def purge_answers() -> None:
    """Delete the access and portability answers whose download link expired (7 days)."""
    context = _context()
    gone = _run(context, context.answers.purge_expired)
    typer.echo(f"deleted {gone} expired answer(s)")
