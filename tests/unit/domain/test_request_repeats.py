"""Duplicate, repeated and excessive requests across channels (issue 15 item 8; GDPR art.
12(5); LEGAL L54, L57).

Every case is written out by hand: the person's earlier requests (kind, channel, status,
received, answered) and what the new one must be judged, with the references it rests on.
"""

from __future__ import annotations

from datetime import date

import pytest

from privaat.domain.request_repeats import (
    EXCESSIVE_COUNT,
    RULES,
    EarlierRequest,
    RepeatRules,
    Repetition,
    Verdict,
    judge,
    months_before,
)
from privaat.domain.subject_requests import RequestKind, RequestStatus

K, S = RequestKind, RequestStatus


def _earlier(
    reference: str,
    kind: RequestKind,
    status: RequestStatus,
    received: date,
    *,
    channel: str = "web",
    verified: bool = True,
    answered: date | None = None,
) -> EarlierRequest:
    return EarlierRequest(reference, kind, channel, status, received, verified, answered)


def test_issue15_item8_an_open_access_by_web_makes_a_mail_for_access_a_duplicate() -> None:
    """Cross-channel: the web request is open, the same person's mail joins it."""
    web = _earlier("PR-WEB", K.ACCESS, S.VERIFIED, date(2026, 3, 2), channel="web")
    verdict = judge(K.ACCESS, "email", date(2026, 3, 4), [web])
    assert verdict == Verdict(Repetition.DUPLICATE, ("PR-WEB",))
    assert not verdict.flagged


def test_issue15_item8_an_open_one_older_than_two_weeks_is_not_joined_but_flagged() -> None:
    """15 days on, the same right again while the first still runs: filed, flagged with it
    (perhaps a new scope, perhaps chasing it: the officer judges)."""
    assert RULES.link_days == 14
    first = _earlier("PR-1ST", K.RESTRICTION, S.IN_PROGRESS, date(2026, 3, 1))
    assert judge(K.RESTRICTION, "web", date(2026, 3, 15), [first]).repetition is (
        Repetition.DUPLICATE
    )
    assert judge(K.RESTRICTION, "web", date(2026, 3, 16), [first]) == Verdict(
        Repetition.REPEAT, ("PR-1ST",)
    )
    # an unclear follow-up joins nothing that old
    assert judge(K.UNCLEAR, "email", date(2026, 3, 16), [first]) == Verdict(Repetition.NEW)


def test_issue15_item8_an_unconfirmed_open_mail_request_is_joined_too() -> None:
    mail = _earlier("PR-MAIL", K.ERASURE, S.RECEIVED, date(2026, 3, 2), verified=False)
    assert judge(K.ERASURE, "api", date(2026, 3, 3), [mail]).evidence == ("PR-MAIL",)


def test_issue15_item8_another_right_while_one_is_open_is_a_request_of_its_own() -> None:
    web = _earlier("PR-WEB", K.ACCESS, S.IN_PROGRESS, date(2026, 3, 2))
    assert judge(K.ERASURE, "email", date(2026, 3, 4), [web]) == Verdict(Repetition.NEW)


def test_issue15_item8_an_unclear_follow_up_joins_the_newest_open_request_of_any_kind() -> None:
    older = _earlier("PR-OLD", K.ACCESS, S.VERIFIED, date(2026, 3, 1))
    newer = _earlier("PR-NEW", K.ERASURE, S.VERIFIED, date(2026, 3, 5))
    assert judge(K.UNCLEAR, "email", date(2026, 3, 6), [newer, older]).evidence == ("PR-NEW",)
    assert judge(K.UNCLEAR, "email", date(2026, 3, 6), []) == Verdict(Repetition.NEW)


def test_issue15_item8_access_within_three_months_of_the_last_answer_is_a_repeat() -> None:
    done = _earlier("PR-DONE", K.ACCESS, S.CLOSED, date(2026, 1, 2), answered=date(2026, 1, 20))
    assert judge(K.ACCESS, "email", date(2026, 4, 20), [done]) == Verdict(
        Repetition.REPEAT, ("PR-DONE",)
    )
    assert judge(K.ACCESS, "email", date(2026, 4, 20), [done]).flagged
    # one day past the window: a new request
    assert judge(K.ACCESS, "email", date(2026, 4, 21), [done]) == Verdict(Repetition.NEW)


def test_issue15_item8_the_window_at_month_ends_follows_the_deadline_rule_backwards() -> None:
    """31 May less 3 months is 28 February (no 31st): an answer on 28 Feb is within it,
    one on 27 Feb is not; in a leap year the 29th is the first day."""
    assert months_before(date(2026, 5, 31), 3) == date(2026, 2, 28)
    assert months_before(date(2028, 5, 31), 3) == date(2028, 2, 29)
    assert months_before(date(2026, 1, 15), 3) == date(2025, 10, 15)  # across the year
    on_28 = _earlier("PR-28", K.ACCESS, S.COMPLETED, date(2026, 2, 1), answered=date(2026, 2, 28))
    on_27 = _earlier("PR-27", K.ACCESS, S.COMPLETED, date(2026, 2, 1), answered=date(2026, 2, 27))
    assert judge(K.ACCESS, "web", date(2026, 5, 31), [on_28]).repetition is Repetition.REPEAT
    assert judge(K.ACCESS, "web", date(2026, 5, 31), [on_27]).repetition is Repetition.NEW
    with pytest.raises(ValueError, match="negative"):
        months_before(date(2026, 5, 31), -1)


