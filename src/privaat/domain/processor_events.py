"""What a processor is told of a consent change, and how a webhook is signed and answered
(issue 14 item 2, LEGAL L11).

    Change           given · withdrawn · objected · suppressed · lifted
    DeliveryState    pending ─▶ failing ─▶ … ─▶ acknowledged      (webhook)
                     mailed                                      (e-mail, through the outbox)
    sign / verify    ``X-Privaat-Signature: t=<unix>,v1=<hex>``: HMAC-SHA256 over
                     ``<t>.<body>`` (the scheme of Stripe's webhooks), checked within
                     REPLAY_WINDOW of the receiver's clock
    acknowledgement  a 2xx whose JSON body echoes the ``Idempotency-Key`` and is itself
                     signed with the same secret; anything else is retried
    retry_delay      exponential back-off with jitter, never given up (nothing is dropped)

Pure: the standard library only.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from enum import StrEnum

__all__ = [
    "ACKNOWLEDGEMENT_FIELD",
    "FIRST_RETRY",
    "LAST_RETRY_GAP",
    "REPLAY_WINDOW",
    "SIGNATURE_HEADER",
    "Change",
    "DeliveryState",
    "acknowledgement_refusal",
    "retry_delay",
    "sign",
    "verify",
]

SIGNATURE_HEADER = "X-Privaat-Signature"
ACKNOWLEDGEMENT_FIELD = "idempotency_key"  # the field of the answer that echoes the key
# a receiver refuses a signature older or newer than this: a captured request cannot be
# replayed later (Stripe's default tolerance is the same five minutes)
REPLAY_WINDOW = timedelta(minutes=5)
FIRST_RETRY = timedelta(seconds=1)
LAST_RETRY_GAP = timedelta(hours=1)


class Change(StrEnum):
    """The change a processor is told of."""

    GIVEN = "given"  # consent given (art. 7)
    WITHDRAWN = "withdrawn"  # consent withdrawn (art. 7(3)): stop
    OBJECTED = "objected"  # an objection recorded (art. 21): stop
    SUPPRESSED = "suppressed"  # the address put on the suppression list (L11): never mail it
    LIFTED = "lifted"  # taken off the suppression list by a fresh opt-in


class DeliveryState(StrEnum):
    """Where one delivery to one processor stands."""

    PENDING = "pending"  # queued with the change, not tried yet
    FAILING = "failing"  # tried and not acknowledged: retried at next_attempt_at, never dropped
    ACKNOWLEDGED = "acknowledged"  # the processor answered with a signed acknowledgement
    MAILED = "mailed"  # a processor without an API: the letter is in the outbox


def retry_delay(failures: int, draw: float) -> timedelta:
    """The wait after the ``failures``-th failed attempt: 1 s doubling to 1 h, times a jitter
    in [0.5, 1) from ``draw`` in [0, 1) ("equal jitter"), so that processors coming back
    from an outage are not hit by every queued delivery at the same moment."""
    exponent = min(max(failures, 1) - 1, 32)
    ceiling: timedelta = min(FIRST_RETRY * (2**exponent), LAST_RETRY_GAP)
    jitter = 0.5 + min(max(draw, 0.0), 0.999999) / 2
    return ceiling * jitter


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """The signature header's value for ``body`` sent at ``timestamp`` (Unix seconds)."""
    mac = hmac.new(secret, str(timestamp).encode("ascii") + b"." + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: bytes, header: str | None, body: bytes, *, now: int) -> bool:
    """Whether ``header`` signs ``body`` with ``secret`` within REPLAY_WINDOW of ``now``."""
    if not header:
        return False
    fields: dict[str, list[str]] = {}
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        fields.setdefault(name, []).append(value)
    try:
        timestamp = int(fields.get("t", [""])[0])
    except ValueError:
        return False
    if abs(now - timestamp) > REPLAY_WINDOW.total_seconds():
        return False
    expected = sign(secret, timestamp, body).rpartition("v1=")[2]
    # constant time: a forger learns nothing from how long the comparison took
    return any(hmac.compare_digest(expected, given) for given in fields.get("v1", []))


def acknowledgement_refusal(
    secret: bytes,
    idempotency_key: str,
    *,
    status: int,
    body: bytes,
    signature: str | None,
    now: int,
) -> str | None:
    """Why an answer is no acknowledgement of the delivery ``idempotency_key``, or None when
    it is one: a 2xx, a JSON body echoing the key, signed by the processor with our secret."""
    if not 200 <= status < 300:
        return f"HTTP {status}"
    try:
        answer = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return f"HTTP {status} without an acknowledgement (no JSON body)"
    echoed = answer.get(ACKNOWLEDGEMENT_FIELD) if isinstance(answer, dict) else None
    if echoed is None:
        return f"HTTP {status} without an acknowledgement ({ACKNOWLEDGEMENT_FIELD} missing)"
    if not isinstance(echoed, str) or not hmac.compare_digest(echoed, idempotency_key):
        return "the acknowledgement names another idempotency key"
    if not verify(secret, signature, body, now=now):
        return "the acknowledgement's signature does not verify (forged or stale)"
    return None
