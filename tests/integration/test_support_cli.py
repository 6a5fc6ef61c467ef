"""``privaat support cases`` (issue 12 item 2; P5, LEGAL L5): the cases, open first, with how
each is linked to an account, and never the question or the person's contact details."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from tests.factories import customer
from typer.testing import CliRunner

from privaat.bootstrap import bootstrap
from privaat.cli import app
from privaat.domain.clock import FixedClock
from privaat.domain.principal import StaffMember, StaffRole
from privaat.services.support_desk import Channel, NewCase
from privaat.settings import Settings
from privaat.store.tables_support import support_case_events, support_cases

runner = CliRunner()
AGENT = StaffMember(7, StaffRole.SUPPORT)


def _filed() -> tuple[str, str]:
    context = bootstrap(Settings())
    try:
        me = customer(context)
        with context.unit_of_work() as uow:
            linked = context.support.file_mail(
                uow, sender=me.email, subject="Router stuk", text="Geen internet meer."
            )
            other = context.support.file_by_staff(
                uow,
                AGENT,
                NewCase(Channel.PHONE, "Vraag over factuur", "Bel terug", email="x@example.org"),
            )
            context.support.close(uow, AGENT, other.reference)
    finally:
        context.close()
    return linked.reference, other.reference


@pytest.mark.usefixtures("shell")
def test_p5_support_cases_lists_each_case_and_how_it_is_linked() -> None:
    linked, other = _filed()
    result = runner.invoke(app, ["support", "cases", "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [(r["reference"], r["status"], r["linked"]) for r in rows] == [
        (linked, "open", "verified_email"),
        (other, "closed", None),
    ]
    assert "Router" not in result.output and "@" not in result.output
    shown = runner.invoke(app, ["support", "cases", "--open"])
    assert shown.exit_code == 0, shown.output
    assert linked in shown.output and other not in shown.output
    assert "1 case(s)" in shown.output


def _closed_at(when: datetime) -> str:
    context = bootstrap(Settings(), clock=FixedClock(when))
    try:
        with context.unit_of_work() as uow:
            filed = context.support.file_mail(
                uow, sender="oud@example.org", subject="Oude vraag", text="Lang geleden."
            )
            context.support.close(uow, AGENT, filed.reference)
    finally:
        context.close()
    return filed.reference


def _references() -> set[str]:
    context = bootstrap(Settings(), run_migrations=False)
    try:
        with context.engine.connect() as connection:
            return set(connection.execute(select(support_cases.c.reference)).scalars())
    finally:
        context.close()


def _events() -> int:
    context = bootstrap(Settings(), run_migrations=False)
    try:
        with context.engine.connect() as connection:
            count = select(func.count()).select_from(support_case_events)
            return int(connection.execute(count).scalar_one())
    finally:
        context.close()


@pytest.mark.usefixtures("shell")
def test_p7_the_retention_sweep_deletes_cases_closed_over_a_year_ago_and_keeps_the_rest() -> None:
    now = datetime.now(UTC)
    old = _closed_at(now - timedelta(days=370))
    recent = _closed_at(now - timedelta(days=300))
    linked, _other = _filed()  # open, and closed today
    result = runner.invoke(app, ["retention", "sweep"])  # a rule of the one sweep (issue 13)
    assert result.exit_code == 0, result.output
    assert "support_desk\tsupport_cases\tdeleted\t1\n" in result.output, result.output
    left = _references()
    assert old not in left and recent in left and linked in left
    assert _events() == 2  # the closing of each closed case that stays; the old one's went
    again = runner.invoke(app, ["retention", "sweep"])
    assert again.exit_code == 0 and "support_cases" not in again.output, again.output
