"""The web shop's tables (issue 12 items 3-4): orders, invoices, shipments, fraud scores.

    shop_orders          P8: an order under shop_orders (contract); payment only as the
                         provider's reference and status, never card data (L31)
    shop_order_lines     what was ordered: product, quantity, price in cents
    shop_invoices        L34: under tax_records, HOLD: kept after the person's erasure for
                         seven years from the end of the invoice's financial year
    shop_shipments       P11, L33: what was handed to which carrier, and when
    fraud_scores         L32: the score, its reasons, and the person's decision
    shop_payment_keys    the payment providers' callback keys (no person)

Every value about the person is ciphertext under the subject's data key (``_enc``); the
invoice's are under the subject's hold key (registry HOLD), so crypto-shredding the data key
leaves the tax records readable until their own end. The fraud checks count earlier orders
of the same e-mail, IP address and delivery address by keyed hashes (``_bidx``), across
subjects, without storing any of them in clear.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
)

from privaat.store.registry import ErasureMode, SubjectTable, Unlinked, personal, technical
from privaat.store.tables import UTC_TIME, _subject_fk, metadata

__all__ = [
    "FRAUD",
    "SHIPPING",
    "SHOP",
    "TAX",
    "fraud_scores",
    "shop_invoices",
    "shop_order_lines",
    "shop_orders",
    "shop_payment_keys",
    "shop_shipments",
]

SHOP = "shop_orders"
TAX = "tax_records"
SHIPPING = "shipping"
FRAUD = "fraud_detection"
_KEY = BigInteger().with_variant(Integer(), "sqlite")
_HOLD = ErasureMode.HOLD


def _order_fk(*, unique: bool = False) -> Column[int]:
    return technical(
        "order_id",
        _KEY,
        ForeignKey("shop_orders.id", ondelete="CASCADE"),
        nullable=False,
        unique=unique,
    )


shop_orders = Table(
    "shop_orders",
    metadata,
    technical("id", _KEY, primary_key=True, autoincrement=True),
    technical("reference", String(16), nullable=False, unique=True),  # "B-7KQ2M9XW"
    _subject_fk(),
    # bought without an account: the buyer is a subject of their own (services.shop)
    personal("guest", Boolean, nullable=False, activity=SHOP, category="orders"),
    personal("status", String(16), nullable=False, activity=SHOP, category="orders"),
    personal("placed_at", UTC_TIME, nullable=False, activity=SHOP, category=None),
    personal("delivered_at", UTC_TIME, nullable=True, activity=SHOP, category=None),
    personal("total_cents", Integer, nullable=False, activity=SHOP, category="orders"),
    # L31: the provider (sisow | paypal), its payment reference and status; no card data
    personal("payment_provider", String(8), nullable=False, activity=SHOP, category="orders"),
    personal(
        "payment_reference",
        String(40),
        nullable=False,
        unique=True,
        activity=SHOP,
        category="orders",
    ),
    personal("payment_status", String(16), nullable=False, activity=SHOP, category="orders"),
    personal("payment_updated_at", UTC_TIME, nullable=True, activity=SHOP, category=None),
    personal("name_enc", LargeBinary, nullable=False, activity=SHOP, category="name"),
    personal("street_enc", LargeBinary, nullable=False, activity=SHOP, category="postal_address"),
    personal(
        "postal_code_enc", LargeBinary, nullable=False, activity=SHOP, category="postal_address"
    ),
    personal("city_enc", LargeBinary, nullable=False, activity=SHOP, category="postal_address"),
    personal("country_enc", LargeBinary, nullable=False, activity=SHOP, category="postal_address"),
    personal("phone_enc", LargeBinary, nullable=True, activity=SHOP, category="phone_number"),
    personal("email_enc", LargeBinary, nullable=False, activity=SHOP, category="email_address"),
    personal("comment_enc", LargeBinary, nullable=True, activity=SHOP, category="orders"),
    # the language the buyer used: the order's mails are written in it
    personal("language", String(2), nullable=False, activity=SHOP, category="orders"),
    # SHA-256 of the token in the buyer's browser that opens the confirmation page
    technical("view_token_hash", LargeBinary(32), nullable=True, unique=True),
    Index("ix_shop_orders_subject", "subject_id"),
    info={"subject": SubjectTable("subject_id", clock="placed_at")},
)

shop_order_lines = Table(
    "shop_order_lines",
    metadata,
    technical("id", _KEY, primary_key=True, autoincrement=True),
    _order_fk(),
    _subject_fk(),
    personal("placed_at", UTC_TIME, nullable=False, activity=SHOP, category=None),
    personal("product", String(32), nullable=False, activity=SHOP, category="orders"),
    personal("quantity", Integer, nullable=False, activity=SHOP, category="orders"),
    personal("price_cents", Integer, nullable=False, activity=SHOP, category="orders"),
    Index("ix_shop_order_lines_order", "order_id"),
    Index("ix_shop_order_lines_subject", "subject_id"),
    info={"subject": SubjectTable("subject_id", clock="placed_at")},
)

# L34, AWR art. 52(4): the whole invoice is held; the order it came from may go before it
shop_invoices = Table(
    "shop_invoices",
    metadata,
    technical("id", _KEY, primary_key=True, autoincrement=True),
    technical("number", String(16), nullable=False, unique=True),  # "F2026-000001"
    technical("order_id", _KEY, ForeignKey("shop_orders.id", ondelete="SET NULL"), nullable=True),
    _subject_fk(),
    personal("issued_on", Date, nullable=False, activity=TAX, category="invoices", erasure=_HOLD),
    # the retention clock: the end of the invoice's financial year (1 January after it)
    personal("year_end", UTC_TIME, nullable=False, activity=TAX, category=None, erasure=_HOLD),
    personal("name_enc", LargeBinary, nullable=False, activity=TAX, category="name", erasure=_HOLD),
    personal(
        "address_enc",
        LargeBinary,
        nullable=False,
        activity=TAX,
        category="postal_address",
        erasure=_HOLD,
    ),
    personal(
        "lines_enc", LargeBinary, nullable=False, activity=TAX, category="invoices", erasure=_HOLD
    ),
    personal(
        "net_cents", Integer, nullable=False, activity=TAX, category="invoices", erasure=_HOLD
    ),
    personal(
        "vat_cents", Integer, nullable=False, activity=TAX, category="invoices", erasure=_HOLD
    ),
    personal(
        "total_cents", Integer, nullable=False, activity=TAX, category="invoices", erasure=_HOLD
    ),
    Index("ix_shop_invoices_subject", "subject_id"),
    info={"subject": SubjectTable("subject_id", clock="year_end", hold=TAX)},
)

# P11, L33: a disclosure to the carrier: who received what (field names), and when
shop_shipments = Table(
    "shop_shipments",
    metadata,
    technical("id", _KEY, primary_key=True, autoincrement=True),
    _order_fk(),
    _subject_fk(),
    personal("recipient", String(32), nullable=False, activity=SHIPPING, category=None),
    personal("carrier", String(32), nullable=False, activity=SHIPPING, category=None),
    personal("handed_fields", String(200), nullable=False, activity=SHIPPING, category=None),
    personal("handed_at", UTC_TIME, nullable=False, activity=SHIPPING, category=None),
    Index("ix_shop_shipments_order", "order_id"),
    Index("ix_shop_shipments_subject", "subject_id"),
    info={"subject": SubjectTable("subject_id", clock="handed_at")},
)

# L32, art. 22: the score and its reasons; only a person decides (decision none → approved
# or refused, by whom, why, when)
fraud_scores = Table(
    "fraud_scores",
    metadata,
    technical("id", _KEY, primary_key=True, autoincrement=True),
    _order_fk(unique=True),
    _subject_fk(),
    personal("scored_at", UTC_TIME, nullable=False, activity=FRAUD, category=None),
    personal("score", Integer, nullable=False, activity=FRAUD, category="fraud_signals"),
    # JSON: [{"code": …, "points": …, "facts": {…}}], the words come from the catalogue
    personal("reasons_enc", LargeBinary, nullable=False, activity=FRAUD, category="fraud_signals"),
    personal("ip_enc", LargeBinary, nullable=True, activity=FRAUD, category="ip_address"),
    # keyed hashes to count earlier orders of the same e-mail, IP and address (velocity)
    personal(
        "email_bidx", LargeBinary(32), nullable=False, activity=FRAUD, category="fraud_signals"
    ),
    personal("ip_bidx", LargeBinary(32), nullable=True, activity=FRAUD, category="fraud_signals"),
    personal(
        "address_bidx", LargeBinary(32), nullable=False, activity=FRAUD, category="fraud_signals"
    ),
    personal("decision", String(16), nullable=False, activity=FRAUD, category="fraud_signals"),
    personal("decided_by", String(64), nullable=True, activity=FRAUD, category=None),
    personal("decided_at", UTC_TIME, nullable=True, activity=FRAUD, category=None),
    personal(
        "decision_reason_enc", LargeBinary, nullable=True, activity=FRAUD, category="fraud_signals"
    ),
    Index("ix_fraud_scores_subject", "subject_id"),
    Index("ix_fraud_scores_email_bidx", "email_bidx"),
    Index("ix_fraud_scores_ip_bidx", "ip_bidx"),
    Index("ix_fraud_scores_address_bidx", "address_bidx"),
    info={"subject": SubjectTable("subject_id", clock="scored_at")},
)

# The providers' callback keys: the secret is derived from the system's index key and the
# key id (services.shop), shown once, stored nowhere
shop_payment_keys = Table(
    "shop_payment_keys",
    metadata,
    technical("key_id", String(32), primary_key=True),
    technical("provider", String(8), nullable=False),
    technical("created_at", UTC_TIME, nullable=False),
    technical("revoked_at", UTC_TIME, nullable=True),
    info={"subject": Unlinked("the payment providers' callback keys: no person", clock=None)},
)
