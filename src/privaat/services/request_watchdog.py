"""The request watchdog: no request stalls unseen (issue 15 item 7; GDPR art. 12(3); LEGAL
L55, L57).

    run(uow)  ── hourly (``privaat jobs request-watchdog``)
        ├── the due-date reminders (services.request_reminders): a week and two days before
        │   the due date, and once overdue, each once per due date
        ├── every request not closed, against domain.request_dwell: in its status since
        │   ``status_since`` (set by every step), due on ``due_on``, failed by a store outside
        │   privaat at its last ``request_store_failures`` row
        │     STUCK          past its status's maximum dwell
        │     STORE_FAILING  a store failed it since it entered its status
        │     TASK_OVERDUE   a manual task (issue 15 item 3) still open past its due date
        ├── each alert once (request_alerts, unique by request, alert and the stay's key),
        │   queued through the outbox to the policy's privacy contact (mail.request_watchdog:
        │   the reference, kind, status and dates, never the person), and audited
        └── the console's queue shows every alert of a request's current stay
            ("stuck since …", "store … failing since …")

    record_store_failure(...)  where access (RequestAnswers.answer) or erasure
        (RequestErasure.erase) catches a StoreError: the store, the operation, the
        connector's words, in a transaction of its own (the step itself changed nothing)

Everything is read and written under ``rights_handling`` through the seam, as the job
``request-watchdog``. A mail is sealed under the request's subject (as the reminders are);
for a subject erased already (a completed erasure not closed) under a subject of its own,
known only from this correspondence (as the erasure's letters are).
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, func, insert, select

from privaat.domain.activities import RIGHTS
from privaat.domain.clock import Clock
from privaat.domain.errors import AccessDenied
from privaat.domain.principal import Principal, SystemJob
from privaat.domain.request_dwell import Alert, alerts_due, stay_key
from privaat.domain.request_tasks import TaskStatus
from privaat.domain.subject import SubjectState
from privaat.domain.subject_requests import RequestKind, RequestStatus
from privaat.mail.request_watchdog import watchdog_letter
from privaat.policy.schema import Policy
from privaat.services.errors import ServiceError
from privaat.services.outbox import queue
from privaat.services.request_reminders import RequestReminders, SentReminder
from privaat.services.subject_access import Opened, Operation, SubjectAccess
from privaat.services.subject_requests import SubjectRequests
from privaat.store.audit import AuditTrail
from privaat.store.key_errors import KeyStoreError
from privaat.store.tables import subjects
from privaat.store.tables_requests import subject_requests
from privaat.store.tables_tasks import request_tasks
from privaat.store.tables_watchdog import request_alerts, request_store_failures
from privaat.store.unit_of_work import UnitOfWork

__all__ = [
    "WATCHDOG_JOB",
    "OpenAlert",
    "RaisedAlert",
    "RequestWatchdog",
    "WatchdogRun",
    "record_store_failure",
]

WATCHDOG_JOB = SystemJob("request-watchdog")
_REASON = 300  # request_store_failures.reason


@dataclass(frozen=True, slots=True)
class RaisedAlert:
    """An alert the watchdog recorded and mailed in this run."""

    reference: str
    alert: Alert
    status: RequestStatus
    since: datetime
    store: str | None


@dataclass(frozen=True, slots=True)
class WatchdogRun:
    """What one run queued: the due-date reminders and the alerts."""

    reminders: tuple[SentReminder, ...]
    alerts: tuple[RaisedAlert, ...]


@dataclass(frozen=True, slots=True)
class OpenAlert:
    """An alert of a request's current stay in its status, as the console shows it."""

    alert: Alert
    since: datetime
    store: str | None


