"""The arithmetic of the request figures (issue 11 item 11): median and 90th percentile by
nearest rank, stated on the page, checked here on hand-counted lists."""

from __future__ import annotations

from fractions import Fraction

import pytest

from privaat.domain.consent_weeks import IsoWeek, WeekRange
from privaat.domain.request_weeks import answer_weeks, kind_weeks, median, percentile_90


@pytest.mark.parametrize(
    ("days", "middle", "p90"),
    [
        pytest.param([], None, None, id="none"),
        pytest.param([5], Fraction(5), 5, id="one"),
        pytest.param([9, 7], Fraction(8), 9, id="two: the mean of both, rank 2"),
        pytest.param([14, 2, 7], Fraction(7), 14, id="three, unsorted"),
        pytest.param([1, 2, 3, 4], Fraction(5, 2), 4, id="four: 2.5"),
        # ten values: rank ⌈9⌉ = 9, the ninth smallest, not the largest
        pytest.param([1, 2, 3, 4, 5, 6, 7, 8, 9, 30], Fraction(11, 2), 9, id="ten"),
        # eleven: rank ⌈9.9⌉ = 10
        pytest.param([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 30], Fraction(6), 10, id="eleven"),
    ],
)
def test_median_and_the_90th_percentile_by_nearest_rank(
    days: list[int], middle: Fraction | None, p90: int | None
) -> None:
    assert median(days) == middle
    assert percentile_90(days) == p90


def test_every_week_and_every_kind_is_listed_with_zeros() -> None:
    weeks = WeekRange(IsoWeek(2026, 2), 3)  # across the new year: 2025 has 52 ISO weeks
    received = kind_weeks(("access", "erasure"), weeks, {(1, "erasure"): 4})
    assert [str(w.week) for w in received] == ["2025-W52", "2026-W01", "2026-W02"]
    assert [w.by_method for w in received] == [
        (("access", 0), ("erasure", 0)),
        (("access", 0), ("erasure", 4)),
        (("access", 0), ("erasure", 0)),
    ]
    answered = answer_weeks(weeks, {2: [3, 1]})
    assert [(w.count, w.median, w.p90) for w in answered] == [
        (0, None, None),
        (0, None, None),
        (2, Fraction(2), 3),
    ]
