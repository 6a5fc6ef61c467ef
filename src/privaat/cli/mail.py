"""Commands: ``mail deliver`` (send the outbox's pending mail once, e.g. from a timer) and
``mail campaign create|send`` (queue a marketing campaign through the guard, issue 10)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from privaat.bootstrap import Context, bootstrap, mail_transport
from privaat.cli._apps import mail_app
from privaat.mail.campaign_mail import CampaignText
from privaat.policy.loader import PolicyError
from privaat.services.activities import PolicyIncomplete
from privaat.services.campaigns import CAMPAIGN_JOB, CampaignNotFound
from privaat.services.errors import Conflict, InvalidField
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


# --- campaigns (issue 10 item 5) -------------------------------------------------------------

campaign_app = typer.Typer(
    help="Marketing campaigns: create one, queue it for a list of subjects.", no_args_is_help=True
)
mail_app.add_typer(campaign_app, name="campaign")


def _texts(subjects: list[str], bodies: list[str]) -> dict[str, CampaignText]:
    """``--subject nl=…`` and ``--body nl=FILE`` (``-`` for standard input) by language."""
    subject_of: dict[str, str] = {}
    body_of: dict[str, str] = {}
    for given, into, what in ((subjects, subject_of, "--subject"), (bodies, body_of, "--body")):
        for item in given:
            lang, sep, value = item.partition("=")
            if not sep or not lang:
                raise _fail(f"{what} takes LANG=VALUE, e.g. {what} nl=…; got {item!r}", 2)
            into[lang.strip()] = value
    if set(subject_of) != set(body_of):
        raise _fail("each language needs both a --subject and a --body", 2)
    texts = {}
    for lang, path in body_of.items():
        try:
            body = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise _fail(f"cannot read the {lang} body {path}: {error}", 2) from None
        texts[lang] = CampaignText(subject_of[lang], body)
    return texts


def _context() -> Context:
    try:
        return bootstrap(Settings(), run_migrations=False, create_master_key=False)
    except ValidationError as error:
        raise _fail(f"invalid PRIVAAT_ settings: {error}", 2) from None
    except (KeyStoreError, PolicyError, PolicyIncomplete) as error:
        raise _fail(str(error), 2) from None


@campaign_app.command("create")
def campaign_create_command(
    name: Annotated[str, typer.Argument(help="The campaign's unique name.")],
    subject: Annotated[list[str], typer.Option(help="LANG=subject line, per language.")],
    body: Annotated[list[str], typer.Option(help="LANG=file of the body (- for stdin).")],
) -> None:
    """Create a campaign; its links are every URL its bodies contain."""
    texts = _texts(subject, body)
    context = _context()
    try:
        with context.unit_of_work() as uow:
            campaign = context.campaigns.create(uow, name=name, texts=texts)
    except (InvalidField, Conflict) as error:
        raise _fail(f"{error}; nothing was created", 1) from None
    finally:
        context.close()
    typer.echo(f"campaign {campaign.id} '{campaign.name}': {len(campaign.links)} link(s)")


@campaign_app.command("send")
def campaign_send_command(
    name: Annotated[str, typer.Argument(help="The campaign's name.")],
    subject_id: Annotated[
        list[int] | None, typer.Option("--subject-id", help="A subject to send to (repeat).")
    ] = None,
    ids_file: Annotated[
        str | None, typer.Option(help="A file of subject ids, one a line (- for stdin).")
    ] = None,
) -> None:
    """Queue the campaign for each subject the guard allows (``privaat mail deliver`` sends it)."""
    ids = list(subject_id or [])
    if ids_file is not None:
        try:
            text = sys.stdin.read() if ids_file == "-" else Path(ids_file).read_text()
            ids += [int(line) for line in text.split() if line.strip()]
        except (OSError, ValueError) as error:
            raise _fail(f"cannot read subject ids from {ids_file}: {error}", 2) from None
    if not ids:
        raise _fail("name the recipients: --subject-id N (repeat) or --ids-file FILE", 2)
    context = _context()
    try:
        with context.unit_of_work() as uow:
            campaign = context.campaigns.find(uow, name)
            report = context.campaigns.send(uow, CAMPAIGN_JOB, campaign.id, ids)
    except CampaignNotFound:
        raise _fail(f"there is no campaign named '{name}'; nothing was queued", 1) from None
    finally:
        context.close()
    typer.echo(
        f"queued {report.queued}; skipped: no consent {report.no_consent}, suppressed "
        f"{report.suppressed}, sent before {report.already_sent}, not found {report.not_found}"
    )
