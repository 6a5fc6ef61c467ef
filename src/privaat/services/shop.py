"""The web shop (issue 12 item 3, P8, L30-L34): orders, invoices, shipments.

    check_out(command, buyer?) ── one writing transaction under shop_orders:
        │   a guest (no account) becomes a subject of their own, with its own key
        ├── the order: name, delivery address, e-mail, phone (optional), comment — each
        │   through the text rule, which refuses card numbers (L30, L31) — and the payment
        │   provider's reference; never card data
        ├── FraudChecks.assess (fraud_detection): a high score → "in review", never refused
        └── the confirmation mail (outbox), saying a person looks at it when in review
    payment_callback(provider, key id, signature, body) ── HMAC-SHA256 under the key's
        │   secret; the same report twice changes nothing; "paid" issues the invoice
        └── the invoice (tax_records, HOLD): kept seven years from the end of its
            financial year, after the person's erasure too (L34)
    review(staff, reference, decision, reason) ── the fraud team only; a refusal is told
    ship(staff, reference, carrier) ── the carrier's payload (domain.shop, L33), recorded as
        a disclosure to the ``carriers`` recipient (shop_shipments, access log SEND; P11)

A provider's callback secret is derived from the system's index key and the key's id (an
HMAC), so it is shown once by ``privaat shop payment-key add`` and stored nowhere.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.engine import Row

from privaat.domain.clock import Clock
from privaat.domain.fraud import Decision
from privaat.domain.principal import DataSubject, Principal, StaffMember, StaffRole, SystemJob
from privaat.domain.shop import (
    COUNTRIES,
    MAX_QUANTITY,
    PRODUCTS,
    DeliveryAddress,
    IllegalTransition,
    OrderEvent,
    OrderStatus,
    PaymentProvider,
    PaymentStatus,
    carrier_payload,
    financial_year_end,
    next_status,
    vat_included,
)
from privaat.domain.subject import SubjectState
from privaat.domain.transfers import may_transfer
from privaat.i18n import N_, translations
from privaat.mail.transport import OutgoingMail
from privaat.policy.schema import Policy
from privaat.services.contact_fields import normalise_email, normalise_phone, normalise_postal_code
from privaat.services.errors import Conflict, InvalidField, NotPermitted, ServiceError
from privaat.services.fraud import CheckedOrder, FraudChecks, ScoreView
from privaat.services.geo import GeoLocator
from privaat.services.notifier import Notifier
from privaat.services.outbox import queue
from privaat.services.rate_limit import AttemptLimiter, Limit
from privaat.services.subject_access import Opened, Operation, SubjectAccess
from privaat.services.text_fields import MultiLine, SingleLine
from privaat.store.key_store import KeyStore
from privaat.store.tables_shop import (
    SHIPPING,
    SHOP,
    TAX,
    fraud_scores,
    shop_invoices,
    shop_order_lines,
    shop_orders,
    shop_payment_keys,
    shop_shipments,
)
from privaat.store.unit_of_work import UnitOfWork

__all__ = [
    "CARRIERS_RECIPIENT",
    "CallbackRefused",
    "CheckoutCommand",
    "OrderNotFound",
    "OrderView",
    "PaymentReport",
    "Placed",
    "Shipment",
    "Shop",
]

CARRIERS_RECIPIENT = "carriers"  # the policy's recipient of the shipping activity
CHECKOUT = SystemJob("web-shop")  # makes a guest's subject before it exists
# per attempt window (15 minutes) and IP address: each guest order makes a subject with a
# key, so one address cannot fill the database; an office behind NAT still has room
MAX_GUEST_ORDERS_PER_IP = 50
_REFERENCE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no digits: no reference looks like a number
_ENCRYPTED = ("name", "street", "postal_code", "city", "country", "phone", "email", "comment")


class OrderNotFound(ServiceError):
    """No order of that reference (or none the caller may see)."""

    def __init__(self) -> None:
        super().__init__("no such order")


class CallbackRefused(ServiceError):
    """A payment callback without a valid key id and signature (401)."""


def _email(value: str) -> str:
    return normalise_email(value)


def _product_lines(value: Mapping[str, int]) -> Mapping[str, int]:
    lines = {product: quantity for product, quantity in value.items() if quantity}
    if not lines:
        raise ValueError("choose at least one product")
    for product, quantity in lines.items():
        if product not in PRODUCTS:
            raise ValueError(f"no product {product!r} in the shop")
        if not 0 < quantity <= MAX_QUANTITY:
            raise ValueError(f"order 1 to {MAX_QUANTITY} of a product")
    return lines


_Line = Annotated[str, Field(min_length=1, max_length=200), SingleLine]


class CheckoutCommand(BaseModel):
    """What checkout asks, and no more (L30): the contract's and the carrier's fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lines: Annotated[dict[str, int], AfterValidator(_product_lines)]
    name: _Line
    street: _Line
    country: Annotated[str, Field(min_length=2, max_length=2)] = "NL"
    postal_code: Annotated[str, Field(min_length=1, max_length=20), SingleLine]
    city: _Line
    email: Annotated[str, Field(min_length=3, max_length=254), SingleLine, AfterValidator(_email)]
    phone: Annotated[str, Field(max_length=40), SingleLine] | None = None
    comment: Annotated[str, Field(max_length=1000), MultiLine] | None = None
    provider: PaymentProvider
    language: Literal["nl", "en"] = "nl"

    @field_validator("country")
    @classmethod
    def _country(cls, value: str) -> str:
        if value.upper() not in COUNTRIES:
            raise ValueError(f"we deliver to {', '.join(COUNTRIES)}")
        return value.upper()

    @field_validator("postal_code")
    @classmethod
    def _postal_code(cls, value: str, info: ValidationInfo) -> str:
        return normalise_postal_code(value, info.data.get("country", "NL"))

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else normalise_phone(value, info.data.get("country", "NL"))


