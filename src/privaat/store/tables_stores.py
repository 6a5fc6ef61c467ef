"""What erasure did in the stores outside privaat, and the signature of its certificate
(issue 15 items 1 and 6).

    store_erasures          one row per request and store, written as soon as that store is
                            erased: what was deleted, masked, held until when (counts and
                            dates, no value); a retry after a failing store skips the stores
                            that have a row, and the certificate lists them all
    erasure_certificates    the Ed25519 signature over the request's receipt (canonical JSON,
                            request_receipts), by the controller's proof key

Both are kept with the request under its hold (RIGHTS, art. 5(2)): the proof outlives the
erased person, as the receipt does; neither names them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String, Table, Text

from privaat.domain.activities import RIGHTS
from privaat.store.registry import ErasureMode, SubjectTable, personal, technical
from privaat.store.tables import UTC_TIME, SubjectRef, metadata

__all__ = ["erasure_certificates", "store_erasures"]

_KEY = BigInteger().with_variant(Integer(), "sqlite")


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
        personal(
            "at", UTC_TIME, nullable=False, activity=RIGHTS, category=None, erasure=ErasureMode.HOLD
        ),
    )


store_erasures = Table(
    "store_erasures",
    metadata,
    *_of_a_request(),
    technical("store", String(64), nullable=False),
    technical("outcome", Text(), nullable=False),  # JSON: StoreOutcome.document
    Index("uq_store_erasures_request_store", "request_id", "store", unique=True),
    info={"subject": SubjectTable("subject_id", clock="at", hold=RIGHTS)},
)

erasure_certificates = Table(
    "erasure_certificates",
    metadata,
    *_of_a_request(),
    technical("signature", String(128), nullable=False),  # hex, Ed25519 (64 bytes)
    technical("public_key", String(64), nullable=False),  # hex, raw Ed25519 public key
    Index("uq_erasure_certificates_request", "request_id", unique=True),
    info={"subject": SubjectTable("subject_id", clock="at", hold=RIGHTS)},
)
