"""Commands: the breach register (issue 13 item 4, P10, GDPR art. 33/34, LEGAL L68-L71).

Each command acts as the privacy officer named by ``--officer`` (a staff id), as the console
does; a refused value is ``privaat: <field>: <why>`` with exit 2 and nothing changed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from sqlalchemy import select

from privaat.cli._apps import app
from privaat.cli.requests import _context, _fail
from privaat.domain.principal import StaffMember, StaffRole
from privaat.mail.breach_notice import NoticeWords
from privaat.services.breaches import BreachDraft, BreachNotFound, BreachRegister, Scope
from privaat.services.errors import Conflict, InvalidField, NotPermitted
from privaat.store.tables import staff_members
from privaat.store.unit_of_work import UnitOfWork

breaches_app = typer.Typer(
    help="The breach register: record, report and tell (art. 33/34).", no_args_is_help=True
)
app.add_typer(breaches_app, name="breaches")

T = TypeVar("T")
_OFFICER = typer.Option(..., "--officer", help="The privacy officer's staff id.")


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


def _run(officer: int, step: Callable[[BreachRegister, UnitOfWork, StaffMember], T]) -> T:
    context = _context()
    try:
        with context.unit_of_work() as uow:
            return step(context.breaches, uow, _officer(uow, officer))
    except InvalidField as error:
        raise _fail(f"{error.field}: {error.message}", 2) from None
    except (BreachNotFound, Conflict, NotPermitted) as error:
        raise _fail(str(error), 2) from None
    finally:
        context.close()


def _moment(name: str, value: str | None) -> datetime | None:
    """An ISO 8601 time with its offset (``2026-11-30T14:00+01:00`` or ``...Z``)."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _fail(f"{name}: not an ISO 8601 time: {value!r}", 2) from None
    if moment.tzinfo is None:
        raise _fail(f"{name}: give the time zone, e.g. {value}Z or {value}+01:00", 2)
    return moment


@breaches_app.command("record")
def record_command(
    officer: int = _OFFICER,
    discovered: str | None = typer.Option(None, "--discovered", help="When it was discovered."),
    nature: str = typer.Option(..., "--nature", help="confidentiality, integrity or availability."),
    risk: str = typer.Option(..., "--risk", help="none, risk or high."),
    description: str = typer.Option(..., "--description", help="What happened."),
    consequences: str = typer.Option(..., "--consequences", help="The likely consequences."),
    measures: str = typer.Option(..., "--measures", help="The measures taken or proposed."),
    category: Annotated[
        list[str] | None, typer.Option("--category", help="A data category of the policy.")
    ] = None,
    people_kind: Annotated[
        list[str] | None, typer.Option("--people", help="A category of people.")
    ] = None,
    table: Annotated[
        list[str] | None, typer.Option("--table", help="A table the breach touched.")
    ] = None,
    activity: Annotated[
        list[str] | None, typer.Option("--activity", help="An activity it touched.")
    ] = None,
    since: str | None = typer.Option(None, "--from", help="The window's start on the tables."),
    until: str | None = typer.Option(None, "--until", help="The window's end (exclusive)."),
    occurred_from: str | None = typer.Option(None, "--occurred-from"),
    occurred_until: str | None = typer.Option(None, "--occurred-until"),
    people_estimate: int | None = typer.Option(None, "--people-estimate"),
    records_estimate: int | None = typer.Option(None, "--records-estimate"),
) -> None:
    """Enter a breach; the counts come from the data when --table or --activity names it."""
    draft = BreachDraft(
        discovered_at=_moment("discovered_at", discovered),
        nature=nature,
        risk=risk,
        description=description,
        consequences=consequences,
        measures=measures,
        data_categories=tuple(category or ()),
        subject_categories=tuple(people_kind or ()),
        occurred_from=_moment("occurred_from", occurred_from),
        occurred_until=_moment("occurred_until", occurred_until),
        scope=Scope(
            tables=tuple(table or ()),
            activities=tuple(activity or ()),
            start=_moment("from", since),
            end=_moment("until", until),
        ),
        people_estimate=people_estimate,
        records_estimate=records_estimate,
    )
    view = _run(
        officer,
        lambda register, uow, staff: register.breach(
            uow, staff, register.record(uow, staff, draft)
        ),
    )
    summary = view.summary
    typer.echo(
        f"{summary.reference}: {summary.people} people, {summary.records} records "
        f"({'estimated' if summary.estimated else 'counted'}); report within "
        f"{summary.report_hours} hours, by {summary.clock.due.isoformat()}"
    )


