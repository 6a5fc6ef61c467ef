"""consent per site for hosting customers (issue 14 item 7)

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-03
"""

from __future__ import annotations

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # reserved: filled in by the work of its issue item


def downgrade() -> None:
    pass
