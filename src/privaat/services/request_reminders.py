"""Reminders to the privacy officer before a request falls due, and once it is overdue
(issue 11 item 3; GDPR art. 12(3); LEGAL L55).

    remind(uow)  ── every verified open request due within DUE_SOON days, or past its date
        ├── the most urgent reminder due (domain.request_dwell.reminder_due): a week before
        │   the date, two days before it (issue 15 item 7), or overdue
        ├── not yet reminded of this (kind of reminder, due date): an extension moves the
        │   date, and the new date earns its own reminders
        ├── the reminder queued through the outbox to the policy's privacy contact, sealed
        │   under the request's subject (it is part of handling their request); it names the
        │   reference, the right and the dates, nothing about the person
        └── recorded in request_reminders (once, by a unique key) and in the audit trail

An unverified request gets none: it expires when its link goes unused (L57). Run it daily
(``privaat jobs remind-requests``); running it twice sends nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from sqlalchemy import insert, select

from privaat.domain import request_dwell as dwell
from privaat.domain.activities import RIGHTS
from privaat.domain.clock import Clock
from privaat.domain.principal import SystemJob
from privaat.domain.request_dwell import reminder_due
from privaat.domain.subject_requests import RequestKind, RequestStatus
from privaat.mail.request_reminders import reminder_letter
from privaat.policy.schema import Policy
from privaat.services.outbox import queue
from privaat.services.subject_access import Operation, SubjectAccess
from privaat.services.subject_requests import SubjectRequests
from privaat.store.audit import AuditTrail
from privaat.store.tables_requests import request_reminders, subject_requests
from privaat.store.unit_of_work import UnitOfWork

__all__ = ["DUE_SOON", "REMINDER_JOB", "Reminder", "RequestReminders", "SentReminder"]

DUE_SOON = timedelta(days=dwell.DUE_SOON)  # a week's notice: time to answer, or to ask a colleague
REMINDER_JOB = SystemJob("request-reminders")
# verified and being answered; RECEIVED waits for its link, the rest are done
_REMINDED = tuple(
    status.value
    for status in (RequestStatus.VERIFIED, RequestStatus.IN_PROGRESS, RequestStatus.EXTENDED)
)


class Reminder(StrEnum):
    """Which reminder (stored in ``request_reminders.reminder``; the values of
    domain.request_dwell.Alert's reminders, which decides the one due)."""

    DUE_SOON = "due_soon"  # due within DUE_SOON
    DUE_IN_2 = "due_in_2"  # due within two days (issue 15 item 7)
    OVERDUE = "overdue"  # past its due date: the deadline of art. 12(3) is missed


@dataclass(frozen=True, slots=True)
class SentReminder:
    reference: str
    reminder: Reminder
    due_on: date


class RequestReminders:
    """Queues the privacy officer's reminders of requests falling due."""

    activities = frozenset({RIGHTS})

    def __init__(
        self,
        *,
        access: SubjectAccess,
        requests: SubjectRequests,
        policy: Policy,
        clock: Clock,
        base_url: str = "",
    ) -> None:
        self._access, self._requests, self._policy, self._clock = access, requests, policy, clock
        self._base_url = base_url.rstrip("/")

    def remind(self, uow: UnitOfWork) -> list[SentReminder]:
        """Queue every reminder that is due and not yet sent; returns what was queued."""
        now = self._clock.now()
        today = self._requests.local_date(now)
        lang = self._policy.policy.languages[0]
        sent: list[SentReminder] = []
        with uow.writing() as connection:
            rows = connection.execute(
                select(
                    subject_requests.c.id,
                    subject_requests.c.reference,
                    subject_requests.c.kind,
                    subject_requests.c.subject_id,
                    subject_requests.c.status,
                    subject_requests.c.due_on,
                )
                .where(
                    subject_requests.c.status.in_(_REMINDED),
                    subject_requests.c.due_on <= today + DUE_SOON,
                )
                .order_by(subject_requests.c.due_on, subject_requests.c.id)
            ).all()
            done = {
                (row.request_id, row.reminder, row.due_on)
                for row in connection.execute(
                    select(
                        request_reminders.c.request_id,
                        request_reminders.c.reminder,
                        request_reminders.c.due_on,
                    ).where(request_reminders.c.request_id.in_([row.id for row in rows]))
                )
            }
            for row in rows:
                due = reminder_due(RequestStatus(row.status), due_on=row.due_on, today=today)
                if due is None:
                    continue
                reminder = Reminder(due.value)  # the most urgent: a week, two days, overdue
                if (row.id, reminder.value, row.due_on) in done:
                    continue
                sending = self._access.open(
                    connection, REMINDER_JOB, row.subject_id, RIGHTS, operation=Operation.SEND
                )
                letter = reminder_letter(
                    self._policy,
                    lang=lang,
                    reference=row.reference,
                    kind=RequestKind(row.kind),
                    due_on=row.due_on,
                    days_left=(row.due_on - today).days,
                    link=f"{self._base_url}/console/requests/{row.reference}",
                )
                queue(
                    connection, sending, template=f"request_{reminder.value}", mail=letter, at=now
                )
                connection.execute(
                    insert(request_reminders).values(
                        request_id=row.id,
                        subject_id=row.subject_id,
                        reminder=reminder.value,
                        due_on=row.due_on,
                        sent_at=now,
                    )
                )
                AuditTrail.append(
                    connection,
                    at=now,
                    actor=REMINDER_JOB.actor,
                    action="request.reminded",
                    subject_pseudonym=sending.pseudonym,
                    detail={"reference": row.reference, "reminder": reminder.value},
                )
                sent.append(SentReminder(row.reference, reminder, row.due_on))
        return sent
