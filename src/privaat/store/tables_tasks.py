"""Manual tasks and four-eyes approvals of data-subject requests (issue 15 items 3 and 4).

Both are the proof that a right was honoured in the systems privaat cannot reach, and by two
people where one is not enough (art. 5(2)): erasure keeps them with the request, restricted,
for the rights handling's retention, so what is personal in them is under the subject's hold
key (``evidence_enc``, ``file_enc``).
"""

from __future__ import annotations

from sqlalchemy import Date, Index, Integer, LargeBinary, String, Table, UniqueConstraint

from privaat.domain.activities import RIGHTS
from privaat.store.registry import SubjectTable, technical
from privaat.store.tables import UTC_TIME, metadata
from privaat.store.tables_requests import held, of_a_request

__all__ = ["request_approvals", "request_tasks"]

# One per request and manual system (stores file ``manual:``), made when the request starts
request_tasks = Table(
    "request_tasks",
    metadata,
    *of_a_request(),
    technical("system", String(63), nullable=False),  # ManualSystem.id
    technical("role", String(32), nullable=False),  # the StaffRole that does it
    held("status", String(8), nullable=False, category="rights_requests"),  # TaskStatus
    held("created_at", UTC_TIME, nullable=False, category=None),
    held("due_on", Date(), nullable=False, category=None),
    held("done_at", UTC_TIME, nullable=True, category=None),
    # staff:<id>:<role>, or processor (the single-use link)
    held("done_by", String(64), nullable=True, category=None),
    # JSON under the hold key: the note, the box, the file's name, a waiver's reason
    held("evidence_enc", LargeBinary(), nullable=True, category="rights_requests"),
    held("file_enc", LargeBinary(), nullable=True, category="rights_requests"),
    # the external processor's single-use link: only its hash, spent when used
    technical("link_hash", LargeBinary(32), nullable=True, unique=True),
    technical("link_expires_at", UTC_TIME, nullable=True),
    UniqueConstraint("request_id", "system", name="uq_request_tasks_once"),
    Index("ix_request_tasks_subject", "subject_id"),
    Index("ix_request_tasks_open", "status", "due_on"),
    info={"subject": SubjectTable("subject_id", clock="created_at", hold=RIGHTS)},
)

# One per request and step that PRIVAAT_FOUR_EYES names: asked by one officer, approved by
# another (the ids are staff ids: who is told in the console, never in the export)
request_approvals = Table(
    "request_approvals",
    metadata,
    *of_a_request(),
    technical("step", String(16), nullable=False),  # domain.request_tasks.Step
    technical("asked_by", Integer(), nullable=False),
    held("asked_at", UTC_TIME, nullable=False, category=None),
    technical("approved_by", Integer(), nullable=True),
    held("approved_at", UTC_TIME, nullable=True, category=None),
    UniqueConstraint("request_id", "step", name="uq_request_approvals_once"),
    Index("ix_request_approvals_subject", "subject_id"),
    info={"subject": SubjectTable("subject_id", clock="asked_at", hold=RIGHTS)},
)
