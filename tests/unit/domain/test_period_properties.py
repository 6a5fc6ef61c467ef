"""Properties of the calendar arithmetic behind request deadlines and retention (issue 16 item
2; LEGAL L55, L51): for any day, any number of months and any holiday calendar, the deadline
of art. 12(3) read by Regulation 1182/71, and a retention period's end, keep the invariants
written out below. The worked examples are in test_request_deadlines.py and
tests/unit/policy/test_period.py; these hold for the days nobody thought of (month ends, 29
February, year ends, runs of holidays)."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from privaat.domain.deadlines import MAX_EXTENSION_MONTHS, Deadline, add_months, period_end
from privaat.policy.period import Period

DAYS = st.dates(min_value=date(1990, 1, 1), max_value=date(2150, 12, 31))
MONTHS = st.integers(min_value=0, max_value=12 * 30)
# any set of days may be holidays, including long runs (a calendar gone wrong)
HOLIDAYS = st.frozensets(DAYS, max_size=40)


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


@given(DAYS, MONTHS)
def test_l55_a_month_period_lands_in_the_right_month_on_the_same_date_or_its_last_day(
    day: date, months: int
) -> None:
    end = add_months(day, months)
    assert _month_index(end) == _month_index(day) + months
    last = calendar.monthrange(end.year, end.month)[1]
    # Regulation 1182/71 art. 3(2)(c): the same date, or the month's last day without one
    assert end.day == min(day.day, last)
    assert end >= day


@given(DAYS, DAYS, MONTHS)
def test_l55_a_later_receipt_is_never_due_earlier(first: date, second: date, months: int) -> None:
    early, late = sorted((first, second))
    assert add_months(early, months) <= add_months(late, months)


@given(DAYS, MONTHS, MONTHS)
def test_l55_months_add_up_for_days_every_month_has(day: date, a: int, b: int) -> None:
    # months compose exactly for days 1-28; a month end is clamped (31 Jan + 1 = 28 Feb)
    if day.day <= 28:
        assert add_months(add_months(day, a), b) == add_months(day, a + b)
    else:
        assert add_months(add_months(day, a), b) <= add_months(day, a + b)


@given(DAYS, st.integers(min_value=1, max_value=3), HOLIDAYS)
def test_l55_the_due_day_is_the_first_working_day_from_the_period_end(
    day: date, months: int, holidays: frozenset[date]
) -> None:
    end = add_months(day, months)
    due = period_end(day, months, holidays=holidays)
    assert due >= end
    assert due.weekday() < 5 and due not in holidays  # art. 3(4): a working day
    skipped = end
    while skipped < due:  # every day passed over was a Saturday, Sunday or holiday
        assert skipped.weekday() >= 5 or skipped in holidays
        skipped += timedelta(days=1)


@given(DAYS, st.integers(min_value=0, max_value=MAX_EXTENSION_MONTHS), HOLIDAYS)
def test_l55_an_extension_never_shortens_and_runs_from_receipt(
    day: date, extended: int, holidays: frozenset[date]
) -> None:
    deadline = Deadline(day, extended)
    assert deadline.due(holidays=holidays) >= deadline.first_month_ends(holidays=holidays)
    assert deadline.due(holidays=holidays) == period_end(day, 1 + extended, holidays=holidays)
    assert deadline.days_left(deadline.due(holidays=holidays), holidays=holidays) == 0


@given(st.integers(min_value=1992, max_value=2148).filter(calendar.isleap))
def test_l55_29_february_plus_a_year_is_28_february_in_a_common_year(year: int) -> None:
    assert add_months(date(year, 2, 29), 12) == date(year + 1, 2, 28)
    assert add_months(date(year, 1, 31), 1) == date(year, 2, 29)


PERIODS = st.builds(
    Period,
    years=st.integers(min_value=0, max_value=10),
    months=st.integers(min_value=0, max_value=36),
    days=st.integers(min_value=0, max_value=400),
)
MOMENTS = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2120, 12, 31), timezones=st.just(UTC)
)


@given(PERIODS)
def test_l51_a_period_reads_back_from_its_own_iso_8601_text(period: Period) -> None:
    assert Period.parse(str(period)) == period


@given(PERIODS, MOMENTS)
def test_l51_a_retention_period_ends_after_its_start_and_a_cutoff_before_now(
    period: Period, moment: datetime
) -> None:
    assert period.after(moment) >= moment
    assert period.before(moment) <= moment
    # what is older than the cutoff has outlived the period: the cutoff plus the period is
    # never later than now (a month end is clamped, so it may be a few days earlier)
    assert period.after(period.before(moment)) <= moment
    assert period.after(moment).tzinfo is moment.tzinfo  # no time zone lost on the way


@given(st.integers(min_value=0, max_value=400), MOMENTS)
def test_l51_days_are_exact_whatever_the_calendar(days: int, moment: datetime) -> None:
    period = Period(days=days)
    assert period.after(moment) - moment == timedelta(days=days)
    assert moment - period.before(moment) == timedelta(days=days)


@given(PERIODS, DAYS)
def test_l51_a_periods_end_date_is_its_end_moment_on_that_date(period: Period, day: date) -> None:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    assert period.after_date(day) == period.after(start).date()
