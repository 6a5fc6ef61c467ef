"""Commands for a request's steps (issue 11 items 5-8; GDPR art. 16-19, 21):

    privaat requests rectify REF --set field=value [--set …]   art. 16, recipients told
    privaat requests erase REF                                  art. 17, with the receipt,
                                                                in every store (docs/stores.md)
    privaat requests restrict REF [--activity A] [--category C] art. 18, whole or scoped
    privaat requests lift REF [--days 7]                        the person told first
    privaat requests object REF --activity A                    art. 21, recorded at once
    privaat requests grounds REF --activity A --reason … --officer ID
    privaat requests uphold REF                                 the objection stands
    privaat requests recipients REF                             who was told (art. 19)
    privaat jobs lift-restrictions                              lifts those that are due

Nothing personal is printed: references, field names, policy ids, counts, hashes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import TypeVar

import typer
from sqlalchemy import select

from privaat.cli._apps import jobs_app, requests_app
from privaat.cli.requests import OPERATOR, _context, _fail
from privaat.domain.principal import StaffMember, StaffRole
from privaat.services.erasure import ErasureIncomplete, ErasureWaits
from privaat.services.errors import Conflict, InvalidField, NotPermitted, SubjectNotFound
from privaat.services.recipient_notices import Told
from privaat.services.request_rights import ObjectionTaken, RightsHandling
from privaat.services.subject_requests import RequestNotFound
from privaat.store.tables import staff_members
from privaat.store.unit_of_work import UnitOfWork

_T = TypeVar("_T")
_REFUSED = (
    InvalidField,
    Conflict,
    RequestNotFound,
    NotPermitted,
    SubjectNotFound,
    ErasureWaits,
    ErasureIncomplete,
)


def _run(step: Callable[[RightsHandling, UnitOfWork], _T]) -> _T:
    context = _context()
    try:
        with context.unit_of_work() as uow:
            return step(context.rights, uow)
    except _REFUSED as error:
        raise _fail(str(error), 1) from None
    finally:
        context.close()


def _changes(pairs: list[str]) -> dict[str, str | None]:
    changes: dict[str, str | None] = {}
    for pair in pairs:
        field, sep, value = pair.partition("=")
        if not sep or not field.strip():
            raise _fail(f"--set {pair!r}: write field=value (an empty value clears it)", 2)
        changes[field.strip()] = value
    return changes


@requests_app.command("rectify")
def rectify_command(
    reference: str = typer.Argument(..., help="A rectification request in progress."),
    sets: list[str] = typer.Option(  # noqa: B008
        [], "--set", help="field=value, e.g. --set postal_code='2721 NA'; repeat per field."
    ),
) -> None:
    """Correct the account's fields (art. 16); recipients are told (art. 19)."""
    changes = _changes(sets)
    done = _run(lambda rights, uow: rights.rectify(uow, OPERATOR, reference, changes))
    typer.echo(f"{done.reference} completed: corrected {', '.join(done.fields)}")
    _told(done.told)


@requests_app.command("erase")
def erase_command(
    reference: str = typer.Argument(..., help="An erasure request in progress."),
) -> None:
    """Erase the requester's data (art. 17); the receipt's SHA-256 is in the audit trail."""
    done = _run(lambda rights, uow: rights.erase(uow, OPERATOR, reference))
    deleted = sum(t.before - t.after for t in done.report.tables)
    kept = sum(t.after for t in done.report.tables)
    typer.echo(
        f"{done.reference} completed: {deleted} rows erased, {kept} kept, "
        f"data key destroyed: {'yes' if done.report.data_key_destroyed else 'no'}, "
        f"receipt sha256 {done.sha256}"
    )
    for item in done.kept:
        typer.echo(f"  kept until {item.until.isoformat()}: {item.why}")
    for store in json.loads(done.receipt).get("stores", []):
        for t in store["tables"]:
            held = f", held until {t['held_until']}" if t.get("held_until") else ""
            typer.echo(
                f"  {store['store']}/{t['table']}: {t['before']} rows, {t['deleted']} deleted, "
                f"{t['masked']} masked{held}"
            )
    _told(done.told)


