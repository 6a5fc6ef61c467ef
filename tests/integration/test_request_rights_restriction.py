"""Restriction carried out from a request (issue 11 item 7; GDPR art. 18, 19; LEGAL L65):
the guard refuses all but the activities that go on during restriction from its commit,
recipients are told, and it is lifted only after the person was told, days ahead."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from tests.integration.test_request_rights_rectification import OFFICER, started

from privaat.bootstrap import Context
from privaat.domain.errors import AccessDenied
from privaat.domain.subject_requests import Action, RequestKind
from privaat.mail.transport import InMemoryTransport
from privaat.services.errors import Conflict, InvalidField
from privaat.services.subject_requests import RequestChannel
from privaat.store.tables import restrictions, subjects
from privaat.store.tables_rights import request_restrictions

DAY = timedelta(days=1)


def _advance(context: Context, by: timedelta) -> None:
    context.clock.advance(by)  # type: ignore[attr-defined]


def _allowed(context: Context, subject_id: int, activity: str) -> bool:
    with context.engine.connect() as connection:
        return context.access.decide(connection, OFFICER, subject_id, activity).allowed


def test_L65_a_whole_restriction_stops_every_activity_but_storage_and_legal_claims(
    context: Context,
) -> None:
    person, reference = started(context, RequestKind.RESTRICTION)
    with context.unit_of_work() as uow:  # a guarded read, allowed before
        assert context.accounts.read_profile(uow, person.principal, person.subject_id).name
    with context.unit_of_work() as uow:
        done = context.rights.restrict(uow, OFFICER, reference)
    with context.unit_of_work() as uow, pytest.raises(AccessDenied):
        context.accounts.read_profile(uow, person.principal, person.subject_id)
    assert not _allowed(context, person.subject_id, "important_notices")
    assert _allowed(context, person.subject_id, "legal_claims")  # art. 18(2)
    assert _allowed(context, person.subject_id, "rights_handling")
    with context.unit_of_work() as uow:
        [queued] = context.requests.requests_of(uow, person.principal, person.subject_id)
    assert queued.status.value == "completed"
    # art. 19: the processor of the notices that now stop is listed (no address)
    assert {t.recipient: t.told for t in done.told}["email_service"] == "no_address"
    [letter] = [m for _i, t, m in context.outbox.pending() if t == "request_restricted"]
    assert letter.to == person.email and "alle verwerking van uw gegevens" in letter.body
    assert "voordat wij de beperking opheffen" in letter.body
    assert "Autoriteit Persoonsgegevens" in letter.body


def test_L65_a_scoped_restriction_stops_only_what_it_names(context: Context) -> None:
    person, reference = started(context, RequestKind.RESTRICTION)
    assert _allowed(context, person.subject_id, "support_desk")
    with context.unit_of_work() as uow:
        done = context.rights.restrict(uow, OFFICER, reference, activities=["support_desk"])
    assert done.activities == ("support_desk",)
    assert not _allowed(context, person.subject_id, "support_desk")
    with context.unit_of_work() as uow:  # the account itself goes on
        assert context.accounts.read_profile(uow, person.principal, person.subject_id).name


def test_L65_lifting_tells_the_person_first_and_waits_for_the_letter_and_the_day(
    context: Context,
) -> None:
    person, reference = started(context, RequestKind.RESTRICTION)
    with context.unit_of_work() as uow:
        context.rights.restrict(uow, OFFICER, reference, categories=["phone_number"])
        scheduled = context.rights.lift(uow, OFFICER, reference)
    assert scheduled.lift_at == context.clock.now() + 7 * DAY
    [letter] = [m for _i, t, m in context.outbox.pending() if t == "request_restriction_lifting"]
    assert "over 7 dagen" in letter.body and "3 december 2026" in letter.body
    assert "Autoriteit Persoonsgegevens" in letter.body
    _advance(context, 8 * DAY)
    # the day has come but the letter has not gone: nothing is lifted (L65)
    with context.unit_of_work() as uow:
        run = context.rights.lift_due(uow)
    assert run.lifted == () and run.waiting == (reference,)
    with context.unit_of_work() as uow:
        profile = context.accounts.read_profile(uow, person.principal, person.subject_id)
    assert profile.restricted_fields == ("phone",)
    context.outbox.deliver(InMemoryTransport())  # the letter goes (rights handling goes on)
    with context.unit_of_work() as uow:
        run = context.rights.lift_due(uow)
    assert run.lifted == (reference,)
    with context.unit_of_work() as uow:
        profile = context.accounts.read_profile(uow, person.principal, person.subject_id)
    assert profile.restricted_fields == ()
    with context.engine.connect() as connection:
        assert not connection.execute(select(restrictions)).all()
        flags = connection.execute(
            select(subjects.c.restricted, subjects.c.restriction_scoped).where(
                subjects.c.id == person.subject_id
            )
        ).one()
    assert tuple(flags) == (False, False)
    with context.unit_of_work() as uow, pytest.raises(Conflict, match="lifted already"):
        context.rights.lift(uow, OFFICER, reference)


def test_L65_a_lift_is_not_before_its_day_even_when_the_letter_went(context: Context) -> None:
    person, reference = started(context, RequestKind.RESTRICTION)
    with context.unit_of_work() as uow:
        context.rights.restrict(uow, OFFICER, reference)
        context.rights.lift(uow, OFFICER, reference, days=10)
    context.outbox.deliver(InMemoryTransport())
    _advance(context, 9 * DAY)
    with context.unit_of_work() as uow:
        assert context.rights.lift_due(uow).lifted == ()
        with pytest.raises(Conflict, match="set for"):
            context.rights.lift(uow, OFFICER, reference)  # lifting twice
    assert not _allowed(context, person.subject_id, "account")
    _advance(context, DAY)
    with context.unit_of_work() as uow:
        assert context.rights.lift_due(uow).lifted == (reference,)
    assert _allowed(context, person.subject_id, "account")


def test_two_requests_restricting_the_same_thing_each_hold_it(context: Context) -> None:
    person, first = started(context, RequestKind.RESTRICTION)
    _advance(context, 15 * DAY)
    with context.unit_of_work() as uow:
        again, _ = context.requests.file_for(
            uow, person.principal, RequestKind.RESTRICTION, channel=RequestChannel.WEB
        )
        context.requests.act(uow, OFFICER, again.reference, Action.START)
        context.rights.restrict(uow, OFFICER, first, activities=["support_desk"])
        context.rights.restrict(uow, OFFICER, again.reference, activities=["support_desk"])
        context.rights.lift(uow, OFFICER, first)
    context.outbox.deliver(InMemoryTransport())
    _advance(context, 7 * DAY)
    with context.unit_of_work() as uow:
        assert context.rights.lift_due(uow).lifted == (first,)
    assert not _allowed(context, person.subject_id, "support_desk")


@pytest.mark.parametrize(
    ("scope", "field"),
    [({"activities": ["no_such_activity"]}, "activity"), ({"categories": ["shoes"]}, "category")],
)
def test_an_unknown_scope_is_refused_and_restricts_nothing(
    context: Context, scope: dict[str, list[str]], field: str
) -> None:
    person, reference = started(context, RequestKind.RESTRICTION)
    with context.unit_of_work() as uow, pytest.raises(InvalidField) as error:
        context.rights.restrict(uow, OFFICER, reference, **scope)
    assert error.value.field == field
    with context.engine.connect() as connection:
        assert not connection.execute(select(request_restrictions)).all()
    assert _allowed(context, person.subject_id, "support_desk")


def test_bad_lifts_are_refused(context: Context) -> None:
    _person, reference = started(context, RequestKind.RESTRICTION)
    with context.unit_of_work() as uow:
        with pytest.raises(Conflict, match="restricted nothing"):
            context.rights.lift(uow, OFFICER, reference)
        context.rights.restrict(uow, OFFICER, reference)
        with pytest.raises(InvalidField, match="at least 7 days"):
            context.rights.lift(uow, OFFICER, reference, days=3)
        with pytest.raises(
            Conflict, match="is completed; this step needs it extended or in progress"
        ):
            context.rights.restrict(uow, OFFICER, reference)


def test_L65_a_rectification_request_restricts_while_the_accuracy_is_checked(
    context: Context,
) -> None:
    person, reference = started(context, RequestKind.RECTIFICATION)
    with context.unit_of_work() as uow:
        context.rights.restrict(uow, OFFICER, reference, categories=["postal_address"])
        profile = context.accounts.read_profile(uow, person.principal, person.subject_id)
        [queued] = context.requests.requests_of(uow, person.principal, person.subject_id)
    # art. 18(1)(a): the contested address is not used meanwhile; the request stays open
    assert set(profile.restricted_fields) == {"street", "postal_code", "city"}
    assert queued.status.value == "in_progress"
    with context.unit_of_work() as uow:
        context.rights.rectify(uow, OFFICER, reference, {"city": "Zoetermeer"})
        context.rights.lift(uow, OFFICER, reference)
    context.outbox.deliver(InMemoryTransport())
    _advance(context, 7 * DAY)
    with context.unit_of_work() as uow:
        assert context.rights.lift_due(uow).lifted == (reference,)
        profile = context.accounts.read_profile(uow, person.principal, person.subject_id)
    assert profile.city == "Zoetermeer" and profile.restricted_fields == ()
