"""the marketing selection's tables (issue 10 items 2, 4): customer_services, marketing_profiles,
marketing_interests

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _subject_id() -> sa.Column:  # type: ignore[type-arg]  # alembic columns are untyped here
    return sa.Column(
        "subject_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
    )


def _subject_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["subject_id"],
        ["subjects.id"],
        name=op.f(f"fk_{table}_subject_id_subjects"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "customer_services",
        _subject_id(),
        sa.Column("service_bidx", sa.LargeBinary(length=32), nullable=False),
        sa.Column("service_enc", sa.LargeBinary(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        _subject_fk("customer_services"),
        sa.PrimaryKeyConstraint("subject_id", "service_bidx", name=op.f("pk_customer_services")),
    )
    with op.batch_alter_table("customer_services", schema=None) as batch_op:
        batch_op.create_index(
            "ix_customer_services_service", ["service_bidx", "subject_id"], unique=False
        )
    op.create_table(
        "marketing_profiles",
        _subject_id(),
        sa.Column("country_bidx", sa.LargeBinary(length=32), nullable=True),
        sa.Column("city_bidx", sa.LargeBinary(length=32), nullable=True),
        sa.Column("language_bidx", sa.LargeBinary(length=32), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _subject_fk("marketing_profiles"),
        sa.PrimaryKeyConstraint("subject_id", name=op.f("pk_marketing_profiles")),
    )
    with op.batch_alter_table("marketing_profiles", schema=None) as batch_op:
        batch_op.create_index("ix_marketing_profiles_city", ["city_bidx"], unique=False)
        batch_op.create_index("ix_marketing_profiles_country", ["country_bidx"], unique=False)
    op.create_table(
        "marketing_interests",
        _subject_id(),
        sa.Column("interest_bidx", sa.LargeBinary(length=32), nullable=False),
        _subject_fk("marketing_interests"),
        sa.PrimaryKeyConstraint("subject_id", "interest_bidx", name=op.f("pk_marketing_interests")),
    )
    with op.batch_alter_table("marketing_interests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_marketing_interests_interest", ["interest_bidx", "subject_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("marketing_interests", schema=None) as batch_op:
        batch_op.drop_index("ix_marketing_interests_interest")
    op.drop_table("marketing_interests")
    with op.batch_alter_table("marketing_profiles", schema=None) as batch_op:
        batch_op.drop_index("ix_marketing_profiles_country")
        batch_op.drop_index("ix_marketing_profiles_city")
    op.drop_table("marketing_profiles")
    with op.batch_alter_table("customer_services", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_services_service")
    op.drop_table("customer_services")
