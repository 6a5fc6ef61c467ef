"""anonymous website visitors and the cookie banner (issue 10 item 7)

A visitor who makes a choice in the cookie banner is a subject without an account; this
table maps the hash of their visitor cookie to that subject, with the vendor list their
choice was made for (asked again when it changes, L42) and whether GPC made it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "visitors",
        sa.Column("token_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("subject_id", _ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("chosen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("vendors_sha256", sa.String(length=64), nullable=False),
        sa.Column("gpc", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
            name=op.f("fk_visitors_subject_id_subjects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_visitors")),
    )
    with op.batch_alter_table("visitors", schema=None) as batch_op:
        batch_op.create_index("ix_visitors_subject_id", ["subject_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("visitors", schema=None) as batch_op:
        batch_op.drop_index("ix_visitors_subject_id")
    op.drop_table("visitors")
