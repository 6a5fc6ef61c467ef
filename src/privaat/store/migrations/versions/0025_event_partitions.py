"""the high-volume event tables partitioned by month on PostgreSQL (issue 13 item 1, L51)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-03

The telemetry tables' idempotency constraint takes the event's time as well, on both databases
(a partitioned table's unique constraints must hold its partition key; see
``privaat.store.partitions``). On PostgreSQL each table of ``PARTITIONED`` is rebuilt as a
partitioned table with its rows, sequence, constraints and indexes.
"""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import op

from privaat.store.partitions import convert, revert

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

_IDEMPOTENT = ("voip_sync_events", "app_analytics_events", "service_logins")


def _idempotency(columns: list[str]) -> None:
    for table in _IDEMPOTENT:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"uq_{table}_service_event", type_="unique")
            batch.create_unique_constraint(f"uq_{table}_service_event", columns)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        convert(bind, datetime.now(UTC))  # adds "at" to the keys as it partitions
    else:
        _idempotency(["service_id", "event_id", "at"])


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        revert(bind)
    else:
        _idempotency(["service_id", "event_id"])
