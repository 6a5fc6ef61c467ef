"""business customers' processor services and contacts, and the sub-processor change
notices with their objection window (issue 15 item 10; GDPR art. 28(2))

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = sa.DateTime(timezone=True)


def _customer() -> sa.Column[object]:
    return sa.Column(
        "customer_id",
        _ID,
        sa.ForeignKey("business_customers.id", ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "business_services",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        _customer(),
        sa.Column("service", sa.String(64), nullable=False),
        sa.Column("since", _TIME, nullable=False),
        sa.UniqueConstraint("customer_id", "service", name="uq_business_services"),
    )
    op.create_table(
        "business_contacts",
        sa.Column(
            "customer_id",
            _ID,
            sa.ForeignKey("business_customers.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("contact_enc", sa.LargeBinary(), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
    )
    op.create_table(
        "subprocessor_notices",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        _customer(),
        sa.Column("service", sa.String(64), nullable=False),
        sa.Column("policy_version", sa.Integer(), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("objection_until", sa.Date(), nullable=False),
        sa.Column("sent_at", _TIME, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(300), nullable=True),
        sa.Column("objected_at", _TIME, nullable=True),
        sa.Column("objection_enc", sa.LargeBinary(), nullable=True),
        sa.UniqueConstraint(
            "customer_id", "service", "policy_version", name="uq_subprocessor_notices_once"
        ),
    )
    op.create_index("ix_subprocessor_notices_unsent", "subprocessor_notices", ["sent_at"])


def downgrade() -> None:
    op.drop_table("subprocessor_notices")
    op.drop_table("business_contacts")
    op.drop_table("business_services")