class RequestWatchdog:
    """Finds stuck, failing and due requests; alerts the privacy officer once of each."""

    activities = frozenset({RIGHTS})

    def __init__(
        self,
        *,
        access: SubjectAccess,
        requests: SubjectRequests,
        reminders: RequestReminders,
        policy: Policy,
        clock: Clock,
        time_zone: ZoneInfo,
        holidays: Container[date],
        base_url: str = "",
    ) -> None:
        self._access, self._requests, self._reminders = access, requests, reminders
        self._policy, self._clock = policy, clock
        self._zone, self._holidays = time_zone, holidays
        self._base_url = base_url.rstrip("/")

    def run(self, uow: UnitOfWork) -> WatchdogRun:
        """The reminders due, then every stuck or failing request alerted once."""
        sent = self._reminders.remind(uow)
        return WatchdogRun(tuple(sent), tuple(self._sweep(uow)))

    def _sweep(self, uow: UnitOfWork) -> list[RaisedAlert]:
        now = self._clock.now()
        lang = self._policy.policy.languages[0]
        raised: list[RaisedAlert] = []
        with uow.writing() as connection:
            rows = connection.execute(
                _WATCHED.order_by(subject_requests.c.due_on, subject_requests.c.id)
            ).all()
            failures = _last_failures(connection)
            tasks = _late_tasks(connection, self._requests.local_date(now))
            done = {
                (request_id, alert, key)
                for request_id, alert, key in connection.execute(
                    select(
                        request_alerts.c.request_id, request_alerts.c.alert, request_alerts.c.key
                    )
                    .join(subject_requests, subject_requests.c.id == request_alerts.c.request_id)
                    .where(subject_requests.c.status != RequestStatus.CLOSED.value)
                )
            }
            for row in rows:
                status = RequestStatus(row.status)
                failure = failures.get(row.id)
                for due in alerts_due(
                    status,
                    entered_at=row.status_since,
                    due_on=row.due_on,
                    last_failure=failure[0] if failure else None,
                    now=now,
                    zone=self._zone,
                    holidays=self._holidays,
                    task_due=tasks[row.id][0] if row.id in tasks else None,
                ):
                    if due.alert.reminder or (row.id, due.alert.value, due.key) in done:
                        continue  # the reminders are RequestReminders'; each alert once
                    store = (  # the failing store, or the late task's system
                        failure[1]
                        if due.alert is Alert.STORE_FAILING and failure
                        else tasks[row.id][1]
                        if due.alert is Alert.TASK_OVERDUE
                        else None
                    )
                    letter = watchdog_letter(
                        self._policy,
                        lang=lang,
                        zone=self._zone,
                        alert=due.alert,
                        reference=row.reference,
                        kind=RequestKind(row.kind),
                        status=status,
                        since=due.since,
                        entered_at=row.status_since,
                        due_on=row.due_on,
                        store=store,
                        link=f"{self._base_url}/console/requests/{row.reference}",
                    )
                    sending = self._sending(connection, row.subject_id)
                    queue(
                        connection,
                        sending,
                        template=f"request_{due.alert.value}",
                        mail=letter,
                        at=now,
                    )
                    connection.execute(
                        insert(request_alerts).values(
                            request_id=row.id,
                            subject_id=row.subject_id,
                            at=now,
                            alert=due.alert.value,
                            key=due.key,
                            status=status.value,
                            since=due.since,
                            store=store,
                        )
                    )
                    AuditTrail.append(
                        connection,
                        at=now,
                        actor=WATCHDOG_JOB.actor,
                        action="request.alerted",
                        subject_pseudonym=row.pseudonym,
                        detail={"reference": row.reference, "alert": due.alert.value},
                    )
                    raised.append(RaisedAlert(row.reference, due.alert, status, due.since, store))
        return raised

    def _sending(self, connection: Connection, subject_id: int) -> Opened:
        """The request's subject opened for sending; erased: a subject of the letter's own."""
        try:
            return self._access.open(
                connection, WATCHDOG_JOB, subject_id, RIGHTS, operation=Operation.SEND
            )
        except (AccessDenied, ServiceError, KeyStoreError):
            return self._access.create(
                connection, WATCHDOG_JOB, RIGHTS, state=SubjectState.visitor()
            )

    def open_alerts(self, uow: UnitOfWork) -> dict[str, tuple[OpenAlert, ...]]:
        """Per reference, the alerts of each request's current stay in its status (a step
        since ends them) and of a manual task still late: what the console's queue marks.
        Nothing personal is read."""
        with uow.reading() as connection:
            rows = connection.execute(
                select(
                    subject_requests.c.id,
                    subject_requests.c.reference,
                    subject_requests.c.status,
                    _SINCE,
                    request_alerts.c.alert,
                    request_alerts.c.key,
                    request_alerts.c.since,
                    request_alerts.c.store,
                )
                .join(request_alerts, request_alerts.c.request_id == subject_requests.c.id)
                .where(subject_requests.c.status != RequestStatus.CLOSED.value)
                .order_by(request_alerts.c.id)
            ).all()
            tasks = _late_tasks(connection, self._requests.local_date(self._clock.now()))
        found: dict[str, list[OpenAlert]] = {}
        for row in rows:
            status = RequestStatus(row.status)
            if row.alert == Alert.TASK_OVERDUE.value:
                late = tasks.get(row.id)  # still that task's date, and the request still open
                if late is None or not status.open or row.key != f"task@{late[0].isoformat()}":
                    continue
            elif row.key != stay_key(status, row.status_since):
                continue  # an alert of an earlier stay: the request moved on since
            found.setdefault(row.reference, []).append(
                OpenAlert(Alert(row.alert), row.since, row.store)
            )
        return {reference: tuple(alerts) for reference, alerts in found.items()}


