"""The web shop's rules (P8, P11; LEGAL L30, L33, L34): the catalogue, an order's status, what
the carrier gets, an invoice's amounts and how long it is kept.

    OrderStatus (one transition table, ``next_status``):

        placed ──paid──▶ confirmed ──ship──▶ shipped
          │  └─score high─▶ in_review ──approve──▶ confirmed (paid) / placed (not yet)
          │                    └──refuse (a person, L32)──▶ refused
          └─payment failed or cancelled──▶ cancelled

A high fraud score only ever leads to ``in_review``: no event but a person's refusal leads to
``refused`` (GDPR art. 22(3)).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from types import MappingProxyType

from privaat.policy.wording import N_

__all__ = [
    "CARRIER_FIELDS",
    "COUNTRIES",
    "PRODUCTS",
    "VAT_PERCENT",
    "DeliveryAddress",
    "IllegalTransition",
    "OrderEvent",
    "OrderStatus",
    "PaymentProvider",
    "PaymentStatus",
    "Product",
    "carrier_payload",
    "financial_year_end",
    "next_status",
    "vat_included",
]


class PaymentProvider(StrEnum):
    """The payment service providers: the customer pays on their page, never on ours (L31)."""

    SISOW = "sisow"
    PAYPAL = "paypal"


class PaymentStatus(StrEnum):
    """What the provider last reported about the payment."""

    PENDING = "pending"  # the customer has not paid yet
    PAID = "paid"  # the provider confirms the money
    FAILED = "failed"  # the provider refused the payment
    CANCELLED = "cancelled"  # the customer broke off at the provider

    @property
    def final(self) -> bool:
        return self is not PaymentStatus.PENDING


class OrderStatus(StrEnum):
    """Where an order stands."""

    PLACED = "placed"  # ordered, waiting for the payment
    IN_REVIEW = "in_review"  # a person looks at it before it goes further (L32)
    CONFIRMED = "confirmed"  # paid and cleared: ready to ship
    SHIPPED = "shipped"  # handed to the carrier
    REFUSED = "refused"  # a person refused it after review; the customer is told
    CANCELLED = "cancelled"  # the payment failed or was cancelled


class OrderEvent(StrEnum):
    """What happens to an order."""

    FLAGGED = "flagged"  # the fraud score asks for a person's review
    PAID = "paid"
    PAYMENT_FAILED = "payment_failed"
    APPROVED = "approved"  # a person cleared the review
    REFUSED = "refused"  # a person refused after review
    SHIPPED = "shipped"


class IllegalTransition(ValueError):
    """The event cannot happen to an order in this status."""

    def __init__(self, status: OrderStatus, event: OrderEvent) -> None:
        super().__init__(f"an order that is {status.value} cannot be {event.value}")
        self.status, self.event = status, event


_S, _E = OrderStatus, OrderEvent
# (status, event, paid?) → new status; "paid" matters only where the outcome depends on it
_TRANSITIONS: Mapping[tuple[OrderStatus, OrderEvent], OrderStatus] = MappingProxyType(
    {
        (_S.PLACED, _E.FLAGGED): _S.IN_REVIEW,
        (_S.PLACED, _E.PAID): _S.CONFIRMED,
        (_S.PLACED, _E.PAYMENT_FAILED): _S.CANCELLED,
        (_S.IN_REVIEW, _E.PAID): _S.IN_REVIEW,  # paid, still for the person to decide
        (_S.IN_REVIEW, _E.PAYMENT_FAILED): _S.CANCELLED,
        (_S.IN_REVIEW, _E.REFUSED): _S.REFUSED,
        (_S.CONFIRMED, _E.SHIPPED): _S.SHIPPED,
        # a provider may repeat a report: the same outcome, nothing changes
        (_S.CONFIRMED, _E.PAID): _S.CONFIRMED,
        (_S.SHIPPED, _E.PAID): _S.SHIPPED,
        (_S.CANCELLED, _E.PAYMENT_FAILED): _S.CANCELLED,
        (_S.REFUSED, _E.PAID): _S.REFUSED,
        (_S.REFUSED, _E.PAYMENT_FAILED): _S.REFUSED,
    }
)


def next_status(status: OrderStatus, event: OrderEvent, *, paid: bool = False) -> OrderStatus:
    """The status after ``event``; IllegalTransition when the table has no such step."""
    if status is OrderStatus.IN_REVIEW and event is OrderEvent.APPROVED:
        return OrderStatus.CONFIRMED if paid else OrderStatus.PLACED
    found = _TRANSITIONS.get((status, event))
    if found is None:
        raise IllegalTransition(status, event)
    return found


@dataclass(frozen=True, slots=True)
class Product:
    """A product of the demo catalogue; the price includes VAT, in euro cents."""

    id: str
    name: str  # a msgid: the catalogue translates it
    price_cents: int


PRODUCTS: Mapping[str, Product] = MappingProxyType(
    {
        p.id: p
        for p in (
            Product("snom-d785", N_("Snom D785 desk phone"), 24900),
            Product("yealink-w73p", N_("Yealink W73P DECT phone"), 13900),
            Product("headset-usb", N_("USB headset"), 4950),
            Product("router-5g", N_("5G business router"), 69900),
        )
    }
)
MAX_QUANTITY = 20
VAT_PERCENT = 21  # the Dutch standard rate (Wet OB 1968 art. 9)
# the countries the carriers deliver to (ISO 3166-1 alpha-2)
COUNTRIES: tuple[str, ...] = ("NL", "BE", "DE", "LU")


def vat_included(total_cents: int, percent: int = VAT_PERCENT) -> tuple[int, int]:
    """(net, VAT) of a price that includes VAT, rounded to the cent (half up)."""
    vat = (total_cents * percent * 2 + (100 + percent)) // ((100 + percent) * 2)
    return total_cents - vat, vat


def financial_year_end(day: date) -> datetime:
    """The end of the financial year ``day`` falls in (a calendar year): AWR art. 52(4)
    counts the seven years of an invoice from there (LEGAL L34)."""
    return datetime(day.year + 1, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class DeliveryAddress:
    """Where an order goes, and to whom."""

    name: str
    street: str
    postal_code: str
    city: str
    country: str  # ISO 3166-1 alpha-2
    phone: str | None = None  # optional at checkout (L30)


# L33, art. 28: the carrier gets what delivery needs, nothing else (never the e-mail address,
# the order's contents, the comment or the payment)
CARRIER_FIELDS: tuple[str, ...] = ("name", "street", "postal_code", "city", "country")


def carrier_payload(address: DeliveryAddress, *, phone_needed: bool) -> dict[str, str]:
    """What the carrier is handed for one parcel: the delivery fields, and the phone number
    only when the carrier needs it (the policy lists it for shipping) and it was given."""
    payload = {field: getattr(address, field) for field in CARRIER_FIELDS}
    if phone_needed and address.phone:
        payload["phone"] = address.phone
    return payload
