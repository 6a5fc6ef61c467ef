"""Consent figures per ISO week: the week range, the buckets, and the consent rate.

    WeekRange.choose(weeks="12", until="2026-W48", now)   the range a console page asked for
        │  weeks oldest first; each runs Monday 00:00 → Monday 00:00 UTC (ISO 8601)
        ▼
    boundaries()      the moments the store buckets ledger events by (week_index: the same
        │             rule in Python), and cutoff(week, now): when a week's state is read
        ▼
    WeekFigures       gives and withdrawals in the week; live and decided at its cutoff
        │
        ▼
    consent_rate      live / decided: of the people who had made a choice about the activity
                      by the week's end, the share whose newest choice was a consent still in
                      force (not withdrawn, not expired); None when nobody had chosen yet

Why this rate: silence is no consent (recital 32, L8), so nobody who never chose is counted
as a refusal or as a consent; the page says so beside the chart. A consent given before the
range still counts as live in every week until it is withdrawn or runs out.

Pure: no store and no clock; the services tier reads the counts in aggregate SQL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction

__all__ = [
    "DEFAULT_WEEKS",
    "MAX_WEEKS",
    "ActivitySeries",
    "IsoWeek",
    "MethodWeek",
    "RangeInvalid",
    "WeekFigures",
    "WeekRange",
    "activity_series",
    "consent_rate",
    "cutoff",
    "method_weeks",
    "week_index",
]

DEFAULT_WEEKS = 12
MAX_WEEKS = 104  # two years: the charts stay readable and the page's queries bounded
_ISO_WEEK = re.compile(r"([0-9]{4})-W([0-9]{2})")  # ISO 8601 week date, as <input type="week">


class RangeInvalid(ValueError):
    """A week range the page cannot show; ``field`` names the parameter at fault."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason


@dataclass(frozen=True, order=True, slots=True)
class IsoWeek:
    """An ISO 8601 week: the Monday-to-Sunday week ``week`` of the ISO year ``year``."""

    year: int
    week: int

    @classmethod
    def parse(cls, text: str) -> IsoWeek:
        """``"2026-W48"`` as a week; ValueError for anything else or a week the year lacks."""
        found = _ISO_WEEK.fullmatch(text.strip())
        if found is None:
            raise ValueError("not a week written as YYYY-Www")
        year, week = int(found.group(1)), int(found.group(2))
        if not 1 <= year <= 9998:
            raise ValueError("the year is out of range")
        try:
            monday = date.fromisocalendar(year, week, 1)
        except ValueError:
            raise ValueError(f"{year} has no week {week}") from None
        return cls.of_date(monday)

    @classmethod
    def of_date(cls, day: date) -> IsoWeek:
        iso = day.isocalendar()
        return cls(iso.year, iso.week)

    @classmethod
    def of(cls, moment: datetime) -> IsoWeek:
        """The week ``moment`` falls in, read in UTC."""
        if moment.tzinfo is None:
            raise ValueError("a moment must be timezone-aware")
        return cls.of_date(moment.astimezone(UTC).date())

    @property
    def start(self) -> datetime:
        """Monday 00:00 UTC, the first moment of the week."""
        return datetime.combine(date.fromisocalendar(self.year, self.week, 1), time(), UTC)

    @property
    def end(self) -> datetime:
        """The next Monday 00:00 UTC: the first moment after the week (exclusive)."""
        return self.start + timedelta(days=7)

    def shifted(self, weeks: int) -> IsoWeek:
        return IsoWeek.of_date(self.start.date() + timedelta(weeks=weeks))

    def __str__(self) -> str:
        return f"{self.year:04d}-W{self.week:02d}"


