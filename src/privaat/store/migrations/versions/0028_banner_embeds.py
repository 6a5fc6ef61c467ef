"""banner consent mode and embeds (issue 14 items 1, 6)

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-03
"""

from __future__ import annotations

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # reserved: filled in by the work of its issue item


def downgrade() -> None:
    pass
