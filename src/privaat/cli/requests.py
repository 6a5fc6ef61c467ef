"""Commands: ``mail serve`` (the privacy mailbox over SMTP), ``requests list``, ``requests file``,
``requests act`` and ``requests answer`` (issue 11)."""

from __future__ import annotations

import json
import signal
import threading

import typer
from pydantic import ValidationError

from privaat.bootstrap import Context, bootstrap
from privaat.cli._apps import mail_app, requests_app
from privaat.domain.principal import SystemJob
from privaat.domain.subject_requests import Action, RequestKind
from privaat.mail.privacy_mailbox import MAX_MAIL_BYTES, PrivacyMailbox, mailbox_controller
from privaat.policy.loader import PolicyError
from privaat.services.activities import PolicyIncomplete
from privaat.services.contact_fields import normalise_email
from privaat.services.errors import Conflict, InvalidField, StorageFull
from privaat.services.subject_requests import RequestNotFound
from privaat.settings import Settings
from privaat.store.key_errors import KeyStoreError


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"privaat: {message}", err=True)
    return typer.Exit(code)


def _context() -> Context:
    try:
        return bootstrap(Settings())
    except ValidationError as error:
        raise _fail(f"invalid PRIVAAT_ settings: {error}", 2) from None
    except (KeyStoreError, PolicyError, PolicyIncomplete) as error:
        raise _fail(str(error), 2) from None


@mail_app.command("serve")
def serve_command(
    host: str = typer.Option("127.0.0.1", "--host", help="The address to listen on."),
    port: int = typer.Option(8025, "--port", min=1, max=65535, help="The SMTP port."),
    max_mb: int = typer.Option(
        MAX_MAIL_BYTES // (1024 * 1024), "--max-mb", min=1, max=100, help="Largest mail, MiB."
    ),
) -> None:
    """Take mail for the policy's privacy address over SMTP; each mail becomes a request.
    Mail for the support address (PRIVAAT_SUPPORT_ADDRESS) becomes a support case, where
    the policy has a support desk."""
    context = _context()
    address = context.policy.privacy_contact.email
    desk = "support_desk" in context.policy.activity_ids
    handler = PrivacyMailbox(
        address=address,
        requests=context.requests,
        unit_of_work=context.unit_of_work,
        support=context.support if desk else None,
        support_address=context.settings.support_address if desk else None,
    )
    controller = mailbox_controller(handler, host=host, port=port, max_bytes=max_mb << 20)
    try:
        controller.start()
    except (OSError, RuntimeError) as error:
        context.close()
        raise _fail(f"cannot listen on {host}:{port}: {error}", 1) from None
    also = f" and support mail for {handler.support_address}" if handler.support_address else ""
    typer.echo(f"privacy mailbox for {address}{also} on smtp://{host}:{port} (Ctrl-C stops)")
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    stopped.wait()
    controller.stop()
    context.close()


@requests_app.command("list")
def list_command(
    as_json: bool = typer.Option(False, "--json", help="One JSON object per request."),
    open_only: bool = typer.Option(False, "--open", help="Only requests still to answer."),
) -> None:
    """Every request, soonest due first: id, type, channel, status, received, due date."""
    context = _context()
    try:
        with context.unit_of_work() as uow:
            rows = context.requests.queue(uow, open_only=open_only)
    finally:
        context.close()
    if as_json:
        for row in rows:
            typer.echo(
                json.dumps(
                    {
                        "id": row.reference,
                        "type": row.kind.value,
                        "channel": row.channel,
                        "status": row.status.value,
                        "received": row.received_at.isoformat(),
                        "due": row.due_on.isoformat(),
                        "overdue": row.overdue,
                    }
                )
            )
        return
    if not rows:
        typer.echo("no requests")
        return
    typer.echo(f"{'id':<12} {'type':<14} {'channel':<8} {'status':<12} {'received':<17} due")
    for row in rows:
        received = row.received_at.strftime("%Y-%m-%d %H:%M")
        late = "  OVERDUE" if row.overdue else ""
        typer.echo(
            f"{row.reference:<12} {row.kind.value:<14} {row.channel:<8} "
            f"{row.status.value:<12} {received:<17} {row.due_on.isoformat()}{late}"
        )


