"""the support desk: cases from e-mail, phone, web and in person (issue 12 item 2)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "support_cases",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("subject_id", _ID, nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("linked_by", sa.String(length=16), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("title_enc", sa.LargeBinary(), nullable=False),
        sa.Column("question_enc", sa.LargeBinary(), nullable=False),
        sa.Column("contact_by", sa.String(length=16), nullable=False),
        sa.Column("name_enc", sa.LargeBinary(), nullable=True),
        sa.Column("email_enc", sa.LargeBinary(), nullable=True),
        sa.Column("phone_enc", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
            name=op.f("fk_support_cases_subject_id_subjects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_cases")),
        sa.UniqueConstraint("reference", name=op.f("uq_support_cases_reference")),
    )
    op.create_index("ix_support_cases_subject_id", "support_cases", ["subject_id"], unique=False)
    op.create_index(
        "ix_support_cases_queue", "support_cases", ["status", "opened_at"], unique=False
    )
    op.create_table(
        "support_case_products",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("case_id", _ID, nullable=False),
        sa.Column("subject_id", _ID, nullable=False),
        sa.Column("serial_enc", sa.LargeBinary(), nullable=False),
        sa.Column("purchased_on", sa.Date(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["support_cases.id"],
            name=op.f("fk_support_case_products_case_id_support_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
            name=op.f("fk_support_case_products_subject_id_subjects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_case_products")),
    )
    op.create_index(
        "ix_support_case_products_subject_id", "support_case_products", ["subject_id"], unique=False
    )
    op.create_index(
        "ix_support_case_products_case_id", "support_case_products", ["case_id"], unique=False
    )
    op.create_table(
        "support_case_events",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("case_id", _ID, nullable=False),
        sa.Column("subject_id", _ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body_enc", sa.LargeBinary(), nullable=True),
        sa.Column("log_name_enc", sa.LargeBinary(), nullable=True),
        sa.Column("log_enc", sa.LargeBinary(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["support_cases.id"],
            name=op.f("fk_support_case_events_case_id_support_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
            name=op.f("fk_support_case_events_subject_id_subjects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_case_events")),
    )
    op.create_index(
        "ix_support_case_events_subject_id", "support_case_events", ["subject_id"], unique=False
    )
    op.create_index(
        "ix_support_case_events_case_id", "support_case_events", ["case_id", "at"], unique=False
    )


def downgrade() -> None:
    for table in ("support_case_events", "support_case_products", "support_cases"):
        op.drop_table(table)
