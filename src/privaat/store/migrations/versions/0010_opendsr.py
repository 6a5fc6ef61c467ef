"""business customers and their OpenDSR requests (issue 11 item 10)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "business_customers",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("key_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("key_created_at", _TIME, nullable=False),
        sa.Column("revoked_at", _TIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_customers")),
        sa.UniqueConstraint("name", name=op.f("uq_business_customers_name")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_business_customers_key_hash")),
    )
    op.create_table(
        "opendsr_requests",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("customer_id", _ID, nullable=False),
        sa.Column("request_id", _ID, nullable=False),
        sa.Column("subject_id", _ID, nullable=False),
        sa.Column("subject_request_id", sa.String(length=36), nullable=False),
        sa.Column("callback_urls", sa.Text(), nullable=False),
        sa.Column("request_status", sa.String(length=16), nullable=False),
        sa.Column("submitted_at", _TIME, nullable=False),
        sa.Column("received_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["business_customers.id"],
            name=op.f("fk_opendsr_requests_customer_id_business_customers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["subject_requests.id"],
            name=op.f("fk_opendsr_requests_request_id_subject_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
            name=op.f("fk_opendsr_requests_subject_id_subjects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opendsr_requests")),
        sa.UniqueConstraint("request_id", name=op.f("uq_opendsr_requests_request_id")),
        sa.UniqueConstraint(
            "customer_id", "subject_request_id", name="uq_opendsr_requests_customer_srid"
        ),
    )
    op.create_table(
        "opendsr_callbacks",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("opendsr_request_id", _ID, nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("request_status", sa.String(length=16), nullable=False),
        sa.Column("expected_completion_time", _TIME, nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _TIME, nullable=False),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("sent_at", _TIME, nullable=True),
        sa.Column("given_up_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["opendsr_request_id"],
            ["opendsr_requests.id"],
            name=op.f("fk_opendsr_callbacks_opendsr_request_id_opendsr_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opendsr_callbacks")),
    )
    op.create_index(
        "ix_opendsr_callbacks_due",
        "opendsr_callbacks",
        ["sent_at", "given_up_at", "next_attempt_at"],
    )
    op.create_table(
        "opendsr_signing_keys",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("private_key_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("certificate_pem", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opendsr_signing_keys")),
    )


def downgrade() -> None:
    op.drop_table("opendsr_signing_keys")
    op.drop_index("ix_opendsr_callbacks_due", table_name="opendsr_callbacks")
    op.drop_table("opendsr_callbacks")
    op.drop_table("opendsr_requests")
    op.drop_table("business_customers")
