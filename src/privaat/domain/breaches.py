"""A personal data breach: its nature, its risk, and the clock to report it (GDPR art. 33, 34).

    discovered_at ──(72 h, art. 33(1); 24 h for a public electronic communications service
         │          whose breach touches that service, Reg. 611/2013 art. 2(2), Tw 11.3a)──▶ due
         ▼
    ReportClock(now)  RUNNING ─ time left ─▶ OVERDUE        (nothing reported by ``due``)
                      REPORTED / REPORTED_LATE               (``reported_at`` before / after)
                      NOT_REPORTED                           (a recorded reason, art. 33(5))

Risk decides the duties: NONE keeps the breach in the register only (with the reason it is
not reported), RISK reports it to the authority, HIGH also tells the people (art. 34) unless
an exemption of art. 34(3) is recorded. Pure: no I/O, the time is handed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from privaat.policy.wording import N_

__all__ = [
    "BREACH_HANDLING",
    "ECS_DETAILS",
    "ECS_HOURS",
    "REPORT_HOURS",
    "BreachFieldError",
    "ClockState",
    "Exemption",
    "Nature",
    "ReportClock",
    "RiskLevel",
    "UpdateKind",
    "check_discovery",
    "check_occurred",
    "report_clock",
    "report_deadline",
    "reporting_hours",
]

BREACH_HANDLING = "breach_handling"  # P10: the register, the report, the notices (art. 33, 34)
REPORT_HOURS = 72  # GDPR art. 33(1): "not later than 72 hours after having become aware"
ECS_HOURS = 24  # Reg. (EU) 611/2013 art. 2(2): "no later than 24 hours after detection"
# Reg. (EU) 611/2013 art. 2(3): the full information within three days of the first report
ECS_DETAILS = timedelta(days=3)


class BreachFieldError(ValueError):
    """A value of a breach is refused; ``field`` names the form field, the message says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


class Nature(StrEnum):
    """What the breach did to the data (the security principles of art. 32(1)(b))."""

    CONFIDENTIALITY = "confidentiality"  # disclosed to or accessed by someone not entitled
    INTEGRITY = "integrity"  # altered without authority
    AVAILABILITY = "availability"  # lost or destroyed, or out of reach


class RiskLevel(StrEnum):
    """The assessed risk to people's rights and freedoms (art. 33(1), 34(1))."""

    NONE = "none"  # unlikely to result in a risk: registered, not reported (reason recorded)
    RISK = "risk"  # a risk: reported to the supervisory authority
    HIGH = "high"  # a high risk: reported, and the people affected are told (art. 34)

    @property
    def must_report(self) -> bool:
        return self is not RiskLevel.NONE


class Exemption(StrEnum):
    """Why the people need not be told of a high-risk breach (art. 34(3))."""

    UNINTELLIGIBLE = "unintelligible"  # (a) the data was encrypted or otherwise unintelligible
    RISK_REMOVED = "risk_removed"  # (b) later measures make the high risk no longer likely
    PUBLIC_NOTICE = "public_notice"  # (c) disproportionate effort: a public communication


class UpdateKind(StrEnum):
    """One entry of a breach's history: the register keeps every one (art. 33(4), 33(5))."""

    RECORDED = "recorded"  # the incident entered the register
    ADDITION = "addition"  # further information, in phases (art. 33(4))
    REPORTED = "reported"  # the authority received the report (with its reference)
    NOT_REPORTED = "not_reported"  # the reason it is not reported (art. 33(5))
    ASSESSED = "assessed"  # the risk was assessed again
    EXEMPTED = "exempted"  # an art. 34(3) exemption, with its reason
    NOTIFIED = "notified"  # the notices to the people affected were queued (art. 34)


class ClockState(StrEnum):
    """Where a breach stands against its reporting deadline."""

    RUNNING = "running"  # not reported, the deadline still ahead
    OVERDUE = "overdue"  # not reported, the deadline passed (art. 33(1): give the reasons)
    REPORTED = "reported"  # reported by the deadline
    REPORTED_LATE = "reported_late"  # reported after the deadline
    NOT_REPORTED = "not_reported"  # not reported, with a recorded reason (art. 33(5))


@dataclass(frozen=True, slots=True)
class ReportClock:
    """The reporting clock at one moment; ``left`` is negative once overdue."""

    state: ClockState
    due: datetime
    left: timedelta

    @property
    def flagged(self) -> bool:
        return self.state is ClockState.OVERDUE


def reporting_hours(
    *,
    public_ecs: bool,
    ecs_activities: frozenset[str],
    touched: frozenset[str],
) -> int:
    """Hours from discovery to the report: 24 when the breach touches the public ECS, else 72.

    With the setting on and no activities named as the service's, every breach counts as one
    (the stricter reading); with activities named, only a breach that touches one of them.
    """
    if not public_ecs:
        return REPORT_HOURS
    if not ecs_activities or ecs_activities & touched:
        return ECS_HOURS
    return REPORT_HOURS


def report_deadline(discovered_at: datetime, hours: int) -> datetime:
    """The moment the report is due: the hours count on the clock, weekends and nights included."""
    _aware(discovered_at, "discovered_at")
    return discovered_at + timedelta(hours=hours)


def report_clock(
    *,
    due: datetime,
    now: datetime,
    reported_at: datetime | None,
    not_reported: bool,
) -> ReportClock:
    """The clock's reading at ``now``."""
    _aware(now, "now")
    if reported_at is not None:
        late = reported_at > due
        state = ClockState.REPORTED_LATE if late else ClockState.REPORTED
        return ReportClock(state, due, due - reported_at)
    if not_reported:
        return ReportClock(ClockState.NOT_REPORTED, due, due - now)
    state = ClockState.OVERDUE if now > due else ClockState.RUNNING
    return ReportClock(state, due, due - now)


def check_discovery(discovered_at: datetime | None, now: datetime) -> datetime:
    """The discovery time, refused when missing, without a time zone, or in the future."""
    if discovered_at is None:
        raise BreachFieldError("discovered_at", N_("A breach needs the moment it was discovered."))
    _aware(discovered_at, "discovered_at")
    if discovered_at > now:
        raise BreachFieldError("discovered_at", N_("The discovery cannot lie in the future."))
    return discovered_at


def check_occurred(
    start: datetime | None, end: datetime | None, discovered_at: datetime
) -> tuple[datetime | None, datetime | None]:
    """The window the breach happened in: start before end, neither after the discovery."""
    for name, value in (("occurred_from", start), ("occurred_until", end)):
        if value is not None:
            _aware(value, name)
            if value > discovered_at:
                raise BreachFieldError(name, N_("The breach cannot happen after its discovery."))
    if start is not None and end is not None and start > end:
        raise BreachFieldError("occurred_until", N_("The end of the window lies before its start."))
    return start, end


def _aware(moment: datetime, field: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise BreachFieldError(field, N_("A time needs its time zone (UTC)."))
