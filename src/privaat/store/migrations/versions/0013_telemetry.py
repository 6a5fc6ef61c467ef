"""telemetry from Flexibelt's services: VoIP device sync and app analytics (issue 12 item 1)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "telemetry_services",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("kinds", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_telemetry_services")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_telemetry_services_key_hash")),
        sa.UniqueConstraint("name", name=op.f("uq_telemetry_services_name")),
    )
    op.create_table(
        "app_analytics_events",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("service_id", _ID, nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("subject_id", _ID, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("location_enc", sa.LargeBinary(), nullable=True),
        sa.Column("device_enc", sa.LargeBinary(), nullable=False),
        sa.Column("usage_enc", sa.LargeBinary(), nullable=False),
        sa.Column("language_enc", sa.LargeBinary(), nullable=True),
        sa.Column("log_enc", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["telemetry_services.id"],
            name=op.f("fk_app_analytics_events_service_id_telemetry_services"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
            name=op.f("fk_app_analytics_events_subject_id_subjects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_analytics_events")),
        sa.UniqueConstraint(
            "service_id", "event_id", name=op.f("uq_app_analytics_events_service_event")
        ),
    )
    op.create_index(
        "ix_app_analytics_events_received_at", "app_analytics_events", ["received_at"], unique=False
    )
    op.create_index(
        "ix_app_analytics_events_subject_id", "app_analytics_events", ["subject_id"], unique=False
    )
    op.create_table(
        "telemetry_precise_locations",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("service_id", _ID, nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject_id", _ID, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("location_enc", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["telemetry_services.id"],
            name=op.f("fk_telemetry_precise_locations_service_id_telemetry_services"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
            name=op.f("fk_telemetry_precise_locations_subject_id_subjects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_telemetry_precise_locations")),
        sa.UniqueConstraint(
            "service_id", "event_id", name=op.f("uq_telemetry_precise_locations_event")
        ),
    )
    op.create_index(
        "ix_telemetry_precise_locations_subject_id",
        "telemetry_precise_locations",
        ["subject_id"],
        unique=False,
    )
    op.create_table(
        "voip_sync_events",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("service_id", _ID, nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("subject_id", _ID, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ip_enc", sa.LargeBinary(), nullable=True),
        sa.Column("ip_network_enc", sa.LargeBinary(), nullable=False),
        sa.Column("location_enc", sa.LargeBinary(), nullable=True),
        sa.Column("device_enc", sa.LargeBinary(), nullable=False),
        sa.Column("log_enc", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["telemetry_services.id"],
            name=op.f("fk_voip_sync_events_service_id_telemetry_services"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
            name=op.f("fk_voip_sync_events_subject_id_subjects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voip_sync_events")),
        sa.UniqueConstraint(
            "service_id", "event_id", name=op.f("uq_voip_sync_events_service_event")
        ),
    )
    op.create_index(
        "ix_voip_sync_events_received_at", "voip_sync_events", ["received_at"], unique=False
    )
    op.create_index(
        "ix_voip_sync_events_subject_id", "voip_sync_events", ["subject_id"], unique=False
    )


def downgrade() -> None:
    for table in (
        "voip_sync_events",
        "telemetry_precise_locations",
        "app_analytics_events",
        "telemetry_services",
    ):
        op.drop_table(table)
