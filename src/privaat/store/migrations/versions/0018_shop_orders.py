"""the web shop: orders, invoices, shipments, fraud scores (issue 12 items 3-4)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "shop_payment_keys",
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("provider", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_shop_payment_keys")),
    )
    op.create_table(
        "shop_orders",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("subject_id", _ID, nullable=False),
        sa.Column("guest", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("total_cents", sa.Integer(), nullable=False),
        sa.Column("payment_provider", sa.String(length=8), nullable=False),
        sa.Column("payment_reference", sa.String(length=40), nullable=False),
        sa.Column("payment_status", sa.String(length=16), nullable=False),
        sa.Column("payment_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("name_enc", sa.LargeBinary(), nullable=False),
        sa.Column("street_enc", sa.LargeBinary(), nullable=False),
        sa.Column("postal_code_enc", sa.LargeBinary(), nullable=False),
        sa.Column("city_enc", sa.LargeBinary(), nullable=False),
        sa.Column("country_enc", sa.LargeBinary(), nullable=False),
        sa.Column("phone_enc", sa.LargeBinary(), nullable=True),
        sa.Column("email_enc", sa.LargeBinary(), nullable=False),
        sa.Column("comment_enc", sa.LargeBinary(), nullable=True),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("view_token_hash", sa.LargeBinary(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
            name=op.f("fk_shop_orders_subject_id_subjects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shop_orders")),
        sa.UniqueConstraint("payment_reference", name=op.f("uq_shop_orders_payment_reference")),
        sa.UniqueConstraint("reference", name=op.f("uq_shop_orders_reference")),
        sa.UniqueConstraint("view_token_hash", name=op.f("uq_shop_orders_view_token_hash")),
    )
    op.create_index("ix_shop_orders_subject", "shop_orders", ["subject_id"], unique=False)
    op.create_table(
        "shop_order_lines",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("order_id", _ID, nullable=False),
        sa.Column("subject_id", _ID, nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("product", sa.String(length=32), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("price_cents", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["shop_orders.id"],
            name=op.f("fk_shop_order_lines_order_id_shop_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
            name=op.f("fk_shop_order_lines_subject_id_subjects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shop_order_lines")),
    )
    op.create_index("ix_shop_order_lines_order", "shop_order_lines", ["order_id"], unique=False)
    op.create_index("ix_shop_order_lines_subject", "shop_order_lines", ["subject_id"], unique=False)
    op.create_table(
        "shop_invoices",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("order_id", _ID, nullable=True),
        sa.Column("subject_id", _ID, nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("year_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("name_enc", sa.LargeBinary(), nullable=False),
        sa.Column("address_enc", sa.LargeBinary(), nullable=False),
        sa.Column("lines_enc", sa.LargeBinary(), nullable=False),
        sa.Column("net_cents", sa.Integer(), nullable=False),
        sa.Column("vat_cents", sa.Integer(), nullable=False),
        sa.Column("total_cents", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["shop_orders.id"],
            name=op.f("fk_shop_invoices_order_id_shop_orders"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
            name=op.f("fk_shop_invoices_subject_id_subjects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shop_invoices")),
        sa.UniqueConstraint("number", name=op.f("uq_shop_invoices_number")),
    )
    op.create_index("ix_shop_invoices_subject", "shop_invoices", ["subject_id"], unique=False)
    op.create_table(
        "shop_shipments",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("order_id", _ID, nullable=False),
        sa.Column("subject_id", _ID, nullable=False),
        sa.Column("recipient", sa.String(length=32), nullable=False),
        sa.Column("carrier", sa.String(length=32), nullable=False),
        sa.Column("handed_fields", sa.String(length=200), nullable=False),
        sa.Column("handed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["shop_orders.id"],
            name=op.f("fk_shop_shipments_order_id_shop_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
            name=op.f("fk_shop_shipments_subject_id_subjects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shop_shipments")),
    )
    op.create_index("ix_shop_shipments_order", "shop_shipments", ["order_id"], unique=False)
    op.create_index("ix_shop_shipments_subject", "shop_shipments", ["subject_id"], unique=False)
    op.create_table(
        "fraud_scores",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("order_id", _ID, nullable=False),
        sa.Column("subject_id", _ID, nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("reasons_enc", sa.LargeBinary(), nullable=False),
        sa.Column("ip_enc", sa.LargeBinary(), nullable=True),
        sa.Column("email_bidx", sa.LargeBinary(length=32), nullable=False),
        sa.Column("ip_bidx", sa.LargeBinary(length=32), nullable=True),
        sa.Column("address_bidx", sa.LargeBinary(length=32), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason_enc", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["shop_orders.id"],
            name=op.f("fk_fraud_scores_order_id_shop_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
            name=op.f("fk_fraud_scores_subject_id_subjects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fraud_scores")),
        sa.UniqueConstraint("order_id", name=op.f("uq_fraud_scores_order_id")),
    )
    op.create_index("ix_fraud_scores_address_bidx", "fraud_scores", ["address_bidx"], unique=False)
    op.create_index("ix_fraud_scores_email_bidx", "fraud_scores", ["email_bidx"], unique=False)
    op.create_index("ix_fraud_scores_ip_bidx", "fraud_scores", ["ip_bidx"], unique=False)
    op.create_index("ix_fraud_scores_subject", "fraud_scores", ["subject_id"], unique=False)


def downgrade() -> None:
    op.drop_table("fraud_scores")
    op.drop_table("shop_shipments")
    op.drop_table("shop_invoices")
    op.drop_table("shop_order_lines")
    op.drop_table("shop_orders")
    op.drop_table("shop_payment_keys")