OPERATOR = SystemJob("operator")  # the person at the command line, named so in the audit trail
_STEPS = {
    "start": Action.START,
    "extend": Action.EXTEND,
    "refuse": Action.REFUSE,
    "complete": Action.COMPLETE,
    "close": Action.CLOSE,
    "cancel": Action.CANCEL,
}


@requests_app.command("act")
def act_command(
    reference: str = typer.Argument(..., help="The request's id, e.g. PR-7KQ2M9XD."),
    step: str = typer.Argument(..., help=f"One of: {', '.join(_STEPS)}."),
    reason: str | None = typer.Option(None, "--reason", help="Told to the requester."),
    months: int = typer.Option(0, "--months", min=0, max=2, help="An extension: 1 or 2."),
) -> None:
    """Take a step on a request: an extension or refusal needs --reason (art. 12(3)-(4))."""
    action = _STEPS.get(step)
    if action is None:
        raise _fail(f"unknown step {step!r}: use one of {', '.join(_STEPS)}", 2)
    context = _context()
    try:
        with context.unit_of_work() as uow:
            row = context.requests.act(
                uow, OPERATOR, reference, action, reason=reason, months=months
            )
    except (InvalidField, Conflict, RequestNotFound) as error:
        raise _fail(str(error), 1) from None
    finally:
        context.close()
    typer.echo(f"{row.reference} {row.status.value}, due {row.due_on.isoformat()}")


@requests_app.command("answer")
def answer_command(
    reference: str = typer.Argument(..., help="An access or portability request in progress."),
) -> None:
    """Answer an access or portability request: the ZIP, its link mailed to the requester."""
    context = _context()
    try:
        with context.unit_of_work() as uow:
            answer = context.answers.answer(uow, OPERATOR, reference)
    except (Conflict, RequestNotFound, StorageFull) as error:
        raise _fail(str(error), 1) from None
    finally:
        context.close()
    # the link is the requester's: it is mailed, never printed
    typer.echo(f"{answer.reference} answered: {answer.size} bytes, sha256 {answer.sha256}")


_KINDS = ", ".join(kind.value for kind in RequestKind if kind is not RequestKind.UNCLEAR)


@requests_app.command("file")
def file_command(
    email: str = typer.Option(..., "--email", help="Where the person gets the answer."),
    kind: str = typer.Option(..., "--type", help=f"One of: {_KINDS}."),
    identity: str = typer.Option(
        ...,
        "--identity",
        help="How identity was checked (e.g. called back on the account's number).",
    ),
    text: str = typer.Option("", "--text", help="What the person asked, in their words."),
    language: str = typer.Option("nl", "--language", help="nl or en: the answer's language."),
) -> None:
    """File a request made by phone, letter or at the desk; verified at once (L54, L57)."""
    try:
        right = RequestKind(kind)
    except ValueError:
        raise _fail(f"unknown type {kind!r}: use one of {_KINDS}", 2) from None
    if language not in ("nl", "en"):
        raise _fail("--language must be nl or en", 2)
    try:
        address = normalise_email(email)
    except ValueError as error:
        raise _fail(f"--email: {error}", 2) from None
    context = _context()
    try:
        with context.unit_of_work() as uow:
            receipt = context.requests.file_by_staff(
                uow,
                OPERATOR,
                email=address,
                kind=right,
                text=text,
                identity_check=identity,
                language=language,
            )
    except InvalidField as error:
        raise _fail(str(error), 1) from None
    finally:
        context.close()
    joined = " (joined the open request)" if receipt.linked else ""
    typer.echo(f"{receipt.reference} {receipt.kind.value}, due {receipt.due_on}{joined}")
