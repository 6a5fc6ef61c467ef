"""the retention sweep: runs, tasks and their evidence (issue 13 item 1)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "retention_sweeps",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("worker", sa.String(length=128), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("counts", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_sweeps")),
    )
    op.create_index(
        "uq_retention_sweeps_running",
        "retention_sweeps",
        ["status"],
        unique=True,
        sqlite_where=sa.text("status = 'running'"),
        postgresql_where=sa.text("status = 'running'"),
    )
    op.create_table(
        "retention_batches",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("sweep_id", _ID, nullable=False),
        sa.Column("activity", sa.String(length=64), nullable=False),
        sa.Column("table_name", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sweep_id"],
            ["retention_sweeps.id"],
            name=op.f("fk_retention_batches_sweep_id_retention_sweeps"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_batches")),
    )
    op.create_index("ix_retention_batches_sweep", "retention_batches", ["sweep_id"], unique=False)


def downgrade() -> None:
    op.drop_table("retention_batches")
    op.drop_index("uq_retention_sweeps_running", table_name="retention_sweeps")
    op.drop_table("retention_sweeps")
