"""Objection carried out from a request (issue 11 item 8; GDPR art. 21; LEGAL L67): recorded
at once, processing for the person stops; direct marketing is absolute and completes at once;
compelling grounds are the privacy officer's recorded decision, kept with the request and
told to the person with the right to complain."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from tests.integration.test_request_rights_rectification import OFFICER, started

from privaat.bootstrap import Context
from privaat.domain.principal import StaffMember, StaffRole
from privaat.domain.subject_requests import RequestKind
from privaat.services.errors import Conflict, InvalidField, NotPermitted
from privaat.services.objections import ObjectionFinal
from privaat.store.tables_rights import request_objections


def _allowed(context: Context, subject_id: int, activity: str) -> bool:
    with context.engine.connect() as connection:
        return context.access.decide(connection, OFFICER, subject_id, activity).allowed


def _status(context: Context, reference: str) -> str:
    with context.unit_of_work() as uow:
        queue = context.requests.queue(uow)
    return next(q.status.value for q in queue if q.reference == reference)


def test_L67_an_objection_stops_the_activity_at_once_and_waits_for_the_officer(
    context: Context,
) -> None:
    person, reference = started(context, RequestKind.OBJECTION)
    assert _allowed(context, person.subject_id, "support_linking")
    with context.unit_of_work() as uow:
        taken = context.rights.object(uow, OFFICER, reference, activity="support_linking")
    assert (taken.activity, taken.decision, taken.completed) == ("support_linking", None, False)
    assert not _allowed(context, person.subject_id, "support_linking")
    assert _status(context, reference) == "in_progress"
    with context.unit_of_work() as uow:
        upheld = context.rights.uphold(uow, OFFICER, reference)
    assert upheld.decision == "upheld" and _status(context, reference) == "completed"
    assert not _allowed(context, person.subject_id, "support_linking")
    [letter] = [m for _i, t, m in context.outbox.pending() if t == "request_objection_upheld"]
    assert letter.to == person.email and "Autoriteit Persoonsgegevens" in letter.body


def test_L67_compelling_grounds_are_kept_with_the_request_and_told_with_the_complaint(
    context: Context,
) -> None:
    person, reference = started(context, RequestKind.OBJECTION)
    with context.unit_of_work() as uow:
        context.rights.object(uow, OFFICER, reference, activity="support_linking")
        taken = context.rights.grounds(
            uow,
            OFFICER,
            reference,
            activity="support_linking",
            reason="An open fraud case needs the link until it is closed.",
        )
    assert taken.decision == "overridden" and _status(context, reference) == "completed"
    assert _allowed(context, person.subject_id, "support_linking")  # art. 21(1)
    with context.engine.connect() as connection:
        stored = connection.execute(select(request_objections)).one()
    assert stored.decision == "overridden" and stored.decided_at is not None
    assert b"fraud" not in stored.grounds_enc  # under the hold key
    [notice] = [m for _i, t, m in context.outbox.pending() if t == "objection_overridden"]
    assert "fraud case" in notice.body and "autoriteitpersoonsgegevens.nl" in notice.body


def test_L67_an_objection_to_direct_marketing_is_absolute_and_completes_at_once(
    context: Context,
) -> None:
    person, reference = started(context, RequestKind.OBJECTION)
    with context.unit_of_work() as uow:
        taken = context.rights.object(uow, OFFICER, reference, activity="marketing_email")
    assert (taken.activity, taken.decision, taken.completed) == ("direct_marketing", "upheld", True)
    assert not _allowed(context, person.subject_id, "marketing_email")
    assert _status(context, reference) == "completed"
    with context.unit_of_work() as uow, pytest.raises(Conflict):
        context.rights.grounds(
            uow, OFFICER, reference, activity="direct_marketing", reason="We want to."
        )
    [letter] = [m for _i, t, m in context.outbox.pending() if t == "request_objection_upheld"]
    assert "direct marketing" in letter.body


def test_bad_objection_steps_are_refused_and_change_nothing(
    context: Context,
) -> None:
    _person, reference = started(context, RequestKind.OBJECTION)
    with context.unit_of_work() as uow:
        with pytest.raises(Conflict, match="no objection yet"):
            context.rights.grounds(uow, OFFICER, reference, activity="x", reason="y")
        with pytest.raises(InvalidField) as unknown:
            context.rights.object(uow, OFFICER, reference, activity="no_such_activity")
        assert unknown.value.field == "activity"
        context.rights.object(uow, OFFICER, reference, activity="support_linking")
        with pytest.raises(Conflict, match="already"):
            context.rights.object(uow, OFFICER, reference, activity="support_desk")
        with pytest.raises(InvalidField, match="objects to 'support_linking'"):
            context.rights.grounds(uow, OFFICER, reference, activity="support_desk", reason="y")
        with pytest.raises(InvalidField) as empty:
            context.rights.grounds(uow, OFFICER, reference, activity="support_linking", reason=" ")
        assert empty.value.field == "reason"
    with context.engine.connect() as connection:
        assert connection.execute(select(request_objections.c.decision)).scalar() is None


def test_an_objection_naming_direct_marketing_itself_is_absolute(context: Context) -> None:
    person, reference = started(context, RequestKind.OBJECTION)
    with context.unit_of_work() as uow:
        taken = context.rights.object(uow, OFFICER, reference, activity="direct_marketing")
    assert taken.completed and taken.decision == "upheld"
    assert not _allowed(context, person.subject_id, "marketing_selection")
    # no grounds can be recorded against it, not even past the request (art. 21(3))
    with context.unit_of_work() as uow, pytest.raises(ObjectionFinal):
        context.objections.record_compelling_grounds(
            uow, OFFICER, person.subject_id, "direct_marketing", grounds="We want to."
        )


def test_only_a_privacy_officer_records_compelling_grounds(context: Context) -> None:
    _person, reference = started(context, RequestKind.OBJECTION)
    clerk = StaffMember(3, next(r for r in StaffRole if r is not StaffRole.PRIVACY_OFFICER))
    with context.unit_of_work() as uow:
        context.rights.object(uow, OFFICER, reference, activity="support_linking")
        with pytest.raises(NotPermitted):
            context.rights.grounds(uow, clerk, reference, activity="support_linking", reason="y")
    assert _status(context, reference) == "in_progress"
