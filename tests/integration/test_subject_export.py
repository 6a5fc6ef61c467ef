"""The collection behind an access or portability answer (issue 11 item 4; LEGAL L59, L63):
every table that holds a subject reference is walked, every encrypted value opened.

The person below is built through the services as they would use them: sign-up with a
consent, log-ins, a withdrawal, an objection, a request by e-mail. The expectations are
the rows the database holds for them, counted with plain SQL, and the values they gave.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from tests.factories import customer

from privaat.bootstrap import Context
from privaat.domain.principal import DataSubject
from privaat.services.consents import ConsentMethod, Evidence
from privaat.services.subject_export import EXCLUDED_TABLES, SubjectExport
from privaat.store.registry import subject_tables
from privaat.store.tables import metadata, subjects


def _seeded(context: Context) -> Any:
    person = customer(context, name="Anna de Wit")
    with context.unit_of_work() as uow:
        for _ in range(2):
            context.sessions.log_in(
                uow, email=person.email, password=person.password, ip="145.97.0.9", user_agent="UA"
            )
        context.consents.give(
            uow,
            person.principal,
            person.subject_id,
            "email_engagement",
            lang="nl",
            method=ConsentMethod.PRIVACY_CENTRE,
            evidence=Evidence(ip="145.97.0.9", user_agent="Firefox"),
        )
        context.consents.withdraw(
            uow,
            person.principal,
            person.subject_id,
            "email_engagement",
            method=ConsentMethod.PRIVACY_CENTRE,
            evidence=Evidence(ip="145.97.0.9", user_agent="Firefox"),
        )
        context.objections.object(uow, person.principal, person.subject_id, "marketing_selection")
        context.requests.receive_mail(
            uow,
            f"From: {person.email}\r\nSubject: inzage\r\n\r\nIk wil inzage.\r\n".encode(),
        )
    context.access_log.flush()
    return person


def _rows_held(context: Context, subject_id: int) -> dict[str, int]:
    counts = {}
    with context.engine.connect() as connection:
        pseudonym = connection.execute(
            select(subjects.c.pseudonym).where(subjects.c.id == subject_id)
        ).scalar_one()
        for table, spec in subject_tables(metadata):
            key = pseudonym if spec.by_pseudonym else subject_id
            counts[table.name] = connection.execute(
                select(func.count()).select_from(table).where(table.c[spec.subject_column] == key)
            ).scalar_one()
    return counts


def test_L59_every_row_of_every_subject_table_is_in_the_export(context: Context) -> None:
    person = _seeded(context)
    with context.unit_of_work() as uow:
        data = SubjectExport(access=context.access).collect(
            uow, DataSubject(person.subject_id), person.subject_id
        )
    held = _rows_held(context, person.subject_id)
    # the seeding reached the tables this test is about
    for table in ("accounts", "consent_events", "objections", "login_events", "sessions"):
        assert held[table] > 0, table
    for table in ("subject_requests", "request_mails", "outbox", "access_log", "audit_log"):
        assert held[table] > 0, table
    exported = {part.table: len(part.rows) for part in data.parts}
    expected = {name: n for name, n in held.items() if n and name not in EXCLUDED_TABLES}
    assert exported == expected


def test_L59_the_values_are_in_clear_and_no_hash_or_key_is_handed_over(context: Context) -> None:
    person = _seeded(context)
    with context.unit_of_work() as uow:
        data = SubjectExport(access=context.access).collect(
            uow, DataSubject(person.subject_id), person.subject_id
        )
    [account] = data.part("accounts").rows  # type: ignore[union-attr]
    assert account["email"] == person.email and account["name"] == "Anna de Wit"
    assert "email_bidx" not in account
    consents = data.part("consent_events").rows  # type: ignore[union-attr]
    assert [row["given"] for row in consents] == [True, False]
    assert '"user_agent":"Firefox"' in consents[0]["evidence"]  # the held evidence, opened
    [request] = data.part("subject_requests").rows  # type: ignore[union-attr]
    assert "Ik wil inzage." in request["details"] and request["kind"] == "access"
    [mail] = data.part("request_mails").files  # type: ignore[union-attr]
    assert mail[1].startswith(f"From: {person.email}".encode())
    assert all(part.table not in EXCLUDED_TABLES for part in data.parts)
    for part in data.parts:
        for field in part.fields:
            assert not field.name.endswith(("_bidx", "_hash")), (part.table, field.name)


def test_L59_every_subject_table_is_exported_or_excluded_for_a_reason() -> None:
    walked = {table.name for table, _spec in subject_tables(metadata)}
    assert set(EXCLUDED_TABLES) <= walked
    assert all(reason.strip() for reason in EXCLUDED_TABLES.values())
    # the walk is the registry itself: the export's tables are every other subject table
    export = SubjectExport.__new__(SubjectExport)
    SubjectExport.__init__(export, access=None)  # type: ignore[arg-type]
    assert {table.name for table, _ in export._tables} == walked - set(EXCLUDED_TABLES)
