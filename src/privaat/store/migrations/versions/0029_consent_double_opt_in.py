"""consent double opt-in (issue 14 item 5)

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # null on every earlier row: an ordinary give or withdrawal
    with op.batch_alter_table("consent_events") as batch:
        batch.add_column(sa.Column("stage", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("consent_events") as batch:
        batch.drop_column("stage")
