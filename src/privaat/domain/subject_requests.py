"""A data-subject request and the one table of how its status may change (issue 11).

    RECEIVED ──verify──▶ VERIFIED ──start──▶ IN_PROGRESS ──complete──▶ COMPLETED ──close──▶ CLOSED
       │                    │                 │      ▲                     ▲
       │                    │                 extend │ (art. 12(3))        │
       │                    │                 ▼      │                     │
       │                    │              EXTENDED ─┴──complete───────────┘
       │                    │                 │
       └──refuse────────────┴──refuse─────────┴──────────▶ REFUSED ──close──▶ CLOSED
       └──expire / cancel (also from VERIFIED, IN_PROGRESS, EXTENDED) ──────────▶ CLOSED

``transition`` is the only way a status changes: it checks the table and the law's side
conditions (an extension within the first month, with reasons, at most two months in all;
a refusal with reasons, art. 12(4)-(5)) and returns the request as it is after the step.
Pure: times and the holiday calendar are passed in.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from types import MappingProxyType

from privaat.domain.deadlines import MAX_EXTENSION_MONTHS, Deadline

__all__ = [
    "ARTICLES",
    "TRANSITIONS",
    "Action",
    "ExtensionRefused",
    "IllegalTransition",
    "ReasonRequired",
    "RequestKind",
    "RequestStatus",
    "SubjectRequest",
    "transition",
]


class RequestKind(StrEnum):
    """What the person asks for; UNCLEAR until the privacy officer classifies it (L54)."""

    ACCESS = "access"  # art. 15
    RECTIFICATION = "rectification"  # art. 16
    ERASURE = "erasure"  # art. 17
    RESTRICTION = "restriction"  # art. 18
    PORTABILITY = "portability"  # art. 20
    OBJECTION = "objection"  # art. 21
    UNCLEAR = "unclear"  # an e-mail that names no right clearly: a person classifies it


ARTICLES: Mapping[RequestKind, str] = MappingProxyType(
    {
        RequestKind.ACCESS: "15",
        RequestKind.RECTIFICATION: "16",
        RequestKind.ERASURE: "17",
        RequestKind.RESTRICTION: "18",
        RequestKind.PORTABILITY: "20",
        RequestKind.OBJECTION: "21",
    }
)


class RequestStatus(StrEnum):
    """Where a request stands; the deadline runs from receipt whatever the status."""

    RECEIVED = "received"  # arrived; identity not yet established (L57)
    VERIFIED = "verified"  # logged in, or the one-time code to the account's address was used
    IN_PROGRESS = "in_progress"  # being answered; its data is held (L60)
    EXTENDED = "extended"  # art. 12(3): up to two more months, the requester told why
    COMPLETED = "completed"  # answered; the receipt is in the audit trail
    REFUSED = "refused"  # art. 12(4)-(5): with reasons and the right to complain
    CLOSED = "closed"  # nothing more happens; unverified requests end here when they expire

    @property
    def open(self) -> bool:
        """Whether the request still waits for an answer (its data stays held, L60)."""
        return self in _OPEN


_OPEN = frozenset(
    {
        RequestStatus.RECEIVED,
        RequestStatus.VERIFIED,
        RequestStatus.IN_PROGRESS,
        RequestStatus.EXTENDED,
    }
)


class Action(StrEnum):
    """What happens to a request; each is a row group in ``TRANSITIONS``."""

    VERIFY = "verify"
    START = "start"
    EXTEND = "extend"
    COMPLETE = "complete"
    REFUSE = "refuse"
    CLOSE = "close"
    EXPIRE = "expire"  # an unverified request whose code was never used (L57)
    CANCEL = "cancel"  # the requester withdraws it (OpenDSR "cancelled")


_S, _A = RequestStatus, Action
TRANSITIONS: Mapping[tuple[RequestStatus, Action], RequestStatus] = MappingProxyType(
    {
        (_S.RECEIVED, _A.VERIFY): _S.VERIFIED,
        (_S.RECEIVED, _A.REFUSE): _S.REFUSED,  # e.g. the person cannot be identified, art. 11(2)
        (_S.RECEIVED, _A.EXPIRE): _S.CLOSED,
        (_S.RECEIVED, _A.CANCEL): _S.CLOSED,
        (_S.VERIFIED, _A.START): _S.IN_PROGRESS,
        (_S.VERIFIED, _A.REFUSE): _S.REFUSED,
        (_S.VERIFIED, _A.CANCEL): _S.CLOSED,
        (_S.IN_PROGRESS, _A.EXTEND): _S.EXTENDED,
        (_S.IN_PROGRESS, _A.COMPLETE): _S.COMPLETED,
        (_S.IN_PROGRESS, _A.REFUSE): _S.REFUSED,
        (_S.IN_PROGRESS, _A.CANCEL): _S.CLOSED,
        (_S.EXTENDED, _A.EXTEND): _S.EXTENDED,  # a second month, still within the first
        (_S.EXTENDED, _A.COMPLETE): _S.COMPLETED,
        (_S.EXTENDED, _A.REFUSE): _S.REFUSED,
        (_S.EXTENDED, _A.CANCEL): _S.CLOSED,
        (_S.COMPLETED, _A.CLOSE): _S.CLOSED,
        (_S.REFUSED, _A.CLOSE): _S.CLOSED,
    }
)


class IllegalTransition(ValueError):
    """The table has no such step from the request's status."""

    def __init__(self, status: RequestStatus, action: Action) -> None:
        super().__init__(f"no step '{action.value}' from a request that is {status.value}")
        self.status, self.action = status, action


