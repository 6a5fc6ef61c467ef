"""subject_requests, request_mails, request_answers: data-subject requests (issue 11)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "subject_requests",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("subject_id", _ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("received_at", _TIME, nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("extended_months", sa.Integer(), nullable=False),
        sa.Column("requester_bidx", sa.LargeBinary(length=32), nullable=False),
        sa.Column("details_enc", sa.LargeBinary(), nullable=False),
        sa.Column("closed_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
            name=op.f("fk_subject_requests_subject_id_subjects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject_requests")),
        sa.UniqueConstraint("reference", name=op.f("uq_subject_requests_reference")),
    )
    op.create_index("ix_subject_requests_queue", "subject_requests", ["status", "due_on"])
    op.create_index("ix_subject_requests_requester", "subject_requests", ["requester_bidx", "kind"])
    op.create_index("ix_subject_requests_subject", "subject_requests", ["subject_id"])
    op.create_table(
        "request_mails",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("request_id", _ID, nullable=False),
        sa.Column("subject_id", _ID, nullable=False),
        sa.Column("received_at", _TIME, nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("raw_enc", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["subject_requests.id"],
            name=op.f("fk_request_mails_request_id_subject_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
            name=op.f("fk_request_mails_subject_id_subjects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_mails")),
    )
    op.create_index("ix_request_mails_request", "request_mails", ["request_id"])
    op.create_table(
        "request_answers",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("request_id", _ID, nullable=False),
        sa.Column("subject_id", _ID, nullable=False),
        sa.Column("token_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("file_enc", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("expires_at", _TIME, nullable=False),
        sa.Column("downloaded_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["subject_requests.id"],
            name=op.f("fk_request_answers_request_id_subject_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
            name=op.f("fk_request_answers_subject_id_subjects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_answers")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_request_answers_token_hash")),
    )
    op.create_index("ix_request_answers_subject", "request_answers", ["subject_id"])


def downgrade() -> None:
    op.drop_index("ix_request_answers_subject", table_name="request_answers")
    op.drop_table("request_answers")
    op.drop_index("ix_request_mails_request", table_name="request_mails")
    op.drop_table("request_mails")
    op.drop_index("ix_subject_requests_subject", table_name="subject_requests")
    op.drop_index("ix_subject_requests_requester", table_name="subject_requests")
    op.drop_index("ix_subject_requests_queue", table_name="subject_requests")
    op.drop_table("subject_requests")
