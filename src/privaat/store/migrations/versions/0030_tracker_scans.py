"""tracker scans and server-side cookie clearing (issue 14 items 3, 4)

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-03
"""

from __future__ import annotations

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # reserved: filled in by the work of its issue item


def downgrade() -> None:
    pass
