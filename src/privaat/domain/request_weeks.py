"""Requests per kind per week and the time to answer them, counted (issue 11 item 11).

    kind_weeks(kinds, weeks, counts)      counts[(week index, kind)] ─▶ one KindWeek a week
    answer_weeks(weeks, durations)        durations[week index] = [days, …] ─▶ AnswerWeek
        median   the middle value; of an even number, the mean of the two middle ones
        p90      nearest rank: the ⌈0.9·n⌉-th smallest (never a value nobody waited)

Pure: the service (services.request_stats) reads the counts and days; weeks are
``domain.consent_weeks.WeekRange``'s ISO weeks.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from privaat.domain.consent_weeks import IsoWeek, MethodWeek, WeekRange

__all__ = ["AnswerWeek", "answer_weeks", "kind_weeks", "median", "percentile_90"]


def median(days: Sequence[int]) -> Fraction | None:
    """The median of ``days`` (None of none): the middle one, or the mean of the two."""
    if not days:
        return None
    ordered = sorted(days)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return Fraction(ordered[middle])
    return Fraction(ordered[middle - 1] + ordered[middle], 2)


def percentile_90(days: Sequence[int]) -> int | None:
    """The 90th percentile by nearest rank: the ⌈0.9·n⌉-th smallest (None of none)."""
    if not days:
        return None
    ordered = sorted(days)
    rank = math.ceil(Fraction(9, 10) * len(ordered))
    return ordered[rank - 1]


@dataclass(frozen=True, slots=True)
class AnswerWeek:
    """The requests completed in one week and how long each took, in days from receipt."""

    week: IsoWeek
    count: int
    median: Fraction | None
    p90: int | None


def kind_weeks(
    kinds: Sequence[str], weeks: WeekRange, counts: Mapping[tuple[int, str], int]
) -> tuple[MethodWeek, ...]:
    """Requests received per week, per kind (every kind listed, zeros included); shaped as
    the consent page's per-method weeks so the same stacked bar chart draws them."""
    return tuple(
        MethodWeek(week, tuple((kind, counts.get((i, kind), 0)) for kind in kinds))
        for i, week in enumerate(weeks.weeks)
    )


def answer_weeks(
    weeks: WeekRange, durations: Mapping[int, Sequence[int]]
) -> tuple[AnswerWeek, ...]:
    """Per week of completion: how many, the median and the 90th percentile of the days."""
    out = []
    for i, week in enumerate(weeks.weeks):
        days = list(durations.get(i, ()))
        out.append(AnswerWeek(week, len(days), median(days), percentile_90(days)))
    return tuple(out)
