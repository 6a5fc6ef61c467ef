"""Support access: the customer's grants and the staff views under them (issue 12 item 2, L29).

    support_grants         one grant: when given, until when (the customer's choice of 1 hour,
                           24 hours or 7 days), when revoked, and the consent ledger record
                           (``consent_events``) it rests on
    support_access_views   every page or record a staff member opened under a grant: who
                           (staff id and role), when, which section

Both tables are the record of who could and did look (data category
``support_access_records``), kept under ``security_logging`` rather than the grant's own
activity: withdrawing the consent ends the access, never the record of it (art. 5(2), 7(3);
the policy's note on security_logging). The access export shows them and the erasure deletes
them through the registry; the access log keeps its own held copy of every read.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Table

from privaat.domain.activities import SECURITY_LOG
from privaat.store.registry import SubjectTable, personal, technical
from privaat.store.tables import UTC_TIME, _subject_fk, metadata

__all__ = ["support_access_views", "support_grants"]

_KEY = BigInteger().with_variant(Integer(), "sqlite")
_RECORDS = "support_access_records"

support_grants = Table(
    "support_grants",
    metadata,
    technical("id", _KEY, primary_key=True, autoincrement=True),
    _subject_fk(),
    # the ledger's "given" record; the ledger is held longer than this row, never shorter
    technical(
        "consent_id", _KEY, ForeignKey("consent_events.id", ondelete="SET NULL"), nullable=True
    ),
    personal("granted_at", UTC_TIME, nullable=False, activity=SECURITY_LOG, category=_RECORDS),
    personal("expires_at", UTC_TIME, nullable=False, activity=SECURITY_LOG, category=_RECORDS),
    personal("revoked_at", UTC_TIME, nullable=True, activity=SECURITY_LOG, category=_RECORDS),
    Index("ix_support_grants_subject", "subject_id", "granted_at"),
    Index("ix_support_grants_expires_at", "expires_at"),
    info={"subject": SubjectTable("subject_id", clock="granted_at")},
)

support_access_views = Table(
    "support_access_views",
    metadata,
    technical("id", _KEY, primary_key=True, autoincrement=True),
    technical(
        "grant_id", _KEY, ForeignKey("support_grants.id", ondelete="CASCADE"), nullable=False
    ),
    _subject_fk(),
    # the staff member, as the access log names them (an employee's id, not the customer's)
    technical("staff_id", _KEY, nullable=False),
    technical("staff_role", String(32), nullable=False),
    personal("at", UTC_TIME, nullable=False, activity=SECURITY_LOG, category=_RECORDS),
    # the account's section opened ("overview", "services", "logs")
    personal("section", String(32), nullable=False, activity=SECURITY_LOG, category=_RECORDS),
    Index("ix_support_access_views_subject", "subject_id", "at"),
    Index("ix_support_access_views_grant_id", "grant_id"),
    info={"subject": SubjectTable("subject_id", clock="at")},
)
