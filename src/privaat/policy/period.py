"""Retention periods written as ISO 8601 durations of years, months, weeks or days."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

# ISO 8601 §4.4.3.2, date part only: retention is never shorter than a day
_ISO_PERIOD = re.compile(
    r"^P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?$"
)


@dataclass(frozen=True, slots=True)
class Period:
    """A calendar period; months and years follow the calendar, not a fixed length."""

    years: int = 0
    months: int = 0
    days: int = 0

    @classmethod
    def parse(cls, text: str) -> Period:
        match = _ISO_PERIOD.match(text)
        if match is None or text == "P":
            raise ValueError(f"{text!r} is not an ISO 8601 period such as P30D, P6M or P7Y")
        parts = {k: int(v) for k, v in match.groupdict().items() if v is not None}
        return cls(
            years=parts.get("years", 0),
            months=parts.get("months", 0),
            days=parts.get("days", 0) + 7 * parts.get("weeks", 0),
        )

    def __str__(self) -> str:
        text = "P"
        text += f"{self.years}Y" if self.years else ""
        text += f"{self.months}M" if self.months else ""
        text += f"{self.days}D" if self.days else ""
        return text if text != "P" else "P0D"

    def after(self, moment: datetime) -> datetime:
        """The moment this period after ``moment``; 31 January + 1 month is 28/29 February."""
        months = moment.month - 1 + self.months + 12 * self.years
        year, month = moment.year + months // 12, months % 12 + 1
        day = min(moment.day, calendar.monthrange(year, month)[1])
        return moment.replace(year=year, month=month, day=day) + timedelta(days=self.days)

    def before(self, moment: datetime) -> datetime:
        """The moment this period before ``moment``: what is older than it has outlived it.

        The inverse of ``after`` in the reverse order (the days first, then the months), so
        that ``after(before(m)) <= m`` for every moment: the other order would let a month-end
        clamp cut a period of months and days short (P1M2D before 1 March 2000 would be 30
        January, whose P1M2D runs to 2 March) and a record go a day early (L51)."""
        shifted = moment - timedelta(days=self.days)
        months = shifted.month - 1 - self.months - 12 * self.years
        year, month = shifted.year + months // 12, months % 12 + 1
        day = min(shifted.day, calendar.monthrange(year, month)[1])
        return shifted.replace(year=year, month=month, day=day)

    def approx_days(self) -> int:
        """Length in days, for comparing periods (a year counts 365 days, a month 30)."""
        return 365 * self.years + 30 * self.months + self.days

    def after_date(self, day: date) -> date:
        return self.after(datetime(day.year, day.month, day.day)).date()

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(
            cls._coerce,
            core_schema.union_schema(
                [core_schema.is_instance_schema(cls), core_schema.str_schema()]
            ),
            serialization=core_schema.plain_serializer_function_ser_schema(str),
        )

    @classmethod
    def _coerce(cls, value: Period | str) -> Period:
        return value if isinstance(value, Period) else cls.parse(value)
