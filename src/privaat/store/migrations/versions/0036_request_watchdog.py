"""the request watchdog: when each request entered its status, the alerts sent once each,
and the failures of stores outside privaat (issue 15 item 7)

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = sa.DateTime(timezone=True)


def _of_a_request() -> list[sa.Column[object]]:
    return [
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column(
            "request_id",
            _ID,
            sa.ForeignKey("subject_requests.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "subject_id", _ID, sa.ForeignKey("subjects.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("at", _TIME, nullable=False),
    ]


def upgrade() -> None:
    op.add_column("subject_requests", sa.Column("status_since", _TIME, nullable=True))
    # a request of before this revision: since it closed, or (a lower bound, so an old stay
    # is alerted rather than missed) since it was received
    op.execute("UPDATE subject_requests SET status_since = COALESCE(closed_at, received_at)")
    op.create_table(
        "request_alerts",
        *_of_a_request(),
        sa.Column("alert", sa.String(16), nullable=False),
        sa.Column("key", sa.String(80), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("since", _TIME, nullable=False),
        sa.Column("store", sa.String(64), nullable=True),
    )
    op.create_index(
        "uq_request_alerts_once", "request_alerts", ["request_id", "alert", "key"], unique=True
    )
    op.create_index("ix_request_alerts_subject", "request_alerts", ["subject_id"])
    op.create_table(
        "request_store_failures",
        *_of_a_request(),
        sa.Column("store", sa.String(64), nullable=False),
        sa.Column("operation", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(300), nullable=False),
    )
    op.create_index(
        "ix_request_store_failures_request", "request_store_failures", ["request_id", "at"]
    )
    op.create_index("ix_request_store_failures_subject", "request_store_failures", ["subject_id"])


def downgrade() -> None:
    op.drop_table("request_store_failures")
    op.drop_table("request_alerts")
    with op.batch_alter_table("subject_requests") as batch:
        batch.drop_column("status_since")
