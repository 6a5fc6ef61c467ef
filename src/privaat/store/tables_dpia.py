"""The DPIA register: every version of every activity's impact assessment (issue 15 item 9,
GDPR art. 35, 36; LEGAL L75, L89).

    dpia_assessments  one version of one activity's assessment: its number (1, 2, … per
                      activity, never overwritten: the pair is unique and rows are only
                      inserted), who recorded it (the staff actor, a number and a role),
                      the role that decided, the decision, its date and the next review, the
                      residual risk computed from the risks, and the content as JSON: the
                      necessity and proportionality statement, the risks, the measures

The register names nobody: it describes processing, not people (``Unlinked``), and its
staff are named as the audit trail names them (``staff:<id>:<role>``).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Date, Integer, String, Table, Text, UniqueConstraint

from privaat.store.registry import Unlinked, technical
from privaat.store.tables import UTC_TIME, metadata

__all__ = ["dpia_assessments"]

_KEY = BigInteger().with_variant(Integer(), "sqlite")

dpia_assessments = Table(
    "dpia_assessments",
    metadata,
    technical("id", _KEY, primary_key=True, autoincrement=True),
    technical("activity_id", String(64), nullable=False),  # the policy's activity id
    technical("version", Integer, nullable=False),
    technical("recorded_at", UTC_TIME, nullable=False),
    technical("recorded_by", String(64), nullable=False),  # the staff actor
    technical("decided_by_role", String(32), nullable=False),
    technical("decision", String(24), nullable=False),
    technical("residual", String(8), nullable=False),
    technical("decided_on", Date, nullable=False),
    technical("next_review", Date, nullable=False),
    technical("necessity", Text, nullable=False),
    technical("risks", Text, nullable=False),  # JSON list, as domain.dpia.Assessment writes it
    technical("measures", Text, nullable=False),  # JSON list
    UniqueConstraint("activity_id", "version"),  # a new version never replaces an old one
    info={"subject": Unlinked("the DPIA register: assessments of processing, no person named")},
)
