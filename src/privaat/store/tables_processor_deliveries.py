"""Deliveries of consent changes to processors (issue 14 item 2, LEGAL L11), on the shared
metadata of ``privaat.store.tables``.

    subjects ──< processor_deliveries ──< processor_delivery_attempts

One row per change and processor, written in the transaction of the change itself; the
worker (``privaat processors deliver``) posts it and records every attempt. The webhook's
body is sealed under the subject's data key: it names the person by pseudonym, and carries
the address only for a processor that needs it to stop mailing (``notify.include_address``).
An e-mail delivery keeps no body here: its letter is in the outbox (``outbox_id``).
Erasure deletes the rows with the person; the processors then hear of the erasure through
art. 19 (``services.recipient_notices``), and the consent ledger keeps the proof (held).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
)

from privaat.domain.activities import RIGHTS
from privaat.store.registry import SubjectTable, Unlinked, personal, technical
from privaat.store.tables import UTC_TIME, _id, _subject_fk, metadata

__all__ = ["processor_deliveries", "processor_delivery_attempts"]

_KEY = BigInteger().with_variant(Integer(), "sqlite")

processor_deliveries = Table(
    "processor_deliveries",
    metadata,
    _id(),
    # the Idempotency-Key: one per delivery, the same on every retry
    technical("event_id", String(36), nullable=False, unique=True),
    _subject_fk(),
    technical("recipient", String(64), nullable=False),  # a recipient id of the policy
    technical("channel", String(8), nullable=False),  # webhook · email
    personal("activity", String(64), nullable=False, activity=RIGHTS, category="privacy_choices"),
    personal("change", String(16), nullable=False, activity=RIGHTS, category="privacy_choices"),
    personal("created_at", UTC_TIME, nullable=False, activity=RIGHTS, category=None),
    # the JSON body posted, the same bytes on every attempt (None for an e-mail delivery)
    personal("body_enc", LargeBinary, nullable=True, activity=RIGHTS, category="email_address"),
    technical("state", String(16), nullable=False),  # domain.processor_events.DeliveryState
    technical("attempts", Integer, nullable=False, default=0),
    technical("next_attempt_at", UTC_TIME, nullable=True),
    technical("last_error", String(200), nullable=True),
    technical("acknowledged_at", UTC_TIME, nullable=True),
    technical("outbox_id", _KEY, nullable=True),  # the letter of an e-mail delivery
    Index("ix_processor_deliveries_subject", "subject_id"),
    Index("ix_processor_deliveries_due", "state", "next_attempt_at"),
    info={"subject": SubjectTable("subject_id", clock="created_at")},
)

processor_delivery_attempts = Table(
    "processor_delivery_attempts",
    metadata,
    _id(),
    technical(
        "delivery_id",
        _KEY,
        ForeignKey("processor_deliveries.id", ondelete="CASCADE"),
        nullable=False,
    ),
    technical("at", UTC_TIME, nullable=False),
    technical("status", Integer, nullable=True),  # the HTTP status; None: no answer
    technical("error", String(200), nullable=True),
    technical("acknowledged", Boolean, nullable=False),
    technical("duration_ms", Integer, nullable=False),
    Index("ix_processor_delivery_attempts_delivery", "delivery_id", "id"),
    info={
        "subject": Unlinked(
            "an attempt's HTTP status and error; the person is named only by its delivery",
            clock="at",
        )
    },
)