@dataclass(frozen=True, slots=True)
class Placed:
    """A new order: its reference, status, the payment reference, and for a guest the token
    that opens its confirmation page in their browser."""

    reference: str
    status: OrderStatus
    provider: PaymentProvider
    payment_reference: str
    view_token: str | None
    in_review: bool


@dataclass(frozen=True, slots=True)
class OrderLine:
    product: str
    quantity: int
    price_cents: int


@dataclass(frozen=True, slots=True)
class OrderView:
    """One order as its buyer or the staff see it (decrypted through the seam)."""

    reference: str
    subject_id: int
    guest: bool
    status: OrderStatus
    placed_at: datetime
    total_cents: int
    provider: PaymentProvider
    payment_reference: str
    payment_status: PaymentStatus
    address: DeliveryAddress
    email: str
    comment: str | None
    lines: tuple[OrderLine, ...]
    invoice: str | None  # the invoice number once paid
    shipped_to: str | None  # the carrier, once shipped


@dataclass(frozen=True, slots=True)
class OrderRow:
    """One order in a list: nothing personal but its reference, status and amounts."""

    reference: str
    status: OrderStatus
    placed_at: datetime
    total_cents: int
    payment_status: PaymentStatus
    score: int | None


@dataclass(frozen=True, slots=True)
class PaymentReport:
    """The outcome of a provider's callback."""

    reference: str
    payment_status: PaymentStatus
    status: OrderStatus
    changed: bool  # False: the same report again (idempotent)


@dataclass(frozen=True, slots=True)
class Shipment:
    """What the carrier was handed, and that it was recorded as a disclosure."""

    reference: str
    carrier: str
    recipient: str
    payload: Mapping[str, str]
    handed_at: datetime


# the order's mails, in the buyer's language (msgids of the catalogue)
_MAILS: Mapping[str, tuple[str, str]] = {
    "order_placed": (
        N_("Your order {reference}"),
        N_(
            "Thank you for your order {reference} of €{amount}. Pay at {provider} with payment "
            "reference {payment}. You can follow your order at {link}."
        ),
    ),
    "order_in_review": (
        N_("Your order {reference} is being checked"),
        N_(
            "Thank you for your order {reference}. Before we send it, a person of our team "
            "will look at it: we check orders against fraud. No computer refuses your order. "
            "We will let you know the outcome. You can follow your order at {link}."
        ),
    ),
    "order_approved": (
        N_("Your order {reference} is approved"),
        N_("A person of our team checked your order {reference} and approved it. {link}"),
    ),
    "order_refused": (
        N_("Your order {reference} was refused"),
        N_(
            "A person of our team checked your order {reference} and refused it: {reason} "
            "You can ask us to explain the decision, give your view and contest it at {contact}. "
            "Any payment is refunded."
        ),
    ),
}


