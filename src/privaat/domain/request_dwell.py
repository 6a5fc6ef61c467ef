"""How long a request may stay in each status, and which alerts are due (issue 15 item 7;
GDPR art. 12(3); LEGAL L55, L57).

    a request: its status, when it entered it, its due date, its last store failure
        │ DWELL[status]: the longest it may stay there (calendar days or working days, and
        │                for a request being answered never past the end of its due date)
        ▼
    alerts_due(...) ── STUCK          past its status's maximum dwell ("stuck since …")
                       STORE_FAILING  a store outside privaat failed it since it entered its
                                      status (a connector error recorded)
                       DUE_SOON       7 days or fewer before the due date
                       DUE_IN_2       2 days or fewer before it
                       OVERDUE        past the due date: the deadline of art. 12(3) is missed
                       TASK_OVERDUE   a manual task (a system without an API) still open
                                      past its own due date: nobody took it up

Each alert carries a key: the watchdog records an alert once per (request, alert, key), so
a request is alerted once per stay in a status (STUCK, STORE_FAILING) and once per due date
(the reminders; an extension moves the date, and the new date earns its own). Of the
reminders only the most urgent is due: a request first seen two days before its date gets
the two-day reminder, not the week's as well.

The dwell table is one table of constants (``DWELL``) with the reason for each; the
watchdog runs every ``WATCHDOG_INTERVAL`` (``privaat jobs request-watchdog``, hourly), so
no request stays stuck longer than its dwell plus that interval without an alert.

Pure: the time zone and the holiday calendar of the controller are passed in, as for the
deadline (domain.deadlines), so "working days" and "the end of the due date" are the
controller's.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from types import MappingProxyType

from privaat.domain.subject_requests import RequestStatus

__all__ = [
    "CONFIRMATION_DAYS",
    "DUE_IN_2",
    "DUE_SOON",
    "DWELL",
    "REMINDED",
    "WATCHDOG_INTERVAL",
    "Alert",
    "DueAlert",
    "Dwell",
    "add_working_days",
    "alerts_due",
    "reminder_due",
    "stay_key",
    "stuck_after",
]

WATCHDOG_INTERVAL = timedelta(hours=1)  # how often `privaat jobs request-watchdog` runs
CONFIRMATION_DAYS = 7  # L57: the confirmation link's life (services.subject_requests)
DUE_SOON = 7  # days before the due date: a week's notice, time to answer or ask a colleague
DUE_IN_2 = 2  # days before it: the last call, still two days to answer or to extend


class Alert(StrEnum):
    """What the watchdog alerts of (stored in ``request_alerts.alert`` and, for the
    reminders, ``request_reminders.reminder``)."""

    STUCK = "stuck"
    STORE_FAILING = "store_failing"
    DUE_SOON = "due_soon"
    DUE_IN_2 = "due_in_2"
    OVERDUE = "overdue"
    TASK_OVERDUE = "task_overdue"  # a manual task (issue 15 item 3) open past its due date

    @property
    def reminder(self) -> bool:
        """One of the due-date reminders (kept with issue 11's in ``request_reminders``)."""
        return self in (Alert.DUE_SOON, Alert.DUE_IN_2, Alert.OVERDUE)


@dataclass(frozen=True, slots=True)
class Dwell:
    """The longest a request may stay in one status, and why."""

    days: int = 0  # calendar days from entering the status
    working_days: int = 0  # or working days: to the end of the n-th working day after it
    until_due: bool = False  # never past the end of the due date, whatever ``days`` says
    reason: str = ""


_S = RequestStatus
DWELL: Mapping[RequestStatus, Dwell] = MappingProxyType(
    {
        _S.RECEIVED: Dwell(
            days=CONFIRMATION_DAYS,
            reason="the confirmation link lives 7 days (L57), then `jobs expire-requests` "
            "closes the request: one still unconfirmed later means the expiry job is not "
            "running",
        ),
        _S.VERIFIED: Dwell(
            working_days=2,
            reason="the identity is established: someone starts it within two working "
            "days, or the one month of art. 12(3) runs away unseen",
        ),
        _S.IN_PROGRESS: Dwell(
            days=10,
            until_due=True,
            reason="a request being answered shows a step (an answer, an extension, a "
            "refusal) within 10 days of starting, and never outlives its due date",
        ),
        _S.EXTENDED: Dwell(
            days=21,
            until_due=True,
            reason="an extension is for a large or complex request (art. 12(3)): three "
            "weeks without a step means nobody works on it; never past the new due date",
        ),
        _S.COMPLETED: Dwell(
            days=30,
            reason="answered: closed within a month, once the requester had time to ask "
            "a follow-up question about the answer",
        ),
        _S.REFUSED: Dwell(
            days=30,
            reason="refused with reasons and the right to complain (art. 12(4)): closed "
            "within a month, once the requester had time to react",
        ),
    }
)
# the statuses the due-date reminders are for: verified and being answered (a RECEIVED
# request waits for its link and expires when it goes unused, L57; the rest are answered)
REMINDED = frozenset({_S.VERIFIED, _S.IN_PROGRESS, _S.EXTENDED})


@dataclass(frozen=True, slots=True)
class DueAlert:
    """An alert due now: what, since when, and the key it is recorded once under."""

    alert: Alert
    since: datetime  # stuck since, the failure's time, or the start of the reminder's day
    key: str


def stay_key(status: RequestStatus, entered_at: datetime) -> str:
    """The key of one stay in one status: ``in_progress@2026-12-01T09:00:00+00:00`` (UTC,
    so a database that answers in another offset names the same stay)."""
    return f"{status.value}@{entered_at.astimezone(UTC).isoformat()}"


def add_working_days(day: date, n: int, *, holidays: Container[date] = ()) -> date:
    """The ``n``-th working day after ``day`` (not Saturday, Sunday or a public holiday)."""
    if n < 0:
        raise ValueError("working days count forward: n must not be negative")
    while n:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in holidays:
            n -= 1
    return day


def _start_of(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def stuck_after(
    status: RequestStatus,
    *,
    entered_at: datetime,
    due_on: date,
    zone: tzinfo,
    holidays: Container[date] = (),
) -> datetime | None:
    """The moment a request that entered ``status`` at ``entered_at`` has stayed too long
    there (None: it may stay for ever, CLOSED)."""
    dwell = DWELL.get(status)
    if dwell is None:
        return None
    if dwell.working_days:
        local = entered_at.astimezone(zone).date()
        # to the end of the n-th working day: the start of the day after it
        limit = _start_of(add_working_days(local, dwell.working_days, holidays=holidays), zone)
        limit += timedelta(days=1)
    else:
        limit = entered_at + timedelta(days=dwell.days)
    if dwell.until_due:
        limit = min(limit, _start_of(due_on + timedelta(days=1), zone))
    return limit


def reminder_due(status: RequestStatus, *, due_on: date, today: date) -> Alert | None:
    """The most urgent due-date reminder for a request in ``status`` on the local ``today``
    (None: not due yet, or not a status reminded of)."""
    if status not in REMINDED:
        return None
    left = (due_on - today).days
    if left < 0:
        return Alert.OVERDUE
    if left <= DUE_IN_2:
        return Alert.DUE_IN_2
    if left <= DUE_SOON:
        return Alert.DUE_SOON
    return None


def alerts_due(
    status: RequestStatus,
    *,
    entered_at: datetime,
    due_on: date,
    last_failure: datetime | None,
    now: datetime,
    zone: tzinfo,
    holidays: Container[date] = (),
    task_due: date | None = None,
) -> tuple[DueAlert, ...]:
    """The alerts due at ``now`` for a request in ``status`` since ``entered_at``, due on
    ``due_on`` (local date), whose last recorded store failure was at ``last_failure`` and
    whose earliest open manual task is due on ``task_due``."""
    due: list[DueAlert] = []
    stay = stay_key(status, entered_at)
    limit = stuck_after(status, entered_at=entered_at, due_on=due_on, zone=zone, holidays=holidays)
    if limit is not None and now >= limit:
        due.append(DueAlert(Alert.STUCK, limit, stay))
    if status.open and last_failure is not None and last_failure >= entered_at:
        due.append(DueAlert(Alert.STORE_FAILING, last_failure, stay))
    today = now.astimezone(zone).date()
    if status.open and task_due is not None and today > task_due:
        # once per task due date: a task done and another still open later alerts again
        late = _start_of(task_due + timedelta(days=1), zone)
        due.append(DueAlert(Alert.TASK_OVERDUE, late, f"task@{task_due.isoformat()}"))
    reminder = reminder_due(status, due_on=due_on, today=today)
    if reminder is not None:
        first_day = {
            Alert.OVERDUE: due_on + timedelta(days=1),
            Alert.DUE_IN_2: due_on - timedelta(days=DUE_IN_2),
            Alert.DUE_SOON: due_on - timedelta(days=DUE_SOON),
        }[reminder]
        due.append(DueAlert(reminder, _start_of(first_day, zone), due_on.isoformat()))
    return tuple(due)
