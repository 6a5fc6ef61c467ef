"""an index on every subject reference that lacked one (issue 11 benchmark)

The access export, the erasure and ON DELETE CASCADE find a person's rows by their subject
column; at a million accounts each of these tables was scanned whole on every request
(bench/rights_bench.py: a 17-row export took 1.8 s, a 5,000-row erasure 0.5 s).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_INDEXES = (
    ("audit_log", "subject_pseudonym"),
    ("outbox", "subject_id"),
    ("sessions", "subject_id"),
    ("request_mails", "subject_id"),
    ("opendsr_requests", "subject_id"),
    ("request_objections", "subject_id"),
    ("request_receipts", "subject_id"),
    ("request_recipient_notices", "subject_id"),
    ("request_rectifications", "subject_id"),
    ("request_restrictions", "subject_id"),
)


def upgrade() -> None:
    for table, column in _INDEXES:
        op.create_index(f"ix_{table}_subject", table, [column])


def downgrade() -> None:
    for table, _column in reversed(_INDEXES):
        op.drop_index(f"ix_{table}_subject", table_name=table)
