"""tracker scans and server-side cookie clearing (issue 14 items 3, 4)

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_CHILDREN: dict[str, Callable[[], list[sa.Column[Any]]]] = {
    "tracker_scan_pages": lambda: [
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(length=200), nullable=True),
    ],
    "tracker_scan_cookies": lambda: [
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("domain", sa.String(length=255), nullable=False),
        sa.Column("path", sa.String(length=1024), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("http_only", sa.Boolean(), nullable=False),
        sa.Column("secure", sa.Boolean(), nullable=False),
        sa.Column("same_site", sa.String(length=8), nullable=False),
    ],
    "tracker_scan_storage": lambda: [
        sa.Column("area", sa.String(length=8), nullable=False),
        sa.Column("origin", sa.String(length=512), nullable=False),
        sa.Column("key", sa.String(length=1024), nullable=False),
    ],
    "tracker_scan_requests": lambda: [
        sa.Column("origin", sa.String(length=512), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
    ],
}


def upgrade() -> None:
    op.create_table(
        "tracker_scans",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("site", sa.String(length=512), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracker_scans")),
    )
    op.create_index("ix_tracker_scans_host", "tracker_scans", ["host", "finished_at"])
    for name, columns in _CHILDREN.items():
        op.create_table(
            name,
            sa.Column("id", _ID, autoincrement=True, nullable=False),
            sa.Column("scan_id", _ID, nullable=False),
            sa.Column("scan_pass", sa.String(length=16), nullable=False),
            sa.Column("page", sa.Text(), nullable=False),
            *columns(),
            sa.ForeignKeyConstraint(
                ["scan_id"],
                ["tracker_scans.id"],
                name=op.f(f"fk_{name}_scan_id_tracker_scans"),
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        )
        op.create_index(f"ix_{name}_scan", name, ["scan_id"])


def downgrade() -> None:
    for name in reversed(list(_CHILDREN)):
        op.drop_table(name)
    op.drop_table("tracker_scans")
