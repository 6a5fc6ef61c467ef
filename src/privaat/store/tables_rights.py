"""The tables of a request's steps: rectification, restriction, objection, the erasure's
receipt and the recipients told (issue 11 items 5-8; GDPR art. 16-19, 21).

Each row belongs to one request and, for the registry, to its subject. They are the proof
that a right was honoured (art. 5(2)), so erasure keeps them (``hold=rights_handling``),
like the requests themselves; what is personal in them is under the subject's **hold key**
(``grounds_enc``, ``document_enc``), except the corrected values, which are under the data
key and go with it (``values_enc``: a rectification's proof is which fields and when).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
)

from privaat.domain.activities import RIGHTS
from privaat.store.registry import ErasureMode, SubjectTable, personal, technical
from privaat.store.tables import UTC_TIME, SubjectRef, metadata

__all__ = [
    "request_objections",
    "request_receipts",
    "request_recipient_notices",
    "request_rectifications",
    "request_restrictions",
]

_KEY = BigInteger().with_variant(Integer(), "sqlite")
_CATEGORY = "rights_requests"


def _held(name: str, type_: Any, *, nullable: bool, category: str | None = None) -> Column[Any]:
    return personal(
        name, type_, nullable=nullable, activity=RIGHTS, category=category, erasure=ErasureMode.HOLD
    )


def _of_a_request() -> tuple[Column[Any], ...]:
    return (
        technical("id", _KEY, primary_key=True, autoincrement=True),
        technical(
            "request_id",
            _KEY,
            ForeignKey("subject_requests.id", ondelete="CASCADE"),
            nullable=False,
        ),
        technical(
            "subject_id", SubjectRef, ForeignKey("subjects.id", ondelete="CASCADE"), nullable=False
        ),
    )


# art. 16: which fields were corrected and when (kept); the new values under the data key
request_rectifications = Table(
    "request_rectifications",
    metadata,
    *_of_a_request(),
    _held("at", UTC_TIME, nullable=False),
    _held("fields", String(200), nullable=False, category=_CATEGORY),  # "name,postal_code"
    personal("values_enc", LargeBinary(), nullable=True, activity=RIGHTS, category=_CATEGORY),
    Index("ix_request_rectifications_request", "request_id"),
    info={"subject": SubjectTable("subject_id", clock="at", hold=RIGHTS)},
)

# art. 18: a restriction tied to its request; ``scope`` is JSON of policy ids
# ({"activities": [...], "categories": [...]}, both empty: the whole subject); L65: lifted
# only at ``lift_at``, after the letter telling the person (``lift_letter_id``) has gone
request_restrictions = Table(
    "request_restrictions",
    metadata,
    *_of_a_request(),
    _held("scope", String(2000), nullable=False, category=_CATEGORY),
    _held("restricted_at", UTC_TIME, nullable=False),
    _held("lift_told_at", UTC_TIME, nullable=True),
    _held("lift_at", UTC_TIME, nullable=True),
    technical("lift_letter_id", _KEY, nullable=True),  # the outbox row of the lift letter
    _held("lifted_at", UTC_TIME, nullable=True),
    Index("uq_request_restrictions_request", "request_id", unique=True),
    Index("ix_request_restrictions_due", "lifted_at", "lift_at"),
    info={"subject": SubjectTable("subject_id", clock="restricted_at", hold=RIGHTS)},
)

# art. 21: the objection a request made, and the officer's decision on it, kept with the
# request (L67): "upheld", or "overridden" with the compelling grounds under the hold key
request_objections = Table(
    "request_objections",
    metadata,
    *_of_a_request(),
    _held("activity", String(64), nullable=False, category=_CATEGORY),
    _held("at", UTC_TIME, nullable=False),
    _held("decision", String(16), nullable=True, category=_CATEGORY),
    _held("grounds_enc", LargeBinary(), nullable=True, category=_CATEGORY),
    _held("decided_at", UTC_TIME, nullable=True),
    Index("uq_request_objections_request", "request_id", unique=True),
    info={"subject": SubjectTable("subject_id", clock="at", hold=RIGHTS)},
)

# the completion receipt of an erasure (art. 5(2), 17): the JSON document the requester was
# sent, under the hold key; its SHA-256 is in the audit trail as well
request_receipts = Table(
    "request_receipts",
    metadata,
    *_of_a_request(),
    _held("at", UTC_TIME, nullable=False),
    technical("sha256", String(64), nullable=False),
    _held("document_enc", LargeBinary(), nullable=False, category=_CATEGORY),
    Index("uq_request_receipts_request", "request_id", unique=True),
    info={"subject": SubjectTable("subject_id", clock="at", hold=RIGHTS)},
)

# art. 19 (L66): each recipient told of a rectification, erasure or restriction, and how:
# "mail" (queued to its contact address) or "no_address" (the officer tells it otherwise)
request_recipient_notices = Table(
    "request_recipient_notices",
    metadata,
    *_of_a_request(),
    _held("recipient", String(64), nullable=False, category=_CATEGORY),
    _held("step", String(16), nullable=False, category=_CATEGORY),
    _held("told", String(16), nullable=False, category=_CATEGORY),
    _held("at", UTC_TIME, nullable=False),
    Index("ix_request_recipient_notices_request", "request_id"),
    info={"subject": SubjectTable("subject_id", clock="at", hold=RIGHTS)},
)
