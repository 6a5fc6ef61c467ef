"""Retention periods: ISO 8601 parsing and calendar arithmetic."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from privaat.policy.period import Period


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("P30D", Period(days=30), id="days"),
        pytest.param("P6M", Period(months=6), id="months"),
        pytest.param("P7Y", Period(years=7), id="years"),
        pytest.param("P2W", Period(days=14), id="weeks"),
        pytest.param("P1Y2M3D", Period(years=1, months=2, days=3), id="mixed"),
    ],
)
def test_parses_iso_8601_periods(text: str, expected: Period) -> None:
    assert Period.parse(text) == expected


@pytest.mark.parametrize("text", ["P", "30D", "PT5H", "P-1D", "P1.5Y", ""])
def test_refuses_what_is_not_a_date_period(text: str) -> None:
    with pytest.raises(ValueError, match="ISO 8601"):
        Period.parse(text)


def test_a_month_after_31_january_is_the_end_of_february() -> None:
    assert Period(months=1).after(datetime(2024, 1, 31, tzinfo=UTC)) == datetime(
        2024, 2, 29, tzinfo=UTC
    )


def test_before_is_the_calendar_inverse_of_after() -> None:
    moment = datetime(2026, 3, 31, 12, tzinfo=UTC)
    assert Period(months=1).before(moment) == datetime(2026, 2, 28, 12, tzinfo=UTC)
    assert Period(years=7).before(moment) == datetime(2019, 3, 31, 12, tzinfo=UTC)
    assert Period(days=30).before(moment) == datetime(2026, 3, 1, 12, tzinfo=UTC)


def test_p34_seven_years_after_an_invoice_date() -> None:
    assert Period.parse("P7Y").after(datetime(2020, 2, 29, tzinfo=UTC)) == datetime(
        2027, 2, 28, tzinfo=UTC
    )


def test_l51_a_cutoff_of_months_and_days_never_lets_a_record_go_early() -> None:
    # found by tests/unit/domain/test_period_properties.py: taking the month first gave 30
    # January, whose P1M2D runs to 2 March: a record of 30 January would have gone on 1 March
    now = datetime(2000, 3, 1, tzinfo=UTC)
    period = Period(months=1, days=2)
    assert period.before(now) == datetime(2000, 1, 28, tzinfo=UTC)
    assert period.after(period.before(now)) == now
