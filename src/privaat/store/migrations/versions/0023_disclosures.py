"""the disclosure register and transfers (issue 13 items 5-6)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "disclosures",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("subject_id", _ID, nullable=False),
        sa.Column("disclosed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("staff_id", _ID, nullable=False),
        sa.Column("staff_role", sa.String(length=32), nullable=False),
        sa.Column("ground", sa.String(length=32), nullable=False),
        sa.Column("activity", sa.String(length=64), nullable=False),
        sa.Column("recipient", sa.String(length=64), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("categories", sa.String(length=1000), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handed_fields", sa.String(length=4000), nullable=False),
        sa.Column("released_digest", sa.String(length=64), nullable=False),
        sa.Column("bar_until", sa.Date(), nullable=True),
        sa.Column("requested_by_enc", sa.LargeBinary(), nullable=True),
        sa.Column("reference_enc", sa.LargeBinary(), nullable=True),
        sa.Column("bar_reason_enc", sa.LargeBinary(), nullable=True),
        sa.Column("released_enc", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
            name=op.f("fk_disclosures_subject_id_subjects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosures")),
    )
    op.create_index(
        "ix_disclosures_subject", "disclosures", ["subject_id", "disclosed_at"], unique=False
    )
    op.create_index("ix_disclosures_disclosed_at", "disclosures", ["disclosed_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_disclosures_disclosed_at", table_name="disclosures")
    op.drop_index("ix_disclosures_subject", table_name="disclosures")
    op.drop_table("disclosures")
