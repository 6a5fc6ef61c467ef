"""Issue 10 item 8: the ISO weeks of the console's consent charts and the consent rate."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction

import pytest

from privaat.domain.consent_weeks import (
    IsoWeek,
    RangeInvalid,
    WeekRange,
    activity_series,
    consent_rate,
    cutoff,
    method_weeks,
    week_index,
)

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)  # a Thursday in 2026-W48


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[arg-type, misc]


def test_a_week_runs_from_monday_midnight_to_the_next_monday_utc() -> None:
    week = IsoWeek.of(NOW)
    assert str(week) == "2026-W48"
    assert week.start == at(2026, 11, 23)
    assert week.end == at(2026, 11, 30)
    assert IsoWeek.of(at(2026, 11, 29, 23, 59, 59)) == week  # Sunday night: still W48
    assert str(IsoWeek.of(at(2026, 11, 30))) == "2026-W49"  # Monday 00:00: the next


def test_the_iso_year_of_a_week_is_not_its_calendar_year() -> None:
    assert str(IsoWeek.of(at(2027, 1, 1, 12))) == "2026-W53"  # 2026 has 53 weeks
    assert str(IsoWeek.of(at(2025, 12, 29))) == "2026-W01"
    assert str(IsoWeek.parse("2026-W53").shifted(1)) == "2027-W01"


def test_a_moment_elsewhere_is_read_in_utc() -> None:
    from datetime import timedelta, timezone

    amsterdam = timezone(timedelta(hours=1))
    monday_early = datetime(2026, 11, 30, 0, 30, tzinfo=amsterdam)  # Sunday 23:30 UTC
    assert str(IsoWeek.of(monday_early)) == "2026-W48"


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("2026-48", id="no-W"),
        pytest.param("2026-W54", id="no-week-54"),
        pytest.param("2025-W53", id="2025-has-52-weeks"),
        pytest.param("2026-W00", id="week-zero"),
        pytest.param("0000-W01", id="year-zero"),
        pytest.param("", id="empty"),
        pytest.param("2026-W4８", id="fullwidth-digit"),
    ],
)
def test_a_malformed_week_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        IsoWeek.parse(text)


def test_the_default_range_is_the_last_twelve_weeks_up_to_the_current_one() -> None:
    weeks = WeekRange.choose(weeks=None, until=None, now=NOW)
    assert [str(w) for w in (weeks.first, weeks.last)] == ["2026-W37", "2026-W48"]
    assert len(weeks.weeks) == 12 and weeks.weeks[0] < weeks.weeks[-1]
    assert weeks.boundaries()[0] == at(2026, 9, 7) and weeks.boundaries()[-1] == at(2026, 11, 30)


@pytest.mark.parametrize(
    ("weeks", "until", "field"),
    [
        pytest.param("0", None, "weeks", id="zero-weeks"),
        pytest.param("105", None, "weeks", id="too-many"),
        pytest.param("-3", None, "weeks", id="negative"),
        pytest.param("1e3", None, "weeks", id="exponent"),
        pytest.param("99999999999999999999", None, "weeks", id="huge"),
        pytest.param("4", "2026-W49", "until", id="future-week"),
        pytest.param("4", "next week", "until", id="words"),
    ],
)
def test_a_range_the_page_cannot_show_names_its_field(
    weeks: str, until: str | None, field: str
) -> None:
    with pytest.raises(RangeInvalid) as refused:
        WeekRange.choose(weeks=weeks, until=until, now=NOW)
    assert refused.value.field == field


def test_events_fall_in_the_bucket_of_their_week_and_the_ends_are_exclusive() -> None:
    weeks = WeekRange.choose(weeks="2", until="2026-W48", now=NOW)
    assert week_index(at(2026, 11, 15, 23, 59), weeks) is None  # before the range (W46)
    assert week_index(at(2026, 11, 16), weeks) == 0
    assert week_index(at(2026, 11, 22, 23, 59, 59), weeks) == 0
    assert week_index(at(2026, 11, 23), weeks) == 1
    assert week_index(at(2026, 11, 30), weeks) is None  # the first moment after the range


def test_a_give_and_a_withdrawal_in_the_same_week_share_its_bucket() -> None:
    weeks = WeekRange.choose(weeks="3", until=None, now=NOW)
    assert week_index(at(2026, 11, 17, 8), weeks) == week_index(at(2026, 11, 21, 20), weeks) == 1


def test_the_week_under_way_is_read_up_to_now_and_a_past_week_at_its_end() -> None:
    assert cutoff(IsoWeek.parse("2026-W48"), NOW) == NOW
    assert cutoff(IsoWeek.parse("2026-W47"), NOW) == at(2026, 11, 23)


def test_the_rate_is_live_consents_among_the_people_who_chose() -> None:
    assert consent_rate(1, 4) == Fraction(1, 4)
    assert consent_rate(0, 3) == 0
    assert consent_rate(0, 0) is None  # nobody chose: no rate, not 0 %
    with pytest.raises(ValueError):
        consent_rate(3, 2)


def test_an_activity_with_no_events_has_zeros_and_no_rate_in_every_week() -> None:
    weeks = WeekRange.choose(weeks="3", until=None, now=NOW)
    (series,) = activity_series(["social_plugins"], weeks, {}, {})
    assert series.activity == "social_plugins"
    assert [(f.gives, f.withdrawals, f.live, f.decided, f.rate) for f in series.weeks] == [
        (0, 0, 0, 0, None)
    ] * 3


def test_a_consent_given_before_the_range_counts_as_live_without_a_give_in_it() -> None:
    weeks = WeekRange.choose(weeks="2", until=None, now=NOW)
    # as the store reports it: no event in the range, one person live at both cutoffs
    (series,) = activity_series(
        ["marketing_email"],
        weeks,
        {},
        {("marketing_email", 0): (1, 1), ("marketing_email", 1): (1, 1)},
    )
    assert [(f.gives, f.live, f.rate) for f in series.weeks] == [(0, 1, 1), (0, 1, 1)]


def test_the_counts_land_on_their_activity_and_week() -> None:
    weeks = WeekRange.choose(weeks="2", until=None, now=NOW)
    events = {("a", 1, True): 2, ("a", 1, False): 1, ("b", 0, False): 5}
    states = {("a", 1): (1, 2), ("b", 0): (0, 5), ("b", 1): (0, 5)}
    a, b = activity_series(["a", "b"], weeks, events, states)
    assert [(f.gives, f.withdrawals, f.rate) for f in a.weeks] == [
        (0, 0, None),
        (2, 1, Fraction(1, 2)),
    ]
    assert [(f.gives, f.withdrawals, f.rate) for f in b.weeks] == [(0, 5, 0), (0, 0, 0)]


def test_withdrawals_by_method_list_every_method_in_every_week() -> None:
    weeks = WeekRange.choose(weeks="2", until=None, now=NOW)
    first, second = method_weeks(
        ["email_link", "api"], weeks, {(1, "api"): 3, (1, "email_link"): 1}
    )
    assert (first.by_method, first.total) == ((("email_link", 0), ("api", 0)), 0)
    assert (second.by_method, second.total) == ((("email_link", 1), ("api", 3)), 4)
