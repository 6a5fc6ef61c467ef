"""manual tasks and four-eyes approvals of data-subject requests (issue 15 items 3 and 4)

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = sa.DateTime(timezone=True)


def _of_a_request() -> list[sa.Column[object]]:
    return [
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column(
            "request_id",
            _ID,
            sa.ForeignKey("subject_requests.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "subject_id", _ID, sa.ForeignKey("subjects.id", ondelete="CASCADE"), nullable=False
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "request_tasks",
        *_of_a_request(),
        sa.Column("system", sa.String(63), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("done_at", _TIME, nullable=True),
        sa.Column("done_by", sa.String(64), nullable=True),
        sa.Column("evidence_enc", sa.LargeBinary(), nullable=True),
        sa.Column("file_enc", sa.LargeBinary(), nullable=True),
        sa.Column("link_hash", sa.LargeBinary(32), nullable=True, unique=True),
        sa.Column("link_expires_at", _TIME, nullable=True),
        sa.UniqueConstraint("request_id", "system", name="uq_request_tasks_once"),
    )
    op.create_index("ix_request_tasks_subject", "request_tasks", ["subject_id"])
    op.create_index("ix_request_tasks_open", "request_tasks", ["status", "due_on"])
    op.create_table(
        "request_approvals",
        *_of_a_request(),
        sa.Column("step", sa.String(16), nullable=False),
        sa.Column("asked_by", sa.Integer(), nullable=False),
        sa.Column("asked_at", _TIME, nullable=False),
        sa.Column("approved_by", sa.Integer(), nullable=True),
        sa.Column("approved_at", _TIME, nullable=True),
        sa.UniqueConstraint("request_id", "step", name="uq_request_approvals_once"),
    )
    op.create_index("ix_request_approvals_subject", "request_approvals", ["subject_id"])


def downgrade() -> None:
    op.drop_table("request_approvals")
    op.drop_table("request_tasks")
