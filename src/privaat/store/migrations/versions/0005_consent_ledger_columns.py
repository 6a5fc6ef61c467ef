"""consent_events: the policy version and the language of the text shown, as columns (issue 10)

They were sealed inside ``evidence_enc`` with the evidence; they are no evidence about the
person, and the ledger is replayed on every consents page: a column each, so replaying it
decrypts nothing. Rows from before keep them in the sealed evidence, where the service still
looks when the column is empty.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("consent_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("policy_version", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("lang", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("consent_events", schema=None) as batch_op:
        batch_op.drop_column("lang")
        batch_op.drop_column("policy_version")