class ReasonRequired(ValueError):
    """An extension or a refusal without the reasons the law says the requester gets."""


class ExtensionRefused(ValueError):
    """An extension that art. 12(3) does not allow: too late, or too long."""


@dataclass(frozen=True, slots=True)
class SubjectRequest:
    """A request as the rules see it: its kind, status and deadline, and why it was
    extended or refused."""

    kind: RequestKind
    status: RequestStatus
    deadline: Deadline
    extension_reason: str | None = None
    refusal_reason: str | None = None

    @classmethod
    def received(cls, kind: RequestKind, on: date) -> SubjectRequest:
        """A new request, received on the local date ``on``."""
        return cls(kind, RequestStatus.RECEIVED, Deadline(on))

    def overdue(self, today: date, *, holidays: Container[date] = ()) -> bool:
        """Open past its due date (the console shows it first)."""
        return self.status.open and self.deadline.days_left(today, holidays=holidays) < 0


def transition(
    request: SubjectRequest,
    action: Action,
    *,
    today: date,
    reason: str | None = None,
    months: int = 0,
    holidays: Container[date] = (),
) -> SubjectRequest:
    """``request`` after ``action`` on the local date ``today``; the only status change."""
    after = TRANSITIONS.get((request.status, action))
    if after is None:
        raise IllegalTransition(request.status, action)
    if action is Action.EXTEND:
        return _extended(request, after, today=today, reason=reason, months=months, h=holidays)
    if action is Action.REFUSE:
        # art. 12(4): the reasons for not acting, and the right to complain, without delay
        return replace(request, status=after, refusal_reason=_reason(reason, "a refusal"))
    if action is Action.COMPLETE and request.kind is RequestKind.UNCLEAR:
        raise IllegalTransition(request.status, action)  # classify it first: what was answered?
    return replace(request, status=after)


def _extended(
    request: SubjectRequest,
    after: RequestStatus,
    *,
    today: date,
    reason: str | None,
    months: int,
    h: Container[date],
) -> SubjectRequest:
    text = _reason(reason, "an extension")
    # art. 12(3): "The controller shall inform the data subject of any such extension within
    # one month of receipt of the request, together with the reasons for the delay."
    if today > request.deadline.first_month_ends(holidays=h):
        raise ExtensionRefused(
            "an extension must be told to the requester within one month of receipt "
            f"(by {request.deadline.first_month_ends(holidays=h).isoformat()})"
        )
    total = request.deadline.extended_months + months
    if months < 1 or total > MAX_EXTENSION_MONTHS:
        raise ExtensionRefused(
            f"art. 12(3) allows at most {MAX_EXTENSION_MONTHS} further months in all "
            f"(already {request.deadline.extended_months}, asked {months})"
        )
    joined = text if request.extension_reason is None else f"{request.extension_reason}\n{text}"
    return replace(
        request,
        status=after,
        deadline=request.deadline.extended_by(months),
        extension_reason=joined,
    )


def _reason(reason: str | None, what: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise ReasonRequired(f"{what} needs reasons: the requester is told them (art. 12(3)-(4))")
    return text
