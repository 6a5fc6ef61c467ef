"""the DPIA register: versioned assessments per activity (issue 15 item 9; GDPR art. 35, 36)

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "dpia_assessments",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("activity_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("recorded_at", _TIME, nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("decided_by_role", sa.String(length=32), nullable=False),
        sa.Column("decision", sa.String(length=24), nullable=False),
        sa.Column("residual", sa.String(length=8), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("next_review", sa.Date(), nullable=False),
        sa.Column("necessity", sa.Text(), nullable=False),
        sa.Column("risks", sa.Text(), nullable=False),
        sa.Column("measures", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dpia_assessments")),
        sa.UniqueConstraint(
            "activity_id", "version", name=op.f("uq_dpia_assessments_activity_id_version")
        ),
    )


def downgrade() -> None:
    op.drop_table("dpia_assessments")