@requests_app.command("restrict")
def restrict_command(
    reference: str = typer.Argument(..., help="A restriction request in progress."),
    activities: list[str] = typer.Option(  # noqa: B008
        [], "--activity", help="Restrict only this activity (repeatable)."
    ),
    categories: list[str] = typer.Option(  # noqa: B008
        [], "--category", help="Restrict only this data category (repeatable)."
    ),
) -> None:
    """Restrict processing (art. 18): the whole person, or the activities and categories."""
    done = _run(
        lambda rights, uow: rights.restrict(
            uow, OPERATOR, reference, activities=activities, categories=categories
        )
    )
    scope = ", ".join((*done.activities, *done.categories)) or "all processing"
    typer.echo(f"{done.reference} completed: restricted {scope}")
    _told(done.told)


@requests_app.command("lift")
def lift_command(
    reference: str = typer.Argument(..., help="A request whose restriction is to end."),
    days: int = typer.Option(7, "--days", help="Days' notice to the person (at least 7)."),
) -> None:
    """Tell the person the restriction ends; `privaat jobs lift-restrictions` lifts it then."""
    done = _run(lambda rights, uow: rights.lift(uow, OPERATOR, reference, days=days))
    typer.echo(f"{done.reference}: the person is told; lifted on {done.lift_at.date().isoformat()}")


@requests_app.command("object")
def object_command(
    reference: str = typer.Argument(..., help="An objection request in progress."),
    activity: str = typer.Option(..., "--activity", help="An activity id, or direct_marketing."),
) -> None:
    """Record the objection (art. 21): processing for the person stops at once."""
    done = _run(lambda rights, uow: rights.object(uow, OPERATOR, reference, activity=activity))
    state = "completed" if done.completed else "waiting for the privacy officer's decision"
    typer.echo(f"{done.reference}: objection to {done.activity} recorded; {state}")


@requests_app.command("grounds")
def grounds_command(
    reference: str = typer.Argument(..., help="An objection request with its objection."),
    activity: str = typer.Option(..., "--activity", help="The activity objected to."),
    reason: str = typer.Option(..., "--reason", help="The compelling grounds; told the person."),
    officer: int = typer.Option(..., "--officer", help="The privacy officer's staff id."),
) -> None:
    """The privacy officer's decision that compelling grounds override the objection."""

    def step(rights: RightsHandling, uow: UnitOfWork) -> ObjectionTaken:
        staff = _officer(uow, officer)
        return rights.grounds(uow, staff, reference, activity=activity, reason=reason)

    _run(step)
    typer.echo(f"{reference} completed: the grounds are kept with the request; the person is told")


@requests_app.command("uphold")
def uphold_command(
    reference: str = typer.Argument(..., help="An objection request with its objection."),
) -> None:
    """The objection stands: the person is told and the request completes."""
    done = _run(lambda rights, uow: rights.uphold(uow, OPERATOR, reference))
    typer.echo(f"{done.reference} completed: the objection to {done.activity} stands")


@requests_app.command("recipients")
def recipients_command(
    reference: str = typer.Argument(..., help="A request whose steps told recipients."),
) -> None:
    """The recipients told of the request's steps, and those to tell by other means."""
    told = _run(lambda rights, uow: rights.recipients_told(uow, OPERATOR, reference))
    if not told:
        typer.echo("no recipients told")
    _told(told)


@jobs_app.command("lift-restrictions")
def lift_restrictions() -> None:
    """Lift the restrictions whose day has come, once the person's letter has gone (L65)."""
    done = _run(lambda rights, uow: rights.lift_due(uow))
    typer.echo(f"lifted {len(done.lifted)} restrictions")
    for reference in done.waiting:
        typer.echo(f"  {reference}: due, waiting until the letter to the person has gone")


# --- the steps -------------------------------------------------------------------------


def _told(told: Iterable[Told]) -> None:
    for item in told:
        how = "mailed" if item.told == "mail" else "NO ADDRESS: tell by other means"
        typer.echo(f"  {item.step} told to {item.recipient}: {how}")


def _officer(uow: UnitOfWork, staff_id: int) -> StaffMember:
    with uow.reading() as connection:
        row = connection.execute(
            select(staff_members.c.role, staff_members.c.disabled_at).where(
                staff_members.c.id == staff_id
            )
        ).first()
    if row is None or row.disabled_at is not None:
        raise NotPermitted(f"no active staff member {staff_id}")
    return StaffMember(staff_id, StaffRole(row.role))
