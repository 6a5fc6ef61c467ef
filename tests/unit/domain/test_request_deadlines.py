"""The answer deadline of a data-subject request (GDPR art. 12(3); LEGAL L55).

Expectations are worked out by hand from Regulation 1182/71 art. 3(2)(c) and 3(4) and the
EDPB's reading of it (Guidelines 01/2022 §160), with the Dutch public holidays of the years
concerned written out below.
"""

from __future__ import annotations

from datetime import date

import pytest

from privaat.domain.deadlines import Deadline, add_months, period_end

# Dutch public holidays used below (Algemene termijnenwet; as the ``holidays`` package gives)
NL = frozenset(
    {
        date(2026, 4, 3),  # Goede Vrijdag
        date(2026, 4, 6),  # Tweede paasdag
        date(2026, 4, 27),  # Koningsdag
        date(2026, 5, 14),  # Hemelvaartsdag
        date(2026, 5, 25),  # Tweede pinksterdag
        date(2026, 12, 25),  # Eerste kerstdag
        date(2026, 12, 26),  # Tweede kerstdag
        date(2027, 1, 1),  # Nieuwjaarsdag
    }
)


@pytest.mark.parametrize(
    ("received", "months", "expected"),
    [
        pytest.param(date(2026, 8, 5), 1, date(2026, 9, 5), id="same-date-next-month"),
        pytest.param(date(2026, 1, 31), 1, date(2026, 2, 28), id="31-jan-to-end-of-feb"),
        pytest.param(date(2028, 1, 31), 1, date(2028, 2, 29), id="leap-year-feb-29"),
        pytest.param(date(2026, 3, 31), 1, date(2026, 4, 30), id="31-mar-to-30-apr"),
        pytest.param(date(2026, 12, 15), 1, date(2027, 1, 15), id="across-the-year-end"),
        pytest.param(date(2026, 11, 30), 3, date(2027, 2, 28), id="three-months-short-feb"),
        pytest.param(date(2026, 2, 28), 1, date(2026, 3, 28), id="28-feb-is-not-month-end-rule"),
    ],
)
def test_L55_a_month_ends_on_the_same_date_or_the_last_day_of_the_month(
    received: date, months: int, expected: date
) -> None:
    assert add_months(received, months) == expected


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        # 2026-10-03 is a Saturday: the period ends on Monday 5 October
        pytest.param(date(2026, 9, 3), date(2026, 10, 5), id="saturday-to-monday"),
        # 2026-04-27 (Koningsdag, a Monday) → Tuesday 28 April
        pytest.param(date(2026, 3, 27), date(2026, 4, 28), id="kings-day"),
        # 2026-12-25 Friday (Christmas), 26 Saturday, 27 Sunday → Monday 28 December
        pytest.param(date(2026, 11, 25), date(2026, 12, 28), id="christmas-and-a-weekend"),
        # 2026-04-03 Good Friday, then the weekend, then Easter Monday → Tuesday 7 April
        pytest.param(date(2026, 3, 3), date(2026, 4, 7), id="easter"),
        pytest.param(date(2026, 5, 8), date(2026, 6, 8), id="a-plain-monday"),
    ],
)
def test_L55_a_due_date_on_a_weekend_or_holiday_moves_to_the_next_working_day(
    received: date, expected: date
) -> None:
    assert period_end(received, 1, holidays=NL) == expected
    assert Deadline(received).due(holidays=NL) == expected


def test_L55_without_a_holiday_calendar_only_weekends_move_the_due_date() -> None:
    assert period_end(date(2026, 3, 27), 1) == date(2026, 4, 27)  # Koningsdag not known


def test_L55_an_extension_runs_from_receipt_not_from_the_first_due_date() -> None:
    # received 31 January: due 2 March (28 February 2026 is a Saturday); extended by two
    # months it is due 30 April (31 January + 3 months), not 2 May
    deadline = Deadline(date(2026, 1, 31))
    assert deadline.due() == date(2026, 3, 2)
    assert deadline.extended_by(2).due(holidays=NL) == date(2026, 4, 30)
    assert deadline.extended_by(2).first_month_ends() == date(2026, 3, 2)


def test_L55_no_more_than_two_further_months() -> None:
    with pytest.raises(ValueError, match="at most 2 months"):
        Deadline(date(2026, 1, 5)).extended_by(1).extended_by(2)
    with pytest.raises(ValueError, match="at least one month"):
        Deadline(date(2026, 1, 5)).extended_by(0)


def test_days_left_is_zero_on_the_due_date_and_negative_after() -> None:
    deadline = Deadline(date(2026, 8, 5))  # due Monday 7 September (5 September: Saturday)
    assert deadline.days_left(date(2026, 9, 7)) == 0
    assert deadline.days_left(date(2026, 9, 8)) == -1
    assert deadline.days_left(date(2026, 8, 5)) == 33


def test_a_period_never_runs_backwards() -> None:
    with pytest.raises(ValueError, match="forward"):
        add_months(date(2026, 1, 1), -1)
