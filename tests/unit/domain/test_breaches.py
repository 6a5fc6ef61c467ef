"""The breach clock (GDPR art. 33(1), Reg. 611/2013 art. 2; LEGAL L69, L70), with hand-written
times, and the discovery rules (L68: a breach without a discovery time is refused)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from privaat.domain.breaches import (
    BreachFieldError,
    ClockState,
    check_discovery,
    check_occurred,
    report_clock,
    report_deadline,
    reporting_hours,
)

PBX = frozenset({"voip_sync_telemetry", "call_recording", "call_detail_records"})
NOW = datetime(2026, 12, 2, 18, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("public_ecs", "ecs", "touched", "hours"),
    [
        pytest.param(False, PBX, frozenset({"call_recording"}), 72, id="no-ecs-72"),
        pytest.param(True, PBX, frozenset({"call_recording"}), 24, id="ecs-telephony-24"),
        pytest.param(True, PBX, frozenset({"shop_orders"}), 72, id="ecs-other-activity-72"),
        pytest.param(True, PBX, frozenset(), 72, id="ecs-nothing-named-72"),
        pytest.param(True, frozenset(), frozenset({"shop_orders"}), 24, id="ecs-whole-provider"),
    ],
)
def test_l70_24_hours_only_when_the_public_ecs_is_touched_else_l69_72(
    public_ecs: bool, ecs: frozenset[str], touched: frozenset[str], hours: int
) -> None:
    assert reporting_hours(public_ecs=public_ecs, ecs_activities=ecs, touched=touched) == hours


def test_l69_72_hours_run_through_the_weekend() -> None:
    friday_evening = datetime(2026, 11, 27, 17, 45, tzinfo=UTC)
    assert report_deadline(friday_evening, 72) == datetime(2026, 11, 30, 17, 45, tzinfo=UTC)


def test_l70_24_hours_run_through_the_night() -> None:
    late = datetime(2026, 11, 30, 23, 10, tzinfo=UTC)
    assert report_deadline(late, 24) == datetime(2026, 12, 1, 23, 10, tzinfo=UTC)


def test_l69_the_clock_runs_then_is_overdue_and_a_report_stops_it() -> None:
    due = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    running = report_clock(due=due, now=NOW, reported_at=None, not_reported=False)
    assert (running.state, running.left, running.flagged) == (
        ClockState.RUNNING,
        timedelta(hours=15),
        False,
    )
    late = report_clock(
        due=due, now=due + timedelta(minutes=1), reported_at=None, not_reported=False
    )
    assert (late.state, late.left, late.flagged) == (
        ClockState.OVERDUE,
        timedelta(minutes=-1),
        True,
    )
    in_time = report_clock(
        due=due, now=due + timedelta(days=2), reported_at=due, not_reported=False
    )
    assert in_time.state is ClockState.REPORTED and not in_time.flagged
    after = report_clock(
        due=due,
        now=due + timedelta(days=2),
        reported_at=due + timedelta(hours=3),
        not_reported=False,
    )
    assert after.state is ClockState.REPORTED_LATE


def test_l68_a_recorded_reason_not_to_report_is_not_overdue() -> None:
    due = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    reading = report_clock(due=due, now=NOW, reported_at=None, not_reported=True)
    assert reading.state is ClockState.NOT_REPORTED and not reading.flagged


@pytest.mark.parametrize(
    ("discovered", "message"),
    [
        pytest.param(None, "A breach needs the moment it was discovered.", id="missing"),
        pytest.param(
            NOW + timedelta(seconds=1), "The discovery cannot lie in the future.", id="future"
        ),
        pytest.param(datetime(2026, 12, 1, 9, 0), "A time needs its time zone (UTC).", id="naive"),
    ],
)
def test_l68_a_discovery_time_is_required_and_not_in_the_future(
    discovered: datetime | None, message: str
) -> None:
    with pytest.raises(BreachFieldError) as refused:
        check_discovery(discovered, NOW)
    assert (refused.value.field, refused.value.message) == ("discovered_at", message)


def test_l68_the_window_lies_before_the_discovery_and_in_order() -> None:
    found = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    start, end = datetime(2026, 11, 30, 8, 0, tzinfo=UTC), datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    assert check_occurred(start, end, found) == (start, end)
    with pytest.raises(BreachFieldError) as reversed_window:
        check_occurred(end, start, found)
    assert reversed_window.value.field == "occurred_until"
    with pytest.raises(BreachFieldError) as after:
        check_occurred(None, found + timedelta(hours=1), found)
    assert after.value.field == "occurred_until"
