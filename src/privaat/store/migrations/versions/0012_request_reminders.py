"""reminders before a request's due date (issue 11 item 3)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "request_reminders",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("request_id", _ID, nullable=False),
        sa.Column("subject_id", _ID, nullable=False),
        sa.Column("reminder", sa.String(length=16), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["subject_requests.id"],
            name=op.f("fk_request_reminders_request_id_subject_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
            name=op.f("fk_request_reminders_subject_id_subjects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_reminders")),
        sa.UniqueConstraint(
            "request_id", "reminder", "due_on", name=op.f("uq_request_reminders_once")
        ),
    )
    op.create_index("ix_request_reminders_subject", "request_reminders", ["subject_id"])


def downgrade() -> None:
    op.drop_index("ix_request_reminders_subject", table_name="request_reminders")
    op.drop_table("request_reminders")