@breaches_app.command("list")
def list_command(
    officer: int = _OFFICER,
    as_json: bool = typer.Option(False, "--json", help="One JSON object per breach."),
) -> None:
    """Every breach, newest first, with its clock: running, overdue, reported, not reported."""
    rows = _run(officer, lambda register, uow, staff: register.register(uow, staff))
    for row in rows:
        fields = {
            "reference": row.reference,
            "discovered_at": row.discovered_at.isoformat(),
            "risk": row.risk.value,
            "clock": row.clock.state.value,
            "due": row.clock.due.isoformat(),
            "hours_left": round(row.clock.left.total_seconds() / 3600, 1),
            "people": row.people,
            "records": row.records,
            "notified": row.notified,
        }
        if as_json:
            typer.echo(json.dumps(fields))
        else:
            flag = "  OVERDUE" if row.clock.flagged else ""
            typer.echo(
                f"{row.reference}  {row.risk.value:<4}  {row.clock.state.value:<13}  due "
                f"{row.clock.due:%Y-%m-%d %H:%M} UTC{flag}"
            )
    if not as_json:
        typer.echo(f"{len(rows)} breach(es)")


def _number(reference: str) -> int:
    digits = reference.upper().removeprefix("B-")
    if not digits.isdigit():
        raise _fail(f"breach: not a breach number: {reference!r}", 2)
    return int(digits)


@breaches_app.command("show")
def show_command(
    reference: str,
    officer: int = _OFFICER,
    as_json: bool = typer.Option(False, "--json", help="The art. 33(3) notification as JSON."),
    language: str = typer.Option("nl", "--language", help="nl or en."),
) -> None:
    """The prefilled notification to the authority (art. 33(3)), with every update."""
    number = _number(reference)
    report = _run(
        officer,
        lambda register, uow, staff: register.notification(uow, staff, number, language),
    )
    typer.echo(json.dumps(report.document, indent=2) if as_json else report.text, nl=as_json)


@breaches_app.command("update")
def update_command(
    reference: str, text: str = typer.Option(..., "--text"), officer: int = _OFFICER
) -> None:
    """Add further information (art. 33(4)); the earlier entries stay as they are."""
    number = _number(reference)
    _run(officer, lambda register, uow, staff: register.add(uow, staff, number, text))
    typer.echo(f"B-{number:04d}: update added")


@breaches_app.command("reported")
def reported_command(
    reference: str,
    authority_reference: str = typer.Option(..., "--reference", help="The AP's reference."),
    at: str | None = typer.Option(None, "--at", help="When it was reported (default: now)."),
    officer: int = _OFFICER,
) -> None:
    """Record that the authority has the report, and the reference it gave."""
    number, moment = _number(reference), _moment("reported_at", at)
    _run(
        officer,
        lambda register, uow, staff: register.reported(
            uow, staff, number, at=moment, reference=authority_reference
        ),
    )
    typer.echo(f"B-{number:04d}: reported ({authority_reference})")


@breaches_app.command("not-reported")
def not_reported_command(
    reference: str, reason: str = typer.Option(..., "--reason"), officer: int = _OFFICER
) -> None:
    """Record why the breach is not reported (art. 33(5)); it stays in the register."""
    number = _number(reference)
    _run(officer, lambda register, uow, staff: register.not_reported(uow, staff, number, reason))
    typer.echo(f"B-{number:04d}: not reported, reason recorded")


@breaches_app.command("assess")
def assess_command(
    reference: str,
    risk: str = typer.Option(..., "--risk", help="none, risk or high."),
    reason: str = typer.Option(..., "--reason"),
    officer: int = _OFFICER,
) -> None:
    """Assess the risk again, with the reason; the earlier assessment stays in the history."""
    number = _number(reference)
    _run(officer, lambda register, uow, staff: register.assess(uow, staff, number, risk, reason))
    typer.echo(f"B-{number:04d}: risk now {risk}")


@breaches_app.command("exempt")
def exempt_command(
    reference: str,
    ground: str = typer.Option(
        ..., "--ground", help="unintelligible, risk_removed or public_notice (art. 34(3))."
    ),
    reason: str = typer.Option(..., "--reason"),
    officer: int = _OFFICER,
) -> None:
    """Record an art. 34(3) exemption: the people are not told, and why."""
    number = _number(reference)
    _run(officer, lambda register, uow, staff: register.exempt(uow, staff, number, ground, reason))
    typer.echo(f"B-{number:04d}: exemption recorded")


@breaches_app.command("notify")
def notify_command(
    reference: str,
    words: Annotated[
        Path,
        typer.Option(
            "--words",
            help='JSON: {"nl": {"happened", "consequences", "measures", "advice"}, "en": {...}}.',
        ),
    ],
    officer: int = _OFFICER,
) -> None:
    """Queue the art. 34 notice to everyone the breach touched, each person once."""
    number = _number(reference)
    try:
        data = json.loads(words.read_text(encoding="utf-8"))
        given = {lang: NoticeWords(**fields) for lang, fields in data.items()}
    except (OSError, ValueError, TypeError, AttributeError) as error:
        raise _fail(f"words: {error}", 2) from None
    done = _run(officer, lambda register, uow, staff: register.notify(uow, staff, number, given))
    typer.echo(
        f"B-{number:04d}: {done.queued} notice(s) queued, {done.already} told before, "
        f"{done.unreachable} without an address"
    )
