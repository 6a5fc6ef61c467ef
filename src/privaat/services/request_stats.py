"""Requests per kind per week and the time to answer them, for the console (issue 11 item 11).

    RequestStats.weekly(uow, staff, weeks)
        ├── the role: the privacy officer (whose work the requests are); others NotPermitted
        ├── the audit trail: who read which weeks (no subject: nobody's data is opened)
        ├── received: one grouped query, COUNT per week of receipt and kind
        ├── answered: the ``request.complete`` entries of the audit trail in the weeks (the
        │   moment each request was completed; the table keeps only its status), and the
        │   local date of receipt of those references: days = completed − received, in
        │   calendar days of the controller's time zone (art. 12(3) counts from receipt)
        ▼
    RequestReport   per ISO week: counts per kind; count, median and 90th percentile of days

Nothing is decrypted: only kinds, dates and references (random) leave the database.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC

from sqlalchemy import Connection, case, func, select

from privaat.domain.clock import Clock
from privaat.domain.consent_weeks import MethodWeek, WeekRange, week_index
from privaat.domain.principal import StaffMember, StaffRole
from privaat.domain.request_weeks import AnswerWeek, answer_weeks, kind_weeks
from privaat.domain.subject_requests import RequestKind
from privaat.services.errors import NotPermitted
from privaat.services.subject_requests import SubjectRequests
from privaat.store.audit import AuditTrail
from privaat.store.tables import audit_log
from privaat.store.tables_requests import subject_requests
from privaat.store.unit_of_work import UnitOfWork

__all__ = ["KINDS", "STATS_ROLES", "RequestReport", "RequestStats"]

# the requests are the privacy officer's work (art. 38-39); no other role has a use for them
STATS_ROLES = frozenset({StaffRole.PRIVACY_OFFICER})
KINDS: tuple[str, ...] = tuple(kind.value for kind in RequestKind)
_COMPLETED = "request.complete"  # the entry SubjectRequests.apply_in writes for the step


@dataclass(frozen=True, slots=True)
class RequestReport:
    weeks: WeekRange
    received: Sequence[MethodWeek]  # per week of receipt: (kind, count) for every kind
    answered: Sequence[AnswerWeek]  # per week of completion: count, median, p90 in days
    kinds: Sequence[str]


class RequestStats:
    """The console's figures on data-subject requests, read in aggregate."""

    def __init__(self, *, requests: SubjectRequests, clock: Clock) -> None:
        self._requests, self._clock = requests, clock

    def weekly(self, uow: UnitOfWork, staff: StaffMember, weeks: WeekRange) -> RequestReport:
        """The figures of ``weeks``; NotPermitted for a role that does not handle requests."""
        if staff.role not in STATS_ROLES:  # the role table keeps others out; the backstop
            raise NotPermitted(f"the {staff.role.value} role reads no request figures")
        now = self._clock.now()
        with uow.writing() as connection:
            # art. 5(2): the reading is accounted for, as any other use of the records
            AuditTrail.append(
                connection,
                at=now,
                actor=staff.actor,
                action="request.figures_read",
                subject_pseudonym=None,
                detail={"until": str(weeks.last), "weeks": weeks.count},
            )
            received = self._received(connection, weeks)
            durations = self._durations(connection, weeks)
        return RequestReport(
            weeks=weeks,
            received=kind_weeks(KINDS, weeks, received),
            answered=answer_weeks(weeks, durations),
            kinds=KINDS,
        )

    @staticmethod
    def _received(connection: Connection, weeks: WeekRange) -> dict[tuple[int, str], int]:
        bounds = weeks.boundaries()
        at = subject_requests.c.received_at
        # the week's position, by the domain's boundaries (``consent_weeks.week_index``)
        index = case(*((at < bounds[i + 1], i) for i in range(weeks.count)), else_=-1)
        bucketed = (
            select(index.label("week"), subject_requests.c.kind)
            .where(at >= bounds[0], at < bounds[-1])
            .subquery()
        )
        rows = connection.execute(
            select(bucketed.c.week, bucketed.c.kind, func.count()).group_by(
                bucketed.c.week, bucketed.c.kind
            )
        ).all()
        return {(int(week), str(kind)): int(count) for week, kind, count in rows}

    def _durations(self, connection: Connection, weeks: WeekRange) -> dict[int, list[int]]:
        bounds = weeks.boundaries()
        completions = connection.execute(
            select(audit_log.c.at, audit_log.c.detail).where(
                audit_log.c.action == _COMPLETED,
                audit_log.c.at >= bounds[0],
                audit_log.c.at < bounds[-1],
            )
        ).all()
        done = []
        for at, detail in completions:
            reference = json.loads(detail).get("reference")
            moment = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
            if isinstance(reference, str):
                done.append((reference, moment))
        if not done:
            return {}
        received = dict(
            connection.execute(
                select(subject_requests.c.reference, subject_requests.c.received_on).where(
                    subject_requests.c.reference.in_({reference for reference, _at in done})
                )
            ).all()
        )
        durations: dict[int, list[int]] = {}
        for reference, moment in done:
            day, i = received.get(reference), week_index(moment, weeks)
            if day is None or i is None:
                continue
            durations.setdefault(i, []).append((self._requests.local_date(moment) - day).days)
        return durations