@dataclass(frozen=True, slots=True)
class WeekRange:
    """``count`` consecutive weeks ending with ``last`` (inclusive)."""

    last: IsoWeek
    count: int

    def __post_init__(self) -> None:
        if not 1 <= self.count <= MAX_WEEKS:
            raise RangeInvalid("weeks", f"choose between 1 and {MAX_WEEKS} weeks")

    @classmethod
    def choose(cls, *, weeks: str | None, until: str | None, now: datetime) -> WeekRange:
        """The range a page asked for: ``weeks`` (default 12) up to ``until`` (default: the
        current week); RangeInvalid for a malformed value or a range that ends after now."""
        count = DEFAULT_WEEKS
        if weeks is not None and weeks.strip():
            if not re.fullmatch(r"[0-9]{1,4}", weeks.strip()):
                raise RangeInvalid("weeks", "not a whole number of weeks")
            count = int(weeks.strip())
        current = IsoWeek.of(now)
        last = current
        if until is not None and until.strip():
            try:
                last = IsoWeek.parse(until)
            except ValueError as error:
                raise RangeInvalid("until", str(error)) from None
            if last > current:
                raise RangeInvalid("until", "the week has not begun yet")
        return cls(last, count)

    @property
    def weeks(self) -> tuple[IsoWeek, ...]:
        """The weeks of the range, oldest first."""
        return tuple(self.last.shifted(-back) for back in range(self.count - 1, -1, -1))

    @property
    def first(self) -> IsoWeek:
        return self.last.shifted(-(self.count - 1))

    def boundaries(self) -> tuple[datetime, ...]:
        """The start of each week and the end of the last: ``count + 1`` moments, ascending."""
        return (*(week.start for week in self.weeks), self.last.end)


def week_index(at: datetime, weeks: WeekRange) -> int | None:
    """The position of ``at``'s week in the range (0: the oldest), None outside it."""
    bounds = weeks.boundaries()
    if not bounds[0] <= at < bounds[-1]:
        return None
    return next(i for i in range(weeks.count) if at < bounds[i + 1])


def cutoff(week: IsoWeek, now: datetime) -> datetime:
    """When a week's consent state is read: its end, or now for the week under way."""
    return min(week.end, now)


def consent_rate(live: int, decided: int) -> Fraction | None:
    """``live / decided``, None when nobody had made a choice (no rate, not 0 %)."""
    if live < 0 or decided < 0 or live > decided:
        raise ValueError("live consents are a part of the people who chose")
    return None if decided == 0 else Fraction(live, decided)


@dataclass(frozen=True, slots=True)
class WeekFigures:
    """One activity in one week."""

    week: IsoWeek
    gives: int  # consents given during the week
    withdrawals: int  # withdrawals and refusals recorded during the week
    live: int  # people whose newest choice at the cutoff was a consent in force
    decided: int  # people who had made any choice about the activity by the cutoff

    @property
    def rate(self) -> Fraction | None:
        return consent_rate(self.live, self.decided)


@dataclass(frozen=True, slots=True)
class ActivitySeries:
    activity: str
    weeks: tuple[WeekFigures, ...]


@dataclass(frozen=True, slots=True)
class MethodWeek:
    """Withdrawals in one week, per method (every method listed, zeros included)."""

    week: IsoWeek
    by_method: tuple[tuple[str, int], ...]

    @property
    def total(self) -> int:
        return sum(n for _method, n in self.by_method)


def activity_series(
    activities: Sequence[str],
    weeks: WeekRange,
    events: Mapping[tuple[str, int, bool], int],
    states: Mapping[tuple[str, int], tuple[int, int]],
) -> list[ActivitySeries]:
    """Each activity's weeks from the store's counts: ``events[(activity, week index,
    given)]`` and ``states[(activity, week index)] = (live, decided)``; absent means 0."""
    out = []
    for activity in activities:
        figures = []
        for i, week in enumerate(weeks.weeks):
            live, decided = states.get((activity, i), (0, 0))
            figures.append(
                WeekFigures(
                    week=week,
                    gives=events.get((activity, i, True), 0),
                    withdrawals=events.get((activity, i, False), 0),
                    live=live,
                    decided=decided,
                )
            )
        out.append(ActivitySeries(activity, tuple(figures)))
    return out


def method_weeks(
    methods: Sequence[str], weeks: WeekRange, withdrawals: Mapping[tuple[int, str], int]
) -> list[MethodWeek]:
    """Withdrawals per week and method from ``withdrawals[(week index, method)]``."""
    return [
        MethodWeek(week, tuple((m, withdrawals.get((i, m), 0)) for m in methods))
        for i, week in enumerate(weeks.weeks)
    ]
