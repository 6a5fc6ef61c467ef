"""The OpenDSR tables (issue 11 item 10), on the shared metadata of ``privaat.store.tables``.

    business_customers ──< opendsr_requests >── subject_requests (the one queue)
                                  │
                                  └──< opendsr_callbacks   (the outbox of status callbacks)
    opendsr_signing_keys           (the processor's key that signs callbacks and answers)

A business customer is a company, a controller in its own right (art. 28): no data subject.
Its API key is stored only as a SHA-256 of the 256-bit key. The identities a request names
are the controller's users' personal data: they live in ``subject_requests.details_enc``,
under the request subject's hold key, never here; ``opendsr_requests`` holds the controller's
own id for the request and where to report, kept with the request as its proof (art. 5(2)).
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
    Text,
    UniqueConstraint,
)

from privaat.domain.activities import RIGHTS
from privaat.store.registry import ErasureMode, SubjectTable, Unlinked, personal, technical
from privaat.store.tables import UTC_TIME, SubjectRef, metadata

__all__ = [
    "business_customers",
    "opendsr_callbacks",
    "opendsr_requests",
    "opendsr_signing_keys",
]

_KEY = BigInteger().with_variant(Integer(), "sqlite")


def _held(name: str, type_: Any, *, nullable: bool, category: str | None) -> Column[Any]:
    return personal(
        name, type_, nullable=nullable, activity=RIGHTS, category=category, erasure=ErasureMode.HOLD
    )


business_customers = Table(
    "business_customers",
    metadata,
    technical("id", _KEY, primary_key=True, autoincrement=True),
    technical("name", String(120), nullable=False, unique=True),
    technical("created_at", UTC_TIME, nullable=False),
    # SHA-256 of the 256-bit API key: a key that random needs no slow hash (no dictionary to
    # try); the key itself is shown once and stored nowhere
    technical("key_hash", LargeBinary(32), nullable=False, unique=True),
    technical("key_created_at", UTC_TIME, nullable=False),
    technical("revoked_at", UTC_TIME, nullable=True),
    info={
        "subject": Unlinked(
            "business customers are companies, controllers of their own users: no data subject",
            clock="created_at",
        )
    },
)

opendsr_requests = Table(
    "opendsr_requests",
    metadata,
    technical("id", _KEY, primary_key=True, autoincrement=True),
    technical(
        "customer_id",
        _KEY,
        ForeignKey("business_customers.id", ondelete="RESTRICT"),
        nullable=False,
    ),
    technical(
        "request_id",
        _KEY,
        ForeignKey("subject_requests.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    ),
    technical(
        "subject_id", SubjectRef, ForeignKey("subjects.id", ondelete="CASCADE"), nullable=False
    ),
    # the controller's UUID v4 for the request: unique per controller, not across them
    _held("subject_request_id", String(36), nullable=False, category="rights_requests"),
    # JSON list of the https URLs the controller is told at on each change (checked at intake)
    _held("callback_urls", Text(), nullable=False, category="rights_requests"),
    # the OpenDSR status last reported (domain.opendsr): a closed request's depends on how
    # it closed, which the queue's row no longer says
    _held("request_status", String(16), nullable=False, category="rights_requests"),
    _held("submitted_at", UTC_TIME, nullable=False, category=None),
    _held("received_at", UTC_TIME, nullable=False, category=None),
    UniqueConstraint("customer_id", "subject_request_id", name="uq_opendsr_requests_customer_srid"),
    info={"subject": SubjectTable("subject_id", clock="received_at", hold=RIGHTS)},
)

opendsr_callbacks = Table(
    "opendsr_callbacks",
    metadata,
    technical("id", _KEY, primary_key=True, autoincrement=True),
    technical(
        "opendsr_request_id",
        _KEY,
        ForeignKey("opendsr_requests.id", ondelete="CASCADE"),
        nullable=False,
    ),
    technical("url", Text(), nullable=False),
    # what the callback reports, as it was when the status changed (OpenDSR request_status)
    technical("request_status", String(16), nullable=False),
    technical("expected_completion_time", UTC_TIME, nullable=False),
    technical("created_at", UTC_TIME, nullable=False),
    technical("attempts", Integer(), nullable=False, default=0),
    technical("next_attempt_at", UTC_TIME, nullable=False),
    technical("last_error", String(200), nullable=True),
    technical("sent_at", UTC_TIME, nullable=True),
    technical("given_up_at", UTC_TIME, nullable=True),
    Index("ix_opendsr_callbacks_due", "sent_at", "given_up_at", "next_attempt_at"),
    info={
        "subject": Unlinked(
            "a status to report to a business customer: no identity, no person's data",
            clock="created_at",
        )
    },
)

# the processor's signing key (OpenDSR §4.2): the private key encrypted under a system key,
# the self-describing certificate served at the discovery's processor_certificate URL
opendsr_signing_keys = Table(
    "opendsr_signing_keys",
    metadata,
    technical("id", Integer(), primary_key=True, autoincrement=False),
    technical("created_at", UTC_TIME, nullable=False),
    technical("private_key_sealed", LargeBinary(), nullable=False),
    technical("certificate_pem", Text(), nullable=False),
    info={"subject": Unlinked("the processor's own signing key belongs to no subject")},
)
