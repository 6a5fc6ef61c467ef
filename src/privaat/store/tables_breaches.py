"""The breach register (issue 13 item 4, P10, GDPR art. 33/34).

    breaches         one incident: discovery, the window it happened in, nature, risk, what
                     it touched (``scope``: tables, activities, a time window, as JSON), the
                     approximate counts of people and records, consequences, measures, the
                     reporting deadline, the report (when, the authority's reference) or the
                     reason it is not reported, an art. 34(3) exemption, how many were told
    breach_updates   every entry of a breach's history, timestamped (art. 33(4): in phases);
                     nothing is ever deleted from either table (art. 33(5), LEGAL L68)
    breach_notices   who was told of which breach (art. 34): one row per person and breach,
                     so the notices are queued once

The register names nobody: staff describe the incident in their own words, and the counts
come from the registry's tables without reading a personal column (``Unlinked``). Only
``breach_notices`` links a person to a breach, under ``breach_handling``.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from privaat.domain.breaches import BREACH_HANDLING
from privaat.store.registry import SubjectTable, Unlinked, personal, technical
from privaat.store.tables import UTC_TIME, _subject_fk, metadata

__all__ = ["breach_notices", "breach_updates", "breaches"]

_KEY = BigInteger().with_variant(Integer(), "sqlite")
_REGISTER = "the breach register: incidents in staff's words, counts, no person named"

breaches = Table(
    "breaches",
    metadata,
    technical("id", _KEY, primary_key=True, autoincrement=True),
    technical("recorded_at", UTC_TIME, nullable=False),
    technical("recorded_by", String(64), nullable=False),  # the staff actor
    technical("discovered_at", UTC_TIME, nullable=False),
    technical("occurred_from", UTC_TIME, nullable=True),
    technical("occurred_until", UTC_TIME, nullable=True),
    technical("nature", String(16), nullable=False),
    technical("risk", String(8), nullable=False),
    technical("description", Text, nullable=False),
    technical("data_categories", Text, nullable=False),  # JSON list of the policy's ids
    technical("subject_categories", Text, nullable=False),  # JSON list, in staff's words
    technical("scope", Text, nullable=True),  # JSON: tables, activities, from, until
    technical("people_count", Integer, nullable=True),
    technical("records_count", Integer, nullable=True),
    technical("counts_estimated", Boolean, nullable=False),  # staff's estimate, not counted
    technical("consequences", Text, nullable=False),
    technical("measures", Text, nullable=False),
    technical("report_hours", Integer, nullable=False),  # 72, or 24 (L70)
    technical("due_at", UTC_TIME, nullable=False),
    technical("reported_at", UTC_TIME, nullable=True),
    technical("authority_reference", String(128), nullable=True),
    technical("not_reported_reason", Text, nullable=True),
    technical("exemption", String(16), nullable=True),
    technical("exemption_reason", Text, nullable=True),
    technical("notified_count", Integer, nullable=False),
    technical("notified_at", UTC_TIME, nullable=True),
    Index("ix_breaches_discovered_at", "discovered_at"),
    info={"subject": Unlinked(_REGISTER)},
)

breach_updates = Table(
    "breach_updates",
    metadata,
    technical("id", _KEY, primary_key=True, autoincrement=True),
    technical("breach_id", _KEY, ForeignKey("breaches.id"), nullable=False),
    technical("at", UTC_TIME, nullable=False),
    technical("by", String(64), nullable=False),
    technical("kind", String(16), nullable=False),
    technical("text", Text, nullable=False),
    Index("ix_breach_updates_breach_id", "breach_id", "at"),
    info={"subject": Unlinked(_REGISTER)},
)

breach_notices = Table(
    "breach_notices",
    metadata,
    technical("id", _KEY, primary_key=True, autoincrement=True),
    technical("breach_id", _KEY, ForeignKey("breaches.id"), nullable=False),
    _subject_fk(),
    personal("queued_at", UTC_TIME, nullable=False, activity=BREACH_HANDLING, category=None),
    UniqueConstraint("breach_id", "subject_id"),
    Index("ix_breach_notices_subject_id", "subject_id"),
    info={"subject": SubjectTable("subject_id", clock="queued_at")},
)
