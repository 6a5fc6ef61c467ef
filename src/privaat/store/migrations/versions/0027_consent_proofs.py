"""consent proof bundles (issue 14 item 8): the Ed25519 signing key

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consent_proof_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("sealed_private_key", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_proof_keys")),
        sa.UniqueConstraint("public_key", name=op.f("uq_consent_proof_keys_public_key")),
    )


def downgrade() -> None:
    op.drop_table("consent_proof_keys")
