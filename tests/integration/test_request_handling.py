"""The privacy officer's steps on a request (issue 11 item 3; GDPR art. 12(3)-(5); LEGAL
L55, L56, L58): start, extend within the first month with reasons (told to the requester),
refuse with reasons and the right to complain, complete; every step in the audit trail."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from tests.factories import Customer, customer

from privaat.bootstrap import Context
from privaat.domain.principal import StaffMember, StaffRole
from privaat.domain.subject_requests import Action, RequestKind, RequestStatus
from privaat.mail.transport import OutgoingMail
from privaat.services.errors import Conflict, InvalidField
from privaat.services.subject_requests import QueuedRequest, RequestChannel, RequestNotFound
from privaat.store.tables import audit_log

OFFICER = StaffMember(1, StaffRole.PRIVACY_OFFICER)


def _filed(context: Context, kind: RequestKind = RequestKind.ACCESS) -> tuple[Customer, str]:
    person = customer(context)
    with context.unit_of_work() as uow:
        row, created = context.requests.file_for(
            uow, person.principal, kind, channel=RequestChannel.API
        )
    assert created and row.status is RequestStatus.VERIFIED
    return person, row.reference


def _act(
    context: Context, reference: str, action: Action, *, reason: str | None = None, months: int = 0
) -> QueuedRequest:
    with context.unit_of_work() as uow:
        return context.requests.act(uow, OFFICER, reference, action, reason=reason, months=months)


def _letters(context: Context, template: str) -> list[OutgoingMail]:
    return [mail for _id, t, mail in context.outbox.pending() if t == template]


def test_L55_an_extension_with_reasons_is_told_to_the_requester_with_the_new_date(
    context: Context,
) -> None:
    person, reference = _filed(context)  # received Thursday 26 November 2026
    _act(context, reference, Action.START)
    row = _act(context, reference, Action.EXTEND, reason="Veel gegevens in oude systemen", months=2)
    assert row.status is RequestStatus.EXTENDED
    assert row.due_on == date(2027, 2, 26)  # 26 November + 3 months
    [letter] = _letters(context, "request_extended")
    assert letter.to == person.email
    assert "Veel gegevens in oude systemen" in letter.body
    assert "26 februari 2027" in letter.body
    assert "Autoriteit Persoonsgegevens" in letter.body


def test_L55_an_extension_after_the_first_month_or_past_two_months_is_refused(
    context: Context,
) -> None:
    _person, reference = _filed(context)
    _act(context, reference, Action.START)
    with pytest.raises(InvalidField, match="at most 2"):
        _act(context, reference, Action.EXTEND, reason="x", months=3)
    context.clock.advance(timedelta(days=40))  # type: ignore[attr-defined]
    with pytest.raises(InvalidField, match="within one month"):
        _act(context, reference, Action.EXTEND, reason="late", months=1)
    assert not _letters(context, "request_extended")


def test_L56_L58_a_refusal_needs_reasons_and_tells_them_with_the_right_to_complain(
    context: Context,
) -> None:
    person, reference = _filed(context, RequestKind.ERASURE)
    with pytest.raises(InvalidField, match="needs reasons"):
        _act(context, reference, Action.REFUSE, reason="  ")
    row = _act(context, reference, Action.REFUSE, reason="Er loopt een geschil over een factuur")
    assert row.status is RequestStatus.REFUSED
    [letter] = _letters(context, "request_refused")
    assert letter.to == person.email
    assert "Er loopt een geschil over een factuur" in letter.body
    url = context.policy.supervisory_authority.complaint_url
    assert url in letter.body


def test_a_step_the_table_lacks_is_a_conflict_and_changes_nothing(context: Context) -> None:
    _person, reference = _filed(context)
    with pytest.raises(Conflict, match="no step 'complete'"):
        _act(context, reference, Action.COMPLETE)  # not started
    done = _act(context, reference, Action.START)
    assert done.status is RequestStatus.IN_PROGRESS
    assert _act(context, reference, Action.COMPLETE).status is RequestStatus.COMPLETED
    with context.engine.connect() as connection:
        actions = [a for (a,) in connection.execute(select(audit_log.c.action))]
    assert actions.count("request.start") == 1 and actions.count("request.complete") == 1


def test_an_unknown_reference_is_not_found(context: Context) -> None:
    with pytest.raises(RequestNotFound):
        _act(context, "PR-AAAAAAAA", Action.START)
