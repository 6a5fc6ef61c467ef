"""the stores outside privaat: what erasure did in each, and the certificate's signature
(issue 15 items 1 and 6)

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
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
    op.create_table(
        "store_erasures",
        *_of_a_request(),
        sa.Column("store", sa.String(64), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
    )
    op.create_index(
        "uq_store_erasures_request_store", "store_erasures", ["request_id", "store"], unique=True
    )
    op.create_index("ix_store_erasures_subject", "store_erasures", ["subject_id"])
    op.create_table(
        "erasure_certificates",
        *_of_a_request(),
        sa.Column("signature", sa.String(128), nullable=False),
        sa.Column("public_key", sa.String(64), nullable=False),
    )
    op.create_index(
        "uq_erasure_certificates_request", "erasure_certificates", ["request_id"], unique=True
    )
    op.create_index("ix_erasure_certificates_subject", "erasure_certificates", ["subject_id"])


def downgrade() -> None:
    op.drop_table("erasure_certificates")
    op.drop_table("store_erasures")
