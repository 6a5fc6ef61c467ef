"""Commands: the disclosure register and transfers (issue 13 items 5-6, P12, P13, L36-L38).

``privaat disclosures record`` records one disclosure as the named privacy officer, with its
legal ground (mandatory), recipient, who asked, scope and an optional legal bar; ``list``
prints the register (the shop's carrier handovers among it); ``show`` one disclosure. Bad
input is one ``privaat: …`` line and exit 2, with nothing written.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import typer
from sqlalchemy import select

from privaat.cli._apps import app
from privaat.cli.requests import _context, _fail
from privaat.domain.disclosures import DisclosureRequest, DisclosureScope, LegalBar
from privaat.domain.errors import DomainError
from privaat.domain.principal import StaffMember, StaffRole
from privaat.services.errors import ServiceError
from privaat.store.tables import staff_members
from privaat.store.unit_of_work import UnitOfWork

disclosures_app = typer.Typer(
    help="The disclosure register: each disclosure with its legal ground (P12, L36).",
    no_args_is_help=True,
)
app.add_typer(disclosures_app, name="disclosures")

_STAFF = typer.Option(..., "--staff", help="The privacy officer's staff id.")
# a module-level default (ruff B008): Typer reads the repeatable option's default from it
_CATEGORIES = typer.Option([], "--category", help="A data category (repeatable).")


@disclosures_app.command("record")
def record_command(
    staff_id: int = _STAFF,
    subject: int = typer.Option(..., "--subject", help="The person's subject id."),
    ground: str = typer.Option(
        "",
        "--ground",
        help="legal_order, enforcing_terms, legal_claims, consent or corporate_transfer.",
    ),
    recipient: str = typer.Option("", "--recipient", help="A recipient id of the policy."),
    requested_by: str = typer.Option("", "--requested-by", help="The authority or party."),
    reference: str = typer.Option("", "--reference", help="Their reference (case, order)."),
    country: str | None = typer.Option(None, "--country", help="ISO code; default the policy's."),
    category: list[str] = _CATEGORIES,
    start: str | None = typer.Option(None, "--from", help="Window start (YYYY-MM-DD, UTC)."),
    end: str | None = typer.Option(None, "--to", help="Window end, exclusive (YYYY-MM-DD)."),
    bar_until: str | None = typer.Option(None, "--bar-until", help="Legal bar's end date."),
    bar_reason: str = typer.Option("", "--bar-reason", help="The order that bars telling."),
) -> None:
    """Record a disclosure and produce its release from the access exporter."""
    bar = LegalBar(_day("--bar-until", bar_until), bar_reason) if bar_until else None
    request = DisclosureRequest(
        subject_id=subject,
        ground=ground or None,
        recipient=recipient or None,
        requested_by=requested_by,
        reference=reference,
        country=country.upper() if country else None,
        scope=DisclosureScope(
            categories=frozenset(category),
            start=_moment("--from", start),
            end=_moment("--to", end),
        ),
        bar=bar,
    )
    context = _context()
    try:
        with context.unit_of_work() as uow:
            officer = _officer(uow, staff_id)
        with context.unit_of_work() as uow:
            disclosure_id = context.disclosures.record(uow, officer, request)
    except (ServiceError, DomainError) as error:
        raise _fail(str(error), 2) from None
    finally:
        context.close()
    typer.echo(f"recorded disclosure {disclosure_id}")


@disclosures_app.command("list")
def list_command(
    staff_id: int = _STAFF,
    as_json: bool = typer.Option(False, "--json", help="One JSON object per entry."),
) -> None:
    """The register, newest first: each disclosure and carrier handover, by pseudonym."""
    context = _context()
    try:
        with context.unit_of_work() as uow:
            entries = context.disclosures.register(uow, _officer(uow, staff_id))
    except (ServiceError, DomainError) as error:
        raise _fail(str(error), 2) from None
    finally:
        context.close()
    for entry in entries:
        fields = {
            "kind": entry.kind,
            "id": entry.id,
            "at": entry.at.isoformat(),
            "ground": entry.ground,
            "recipient": entry.recipient,
            "country": entry.country,
            "subject": entry.pseudonym,
            "fields": list(entry.handed_fields),
            "bar_until": entry.bar_until.isoformat() if entry.bar_until else None,
        }
        if as_json:
            typer.echo(json.dumps(fields))
        else:
            typer.echo(
                f"{entry.kind:<16}  {entry.id:>5}  {entry.at:%Y-%m-%d %H:%M}  "
                f"{entry.ground:<18}  {entry.recipient}"
            )
    if not as_json:
        typer.echo(f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}")


@disclosures_app.command("show")
def show_command(disclosure_id: int = typer.Argument(...), staff_id: int = _STAFF) -> None:
    """One disclosure: ground, recipient, who asked, scope, what was handed and its digest."""
    context = _context()
    try:
        with context.unit_of_work() as uow:
            view = context.disclosures.show(uow, _officer(uow, staff_id), disclosure_id)
    except (ServiceError, DomainError) as error:
        raise _fail(str(error), 2) from None
    finally:
        context.close()
    entry = view.entry
    typer.echo(f"disclosure {entry.id} at {entry.at.isoformat()}")
    typer.echo(f"  ground:       {entry.ground} (activity {view.activity})")
    typer.echo(f"  recipient:    {entry.recipient} ({entry.country})")
    typer.echo(f"  requested by: {view.requested_by or '(sealed)'}")
    typer.echo(f"  reference:    {view.reference or '-'}")
    typer.echo(f"  categories:   {', '.join(view.categories)}")
    typer.echo(f"  handed:       {', '.join(entry.handed_fields) or 'nothing'}")
    typer.echo(f"  sha256:       {view.released_digest}")
    if entry.bar_until:
        typer.echo(f"  legal bar:    until {entry.bar_until.isoformat()}")


def _officer(uow: UnitOfWork, staff_id: int) -> StaffMember:
    with uow.reading() as connection:
        row = connection.execute(
            select(staff_members.c.role, staff_members.c.disabled_at).where(
                staff_members.c.id == staff_id
            )
        ).first()
    if row is None or row.disabled_at is not None:
        raise _fail(f"--staff: no active staff member {staff_id}", 2)
    return StaffMember(staff_id, StaffRole(row.role))


def _day(option: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _fail(f"{option}: a date as YYYY-MM-DD, not {value!r}", 2) from None


def _moment(option: str, value: str | None) -> datetime | None:
    if value is None:
        return None
    return datetime.combine(_day(option, value), datetime.min.time(), tzinfo=UTC)
