"""OpenDSR's view of a request in the queue (issue 11 item 10; OpenDSR §8): pure rules.

The queue's statuses (domain.subject_requests) map onto OpenDSR's four:

    RECEIVED, VERIFIED      ──▶ pending       (well formed, received; not yet acted on)
    IN_PROGRESS, EXTENDED   ──▶ in_progress   (being acted on; an extension moves only
                                                expected_completion_time)
    COMPLETED               ──▶ completed
    REFUSED                 ──▶ cancelled     (art. 12(4): not acted on; the reasons go to the
                                                controller by the agreement's channel: OpenDSR
                                                has no reason field)
    CLOSED                  ──▶ completed when it was completed before, else cancelled
                                (a cancel, a refusal, an expiry)

A closed request remembers nothing of how it got there, so the mapping of CLOSED needs the
status before the step; ``reported`` takes both.
"""

from __future__ import annotations

from enum import StrEnum

from privaat.domain.subject_requests import RequestKind, RequestStatus

__all__ = [
    "IDENTITIES",
    "KINDS",
    "OpenDsrStatus",
    "reported",
]


class OpenDsrStatus(StrEnum):
    """OpenDSR §8's request statuses."""

    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


_S, _O = RequestStatus, OpenDsrStatus
_MAP = {
    _S.RECEIVED: _O.PENDING,
    _S.VERIFIED: _O.PENDING,
    _S.IN_PROGRESS: _O.IN_PROGRESS,
    _S.EXTENDED: _O.IN_PROGRESS,
    _S.COMPLETED: _O.COMPLETED,
    _S.REFUSED: _O.CANCELLED,
}

# OpenDSR §6.2: the three request types it knows; the other rights go by other channels
KINDS = {
    "access": RequestKind.ACCESS,
    "erasure": RequestKind.ERASURE,
    "portability": RequestKind.PORTABILITY,
}

# OpenDSR §5: the (identity_type, identity_format) pairs a hosting provider can act on: its
# customers' users are found by mail address (mailboxes, PBX accounts) or by the
# controller's own customer id where the controller gave it to us with the service
IDENTITIES = (
    ("email", "raw"),
    ("email", "sha256"),
    ("controller_customer_id", "raw"),
)


def reported(before: RequestStatus | None, after: RequestStatus) -> OpenDsrStatus:
    """The OpenDSR status of a request that went from ``before`` to ``after``."""
    if after is RequestStatus.CLOSED:
        return _O.COMPLETED if before is RequestStatus.COMPLETED else _O.CANCELLED
    return _MAP[after]
