"""the breach register (issue 13 item 4)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "breaches",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("recorded_at", _TIME, nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("discovered_at", _TIME, nullable=False),
        sa.Column("occurred_from", _TIME, nullable=True),
        sa.Column("occurred_until", _TIME, nullable=True),
        sa.Column("nature", sa.String(length=16), nullable=False),
        sa.Column("risk", sa.String(length=8), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("data_categories", sa.Text(), nullable=False),
        sa.Column("subject_categories", sa.Text(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=True),
        sa.Column("people_count", sa.Integer(), nullable=True),
        sa.Column("records_count", sa.Integer(), nullable=True),
        sa.Column("counts_estimated", sa.Boolean(), nullable=False),
        sa.Column("consequences", sa.Text(), nullable=False),
        sa.Column("measures", sa.Text(), nullable=False),
        sa.Column("report_hours", sa.Integer(), nullable=False),
        sa.Column("due_at", _TIME, nullable=False),
        sa.Column("reported_at", _TIME, nullable=True),
        sa.Column("authority_reference", sa.String(length=128), nullable=True),
        sa.Column("not_reported_reason", sa.Text(), nullable=True),
        sa.Column("exemption", sa.String(length=16), nullable=True),
        sa.Column("exemption_reason", sa.Text(), nullable=True),
        sa.Column("notified_count", sa.Integer(), nullable=False),
        sa.Column("notified_at", _TIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_breaches")),
    )
    op.create_index("ix_breaches_discovered_at", "breaches", ["discovered_at"], unique=False)
    op.create_table(
        "breach_updates",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("breach_id", _ID, nullable=False),
        sa.Column("at", _TIME, nullable=False),
        sa.Column("by", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["breach_id"], ["breaches.id"], name=op.f("fk_breach_updates_breach_id_breaches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_breach_updates")),
    )
    op.create_index(
        "ix_breach_updates_breach_id", "breach_updates", ["breach_id", "at"], unique=False
    )
    op.create_table(
        "breach_notices",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("breach_id", _ID, nullable=False),
        sa.Column("subject_id", _ID, nullable=False),
        sa.Column("queued_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["breach_id"], ["breaches.id"], name=op.f("fk_breach_notices_breach_id_breaches")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
            name=op.f("fk_breach_notices_subject_id_subjects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_breach_notices")),
        sa.UniqueConstraint(
            "breach_id", "subject_id", name=op.f("uq_breach_notices_breach_id_subject_id")
        ),
    )
    op.create_index("ix_breach_notices_subject_id", "breach_notices", ["subject_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_breach_notices_subject_id", table_name="breach_notices")
    op.drop_table("breach_notices")
    op.drop_index("ix_breach_updates_breach_id", table_name="breach_updates")
    op.drop_table("breach_updates")
    op.drop_index("ix_breaches_discovered_at", table_name="breaches")
    op.drop_table("breaches")
