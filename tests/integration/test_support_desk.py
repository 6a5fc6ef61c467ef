"""The support desk's cases (issue 12 item 2; P5, P7; LEGAL L5): filed, linked to an account
only from its verified address, in the person's access export and gone after their erasure."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.factories import customer

from privaat.bootstrap import Context
from privaat.domain.errors import AccessDenied
from privaat.domain.principal import DataSubject, StaffMember, StaffRole
from privaat.services.errors import InvalidField
from privaat.services.subject_export import SubjectExport
from privaat.services.support_desk import (
    CaseNotFound,
    CaseStatus,
    Channel,
    ContactBy,
    EventKind,
    LogFile,
    NewCase,
    Product,
)
from privaat.store.tables import accounts, subjects
from privaat.store.tables_support import (
    support_case_events,
    support_case_products,
    support_cases,
)

OFFICER = StaffMember(1, StaffRole.PRIVACY_OFFICER)
AGENT = StaffMember(2, StaffRole.SUPPORT)
TABLES = (support_cases, support_case_products, support_case_events)


def _case(**overrides: Any) -> NewCase:
    fields: dict[str, Any] = {
        "channel": Channel.EMAIL,
        "title": "Telefoon synchroniseert niet",
        "question": "Mijn toestel haalt het adresboek niet op.",
        "contact_by": ContactBy.EMAIL,
        "name": "Jan Jansen",
        "email": "jan@example.nl",
        "products": (Product("FX-2024-00123", date(2025, 3, 1)),),
        **overrides,
    }
    return NewCase(**fields)


def _counts(context: Context, subject_id: int | None = None) -> dict[str, int]:
    with context.engine.connect() as connection:
        return {
            table.name: connection.execute(
                select(func.count())
                .select_from(table)
                .where(True if subject_id is None else table.c.subject_id == subject_id)
            ).scalar_one()
            for table in TABLES
        }


def _case_row(context: Context, reference: str) -> Any:
    with context.engine.connect() as connection:
        return connection.execute(
            select(support_cases).where(support_cases.c.reference == reference)
        ).one()


# --- L5: linking -----------------------------------------------------------------------


def _mail(context: Context, uow: Any, sender: str) -> Any:
    return context.support.file_mail(
        uow, sender=sender, sender_name="Jan", subject="Geen verbinding", text="Help, graag."
    )


def test_l5_a_mail_from_the_accounts_verified_address_is_linked(context: Context) -> None:
    me = customer(context)
    with context.unit_of_work() as uow:
        filed = _mail(context, uow, me.email)
    row = _case_row(context, filed.reference)
    assert filed.linked and row.subject_id == me.subject_id
    assert row.linked_by == "verified_email"


def test_l5_the_same_address_in_other_ascii_case_is_the_same_mailbox(context: Context) -> None:
    me = customer(context)
    shouted = me.email.upper()
    with context.unit_of_work() as uow:
        filed = _mail(context, uow, shouted)
    assert filed.linked and _case_row(context, filed.reference).subject_id == me.subject_id


@pytest.mark.parametrize(
    "lookalike",
    [
        "jan@ｆlexibelt.nl",  # a fullwidth f: IDNA would map it to the real domain
        "jan@f1exibelt.nl",  # a digit for the l
        "jan@flexibeIt.nl",  # a capital I for the l
        "jan@flеxibelt.nl",  # Cyrillic е (U+0435)
        "jan@\u212aflexibelt.nl",  # KELVIN SIGN: Python's lower() makes it a "k"
        "jan@flexibelt.nl.evil.example",
        "jan+x@flexibelt.nl",
    ],
)
def test_l5_a_lookalike_address_gives_an_unlinked_case(context: Context, lookalike: str) -> None:
    owner_address = "jan@flexibelt.nl" if "\u212a" not in lookalike else "jan@kflexibelt.nl"
    me = customer(context, email=owner_address)
    with context.unit_of_work() as uow:
        filed = _mail(context, uow, lookalike)
    row = _case_row(context, filed.reference)
    assert not filed.linked
    assert row.subject_id != me.subject_id and row.linked_by is None
    with context.engine.connect() as connection:  # a person of their own, without an account
        assert (
            connection.execute(
                select(func.count())
                .select_from(accounts)
                .where(accounts.c.subject_id == row.subject_id)
            ).scalar_one()
            == 0
        )
        assert (
            connection.execute(
                select(func.count()).select_from(subjects).where(subjects.c.id == row.subject_id)
            ).scalar_one()
            == 1
        )


def test_l5_an_unverified_address_gives_an_unlinked_case(context: Context) -> None:
    me = customer(context, verified=False)
    with context.unit_of_work() as uow:
        filed = _mail(context, uow, me.email)
    assert not filed.linked
    assert _case_row(context, filed.reference).subject_id != me.subject_id


def test_l5_an_unknown_sender_is_a_person_without_an_account(context: Context) -> None:
    with context.unit_of_work() as uow:
        filed = _mail(context, uow, "nieuw@example.org")
    row = _case_row(context, filed.reference)
    assert not filed.linked and row.linked_by is None
    with context.unit_of_work() as uow:
        data = SubjectExport(access=context.access).collect(
            uow, DataSubject(row.subject_id), row.subject_id
        )
    [case] = data.part("support_cases").rows  # type: ignore[union-attr]
    assert case["email"] == "nieuw@example.org"


def test_l5_staff_filing_links_only_by_the_verified_address(context: Context) -> None:
    me = customer(context)
    with context.unit_of_work() as uow:
        linked = context.support.file_by_staff(
            uow, AGENT, _case(channel=Channel.PHONE, email=me.email)
        )
        other = context.support.file_by_staff(
            uow, AGENT, _case(channel=Channel.IN_PERSON, email="iemand@example.org")
        )
    assert linked.linked and _case_row(context, linked.reference).subject_id == me.subject_id
    assert not other.linked


# --- P7: export and erasure ------------------------------------------------------------


def _seeded(context: Context) -> tuple[int, str]:
    me = customer(context)
    log = LogFile("sync.log", b"registrar timeout; call +31 6 12345678; password=geheim\n")
    with context.unit_of_work() as uow:
        filed = context.support.file_by_customer(
            uow, me.principal, _case(channel=Channel.WEB, email=me.email, log=log)
        )
        context.support.add_event(uow, AGENT, filed.reference, EventKind.NOTE, "Firmware oud.")
    return me.subject_id, filed.reference


def test_p7_a_persons_case_is_in_their_access_export_in_clear(context: Context) -> None:
    subject_id, reference = _seeded(context)
    with context.unit_of_work() as uow:
        data = SubjectExport(access=context.access).collect(
            uow, DataSubject(subject_id), subject_id
        )
    [case] = data.part("support_cases").rows  # type: ignore[union-attr]
    assert case["reference"] == reference and case["actor"] == "customer"
    assert case["question"] == "Mijn toestel haalt het adresboek niet op."
    assert case["title"] == "Telefoon synchroniseert niet"
    [product] = data.part("support_case_products").rows  # type: ignore[union-attr]
    assert product["serial"] == "FX-2024-00123"
    events = data.part("support_case_events").rows  # type: ignore[union-attr]
    bodies = {e["kind"]: (e["body"], e["log"]) for e in events}
    # L62: the agent who wrote the note is named by role, never by their staff id
    assert {e["actor"] for e in events if e["kind"] == "note"} == {"staff:support"}
    assert bodies["note"][0] == "Firmware oud."
    log_text = bodies["log"][1]
    assert "registrar timeout" in log_text
    assert "12345678" not in log_text and "geheim" not in log_text  # scrubbed before storage


def test_p7_erasure_removes_every_support_row(context: Context) -> None:
    subject_id, _reference = _seeded(context)
    assert _counts(context, subject_id) == {
        t.name: 1 for t in (support_cases, support_case_products)
    } | {"support_case_events": 2}
    with context.unit_of_work() as uow:
        context.erasure.erase(uow, OFFICER, subject_id, ground="art. 17(1)(a)")
    assert _counts(context, subject_id) == {t.name: 0 for t in TABLES}


# --- the case's course -------------------------------------------------------------------


def test_p7_closing_starts_the_retention_clock_on_every_row(context: Context) -> None:
    subject_id, reference = _seeded(context)
    with context.unit_of_work() as uow:
        context.support.close(uow, AGENT, reference)
    with context.engine.connect() as connection:
        for table in TABLES:
            stamps = connection.execute(
                select(table.c.closed_at).where(table.c.subject_id == subject_id)
            ).scalars()
            assert all(at == context.clock.now() for at in stamps), table.name
    with context.unit_of_work() as uow:
        detail = context.support.read(uow, AGENT, reference)
        mine = context.support.read(uow, DataSubject(subject_id), reference)
    assert detail.summary.status is CaseStatus.CLOSED
    assert [e.kind for e in detail.events] == [EventKind.LOG, EventKind.NOTE, EventKind.CLOSED]
    assert EventKind.NOTE not in [e.kind for e in mine.events]  # staff notes stay internal


def test_p7_a_customer_cannot_read_another_persons_case(context: Context) -> None:
    _subject_id, reference = _seeded(context)
    stranger = customer(context)
    with context.unit_of_work() as uow, pytest.raises(CaseNotFound):
        context.support.read(uow, stranger.principal, reference)


# --- bad input: a clear error and nothing stored --------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"question": "Mijn kaart is 4111 1111 1111 1111, graag terugbetalen"}, "question"),
        ({"title": "Probleem\x1b[31m"}, "title"),
        ({"log": LogFile("big.log", b"x" * (10 * 1024 * 1024))}, "log"),
        ({"products": (Product("12"),)}, "serial"),
        ({"products": (Product("FX 2024 ☃"),)}, "serial"),
        ({"products": (Product("FX-2024-00123", date(2027, 1, 1)),)}, "purchased_on"),
        ({"email": "geen adres"}, "email"),
        ({"email": None}, "email"),  # contact by e-mail without an address
        ({"contact_by": ContactBy.PHONE, "phone": "12"}, "phone"),
    ],
)
def test_p7_bad_input_is_refused_with_the_field_and_nothing_is_stored(
    context: Context, overrides: dict[str, Any], field: str
) -> None:
    me = customer(context)
    with context.unit_of_work() as uow, pytest.raises(InvalidField) as refused:
        context.support.file_by_customer(
            uow, me.principal, _case(**{"email": me.email, **overrides})
        )
    assert refused.value.field == field
    assert "4111" not in str(refused.value)
    assert _counts(context) == {t.name: 0 for t in TABLES}


def test_p7_a_purchase_today_is_accepted(context: Context) -> None:
    me = customer(context)
    today = context.clock.now().date()
    with context.unit_of_work() as uow:
        context.support.file_by_customer(
            uow, me.principal, _case(email=me.email, products=(Product("fx-1234", today),))
        )
        rows = context.support.mine(uow, me.principal)
    assert len(rows) == 1
    assert today - timedelta(days=1) < today


# --- art. 21: a person who objected -------------------------------------------------------


def test_p7_staff_cannot_see_the_case_of_a_person_who_objected(context: Context) -> None:
    subject_id, reference = _seeded(context)
    with context.unit_of_work() as uow:
        context.objections.object(uow, DataSubject(subject_id), subject_id, "support_desk")
    with context.unit_of_work() as uow:
        assert reference not in [c.reference for c in context.support.queue(uow, AGENT)]
        with pytest.raises(AccessDenied):
            context.support.read(uow, AGENT, reference)


def test_l5_a_mail_from_a_person_who_objected_to_linking_is_not_linked(context: Context) -> None:
    me = customer(context)
    with context.unit_of_work() as uow:
        context.objections.object(uow, me.principal, me.subject_id, "support_linking")
    with context.unit_of_work() as uow:
        filed = _mail(context, uow, me.email)
    assert not filed.linked
    assert _case_row(context, filed.reference).subject_id != me.subject_id


def test_p7_a_mail_from_a_person_who_objected_to_the_desk_stands_on_its_own(
    context: Context,
) -> None:
    me = customer(context)
    with context.unit_of_work() as uow:
        context.objections.object(uow, me.principal, me.subject_id, "support_desk")
    with context.unit_of_work() as uow:
        filed = _mail(context, uow, me.email)  # filed, not refused: no 451 loop
    assert not filed.linked
    assert _case_row(context, filed.reference).subject_id != me.subject_id


def test_p7_a_reply_mail_on_a_closed_case_opens_it_again(context: Context) -> None:
    with context.unit_of_work() as uow:
        filed = _mail(context, uow, "piet@example.org")
        context.support.close(uow, AGENT, filed.reference)
        again = context.support.file_mail(
            uow, sender="piet@example.org", subject=f"Re: {filed.reference}", text="Nog steeds."
        )
        detail = context.support.read(uow, AGENT, filed.reference)
    assert again.reference == filed.reference and not again.new_case
    assert detail.summary.status is CaseStatus.OPEN and detail.summary.closed_at is None
    kinds = [e.kind for e in detail.events]
    assert kinds == [EventKind.CLOSED, EventKind.REOPENED, EventKind.MESSAGE]
    row = _case_row(context, filed.reference)
    with context.engine.connect() as connection:  # no row of an open case is on the clock
        stamps = connection.execute(
            select(support_case_events.c.closed_at).where(support_case_events.c.case_id == row.id)
        ).scalars()
        assert all(at is None for at in stamps)


def test_p7_a_staff_reply_is_mailed_to_the_cases_address_and_the_answer_joins_the_case(
    context: Context,
) -> None:
    with context.unit_of_work() as uow:
        filed = _mail(context, uow, "piet@example.org")  # an unknown sender: no account
        noted = context.support.add_event(uow, AGENT, filed.reference, EventKind.NOTE, "Intern.")
        mailed = context.support.add_event(
            uow, AGENT, filed.reference, EventKind.REPLY, "Herstart uw toestel, dan werkt het."
        )
    assert (noted, mailed) == (False, True)  # a note stays inside
    [letter] = [
        mail for _id, template, mail in context.outbox.pending() if template == "support_reply"
    ]
    assert letter.to == "piet@example.org"
    assert letter.subject.startswith(f"[{filed.reference}]")
    assert "Herstart uw toestel, dan werkt het." in letter.body
    assert "Intern." not in letter.body
    assert "Klantenservice van Flexibelt" in letter.body  # Dutch: the policy's first language
    with context.unit_of_work() as uow:  # the person answers the mail: it joins their case
        again = context.support.file_mail(
            uow, sender="piet@example.org", subject=letter.subject, text="Dank, het werkt."
        )
    assert again.reference == filed.reference and not again.new_case


def test_p7_a_reply_is_not_mailed_to_who_asked_to_be_called(context: Context) -> None:
    me = customer(context)
    case = _case(contact_by=ContactBy.PHONE, phone="0612345678", email=None, channel=Channel.WEB)
    with context.unit_of_work() as uow:
        filed = context.support.file_by_customer(uow, me.principal, case)
        mailed = context.support.add_event(uow, AGENT, filed.reference, EventKind.REPLY, "Ik bel.")
    assert mailed is False
    assert not [t for _id, t, _mail in context.outbox.pending() if t == "support_reply"]
