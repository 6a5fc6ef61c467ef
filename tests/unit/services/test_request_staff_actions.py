"""The steps the request page offers (issue 11 item 11): exactly those the status table
allows staff from each status, written out by hand here from domain.subject_requests."""

from __future__ import annotations

import pytest

from privaat.domain.subject_requests import Action, RequestKind, RequestStatus
from privaat.services.subject_requests import staff_actions

S, A = RequestStatus, Action


@pytest.mark.parametrize(
    ("status", "offered"),
    [
        (S.RECEIVED, (A.REFUSE, A.CANCEL)),  # verify is the requester's, expire the clock's
        (S.VERIFIED, (A.START, A.REFUSE, A.CANCEL)),
        (S.IN_PROGRESS, (A.EXTEND, A.COMPLETE, A.REFUSE, A.CANCEL)),
        (S.EXTENDED, (A.EXTEND, A.COMPLETE, A.REFUSE, A.CANCEL)),
        (S.COMPLETED, (A.CLOSE,)),
        (S.REFUSED, (A.CLOSE,)),
        (S.CLOSED, ()),
    ],
)
def test_the_page_offers_only_the_steps_of_the_table(
    status: RequestStatus, offered: tuple[Action, ...]
) -> None:
    assert staff_actions(status, RequestKind.ACCESS) == offered


def test_an_unclear_request_is_classified_before_it_can_be_completed() -> None:
    assert staff_actions(S.IN_PROGRESS, RequestKind.UNCLEAR) == (A.EXTEND, A.REFUSE, A.CANCEL)
