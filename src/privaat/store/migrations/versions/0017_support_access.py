"""support access: the customer's time-limited grants, the staff views under them (issue 12)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "support_grants",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("subject_id", _ID, nullable=False),
        sa.Column("consent_id", _ID, nullable=True),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["consent_id"],
            ["consent_events.id"],
            name=op.f("fk_support_grants_consent_id_consent_events"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
            name=op.f("fk_support_grants_subject_id_subjects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_grants")),
    )
    op.create_index(
        "ix_support_grants_subject", "support_grants", ["subject_id", "granted_at"], unique=False
    )
    op.create_index("ix_support_grants_expires_at", "support_grants", ["expires_at"], unique=False)
    op.create_table(
        "support_access_views",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("grant_id", _ID, nullable=False),
        sa.Column("subject_id", _ID, nullable=False),
        sa.Column("staff_id", _ID, nullable=False),
        sa.Column("staff_role", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("section", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["support_grants.id"],
            name=op.f("fk_support_access_views_grant_id_support_grants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
            name=op.f("fk_support_access_views_subject_id_subjects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_access_views")),
    )
    op.create_index(
        "ix_support_access_views_subject",
        "support_access_views",
        ["subject_id", "at"],
        unique=False,
    )
    op.create_index(
        "ix_support_access_views_grant_id", "support_access_views", ["grant_id"], unique=False
    )


def downgrade() -> None:
    for table in ("support_access_views", "support_grants"):
        op.drop_table(table)
