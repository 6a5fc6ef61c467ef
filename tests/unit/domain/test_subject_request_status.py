"""The status table of a data-subject request (GDPR art. 12(3)-(5); LEGAL L55, L56, L58)."""

from __future__ import annotations

from datetime import date

import pytest

from privaat.domain.subject_requests import (
    TRANSITIONS,
    Action,
    ExtensionRefused,
    IllegalTransition,
    ReasonRequired,
    RequestKind,
    RequestStatus,
    SubjectRequest,
    transition,
)

RECEIVED_ON = date(2026, 3, 2)  # a Monday; the first month ends Thursday 2 April 2026
S, A = RequestStatus, Action


def _in_progress(kind: RequestKind = RequestKind.ACCESS) -> SubjectRequest:
    request = SubjectRequest.received(kind, RECEIVED_ON)
    request = transition(request, A.VERIFY, today=RECEIVED_ON)
    return transition(request, A.START, today=RECEIVED_ON)


def test_the_happy_path_of_an_access_request() -> None:
    request = _in_progress()
    assert request.status is S.IN_PROGRESS
    done = transition(request, A.COMPLETE, today=date(2026, 3, 10))
    assert done.status is S.COMPLETED
    assert transition(done, A.CLOSE, today=date(2026, 3, 10)).status is S.CLOSED


@pytest.mark.parametrize(
    ("status", "action"),
    [
        pytest.param(S.RECEIVED, A.COMPLETE, id="complete-unverified"),
        pytest.param(S.RECEIVED, A.START, id="start-unverified"),
        pytest.param(S.VERIFIED, A.EXTEND, id="extend-before-start"),
        pytest.param(S.COMPLETED, A.REFUSE, id="refuse-after-answer"),
        pytest.param(S.CLOSED, A.VERIFY, id="reopen-closed"),
        pytest.param(S.REFUSED, A.COMPLETE, id="complete-refused"),
        pytest.param(S.COMPLETED, A.CANCEL, id="cancel-answered"),
    ],
)
def test_a_step_the_table_lacks_is_refused_by_name(status: RequestStatus, action: Action) -> None:
    request = SubjectRequest(RequestKind.ERASURE, status, _in_progress().deadline)
    with pytest.raises(IllegalTransition, match=f"no step '{action.value}'"):
        transition(request, action, today=RECEIVED_ON, reason="because")


def test_every_open_status_can_be_cancelled_and_no_closed_one_can() -> None:
    for status in RequestStatus:
        assert ((status, A.CANCEL) in TRANSITIONS) is status.open


def test_closed_is_the_end_nothing_leaves_it() -> None:
    assert not [key for key in TRANSITIONS if key[0] is S.CLOSED]


def test_L57_an_unverified_request_expires_into_closed() -> None:
    request = SubjectRequest.received(RequestKind.ACCESS, RECEIVED_ON)
    assert transition(request, A.EXPIRE, today=date(2026, 3, 9)).status is S.CLOSED


def test_L55_an_extension_within_the_first_month_with_reasons_moves_the_due_date() -> None:
    request = _in_progress()
    assert request.deadline.due() == date(2026, 4, 2)
    extended = transition(
        request, A.EXTEND, today=date(2026, 4, 2), reason="Many requests at once", months=2
    )
    assert extended.status is S.EXTENDED
    assert extended.deadline.due() == date(2026, 6, 2)
    assert extended.extension_reason == "Many requests at once"


def test_L55_two_one_month_extensions_are_two_months_and_a_third_is_refused() -> None:
    first = transition(_in_progress(), A.EXTEND, today=RECEIVED_ON, reason="complex", months=1)
    second = transition(first, A.EXTEND, today=RECEIVED_ON, reason="still complex", months=1)
    assert second.deadline.due() == date(2026, 6, 2)
    assert second.extension_reason == "complex\nstill complex"
    with pytest.raises(ExtensionRefused, match="at most 2 further months"):
        transition(second, A.EXTEND, today=RECEIVED_ON, reason="more", months=1)


def test_L55_an_extension_after_the_first_month_is_refused() -> None:
    with pytest.raises(ExtensionRefused, match=r"within one month of receipt \(by 2026-04-02\)"):
        transition(_in_progress(), A.EXTEND, today=date(2026, 4, 3), reason="late", months=1)


@pytest.mark.parametrize("months", [0, 3, -1])
def test_L55_an_extension_of_zero_or_more_than_two_months_is_refused(months: int) -> None:
    with pytest.raises(ExtensionRefused):
        transition(_in_progress(), A.EXTEND, today=RECEIVED_ON, reason="x", months=months)


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_L56_L58_a_refusal_or_extension_needs_reasons(reason: str | None) -> None:
    with pytest.raises(ReasonRequired, match="needs reasons"):
        transition(_in_progress(), A.REFUSE, today=RECEIVED_ON, reason=reason)
    with pytest.raises(ReasonRequired, match="needs reasons"):
        transition(_in_progress(), A.EXTEND, today=RECEIVED_ON, reason=reason, months=1)


def test_L58_a_refusal_keeps_its_reasons() -> None:
    refused = transition(
        _in_progress(), A.REFUSE, today=RECEIVED_ON, reason="  The third identical request  "
    )
    assert refused.status is S.REFUSED
    assert refused.refusal_reason == "The third identical request"


def test_L54_an_unclear_request_cannot_be_completed_before_it_is_classified() -> None:
    with pytest.raises(IllegalTransition):
        transition(_in_progress(RequestKind.UNCLEAR), A.COMPLETE, today=RECEIVED_ON)


def test_overdue_only_while_open_and_past_the_due_date() -> None:
    request = _in_progress()
    assert not request.overdue(date(2026, 4, 2))
    assert request.overdue(date(2026, 4, 3))
    done = transition(request, A.COMPLETE, today=date(2026, 4, 3))
    assert not done.overdue(date(2026, 5, 1))
