"""Commands: business customers' processor services and the sub-processor change notices
(issue 15 item 10; GDPR art. 28(2); services.subprocessor_notices).

privaat business services NAME --service S [--service S …] [--contact E] [--language nl]
privaat business notices [--json]                 every notice: sent, objected, window
privaat business object NAME NOTICE --reason …    an objection the customer sent by mail
privaat jobs business-notices                     mail the unsent notices (SMTP)

Nothing personal is printed: customer names, services, recipient ids, dates.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from sqlalchemy import select

from privaat.bootstrap import mail_transport
from privaat.cli._apps import jobs_app
from privaat.cli.business import _context, _fail, business_app
from privaat.services.errors import Conflict, InvalidField
from privaat.settings import Settings
from privaat.store.tables_opendsr import business_customers


@business_app.command("services")
def services_command(
    name: Annotated[str, typer.Argument(help="The business customer's name.")],
    service: Annotated[
        list[str], typer.Option("--service", help="A processor service of the policy.")
    ],
    contact: Annotated[
        str | None, typer.Option("--contact", help="Where its notices go (a role address).")
    ] = None,
    language: Annotated[str, typer.Option("--language", help="nl or en.")] = "nl",
) -> None:
    """Record which processor services the customer takes, and where its notices go."""
    context = _context()
    try:
        with context.unit_of_work() as uow:
            taken = context.business_notices.set_services(
                uow, name, service, contact=contact, language=language
            )
    except InvalidField as error:
        raise _fail(str(error), 1) from None
    finally:
        context.close()
    where = "; notices to the contact given" if contact else ""
    typer.echo(f"{name.strip()} takes {', '.join(taken)}{where}")


@business_app.command("notices")
def notices_command(
    as_json: bool = typer.Option(False, "--json", help="JSON, one a line."),
) -> None:
    """Every sub-processor change notice: to whom, what changed, sent, objected."""
    context = _context()
    try:
        with context.unit_of_work() as uow:
            notices = context.business_notices.notices(uow)
    finally:
        context.close()
    if not notices:
        typer.echo("no sub-processor notices")
        return
    for n in notices:
        record = {
            "id": n.id,
            "customer": n.customer,
            "service": n.service,
            "version": n.policy_version,
            "added": list(n.added),
            "removed": list(n.removed),
            "objection_until": n.objection_until.isoformat(),
            "sent_at": n.sent_at.isoformat() if n.sent_at else None,
            "objected_at": n.objected_at.isoformat() if n.objected_at else None,
            "contact": n.has_contact,
            "last_error": n.last_error,
        }
        if as_json:
            typer.echo(json.dumps(record))
            continue
        sent = (
            f"sent {record['sent_at']}"
            if n.sent_at
            else ("NO CONTACT: reach them otherwise" if not n.has_contact else "not sent yet")
        )
        objected = f", OBJECTED {record['objected_at']}" if n.objected_at else ""
        change = " ".join([*(f"+{r}" for r in n.added), *(f"-{r}" for r in n.removed)])
        typer.echo(
            f"{n.id}\t{n.customer}\t{n.service} {change}\tuntil {record['objection_until']}"
            f"\t{sent}{objected}"
        )


@business_app.command("object")
def object_command(
    name: Annotated[str, typer.Argument(help="The business customer who objects.")],
    notice: Annotated[int, typer.Argument(help="The notice's id (business notices).")],
    reason: Annotated[str, typer.Option("--reason", help="Its reasons, as it gave them.")],
) -> None:
    """Record an objection the customer sent by mail (before the change takes effect)."""
    context = _context()
    try:
        with context.unit_of_work() as uow, uow.reading() as connection:
            customer = connection.execute(
                select(business_customers.c.id).where(business_customers.c.name == name.strip())
            ).scalar()
        if customer is None:
            raise _fail(f"no business customer is named {name.strip()!r}", 1)
        with context.unit_of_work() as uow:
            done = context.business_notices.object(
                uow, notice, reason, customer=int(customer), by="privacy officer, from a mail"
            )
    except (InvalidField, Conflict) as error:
        raise _fail(str(error), 1) from None
    finally:
        context.close()
    typer.echo(f"notice {done.id}: objection of {done.customer} recorded")


@jobs_app.command("business-notices")
def deliver_command() -> None:
    """Mail every unsent sub-processor notice; exit 1 if any failed (tried again next run)."""
    transport = mail_transport(Settings())
    if transport is None:
        raise _fail("no SMTP server configured: set PRIVAAT_SMTP_HOST; nothing was sent", 2)
    context = _context()
    try:
        with context.unit_of_work() as uow:
            sent, failed = context.business_notices.deliver(uow, transport)
    finally:
        context.close()
    typer.echo(f"sent {sent}, failed {failed}")
    if failed:
        raise typer.Exit(1)
