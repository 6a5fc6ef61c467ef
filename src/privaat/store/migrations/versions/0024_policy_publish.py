"""published policy versions, site notices, minors (issue 13 items 2-3)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # consent_events.policy_version exists since 0005: a consent names the version it was
    # given under already; the minor flag is subjects.minor (0001)
    op.create_table(
        "policy_publications",
        sa.Column("policy_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("effective", sa.Date(), nullable=False),
        sa.Column("previous_version", sa.Integer(), nullable=True),
        sa.Column("material", sa.Boolean(), nullable=False),
        sa.Column("notice_days", sa.Integer(), nullable=False),
        sa.Column("mails_queued", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("policy_id", "version", name=op.f("pk_policy_publications")),
    )


def downgrade() -> None:
    op.drop_table("policy_publications")
