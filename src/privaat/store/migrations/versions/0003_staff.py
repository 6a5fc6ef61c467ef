"""staff of the console: accounts with password and TOTP, one-time enrolment links, sessions

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "staff_members",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("email_bidx", sa.LargeBinary(length=32), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("totp_secret_enc", sa.LargeBinary(), nullable=False),
        sa.Column("totp_last_step", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_members")),
        sa.UniqueConstraint("email_bidx", name=op.f("uq_staff_members_email_bidx")),
    )
    for table in ("staff_enrolments", "staff_sessions"):
        op.create_table(
            table,
            sa.Column("token_hash", sa.LargeBinary(length=32), nullable=False),
            sa.Column("staff_id", _ID, nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            *(
                [sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False)]
                if table == "staff_sessions"
                else []
            ),
            sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
            sa.ForeignKeyConstraint(
                ["staff_id"],
                ["staff_members.id"],
                name=op.f(f"fk_{table}_staff_id_staff_members"),
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint("token_hash", name=op.f(f"pk_{table}")),
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(f"ix_{table}_staff", ["staff_id"], unique=False)


def downgrade() -> None:
    for table in ("staff_sessions", "staff_enrolments"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f"ix_{table}_staff")
        op.drop_table(table)
    op.drop_table("staff_members")
