"""When a data-subject request must be answered (GDPR art. 12(3); LEGAL L55, L58).

    received 2026-01-31 (a Saturday in Amsterdam's calendar or not, the day it arrived)
        │ + 1 month: the same date in the next month, or its last day ──▶ 2026-02-28
        │ falls on a Saturday, Sunday or public holiday ──▶ the next working day
        ▼
    due 2026-03-02 (end of that day, the controller's time zone)

The EDPB reads art. 12(3)'s "one month" by Regulation (EEC, Euratom) No 1182/71 (Guidelines
01/2022 on the right of access, §160): a period in months ends on the day of the last month
with the same date as the day of receipt (art. 3(2)(c)), on the last day of that month when
it has no such date, and, when that day is a Saturday, Sunday or public holiday, on the next
working day (art. 3(4)). An extension (art. 12(3), "by two further months") runs from the
same day of receipt, so a request extended by two months is due three months after receipt.

Pure: the public holidays are passed in (the services take them from the ``holidays``
package for the controller's country), and the local date of receipt is the caller's.
"""

from __future__ import annotations

import calendar
from collections.abc import Container
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = [
    "ANSWER_MONTHS",
    "MAX_EXTENSION_MONTHS",
    "Deadline",
    "add_months",
    "period_end",
]

ANSWER_MONTHS = 1  # GDPR art. 12(3): "within one month of receipt of the request"
MAX_EXTENSION_MONTHS = 2  # art. 12(3): "extended by two further months where necessary"

_SATURDAY = 5


def add_months(day: date, months: int) -> date:
    """The same date ``months`` later, or that month's last day when it has no such date."""
    if months < 0:
        raise ValueError("a period runs forward: months must not be negative")
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    # Regulation 1182/71 art. 3(2)(c): 31 January + 1 month is 28 (or 29) February
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def period_end(received: date, months: int, *, holidays: Container[date] = ()) -> date:
    """The last day of a period of ``months`` from ``received``, moved past a weekend or
    public holiday to the next working day (Regulation 1182/71 art. 3(2)(c), 3(4))."""
    end = add_months(received, months)
    while end.weekday() >= _SATURDAY or end in holidays:
        end += timedelta(days=1)
    return end


@dataclass(frozen=True, slots=True)
class Deadline:
    """A request's answer deadline: one month from receipt, plus what has been extended."""

    received: date  # the local date the request arrived (art. 12(3): "of receipt")
    extended_months: int = 0  # 0, 1 or 2 (art. 12(3))

    def __post_init__(self) -> None:
        if not 0 <= self.extended_months <= MAX_EXTENSION_MONTHS:
            raise ValueError(
                f"art. 12(3) allows an extension of at most {MAX_EXTENSION_MONTHS} months, "
                f"not {self.extended_months}"
            )

    def first_month_ends(self, *, holidays: Container[date] = ()) -> date:
        """The last day to answer, or to tell the requester of an extension or a refusal
        (art. 12(3)-(4): "within one month of receipt")."""
        return period_end(self.received, ANSWER_MONTHS, holidays=holidays)

    def due(self, *, holidays: Container[date] = ()) -> date:
        """The last day to answer, extension included."""
        return period_end(self.received, ANSWER_MONTHS + self.extended_months, holidays=holidays)

    def extended_by(self, months: int) -> Deadline:
        """This deadline extended by ``months`` more (ValueError past art. 12(3)'s two)."""
        if months < 1:
            raise ValueError("an extension adds at least one month")
        return Deadline(self.received, self.extended_months + months)

    def days_left(self, today: date, *, holidays: Container[date] = ()) -> int:
        """Days from ``today`` to the due date: 0 on the due date, negative when overdue."""
        return (self.due(holidays=holidays) - today).days
