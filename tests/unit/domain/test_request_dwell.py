"""The maximum dwell time of each request status and the alerts due (issue 15 item 7; GDPR
art. 12(3); LEGAL L55, L57).

Expectations worked out by hand: the controller is in Amsterdam (CET, CEST from 29 March
2026), with the Dutch public holidays written out below; due dates as domain.deadlines
computes them (a period's end on a weekend or holiday moves to the next working day).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from privaat.domain.deadlines import Deadline
from privaat.domain.request_dwell import (
    DWELL,
    WATCHDOG_INTERVAL,
    Alert,
    add_working_days,
    alerts_due,
    reminder_due,
    stuck_after,
)
from privaat.domain.subject_requests import RequestStatus
from privaat.services.subject_requests import CONFIRMATION_LIFETIME

AMS = ZoneInfo("Europe/Amsterdam")
NL = frozenset(
    {
        date(2026, 4, 3),  # Goede Vrijdag
        date(2026, 4, 6),  # Tweede paasdag
        date(2026, 12, 25),  # Eerste kerstdag
        date(2026, 12, 26),  # Tweede kerstdag
        date(2027, 1, 1),  # Nieuwjaarsdag
    }
)
S = RequestStatus


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def _alerts(
    status: RequestStatus,
    entered: datetime,
    due: date,
    now: datetime,
    failure: datetime | None = None,
) -> dict[Alert, tuple[datetime, str]]:
    return {
        a.alert: (a.since, a.key)
        for a in alerts_due(
            status,
            entered_at=entered,
            due_on=due,
            last_failure=failure,
            now=now,
            zone=AMS,
            holidays=NL,
        )
    }


def test_issue15_7_every_status_but_closed_has_a_dwell_with_its_reason() -> None:
    assert set(DWELL) == set(RequestStatus) - {S.CLOSED}
    assert all(dwell.reason and (dwell.days or dwell.working_days) for dwell in DWELL.values())
    # the unconfirmed request's dwell is its link's life (L57): the expiry job's own period
    assert timedelta(days=DWELL[S.RECEIVED].days) == CONFIRMATION_LIFETIME
    assert WATCHDOG_INTERVAL <= timedelta(hours=1)


def test_issue15_7_L57_an_unconfirmed_request_is_stuck_once_its_link_has_expired() -> None:
    entered = _utc(2026, 11, 26, 10, 0)
    due = Deadline(date(2026, 11, 26)).due(holidays=NL)
    assert due == date(2026, 12, 28)  # 26 Dec is a holiday and a Saturday
    limit = stuck_after(S.RECEIVED, entered_at=entered, due_on=due, zone=AMS, holidays=NL)
    assert limit == _utc(2026, 12, 3, 10, 0)
    assert _alerts(S.RECEIVED, entered, due, _utc(2026, 12, 3, 9, 59)) == {}
    assert _alerts(S.RECEIVED, entered, due, _utc(2026, 12, 3, 10, 0)) == {
        Alert.STUCK: (limit, f"received@{entered.isoformat()}")
    }
    # an unverified request gets no reminders however late (L57): it is stuck instead
    assert set(_alerts(S.RECEIVED, entered, due, _utc(2027, 1, 5))) == {Alert.STUCK}


@pytest.mark.parametrize(
    ("entered", "stuck"),
    [
        # Friday 18 December 16:00 local → Monday 21, Tuesday 22 → Wednesday 00:00 local
        pytest.param(_utc(2026, 12, 18, 15), _utc(2026, 12, 22, 23), id="over-a-weekend"),
        # Wednesday 23 December → Thursday 24, (Christmas, the weekend) Monday 28 → Tue 29
        pytest.param(_utc(2026, 12, 23, 9), _utc(2026, 12, 28, 23), id="over-christmas"),
        # Thursday 31 December → (New Year's Day, the weekend) Monday 4, Tuesday 5 January
        pytest.param(_utc(2026, 12, 31, 9), _utc(2027, 1, 5, 23), id="over-new-year"),
        # Thursday 26 March → Friday 27, (clocks go forward 29 March) Monday 30 → Tuesday
        # 31 March 00:00 CEST, 22:00 UTC
        pytest.param(_utc(2026, 3, 26, 9), _utc(2026, 3, 30, 22), id="over-summer-time"),
        # Thursday 2 April → (Good Friday, the weekend, Easter Monday) Tue 7, Wed 8 April
        pytest.param(_utc(2026, 4, 2, 9), _utc(2026, 4, 8, 22), id="over-easter"),
        # 23:30 UTC on Monday is already Tuesday in Amsterdam: Wednesday, Thursday
        pytest.param(_utc(2026, 12, 7, 23, 30), _utc(2026, 12, 10, 23), id="local-day"),
    ],
)
def test_issue15_7_a_verified_request_must_be_started_within_two_working_days(
    entered: datetime, stuck: datetime
) -> None:
    due = date(2027, 2, 1)
    assert stuck_after(S.VERIFIED, entered_at=entered, due_on=due, zone=AMS, holidays=NL) == stuck
    assert Alert.STUCK not in _alerts(S.VERIFIED, entered, due, stuck - timedelta(seconds=1))
    assert _alerts(S.VERIFIED, entered, due, stuck)[Alert.STUCK][0] == stuck


def test_issue15_7_a_request_in_progress_is_stuck_after_ten_days_without_a_step() -> None:
    entered = _utc(2026, 11, 27, 8)
    due = date(2026, 12, 28)
    assert _alerts(S.IN_PROGRESS, entered, due, _utc(2026, 12, 7, 7, 59)) == {}
    assert _alerts(S.IN_PROGRESS, entered, due, _utc(2026, 12, 7, 8)) == {
        Alert.STUCK: (_utc(2026, 12, 7, 8), f"in_progress@{entered.isoformat()}")
    }


def test_issue15_7_L55_month_end_due_date_caps_the_dwell_and_the_reminders_count_to_it() -> None:
    # received 31 January 2026: 28 February is a Saturday, so due Monday 2 March
    due = Deadline(date(2026, 1, 31)).due(holidays=NL)
    assert due == date(2026, 3, 2)
    entered = _utc(2026, 2, 25, 9)  # started late: ten days would be 7 March
    # the end of 2 March in Amsterdam (CET): 23:00 UTC
    assert stuck_after(S.IN_PROGRESS, entered_at=entered, due_on=due, zone=AMS) == _utc(
        2026, 3, 2, 23
    )
    expected: dict[datetime, set[Alert]] = {
        _utc(2026, 2, 22, 12): set(),  # eight days left
        _utc(2026, 2, 23, 12): {Alert.DUE_SOON},  # a week left
        _utc(2026, 2, 28, 12): {Alert.DUE_IN_2},  # two days left
        _utc(2026, 3, 2, 22, 59): {Alert.DUE_IN_2},  # the due date itself: 0 days left
        _utc(2026, 3, 2, 23): {Alert.OVERDUE, Alert.STUCK},  # the 3rd in Amsterdam
    }
    for now, alerts in expected.items():
        # the reminders do not depend on when the status was entered
        got = _alerts(S.IN_PROGRESS, min(entered, now), due, now)
        assert set(got) == alerts, now
    got = _alerts(S.IN_PROGRESS, entered, due, _utc(2026, 3, 3, 9))
    assert got[Alert.OVERDUE] == (datetime(2026, 3, 3, tzinfo=AMS), "2026-03-02")
    assert got[Alert.STUCK][0] == _utc(2026, 3, 2, 23)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 12, 20), None),
        (date(2026, 12, 21), Alert.DUE_SOON),
        (date(2026, 12, 25), Alert.DUE_SOON),  # three days left
        (date(2026, 12, 26), Alert.DUE_IN_2),
        (date(2026, 12, 28), Alert.DUE_IN_2),
        (date(2026, 12, 29), Alert.OVERDUE),
        (date(2027, 3, 1), Alert.OVERDUE),
    ],
)
def test_issue15_7_L55_reminders_a_week_and_two_days_before_the_due_date_then_overdue(
    today: date, expected: Alert | None
) -> None:
    for status in (S.VERIFIED, S.IN_PROGRESS, S.EXTENDED):
        assert reminder_due(status, due_on=date(2026, 12, 28), today=today) is expected
    for status in (S.RECEIVED, S.COMPLETED, S.REFUSED, S.CLOSED):
        assert reminder_due(status, due_on=date(2026, 12, 28), today=today) is None


def test_issue15_7_an_extended_request_may_rest_three_weeks_but_never_past_its_new_date() -> None:
    # received 30 November 2026, extended by two months: 28 February 2027 is a Sunday → 1 March
    due = Deadline(date(2026, 11, 30), 2).due(holidays=NL)
    assert due == date(2027, 3, 1)
    entered = _utc(2026, 12, 10, 12)
    assert stuck_after(S.EXTENDED, entered_at=entered, due_on=due, zone=AMS) == _utc(
        2026, 12, 31, 12
    )
    late = _utc(2027, 2, 20, 12)
    assert stuck_after(S.EXTENDED, entered_at=late, due_on=due, zone=AMS) == _utc(2027, 3, 1, 23)


def test_issue15_7_a_store_failure_since_the_request_entered_its_status_alerts_once() -> None:
    entered = _utc(2026, 12, 1, 9)
    due = date(2026, 12, 28)
    before = _alerts(S.IN_PROGRESS, entered, due, _utc(2026, 12, 2), failure=_utc(2026, 11, 30))
    assert before == {}  # a failure of an earlier stay is over: the request moved on since
    failure = _utc(2026, 12, 1, 10)
    first = _alerts(S.IN_PROGRESS, entered, due, _utc(2026, 12, 1, 11), failure=failure)
    assert first == {Alert.STORE_FAILING: (failure, f"in_progress@{entered.isoformat()}")}
    # a second failure in the same stay has the same key: recorded once
    again = _alerts(S.IN_PROGRESS, entered, due, _utc(2026, 12, 2), failure=_utc(2026, 12, 2))
    assert again[Alert.STORE_FAILING][1] == first[Alert.STORE_FAILING][1]
    # a store failing an answered request alerts of nothing (nothing waits on it)
    assert _alerts(S.COMPLETED, entered, due, _utc(2026, 12, 2), failure=failure) == {}


def test_issue15_7_answered_requests_are_stuck_when_not_closed_in_a_month_closed_never() -> None:
    entered = _utc(2026, 12, 1, 9)
    for status in (S.COMPLETED, S.REFUSED):
        assert _alerts(status, entered, date(2026, 12, 28), _utc(2026, 12, 31, 8)) == {}
        assert set(_alerts(status, entered, date(2026, 12, 28), _utc(2026, 12, 31, 9))) == {
            Alert.STUCK
        }
    assert _alerts(S.CLOSED, entered, date(2026, 12, 28), _utc(2030, 1, 1)) == {}
    assert stuck_after(S.CLOSED, entered_at=entered, due_on=date(2026, 12, 28), zone=AMS) is None


def test_working_days_skip_weekends_and_holidays() -> None:
    assert add_working_days(date(2026, 12, 24), 1, holidays=NL) == date(2026, 12, 28)
    assert add_working_days(date(2026, 12, 24), 0, holidays=NL) == date(2026, 12, 24)
    assert add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 25)  # no calendar
    with pytest.raises(ValueError, match="forward"):
        add_working_days(date(2026, 12, 24), -1)


def test_issue15_7_a_manual_task_open_past_its_due_date_alerts_once_per_date() -> None:
    entered = _utc(2026, 12, 1, 9)
    due = date(2026, 12, 28)

    def task_alerts(now: datetime, task_due: date | None) -> list[tuple[datetime, str]]:
        return [
            (a.since, a.key)
            for a in alerts_due(
                S.IN_PROGRESS,
                entered_at=entered,
                due_on=due,
                last_failure=None,
                now=now,
                zone=AMS,
                holidays=NL,
                task_due=task_due,
            )
            if a.alert is Alert.TASK_OVERDUE
        ]

    # the archive's task is due Friday 4 December: overdue from Saturday 00:00 in Amsterdam
    assert task_alerts(_utc(2026, 12, 4, 22, 59), date(2026, 12, 4)) == []
    assert task_alerts(_utc(2026, 12, 4, 23, 0), date(2026, 12, 4)) == [
        (_utc(2026, 12, 4, 23, 0), "task@2026-12-04")
    ]
    assert task_alerts(_utc(2026, 12, 9), None) == []  # every task done or waived
    for status in (S.COMPLETED, S.CLOSED):  # nothing waits on a task of an answered request
        assert not [
            a
            for a in alerts_due(
                status,
                entered_at=entered,
                due_on=due,
                last_failure=None,
                now=_utc(2026, 12, 9),
                zone=AMS,
                task_due=date(2026, 12, 4),
            )
            if a.alert is Alert.TASK_OVERDUE
        ]
