"""rectification, restriction and objection steps of a request (issue 11 items 5-8)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = sa.DateTime(timezone=True)


def _of_a_request(table: str) -> list[Any]:
    return [
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("request_id", _ID, nullable=False),
        sa.Column("subject_id", _ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["subject_requests.id"],
            name=op.f(f"fk_{table}_request_id_subject_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
            name=op.f(f"fk_{table}_subject_id_subjects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def upgrade() -> None:
    op.create_table(
        "request_rectifications",
        *_of_a_request("request_rectifications"),
        sa.Column("at", _TIME, nullable=False),
        sa.Column("fields", sa.String(length=200), nullable=False),
        sa.Column("values_enc", sa.LargeBinary(), nullable=True),
    )
    op.create_index("ix_request_rectifications_request", "request_rectifications", ["request_id"])
    op.create_table(
        "request_restrictions",
        *_of_a_request("request_restrictions"),
        sa.Column("scope", sa.String(length=2000), nullable=False),
        sa.Column("restricted_at", _TIME, nullable=False),
        sa.Column("lift_told_at", _TIME, nullable=True),
        sa.Column("lift_at", _TIME, nullable=True),
        sa.Column("lift_letter_id", _ID, nullable=True),
        sa.Column("lifted_at", _TIME, nullable=True),
    )
    op.create_index(
        "uq_request_restrictions_request", "request_restrictions", ["request_id"], unique=True
    )
    op.create_index("ix_request_restrictions_due", "request_restrictions", ["lifted_at", "lift_at"])
    op.create_table(
        "request_objections",
        *_of_a_request("request_objections"),
        sa.Column("activity", sa.String(length=64), nullable=False),
        sa.Column("at", _TIME, nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.Column("grounds_enc", sa.LargeBinary(), nullable=True),
        sa.Column("decided_at", _TIME, nullable=True),
    )
    op.create_index(
        "uq_request_objections_request", "request_objections", ["request_id"], unique=True
    )
    op.create_table(
        "request_receipts",
        *_of_a_request("request_receipts"),
        sa.Column("at", _TIME, nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("document_enc", sa.LargeBinary(), nullable=False),
    )
    op.create_index("uq_request_receipts_request", "request_receipts", ["request_id"], unique=True)
    op.create_table(
        "request_recipient_notices",
        *_of_a_request("request_recipient_notices"),
        sa.Column("recipient", sa.String(length=64), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("told", sa.String(length=16), nullable=False),
        sa.Column("at", _TIME, nullable=False),
    )
    op.create_index(
        "ix_request_recipient_notices_request", "request_recipient_notices", ["request_id"]
    )


def downgrade() -> None:
    for table in (
        "request_recipient_notices",
        "request_receipts",
        "request_objections",
        "request_restrictions",
        "request_rectifications",
    ):
        op.drop_table(table)
