"""duplicate, repeated and excessive requests: each request's judgement and its evidence,
and every arrival that joined an open request (issue 15 item 8; GDPR art. 12(5))

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    # NULL: judged new (or filed before this revision)
    op.add_column("subject_requests", sa.Column("repetition", sa.String(16), nullable=True))
    op.add_column("subject_requests", sa.Column("repeat_of", sa.Text(), nullable=True))
    op.create_table(
        "request_duplicates",
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
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("at", _TIME, nullable=False),
    )
    op.create_index("ix_request_duplicates_request", "request_duplicates", ["request_id"])
    op.create_index("ix_request_duplicates_subject", "request_duplicates", ["subject_id"])


def downgrade() -> None:
    op.drop_table("request_duplicates")
    with op.batch_alter_table("subject_requests") as batch:
        batch.drop_column("repeat_of")
        batch.drop_column("repetition")