def record_store_failure(
    uow: UnitOfWork,
    access: SubjectAccess,
    actor: Principal,
    reference: str,
    error: Exception,
    *,
    operation: str,
    at: datetime,
) -> None:
    """Record that a store outside privaat failed ``operation`` (access, erasure) of the
    request ``reference``, in a transaction of its own, and audit it: the watchdog alerts
    of it (STORE_FAILING) and the console shows it. Never raises over the failure itself."""
    store = str(getattr(error, "store", None) or "?")[:64]
    with uow.writing() as connection:
        row = connection.execute(
            select(subject_requests.c.id, subject_requests.c.subject_id).where(
                subject_requests.c.reference == reference
            )
        ).first()
        if row is None:
            return
        held = access.open_held(
            connection, actor, row.subject_id, RIGHTS, operation=Operation.WRITE
        )
        connection.execute(
            insert(request_store_failures).values(
                request_id=row.id,
                subject_id=row.subject_id,
                at=at,
                store=store,
                operation=operation,
                reason=str(error)[:_REASON],
            )
        )
        AuditTrail.append(
            connection,
            at=at,
            actor=actor.actor,
            action="request.store_failed",
            subject_pseudonym=held.pseudonym,
            detail={"reference": reference, "store": store, "operation": operation},
        )


_SINCE = func.coalesce(subject_requests.c.status_since, subject_requests.c.received_at).label(
    "status_since"
)


_WATCHED = (
    select(
        subject_requests.c.id,
        subject_requests.c.reference,
        subject_requests.c.kind,
        subject_requests.c.status,
        subject_requests.c.subject_id,
        subject_requests.c.due_on,
        _SINCE,
        subjects.c.pseudonym,
    )
    .join(subjects, subjects.c.id == subject_requests.c.subject_id)
    .where(subject_requests.c.status != RequestStatus.CLOSED.value)
)


def _late_tasks(connection: Connection, today: date) -> dict[int, tuple[date, str]]:
    """Per request, its earliest manual task still open past its due date (issue 15 item 3):
    the due date and the system."""
    found: dict[int, tuple[date, str]] = {}
    for request_id, due_on, system in connection.execute(
        select(request_tasks.c.request_id, request_tasks.c.due_on, request_tasks.c.system)
        .where(request_tasks.c.status == TaskStatus.OPEN.value, request_tasks.c.due_on < today)
        .order_by(request_tasks.c.due_on.desc(), request_tasks.c.system.desc())
    ):
        found[request_id] = (due_on, system)  # the earliest is the last one written
    return found


def _last_failures(connection: Connection) -> dict[int, tuple[datetime, str]]:
    """Per request not closed, its last store failure: when, and which store."""
    found: dict[int, tuple[datetime, str]] = {}
    for request_id, at, store in connection.execute(
        select(
            request_store_failures.c.request_id,
            request_store_failures.c.at,
            request_store_failures.c.store,
        )
        .join(subject_requests, subject_requests.c.id == request_store_failures.c.request_id)
        .where(subject_requests.c.status != RequestStatus.CLOSED.value)
        .order_by(request_store_failures.c.at, request_store_failures.c.id)
    ):
        found[request_id] = (at, store)
    return found