def _new_reference() -> str:
    return "B-" + "".join(secrets.choice(_REFERENCE_LETTERS) for _ in range(8))


def _token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode("ascii")).digest()


def _euros(cents: int) -> str:
    return f"{cents // 100},{cents % 100:02d}"


class Shop:
    """Orders with only what the contract and the carrier need; payment as a provider reference."""

    activities: frozenset[str] = frozenset({"shop_orders", "tax_records", "shipping"})

    def __init__(
        self,
        *,
        access: SubjectAccess,
        keys: KeyStore,
        policy: Policy,
        clock: Clock,
        notifier: Notifier,
        base_url: str,
        geo: GeoLocator,
        fraud: FraudChecks,
        limiter: AttemptLimiter,
    ) -> None:
        self._access, self._keys, self._policy, self._clock = access, keys, policy, clock
        self._notifier, self._base_url = notifier, base_url.rstrip("/")
        self._geo, self._fraud, self._limiter = geo, fraud, limiter
        shipping = next((a for a in policy.activities if a.id == SHIPPING), None)
        # L33: the phone goes to the carrier only if the policy lists it for shipping
        self._phone_to_carrier = shipping is not None and "phone_number" in shipping.data_categories

    @property
    def fraud(self) -> FraudChecks:
        return self._fraud

    # --- checkout ------------------------------------------------------------------------

    def check_out(
        self,
        uow: UnitOfWork,
        command: CheckoutCommand,
        *,
        buyer: DataSubject | None,
        ip: str | None,
    ) -> Placed:
        """Place the order in one transaction: the order, its lines, its fraud score, its
        mail; a guest becomes a subject of their own. Nothing is stored when any step fails."""
        now = self._clock.now()
        lines = [(PRODUCTS[p], q) for p, q in command.lines.items()]
        total = sum(product.price_cents * quantity for product, quantity in lines)
        reference = _new_reference()
        payment = f"{command.provider.value}-{secrets.token_urlsafe(18)}"
        view_token = None if buyer is not None else secrets.token_urlsafe(32)
        if buyer is None and ip:
            # TooManyAttempts (429) before anything of the guest is written
            with uow.writing() as connection:
                index = self._keys.blind_index(connection)
            self._limiter.take(
                uow, [Limit(index.value("shop-guest-ip", ip), MAX_GUEST_ORDERS_PER_IP)]
            )
        with uow.writing() as connection:
            if buyer is None:
                opened = self._access.create(
                    connection, CHECKOUT, SHOP, state=SubjectState.visitor()
                )
                principal: Principal = DataSubject(opened.subject_id)
            else:
                opened = self._access.open(
                    connection, buyer, buyer.subject_id, SHOP, operation=Operation.WRITE
                )
                principal = buyer
            cipher = opened.cipher
            values = {
                name: getattr(command, name)
                for name in _ENCRYPTED
                if getattr(command, name) is not None
            }
            order_id: int = connection.execute(
                insert(shop_orders)
                .values(
                    reference=reference,
                    subject_id=opened.subject_id,
                    guest=buyer is None,
                    status=OrderStatus.PLACED.value,
                    placed_at=now,
                    total_cents=total,
                    payment_provider=command.provider.value,
                    payment_reference=payment,
                    payment_status=PaymentStatus.PENDING.value,
                    language=command.language,
                    view_token_hash=None if view_token is None else _token_hash(view_token),
                    **{
                        f"{name}_enc": cipher.encrypt(f"shop_orders.{name}", value)
                        for name, value in values.items()
                    },
                )
                .returning(shop_orders.c.id)
            ).scalar_one()
            connection.execute(
                insert(shop_order_lines),
                [
                    {
                        "order_id": order_id,
                        "subject_id": opened.subject_id,
                        "placed_at": now,
                        "product": product.id,
                        "quantity": quantity,
                        "price_cents": product.price_cents,
                    }
                    for product, quantity in lines
                ],
            )
            assessment = self._fraud.assess(
                connection,
                principal,
                CheckedOrder(
                    order_id=order_id,
                    subject_id=opened.subject_id,
                    email=command.email,
                    ip=ip,
                    street=command.street,
                    postal_code=command.postal_code,
                    country=command.country,
                    delivery_name=command.name,
                    total_cents=total,
                ),
            )
            status = OrderStatus.PLACED
            if assessment.needs_review:
                # L32: a person looks at it; the score refuses nothing
                status = next_status(status, OrderEvent.FLAGGED)
                connection.execute(
                    update(shop_orders)
                    .where(shop_orders.c.id == order_id)
                    .values(status=status.value)
                )
            self._mail(
                connection,
                opened,
                "order_in_review" if assessment.needs_review else "order_placed",
                to=command.email,
                lang=command.language,
                reference=reference,
                amount=_euros(total),
                provider={"sisow": "Sisow", "paypal": "PayPal"}[command.provider.value],
                payment=payment,
            )
        return Placed(
            reference,
            status,
            command.provider,
            payment,
            view_token,
            in_review=assessment.needs_review,
        )

    # --- reading -------------------------------------------------------------------------

    def orders_of(self, uow: UnitOfWork, subject: DataSubject) -> list[OrderRow]:
        """The person's own orders, newest first."""
        with uow.reading() as connection:
            self._access.open(connection, subject, subject.subject_id, SHOP)
            return self._rows(connection, shop_orders.c.subject_id == subject.subject_id)

    def order(self, uow: UnitOfWork, principal: Principal, reference: str) -> OrderView:
        """One order, decrypted under shop_orders; OrderNotFound when the principal (a data
        subject) is not its buyer."""
        with uow.reading() as connection:
            row = self._find(connection, reference)
            if isinstance(principal, DataSubject) and principal.subject_id != row.subject_id:
                raise OrderNotFound()
            return self._view(connection, principal, row)

    def order_by_token(self, uow: UnitOfWork, reference: str, token: str | None) -> OrderView:
        """A guest's order, opened by the token its browser holds; OrderNotFound otherwise."""
        if not token:
            raise OrderNotFound()
        with uow.reading() as connection:
            row = self._find(connection, reference)
            stored = row.view_token_hash
            if stored is None or not hmac.compare_digest(bytes(stored), _token_hash(token)):
                raise OrderNotFound()
            return self._view(connection, DataSubject(row.subject_id), row)

    def exists(self, uow: UnitOfWork, reference: str) -> bool:
        """Whether an order of this reference exists (nothing of it is opened)."""
        with uow.reading() as connection:
            found = connection.execute(
                select(shop_orders.c.id).where(shop_orders.c.reference == reference)
            ).first()
        return found is not None

    def all_orders(self, uow: UnitOfWork, *, in_review: bool = False) -> list[OrderRow]:
        """Every order (or those in review), newest first: references and amounts only."""
        with uow.reading() as connection:
            where = (
                shop_orders.c.status == OrderStatus.IN_REVIEW.value
                if in_review
                else shop_orders.c.id.is_not(None)
            )
            return self._rows(connection, where)

    def score_of(self, uow: UnitOfWork, staff: StaffMember, reference: str) -> ScoreView | None:
        """The order's score and reasons: for the fraud team only (L32)."""
        if staff.role is not StaffRole.FRAUD:
            raise NotPermitted("only the fraud team sees scores and their reasons")
        with uow.reading() as connection:
            row = self._find(connection, reference)
            return self._fraud.score_of(connection, staff, row.subject_id, row.id)

    # --- the fraud team's review ---------------------------------------------------------

    def review(
        self,
        uow: UnitOfWork,
        staff: StaffMember,
        reference: str,
        decision: Decision,
        reason: str,
    ) -> OrderStatus:
        """A person's decision on an order in review, with a reason; the customer is told."""
        if staff.role is not StaffRole.FRAUD:
            raise NotPermitted("only the fraud team decides a review")
        if decision is Decision.NONE:
            raise InvalidField("decision", "approve or refuse")
        if not reason.strip():
            raise InvalidField("reason", "cannot be empty")
        with uow.writing() as connection:
            row = self._find(connection, reference)
            event = OrderEvent.APPROVED if decision is Decision.APPROVED else OrderEvent.REFUSED
            try:
                status = next_status(
                    OrderStatus(row.status),
                    event,
                    paid=row.payment_status == PaymentStatus.PAID.value,
                )
            except IllegalTransition as error:
                raise Conflict(str(error)) from None
            self._fraud.record_decision(connection, staff, row.subject_id, row.id, decision, reason)
            opened = self._access.open(
                connection, staff, row.subject_id, SHOP, operation=Operation.WRITE
            )
            connection.execute(
                update(shop_orders).where(shop_orders.c.id == row.id).values(status=status.value)
            )
            to = opened.decrypt("shop_orders.email", row.email_enc) or ""
            self._mail(
                connection,
                opened,
                "order_refused" if decision is Decision.REFUSED else "order_approved",
                to=to,
                lang=row.language,
                reference=reference,
                reason=reason,
            )
        return status

    # --- payment -------------------------------------------------------------------------

    def add_payment_key(self, uow: UnitOfWork, provider: PaymentProvider) -> tuple[str, str]:
        """A new callback key for ``provider``: (key id, secret); the secret is shown once."""
        key_id = secrets.token_hex(8)
        with uow.writing() as connection:
            connection.execute(
                insert(shop_payment_keys).values(
                    key_id=key_id, provider=provider.value, created_at=self._clock.now()
                )
            )
            secret = self._secret(connection, key_id)
        return key_id, secret

    def revoke_payment_key(self, uow: UnitOfWork, key_id: str) -> bool:
        """Revoke a callback key; False when there is no live key of that id."""
        with uow.writing() as connection:
            done = connection.execute(
                update(shop_payment_keys)
                .where(
                    shop_payment_keys.c.key_id == key_id, shop_payment_keys.c.revoked_at.is_(None)
                )
                .values(revoked_at=self._clock.now())
            ).rowcount
        return bool(done)

    def payment_callback(
        self,
        uow: UnitOfWork,
        provider: str,
        *,
        key_id: str | None,
        signature: str | None,
        body: bytes,
    ) -> PaymentReport:
        """Apply a provider's signed status report; the same report again changes nothing."""
        try:
            known = PaymentProvider(provider)
        except ValueError:
            raise InvalidField("provider", "not a payment provider of the shop") from None
        self._verify(uow, known, key_id, signature, body)
        reference, reported = _parse_report(body)
        principal = SystemJob(f"payment-{known.value}")
        with uow.writing() as connection:
            row = connection.execute(
                select(shop_orders).where(
                    shop_orders.c.payment_reference == reference,
                    shop_orders.c.payment_provider == known.value,
                )
            ).first()
            if row is None:
                raise OrderNotFound()
            current = PaymentStatus(row.payment_status)
            status = OrderStatus(row.status)
            if current is reported:
                return PaymentReport(row.reference, current, status, changed=False)
            if current.final or reported is PaymentStatus.PENDING:
                raise Conflict(
                    f"the payment is {current.value} already and cannot become {reported.value}"
                )
            event = OrderEvent.PAID if reported is PaymentStatus.PAID else OrderEvent.PAYMENT_FAILED
            try:
                status = next_status(status, event)
            except IllegalTransition as error:
                raise Conflict(str(error)) from None
            opened = self._access.open(
                connection, principal, row.subject_id, SHOP, operation=Operation.WRITE
            )
            connection.execute(
                update(shop_orders)
                .where(shop_orders.c.id == row.id)
                .values(
                    payment_status=reported.value,
                    payment_updated_at=self._clock.now(),
                    status=status.value,
                )
            )
            if reported is PaymentStatus.PAID:
                self._invoice(connection, principal, opened, row)
        return PaymentReport(row.reference, reported, status, changed=True)

    def sign(self, uow: UnitOfWork, key_id: str, body: bytes) -> str:
        """The signature a provider sends for ``body`` with the key ``key_id`` (for tests and
        the demo: the provider computes it with the secret it was given)."""
        with uow.writing() as connection:
            secret = self._secret(connection, key_id)
        return hmac.new(bytes.fromhex(secret), body, hashlib.sha256).hexdigest()

    # --- shipping ------------------------------------------------------------------------

    def ship(self, uow: UnitOfWork, staff: StaffMember, reference: str, carrier: str) -> Shipment:
        """Hand a confirmed order to the carrier: the minimum fields (L33), recorded as a
        disclosure to the ``carriers`` recipient (P11) and in the access log (SEND)."""
        carrier = carrier.strip()
        if not carrier or len(carrier) > 32 or not carrier.replace(" ", "").isalnum():
            raise InvalidField("carrier", "name the carrier (letters and digits, at most 32)")
        now = self._clock.now()
        with uow.writing() as connection:
            row = self._find(connection, reference)
            try:
                status = next_status(OrderStatus(row.status), OrderEvent.SHIPPED)
            except IllegalTransition as error:
                raise Conflict(str(error)) from None
            opened = self._access.open(
                connection, staff, row.subject_id, SHIPPING, operation=Operation.SEND
            )
            address = self._address(opened, row)
            # P13, L37: every handover passes the transfer seam (the carriers' country)
            recipient, country = self._carrier()
            handover = may_transfer(self._policy, recipient, country, None, now=now)
            if not handover.allowed:  # the console shows it at the form, as any conflict
                raise Conflict(handover.detail)
            payload = carrier_payload(address, phone_needed=self._phone_to_carrier)
            connection.execute(
                insert(shop_shipments).values(
                    order_id=row.id,
                    subject_id=row.subject_id,
                    recipient=CARRIERS_RECIPIENT,
                    carrier=carrier,
                    handed_fields=",".join(payload),
                    handed_at=now,
                )
            )
            connection.execute(
                update(shop_orders).where(shop_orders.c.id == row.id).values(status=status.value)
            )
        return Shipment(reference, carrier, CARRIERS_RECIPIENT, payload, now)

    # --- the steps -----------------------------------------------------------------------

    def _carrier(self) -> tuple[str, str]:
        """The catalogue's carrier recipient and its country: ``carriers``, or else the
        shipping activity's first recipient (another provider names its carrier, e.g. PostNL)."""
        known = {r.id: r for r in self._policy.recipients}
        shipping = next((a for a in self._policy.activities if a.id == SHIPPING), None)
        named = shipping.recipients if shipping is not None else ()
        chosen = CARRIERS_RECIPIENT if CARRIERS_RECIPIENT in known or not named else named[0]
        target = known.get(chosen)
        country = target.country if target is not None else None
        return chosen, country or self._policy.controller.address.country

    def _find(self, connection: Connection, reference: str) -> Row[Any]:
        row = connection.execute(
            select(shop_orders).where(shop_orders.c.reference == reference)
        ).first()
        if row is None:
            raise OrderNotFound()
        return row

    def _rows(self, connection: Connection, where: Any) -> list[OrderRow]:
        rows = connection.execute(
            select(
                shop_orders.c.reference,
                shop_orders.c.status,
                shop_orders.c.placed_at,
                shop_orders.c.total_cents,
                shop_orders.c.payment_status,
                fraud_scores.c.score,
            )
            .select_from(
                shop_orders.outerjoin(fraud_scores, fraud_scores.c.order_id == shop_orders.c.id)
            )
            .where(where)
            .order_by(shop_orders.c.placed_at.desc(), shop_orders.c.id.desc())
        ).all()
        return [
            OrderRow(
                r.reference,
                OrderStatus(r.status),
                r.placed_at,
                r.total_cents,
                PaymentStatus(r.payment_status),
                r.score,
            )
            for r in rows
        ]

    def _address(self, opened: Opened, row: Row[Any]) -> DeliveryAddress:
        def clear(name: str) -> str | None:
            return opened.decrypt(f"shop_orders.{name}", getattr(row, f"{name}_enc"))

        return DeliveryAddress(
            name=clear("name") or "",
            street=clear("street") or "",
            postal_code=clear("postal_code") or "",
            city=clear("city") or "",
            country=clear("country") or "",
            phone=clear("phone"),
        )

    def _view(self, connection: Connection, principal: Principal, row: Row[Any]) -> OrderView:
        opened = self._access.open(connection, principal, row.subject_id, SHOP)
        lines = connection.execute(
            select(shop_order_lines)
            .where(shop_order_lines.c.order_id == row.id)
            .order_by(shop_order_lines.c.id)
        ).all()
        invoice = connection.execute(
            select(shop_invoices.c.number).where(shop_invoices.c.order_id == row.id)
        ).scalar()
        carrier = connection.execute(
            select(shop_shipments.c.carrier).where(shop_shipments.c.order_id == row.id)
        ).scalar()
        return OrderView(
            reference=row.reference,
            subject_id=row.subject_id,
            guest=row.guest,
            status=OrderStatus(row.status),
            placed_at=row.placed_at,
            total_cents=row.total_cents,
            provider=PaymentProvider(row.payment_provider),
            payment_reference=row.payment_reference,
            payment_status=PaymentStatus(row.payment_status),
            address=self._address(opened, row),
            email=opened.decrypt("shop_orders.email", row.email_enc) or "",
            comment=opened.decrypt("shop_orders.comment", row.comment_enc),
            lines=tuple(OrderLine(r.product, r.quantity, r.price_cents) for r in lines),
            invoice=invoice,
            shipped_to=carrier,
        )

    def _invoice(
        self, connection: Connection, principal: Principal, opened: Opened, row: Row[Any]
    ) -> None:
        """The invoice of a paid order, under tax_records and the subject's hold key (L34)."""
        held = self._access.open_held(
            connection, principal, row.subject_id, TAX, operation=Operation.WRITE
        )
        address = self._address(opened, row)
        today = self._clock.now().date()
        count = connection.execute(
            select(func.count())
            .select_from(shop_invoices)
            .where(shop_invoices.c.number.like(f"F{today.year}-%"))
        ).scalar_one()
        lines = connection.execute(
            select(shop_order_lines).where(shop_order_lines.c.order_id == row.id)
        ).all()
        described = [
            {"product": r.product, "quantity": r.quantity, "price_cents": r.price_cents}
            for r in lines
        ]
        where = ", ".join(
            part
            for part in (address.street, f"{address.postal_code} {address.city}", address.country)
            if part.strip()
        )
        net, vat = vat_included(row.total_cents)
        cipher = held.cipher
        connection.execute(
            insert(shop_invoices).values(
                number=f"F{today.year}-{int(count) + 1:06d}",
                order_id=row.id,
                subject_id=row.subject_id,
                issued_on=today,
                year_end=financial_year_end(today),
                name_enc=cipher.encrypt("shop_invoices.name", address.name),
                address_enc=cipher.encrypt("shop_invoices.address", where),
                lines_enc=cipher.encrypt("shop_invoices.lines", json.dumps(described)),
                net_cents=net,
                vat_cents=vat,
                total_cents=row.total_cents,
            )
        )

    def _mail(
        self,
        connection: Connection,
        opened: Opened,
        template: str,
        *,
        to: str,
        lang: str,
        reference: str,
        **values: str,
    ) -> None:
        gettext = translations(lang).gettext
        subject, body = _MAILS[template]
        words = {
            "reference": reference,
            "link": f"{self._base_url}/shop/orders/{reference}",
            "contact": self._policy.privacy_contact.email,
            **values,
        }
        queue(
            connection,
            opened,
            template=template,
            mail=OutgoingMail(
                to=to,
                subject=gettext(subject).format(**words),
                body=gettext(body).format(**words),
            ),
            at=self._clock.now(),
        )

    def _secret(self, connection: Connection, key_id: str) -> str:
        # HMAC of the key id under the system's index key: the same secret each time, kept
        # nowhere, useless without the master key
        return self._keys.blind_index(connection).value("shop-payment-key", key_id).hex()

    def _verify(
        self,
        uow: UnitOfWork,
        provider: PaymentProvider,
        key_id: str | None,
        signature: str | None,
        body: bytes,
    ) -> None:
        if not key_id or not signature:
            raise CallbackRefused("a callback needs its key id and signature")
        with uow.writing() as connection:
            row = connection.execute(
                select(shop_payment_keys).where(
                    shop_payment_keys.c.key_id == key_id[:32],
                    shop_payment_keys.c.provider == provider.value,
                    shop_payment_keys.c.revoked_at.is_(None),
                )
            ).first()
            secret = self._secret(connection, key_id[:32])
        expected = hmac.new(bytes.fromhex(secret), body, hashlib.sha256).hexdigest()
        given = signature.removeprefix("sha256=").strip().lower()
        # compare even for an unknown key: no timing difference tells which keys exist
        if not hmac.compare_digest(expected, given) or row is None:
            raise CallbackRefused("the signature does not match the key")


def _parse_report(body: bytes) -> tuple[str, PaymentStatus]:
    try:
        document = json.loads(body)
    except ValueError:
        raise InvalidField("body", "not a JSON document") from None
    if not isinstance(document, dict):
        raise InvalidField("body", "a JSON object with payment_reference and status")
    unknown = set(document) - {"payment_reference", "status"}
    if unknown:
        raise InvalidField(sorted(unknown)[0], "not a field of a payment report")
    reference = document.get("payment_reference")
    if not isinstance(reference, str) or not 1 <= len(reference) <= 40:
        raise InvalidField("payment_reference", "the order's payment reference (1-40 characters)")
    try:
        status = PaymentStatus(str(document.get("status")))
    except ValueError:
        raise InvalidField("status", "one of pending, paid, failed, cancelled") from None
    return reference, status
