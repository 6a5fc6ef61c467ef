"""consent per site for hosting customers (issue 14 item 7)

A hosting customer's consent scope (its site file), the domains it answers on (each domain in
one scope only: the primary key), the scope's visitors and its own consent ledger, and the
spent nonces of the carry tokens that take a choice to the scope's other domains.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.schema import SchemaItem

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = sa.DateTime(timezone=True)


def _scope(table: str) -> list[SchemaItem]:
    return [
        sa.Column("scope_id", _ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["scope_id"],
            ["site_scopes.id"],
            name=op.f(f"fk_{table}_scope_id_site_scopes"),
            ondelete="RESTRICT",
        ),
    ]


def _subject(table: str) -> list[SchemaItem]:
    return [
        sa.Column("subject_id", _ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
            name=op.f(f"fk_{table}_subject_id_subjects"),
            ondelete="CASCADE",
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "site_scopes",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("customer", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("vendors_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.Column("removed_at", _TIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_scopes")),
        sa.UniqueConstraint("customer", name=op.f("uq_site_scopes_customer")),
    )
    op.create_table(
        "site_domains",
        sa.Column("domain", sa.String(length=253), nullable=False),
        *_scope("site_domains"),
        sa.PrimaryKeyConstraint("domain", name=op.f("pk_site_domains")),
    )
    op.create_index("ix_site_domains_scope_id", "site_domains", ["scope_id"])
    op.create_table(
        "site_visitors",
        sa.Column("token_hash", sa.LargeBinary(length=32), nullable=False),
        *_scope("site_visitors"),
        *_subject("site_visitors"),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("chosen_at", _TIME, nullable=False),
        sa.Column("vendors_sha256", sa.String(length=64), nullable=False),
        sa.Column("gpc", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_site_visitors")),
    )
    op.create_index("ix_site_visitors_subject_id", "site_visitors", ["subject_id"])
    op.create_index("ix_site_visitors_scope_id", "site_visitors", ["scope_id"])
    op.create_table(
        "site_consent_events",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        *_scope("site_consent_events"),
        *_subject("site_consent_events"),
        sa.Column("category", sa.String(length=63), nullable=False),
        sa.Column("given", sa.Boolean(), nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("at", _TIME, nullable=False),
        sa.Column("evidence_enc", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_consent_events")),
    )
    op.create_index(
        "ix_site_consent_events_subject",
        "site_consent_events",
        ["subject_id", "category", "id"],
    )
    op.create_index("ix_site_consent_events_scope_id", "site_consent_events", ["scope_id"])
    op.create_table(
        "site_carries",
        sa.Column("nonce_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("expires_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("nonce_hash", name=op.f("pk_site_carries")),
    )


def downgrade() -> None:
    op.drop_table("site_carries")
    op.drop_index("ix_site_consent_events_scope_id", table_name="site_consent_events")
    op.drop_index("ix_site_consent_events_subject", table_name="site_consent_events")
    op.drop_table("site_consent_events")
    op.drop_index("ix_site_visitors_scope_id", table_name="site_visitors")
    op.drop_index("ix_site_visitors_subject_id", table_name="site_visitors")
    op.drop_table("site_visitors")
    op.drop_index("ix_site_domains_scope_id", table_name="site_domains")
    op.drop_table("site_domains")
    op.drop_table("site_scopes")
