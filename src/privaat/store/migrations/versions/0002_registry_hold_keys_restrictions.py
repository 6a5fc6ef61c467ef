"""registry needs (hold keys, tombstones, consent evidence, scoped restriction), retries, idle

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "hold_keys",
        sa.Column("subject_id", _ID, nullable=False),
        sa.Column("master_key_id", sa.String(length=16), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
            name=op.f("fk_hold_keys_subject_id_subjects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("subject_id", name=op.f("pk_hold_keys")),
    )
    op.create_table(
        "restrictions",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("subject_id", _ID, nullable=False),
        sa.Column("activity", sa.String(length=64), nullable=True),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
            name=op.f("fk_restrictions_subject_id_subjects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_restrictions")),
    )
    with op.batch_alter_table("restrictions", schema=None) as batch_op:
        batch_op.create_index("ix_restrictions_subject", ["subject_id"], unique=False)
    op.create_table(
        "subject_tokens",
        sa.Column("token_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("subject_id", _ID, nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("payload_enc", sa.LargeBinary(), nullable=True),
        sa.Column("payload_bidx", sa.LargeBinary(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
            name=op.f("fk_subject_tokens_subject_id_subjects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_subject_tokens")),
    )
    with op.batch_alter_table("subject_tokens", schema=None) as batch_op:
        batch_op.create_index("ix_subject_tokens_subject", ["subject_id", "purpose"], unique=False)
    with op.batch_alter_table("subjects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("restriction_scoped", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("consent_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("evidence_enc", sa.LargeBinary(), nullable=True))
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE sessions SET last_seen_at = created_at")
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.alter_column(
            "last_seen_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("given_up_at", sa.DateTime(timezone=True), nullable=True))
    # what the attempt counter gave up before: given up now, so it is not retried again
    op.execute("UPDATE outbox SET given_up_at = created_at WHERE sent_at IS NULL AND attempts >= 5")


def downgrade() -> None:
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_column("last_seen_at")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("given_up_at")
        batch_op.drop_column("next_attempt_at")
    with op.batch_alter_table("consent_events", schema=None) as batch_op:
        batch_op.drop_column("evidence_enc")
    with op.batch_alter_table("subjects", schema=None) as batch_op:
        batch_op.drop_column("restriction_scoped")
        batch_op.drop_column("erased_at")
    with op.batch_alter_table("restrictions", schema=None) as batch_op:
        batch_op.drop_index("ix_restrictions_subject")
    op.drop_table("restrictions")
    with op.batch_alter_table("subject_tokens", schema=None) as batch_op:
        batch_op.drop_index("ix_subject_tokens_subject")
    op.drop_table("subject_tokens")
    op.drop_table("hold_keys")
