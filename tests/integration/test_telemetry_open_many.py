"""``SubjectAccess.open_many`` decides as ``open`` does, one subject at a time (issue 12
item 1; LEGAL L25, L21): objected, restricted (whole or scoped), closed, minor, consented and
withdrawn subjects get the same decision, the same withheld categories and an access-log
entry for each subject opened, in one query per kind of record for the batch."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import event, insert, update
from tests.factories import customer
from tests.integration.campaign_support import give, withdraw

from privaat.bootstrap import Context
from privaat.domain.errors import AccessDenied
from privaat.domain.guard import Decision
from privaat.domain.principal import DataSubject, SystemJob
from privaat.services.subject_access import Opened, Operation
from privaat.store.tables import accounts, restrictions, subjects

JOB = SystemJob("telemetry:test")
ACTIVITIES = ("voip_sync_telemetry", "device_precise_location", "app_hosting_analytics")


def _people(context: Context) -> dict[str, int]:
    names = [
        "plain",
        "objected",
        "restricted",
        "scoped",
        "closed",
        "minor",
        "consented",
        "withdrawn",
    ]
    people = {name: customer(context) for name in names}
    with context.unit_of_work() as uow:
        context.objections.object(
            uow,
            DataSubject(people["objected"].subject_id),
            people["objected"].subject_id,
            "voip_sync_telemetry",
        )
    give(context, people["consented"], "device_precise_location")
    give(context, people["withdrawn"], "device_precise_location")
    withdraw(context, people["withdrawn"], "device_precise_location")
    ids = {name: person.subject_id for name, person in people.items()}
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    with context.engine.begin() as connection:
        connection.execute(
            update(subjects).where(subjects.c.id == ids["restricted"]).values(restricted=True)
        )
        connection.execute(
            update(subjects).where(subjects.c.id == ids["scoped"]).values(restriction_scoped=True)
        )
        connection.execute(
            insert(restrictions).values(
                subject_id=ids["scoped"], activity=None, category="diagnostic_logs", at=now
            )
        )
        connection.execute(
            update(accounts).where(accounts.c.subject_id == ids["closed"]).values(status="closed")
        )
        connection.execute(update(subjects).where(subjects.c.id == ids["minor"]).values(minor=True))
    return ids


def _one_by_one(
    context: Context, subject_id: int, activity: str
) -> tuple[bool, str | None, frozenset[str]]:
    with context.unit_of_work() as uow, uow.writing() as connection:
        try:
            opened = context.access.open(
                connection, JOB, subject_id, activity, operation=Operation.WRITE
            )
        except AccessDenied as denied:
            reason = denied.decision.reason
            return False, reason.value if reason else None, frozenset()
    return True, None, opened.withheld


def _summary(answer: Opened | Decision) -> tuple[bool, str | None, frozenset[str]]:
    if isinstance(answer, Opened):
        return True, None, answer.withheld
    return False, answer.reason.value if answer.reason else None, frozenset()


def test_l25_open_many_decides_as_open_for_every_kind_of_subject(context: Context) -> None:
    ids = _people(context)
    for activity in ACTIVITIES:
        expected = {name: _one_by_one(context, sid, activity) for name, sid in ids.items()}
        with context.unit_of_work() as uow, uow.writing() as connection:
            answers = context.access.open_many(
                connection, JOB, [*ids.values(), 999_999], activity, operation=Operation.WRITE
            )
        got = {name: _summary(answers[sid]) for name, sid in ids.items()}
        assert got == expected, activity
        assert 999_999 not in answers  # no such subject: left out, as open's SubjectNotFound
    # the cases really differ: an objection, a restriction, a closure and a minor refuse
    voip = {name: _one_by_one(context, sid, "voip_sync_telemetry") for name, sid in ids.items()}
    assert voip["plain"][0] and not voip["objected"][0] and voip["objected"][1] == "objected"
    assert not voip["restricted"][0] and not voip["closed"][0] and not voip["minor"][0]
    assert voip["scoped"] == (True, None, frozenset({"diagnostic_logs"}))
    precise = {n: _one_by_one(context, sid, "device_precise_location") for n, sid in ids.items()}
    assert precise["consented"][0] and not precise["withdrawn"][0] and not precise["plain"][0]


def test_l25_open_many_logs_each_opened_subject_and_reads_in_few_queries(
    context: Context,
) -> None:
    people = [customer(context).subject_id for _ in range(30)]
    objector = people[0]
    with context.unit_of_work() as uow:
        context.objections.object(uow, DataSubject(objector), objector, "voip_sync_telemetry")
    context.access_log.flush()
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    with context.unit_of_work() as uow, uow.writing() as connection:
        event.listen(context.engine, "before_cursor_execute", count)
        try:
            answers = context.access.open_many(
                connection, JOB, people, "voip_sync_telemetry", operation=Operation.WRITE
            )
        finally:
            event.remove(context.engine, "before_cursor_execute", count)
    # one record query and one objections query for 30 subjects (open: two each)
    assert len(statements) == 2, statements
    assert isinstance(answers[objector], Decision)
    assert all(isinstance(answers[sid], Opened) for sid in people[1:])
    entries = context.access_log.flush()
    assert entries == 29  # one access-log entry per opened subject, none for the refused one
