"""The disclosure register (issue 13 item 5, P12, LEGAL L36).

    disclosures   one disclosure to a third party: when, by whom (staff id and role), on what
                  ground, to which recipient in which country, who asked and their reference,
                  the scope (data categories, time window), what was handed (the fields, a
                  SHA-256 digest of the released file, the file itself sealed under the
                  subject's data key), and a legal bar on telling the person, with its end

The log is what L36 keeps (data category ``disclosure_records``, five years): its clear
columns are held through an erasure (registry HOLD), while who asked, the reference, the
bar's reason and the released file are ciphertext under the subject's data key, shredded
with it (the policy: the log is kept, not the data it names). The shop's carrier handovers
stay in ``shop_shipments`` (P11); the register shows them beside these, read-only.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, Date, Index, Integer, LargeBinary, String, Table

from privaat.store.registry import ErasureMode, SubjectTable, personal, technical
from privaat.store.tables import UTC_TIME, _subject_fk, metadata

__all__ = ["DISCLOSURES", "disclosures"]

DISCLOSURES = "disclosures"  # the policy's activity: disclosure required by law (P12)
_KEY = BigInteger().with_variant(Integer(), "sqlite")
_LOG = "disclosure_records"
_HOLD = ErasureMode.HOLD


def _logged(name: str, type_: Any, *, nullable: bool = False) -> Column[Any]:
    return personal(
        name, type_, nullable=nullable, activity=DISCLOSURES, category=_LOG, erasure=_HOLD
    )


disclosures = Table(
    "disclosures",
    metadata,
    technical("id", _KEY, primary_key=True, autoincrement=True),
    _subject_fk(),
    _logged("disclosed_at", UTC_TIME),
    # the staff member who recorded it, as the access log names them
    technical("staff_id", _KEY, nullable=False),
    technical("staff_role", String(32), nullable=False),
    _logged("ground", String(32)),  # domain.disclosures.DisclosureGround
    _logged("activity", String(64)),  # the policy activity the data was opened under
    _logged("recipient", String(64)),  # a recipient id of the policy's catalogue
    _logged("country", String(2)),
    _logged("categories", String(1000)),  # the scope's data categories, comma-separated
    _logged("window_start", UTC_TIME, nullable=True),
    _logged("window_end", UTC_TIME, nullable=True),
    _logged("handed_fields", String(4000)),  # table.field of every value handed over
    _logged("released_digest", String(64)),  # SHA-256 (hex) of the released file
    _logged("bar_until", Date, nullable=True),  # the person may be told from this day
    personal("requested_by_enc", LargeBinary, nullable=True, activity=DISCLOSURES, category=_LOG),
    personal("reference_enc", LargeBinary, nullable=True, activity=DISCLOSURES, category=_LOG),
    personal("bar_reason_enc", LargeBinary, nullable=True, activity=DISCLOSURES, category=_LOG),
    personal("released_enc", LargeBinary, nullable=True, activity=DISCLOSURES, category=_LOG),
    # the _enc columns are emptied by an erasure (SHRED), so each may be NULL afterwards
    Index("ix_disclosures_subject", "subject_id", "disclosed_at"),
    Index("ix_disclosures_disclosed_at", "disclosed_at"),
    info={"subject": SubjectTable("subject_id", clock="disclosed_at", hold=DISCLOSURES)},
)
