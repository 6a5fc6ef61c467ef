"""datacenter service log-ins: hosted servers, webmail, the PBX (issue 12 item 5)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "service_logins",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("service_id", _ID, nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("subject_id", _ID, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("service", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("ip_enc", sa.LargeBinary(), nullable=True),
        sa.Column("ip_network_enc", sa.LargeBinary(), nullable=True),
        sa.Column("location_enc", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["telemetry_services.id"],
            name=op.f("fk_service_logins_service_id_telemetry_services"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
            name=op.f("fk_service_logins_subject_id_subjects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_logins")),
        sa.UniqueConstraint("service_id", "event_id", name=op.f("uq_service_logins_service_event")),
    )
    op.create_index(
        "ix_service_logins_subject_at", "service_logins", ["subject_id", "at"], unique=False
    )
    op.create_index(
        "ix_service_logins_received_at", "service_logins", ["received_at"], unique=False
    )


def downgrade() -> None:
    op.drop_table("service_logins")
