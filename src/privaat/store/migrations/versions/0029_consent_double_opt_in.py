"""consent double opt-in (issue 14 item 5)

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-03
"""

from __future__ import annotations

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # reserved: filled in by the work of its issue item


def downgrade() -> None:
    pass
