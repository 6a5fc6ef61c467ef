"""Consent figures for the console (issue 10 item 8): counts from the ledger, never a person.

    ConsentStats.weekly(uow, staff, weeks)
        ├── the role: a privacy officer or marketing reads the ledger in aggregate, under
        │   ``consent_records`` (the activity the policy declares for the ledger); others:
        │   NotPermitted
        ├── the audit trail: who read which weeks (no subject: nobody's data is opened)
        ├── one grouped query: gives and withdrawals per week, activity and method
        ├── one grouped pass for all weeks: the newest choice of each person at each week's
        │   cutoff (``domain.consent_weeks.cutoff``), counted per activity as live/decided
        ▼
    ConsentReport   per activity of the policy (L9: a new one appears without code)

Only ``COUNT``s and ``SUM``s leave the database: no row, no subject id, nothing decrypted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, case, func, or_, select

from privaat.domain.activities import CONSENT_RECORDS
from privaat.domain.clock import Clock
from privaat.domain.consent_weeks import (
    ActivitySeries,
    MethodWeek,
    WeekRange,
    activity_series,
    cutoff,
    method_weeks,
)
from privaat.domain.principal import StaffMember, StaffRole
from privaat.policy.schema import Policy
from privaat.services.consents import ConsentMethod
from privaat.services.errors import NotPermitted
from privaat.store.audit import AuditTrail
from privaat.store.tables import consent_decisions, consent_events
from privaat.store.unit_of_work import UnitOfWork

__all__ = ["STATS_ROLES", "ConsentReport", "ConsentStats"]

# the DPO proves consent (art. 7(1)); marketing needs to know whom it may not mail (L13);
# support and administrators have no use for the figures
STATS_ROLES = frozenset({StaffRole.PRIVACY_OFFICER, StaffRole.MARKETING})
METHODS: tuple[str, ...] = tuple(method.value for method in ConsentMethod)


@dataclass(frozen=True, slots=True)
class ConsentReport:
    weeks: WeekRange
    activities: Sequence[ActivitySeries]  # every consent-based activity, in policy order
    withdrawals: Sequence[MethodWeek]  # all activities together, per week and method
    methods: Sequence[str]


class ConsentStats:
    """Weekly consent figures per activity, read in aggregate under ``consent_records``."""

    activities = frozenset({CONSENT_RECORDS})

    def __init__(self, *, policy: Policy, clock: Clock) -> None:
        self._policy, self._clock = policy, clock
        self._consent_based = tuple(a.id for a in policy.activities if a.requires_consent)

    def weekly(self, uow: UnitOfWork, staff: StaffMember, weeks: WeekRange) -> ConsentReport:
        """The figures of ``weeks``; NotPermitted for a role that does not work with them."""
        if staff.role not in STATS_ROLES:  # the role table keeps others out; the backstop
            raise NotPermitted(f"the {staff.role.value} role reads no consent figures")
        if CONSENT_RECORDS not in {a.id for a in self._policy.activities}:
            raise NotPermitted(f"the policy declares no '{CONSENT_RECORDS}' activity")
        now = self._clock.now()
        with uow.writing() as connection:
            # art. 5(2): the reading of the ledger is accounted for, as any other use of it
            AuditTrail.append(
                connection,
                at=now,
                actor=staff.actor,
                action="consent.figures_read",
                subject_pseudonym=None,
                detail={
                    "activity": CONSENT_RECORDS,
                    "until": str(weeks.last),
                    "weeks": weeks.count,
                },
            )
            events, withdrawals = self._events(connection, weeks)
            states = self._states(connection, weeks, now)
        return ConsentReport(
            weeks=weeks,
            activities=activity_series(self._consent_based, weeks, events, states),
            withdrawals=method_weeks(METHODS, weeks, withdrawals),
            methods=METHODS,
        )

    def _events(
        self, connection: Connection, weeks: WeekRange
    ) -> tuple[dict[tuple[str, int, bool], int], dict[tuple[int, str], int]]:
        bounds = weeks.boundaries()
        at = consent_events.c.at
        # the week's position, by the domain's boundaries (``consent_weeks.week_index``)
        index = case(*((at < bounds[i + 1], i) for i in range(weeks.count)), else_=-1)
        bucketed = (
            select(
                index.label("week"),
                consent_events.c.activity,
                consent_events.c.given,
                consent_events.c.channel,
            )
            .where(
                at >= bounds[0],
                at < bounds[-1],
                consent_events.c.activity.in_(self._consent_based),
                consent_decisions(),  # a request awaiting its link is neither yes nor no
            )
            .subquery()
        )
        rows = connection.execute(
            select(
                bucketed.c.week,
                bucketed.c.activity,
                bucketed.c.given,
                bucketed.c.channel,
                func.count(),
            ).group_by(bucketed.c.week, bucketed.c.activity, bucketed.c.given, bucketed.c.channel)
        ).all()
        events: dict[tuple[str, int, bool], int] = {}
        withdrawals: dict[tuple[int, str], int] = {}
        for week, activity, given, channel, count in rows:
            key = (str(activity), int(week), bool(given))
            events[key] = events.get(key, 0) + int(count)
            if not given:
                withdrawals[(int(week), str(channel))] = withdrawals.get(
                    (int(week), str(channel)), 0
                ) + int(count)
        return events, withdrawals

    def _states(
        self, connection: Connection, weeks: WeekRange, now: datetime
    ) -> dict[tuple[str, int], tuple[int, int]]:
        # each event is a person's current choice from its own moment until their next event
        # for the same activity (the ledger's order); the choice current at a week's cutoff is
        # the one whose span holds the cutoff: one pass over the ledger for every week at once
        ce = consent_events
        spans = (
            select(
                ce.c.activity,
                ce.c.given,
                ce.c.at,
                ce.c.expires_at,
                func.lead(ce.c.at)
                .over(partition_by=(ce.c.subject_id, ce.c.activity), order_by=ce.c.id)
                .label("until"),
            )
            .where(
                ce.c.activity.in_(self._consent_based),
                ce.c.at < cutoff(weeks.last, now),
                consent_decisions(ce),
            )
            .subquery()
        )
        columns = []
        for week in weeks.weeks:
            moment = cutoff(week, now)
            current = and_(
                spans.c.at < moment, or_(spans.c.until.is_(None), spans.c.until >= moment)
            )
            in_force = and_(
                current,
                spans.c.given,
                or_(spans.c.expires_at.is_(None), spans.c.expires_at > moment),
            )
            columns += [
                func.coalesce(func.sum(case((in_force, 1), else_=0)), 0),
                func.coalesce(func.sum(case((current, 1), else_=0)), 0),
            ]
        rows = connection.execute(
            select(spans.c.activity, *columns).group_by(spans.c.activity)
        ).all()
        states: dict[tuple[str, int], tuple[int, int]] = {}
        for row in rows:
            for i in range(weeks.count):
                live, decided = int(row[1 + 2 * i]), int(row[2 + 2 * i])
                if decided:
                    states[(str(row[0]), i)] = (live, decided)
        return states