def test_issue15_item8_a_refused_earlier_access_is_no_repeat_but_counts_toward_excess() -> None:
    refused = _earlier("PR-REF", K.ACCESS, S.REFUSED, date(2026, 3, 1), verified=False)
    assert judge(K.ACCESS, "web", date(2026, 3, 20), [refused]) == Verdict(Repetition.NEW)
    others = [
        _earlier(f"PR-{i}", K.RECTIFICATION, S.CLOSED, date(2026, i, 3), answered=date(2026, i, 9))
        for i in range(4, 8)
    ]
    verdict = judge(K.ACCESS, "web", date(2026, 8, 1), [refused, *others])
    assert verdict == Verdict(Repetition.EXCESSIVE, ("PR-REF", "PR-4", "PR-5", "PR-6", "PR-7"))


def test_issue15_item8_a_closed_unverified_request_does_not_count_at_all() -> None:
    """It expired unconfirmed (L57): nobody knows it came from this person."""
    expired = _earlier(
        "PR-EXP", K.ACCESS, S.CLOSED, date(2026, 3, 1), verified=False, answered=None
    )
    assert judge(K.ACCESS, "email", date(2026, 3, 20), [expired]) == Verdict(Repetition.NEW)
    # nor toward the count: five expired ones and the new one are not six requests
    many = [
        _earlier(f"PR-X{i}", K.ACCESS, S.CLOSED, date(2026, i, 1), verified=False)
        for i in range(1, 6)
    ]
    assert judge(K.ERASURE, "email", date(2026, 6, 1), many) == Verdict(Repetition.NEW)


def test_issue15_item8_six_requests_of_any_kind_in_twelve_months_are_excessive() -> None:
    assert EXCESSIVE_COUNT == 6
    kinds = (K.ACCESS, K.RECTIFICATION, K.OBJECTION, K.RESTRICTION, K.ERASURE)
    earlier = [
        _earlier(f"PR-{n}", kind, S.CLOSED, date(2026, 2 * n, 10), answered=date(2026, 2 * n, 20))
        for n, kind in enumerate(kinds, start=1)
    ]
    # the new one on 9 February 2027: its twelve months start on 9 February 2026, so the
    # first (10 February 2026) is within them and all five count: six with the new one
    verdict = judge(K.PORTABILITY, "api", date(2027, 2, 9), earlier)
    assert verdict.repetition is Repetition.EXCESSIVE
    assert verdict.evidence == ("PR-1", "PR-2", "PR-3", "PR-4", "PR-5")
    # a day later the first falls out of the year: five in all, not excessive
    assert judge(K.PORTABILITY, "api", date(2027, 2, 11), earlier) == Verdict(Repetition.NEW)
    # four earlier ones and the new one: five, not excessive
    assert judge(K.PORTABILITY, "api", date(2026, 11, 1), earlier[:4]) == Verdict(Repetition.NEW)


def test_issue15_item8_rectification_has_no_repeat_window() -> None:
    done = _earlier(
        "PR-R", K.RECTIFICATION, S.COMPLETED, date(2026, 3, 1), answered=date(2026, 3, 2)
    )
    assert judge(K.RECTIFICATION, "web", date(2026, 3, 10), [done]) == Verdict(Repetition.NEW)


def test_issue15_item8_the_windows_are_configurable_and_checked() -> None:
    done = _earlier("PR-D", K.ERASURE, S.COMPLETED, date(2026, 3, 1), answered=date(2026, 3, 2))
    rules = RepeatRules(repeat_months={K.ERASURE: 1}, excessive_count=2)
    assert judge(K.ERASURE, "web", date(2026, 3, 10), [done], rules=rules).repetition is (
        Repetition.EXCESSIVE
    )
    rules = RepeatRules(repeat_months={K.ERASURE: 1})
    assert judge(K.ERASURE, "web", date(2026, 3, 10), [done], rules=rules).evidence == ("PR-D",)
    assert judge(K.ERASURE, "web", date(2026, 3, 10), [done], rules=RULES) == Verdict(
        Repetition.NEW
    )
    with pytest.raises(ValueError, match="negative"):
        RepeatRules(repeat_months={K.ACCESS: -1})
    with pytest.raises(ValueError, match="at least 2"):
        RepeatRules(excessive_count=1)
    with pytest.raises(ValueError, match="at least 1"):
        RepeatRules(excessive_months=0)
    with pytest.raises(ValueError, match="link_days"):
        RepeatRules(link_days=-1)
