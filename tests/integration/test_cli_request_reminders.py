"""``privaat jobs remind-requests`` (issue 11 item 3): queues each due reminder once, prints
what it queued and where to, nothing about the person."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from privaat.bootstrap import bootstrap
from privaat.cli import app
from privaat.domain.principal import StaffMember, StaffRole
from privaat.domain.subject_requests import RequestKind
from privaat.settings import Settings
from privaat.store.tables_requests import subject_requests

runner = CliRunner()


def _file_due_today() -> str:
    context = bootstrap(Settings())
    try:
        with context.unit_of_work() as uow:
            reference = context.requests.file_by_staff(
                uow,
                StaffMember(1, StaffRole.PRIVACY_OFFICER),
                email="beller@example.nl",
                kind=RequestKind.ERASURE,
                text="Belde om alles te laten wissen.",
                identity_check="klantnummer en geboortedatum genoemd",
            ).reference
        today = context.requests.local_date(context.clock.now())
        with context.engine.begin() as connection:  # as if a month had passed
            connection.execute(
                update(subject_requests)
                .where(subject_requests.c.reference == reference)
                .values(due_on=today)
            )
        return reference
    finally:
        context.close()


@pytest.mark.usefixtures("shell")
def test_L55_the_job_queues_a_due_reminder_once_and_names_the_mailbox() -> None:
    reference = _file_due_today()
    first = runner.invoke(app, ["jobs", "remind-requests"])
    assert first.exit_code == 0, first.output
    lines = first.output.strip().splitlines()
    listed, reminder, due_on = lines[0].split("\t")
    assert (listed, reminder) == (reference, "due_in_2")  # due today: the last call
    assert date.fromisoformat(due_on)  # the due date, as ISO 8601
    assert lines[-1] == "queued 1 reminder(s) to euprivacy@flexibelt.nl"
    assert "beller@example.nl" not in first.output
    again = runner.invoke(app, ["jobs", "remind-requests"])
    assert again.exit_code == 0 and again.output.strip().splitlines() == [
        "queued 0 reminder(s) to euprivacy@flexibelt.nl"
    ]
