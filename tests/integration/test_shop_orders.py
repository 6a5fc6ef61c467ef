"""The web shop's orders through the services (issue 12 items 3-4; P8, P11; LEGAL L30, L32-L34):
checkout of guests and account holders, the fraud review by a person, the carrier's payload,
the invoice that outlives the erasure, and the order and its score in the access export."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.factories import customer

from privaat.bootstrap import Context
from privaat.domain.clock import FixedClock
from privaat.domain.fraud import Decision, ReasonCode
from privaat.domain.principal import DataSubject, StaffMember, StaffRole
from privaat.domain.shop import OrderStatus, PaymentProvider, PaymentStatus
from privaat.services import shop as shop_module
from privaat.services.errors import Conflict, NotPermitted, TooManyAttempts
from privaat.services.shop import CheckoutCommand, Placed
from privaat.services.subject_export import SubjectExport
from privaat.store.holders import holders
from privaat.store.tables import access_log, subjects
from privaat.store.tables_shop import (
    fraud_scores,
    shop_invoices,
    shop_order_lines,
    shop_orders,
    shop_shipments,
)

OFFICER = StaffMember(1, StaffRole.PRIVACY_OFFICER)
FRAUD_TEAM = StaffMember(2, StaffRole.FRAUD)
SUPPORT = StaffMember(3, StaffRole.SUPPORT)
ADDRESS: dict[str, Any] = {
    "name": "Anna de Vries",
    "street": "Oosterheemplein 2a",
    "postal_code": "2721na",
    "city": "Zoetermeer",
    "country": "NL",
}


def command(**overrides: Any) -> CheckoutCommand:
    fields: dict[str, Any] = {
        "lines": {"headset-usb": 2},
        **ADDRESS,
        "email": "anna@example.nl",
        "provider": "sisow",
        **overrides,
    }
    return CheckoutCommand.model_validate(fields)


def check_out(
    context: Context, buyer: DataSubject | None = None, ip: str = "145.97.0.1", **kw: Any
) -> Placed:
    with context.unit_of_work() as uow:
        return context.shop.check_out(uow, command(**kw), buyer=buyer, ip=ip)


def pay(context: Context, placed: Placed, status: str = "paid") -> Any:
    body = json.dumps({"payment_reference": placed.payment_reference, "status": status}).encode()
    with context.unit_of_work() as uow:
        key_id, _secret = context.shop.add_payment_key(uow, placed.provider)
        signature = context.shop.sign(uow, key_id, body)
        return context.shop.payment_callback(
            uow, placed.provider.value, key_id=key_id, signature=signature, body=body
        )


def mails(context: Context, template: str) -> list[Any]:
    return [mail for _id, t, mail in context.outbox.pending() if t == template]


def subject_of(context: Context, reference: str) -> int:
    with context.engine.connect() as connection:
        return int(
            connection.execute(
                select(shop_orders.c.subject_id).where(shop_orders.c.reference == reference)
            ).scalar_one()
        )


def test_l30_a_guest_order_holds_only_the_contracts_fields_and_a_subject_of_its_own(
    context: Context,
) -> None:
    placed = check_out(context)
    assert placed.status is OrderStatus.PLACED and placed.view_token
    with context.unit_of_work() as uow:
        view = context.shop.order_by_token(uow, placed.reference, placed.view_token)
    assert view.guest and view.address.postal_code == "2721 NA" and view.address.phone is None
    assert [(line.product, line.quantity) for line in view.lines] == [("headset-usb", 2)]
    assert view.total_cents == 9900 and view.payment_status is PaymentStatus.PENDING
    assert view.payment_reference.startswith("sisow-")
    # the columns of the order: the contract's fields, the payment as a reference only
    names = {c.name for c in shop_orders.columns}
    assert not {n for n in names if "card" in n or "cvv" in n or "iban" in n}
    [mail] = mails(context, "order_placed")
    assert mail.to == "anna@example.nl" and placed.reference in mail.body


def test_l30_the_phone_is_optional_and_normalised_when_given() -> None:
    assert command().phone is None
    assert command(phone="06 12345678").phone == "+31612345678"
    with pytest.raises(ValueError, match="phone"):
        command(phone="12")


def test_p8_an_account_holders_order_is_theirs_and_in_their_list(context: Context) -> None:
    jan = customer(context, name="Jan Jansen")
    placed = check_out(context, jan.principal, name="Jan Jansen")
    assert placed.view_token is None
    with context.unit_of_work() as uow:
        [row] = context.shop.orders_of(uow, jan.principal)
        other = customer(context)
        with pytest.raises(Exception, match="no such order"):
            context.shop.order(uow, other.principal, placed.reference)
    assert row.reference == placed.reference and row.score == 0


def test_l32_a_high_score_puts_the_order_in_review_and_tells_the_customer(
    context: Context,
) -> None:
    placed = check_out(context, email="klant@mailinator.com", lines={"router-5g": 1})
    assert placed.status is OrderStatus.IN_REVIEW and placed.in_review
    [mail] = mails(context, "order_in_review")
    assert mail.to == "klant@mailinator.com"
    # in the buyer's language (Dutch by default): a person looks, no computer refuses
    assert "kijkt een medewerker ernaar" in mail.body
    assert "Geen computer weigert uw bestelling" in mail.body
    with context.unit_of_work() as uow:
        score = context.shop.score_of(uow, FRAUD_TEAM, placed.reference)
        queue = context.shop.all_orders(uow, in_review=True)
    assert score is not None and score.decision is Decision.NONE
    assert {r.code for r in score.reasons} == {
        ReasonCode.DISPOSABLE_EMAIL,
        ReasonCode.FIRST_ORDER_HIGH_AMOUNT,
    }
    assert [r.reference for r in queue] == [placed.reference]
    # paid meanwhile: still the person's to decide, never cleared nor refused by the score
    assert pay(context, placed).status is OrderStatus.IN_REVIEW


def test_l32_only_the_fraud_team_sees_reasons_and_decides(context: Context) -> None:
    placed = check_out(context, email="klant@mailinator.com", lines={"router-5g": 1})
    with context.unit_of_work() as uow:
        with pytest.raises(NotPermitted):
            context.shop.score_of(uow, SUPPORT, placed.reference)
        with pytest.raises(NotPermitted):
            context.shop.review(uow, SUPPORT, placed.reference, Decision.REFUSED, "fraude")
    assert _status(context, placed.reference) is OrderStatus.IN_REVIEW


def test_l32_a_refusal_by_a_person_is_recorded_and_told(context: Context) -> None:
    placed = check_out(context, email="klant@mailinator.com", lines={"router-5g": 1})
    with context.unit_of_work() as uow:
        status = context.shop.review(
            uow, FRAUD_TEAM, placed.reference, Decision.REFUSED, "Het adres bestaat niet."
        )
        score = context.shop.score_of(uow, FRAUD_TEAM, placed.reference)
    assert status is OrderStatus.REFUSED
    assert score is not None and score.decision is Decision.REFUSED
    assert score.decided_by == FRAUD_TEAM.actor and score.decided_at is not None
    assert score.decision_reason == "Het adres bestaat niet."
    [mail] = mails(context, "order_refused")
    assert "Het adres bestaat niet." in mail.body and "euprivacy@" in mail.body
    with context.unit_of_work() as uow, pytest.raises(Conflict):
        context.shop.review(uow, FRAUD_TEAM, placed.reference, Decision.APPROVED, "toch goed")


def test_l32_approval_after_payment_confirms_the_order(context: Context) -> None:
    placed = check_out(context, email="klant@mailinator.com", lines={"router-5g": 1})
    pay(context, placed)
    with context.unit_of_work() as uow:
        status = context.shop.review(
            uow, FRAUD_TEAM, placed.reference, Decision.APPROVED, "Klant gebeld."
        )
    assert status is OrderStatus.CONFIRMED
    assert mails(context, "order_approved")


def test_l32_velocity_counts_other_orders_of_the_same_address_across_guests(
    context: Context, clock: FixedClock
) -> None:
    for _ in range(3):
        check_out(context)
        clock.advance(timedelta(minutes=5))
    fourth = check_out(context)
    with context.unit_of_work() as uow:
        score = context.shop.score_of(uow, FRAUD_TEAM, fourth.reference)
    assert score is not None
    codes = {r.code for r in score.reasons}
    assert {ReasonCode.VELOCITY_EMAIL, ReasonCode.VELOCITY_IP, ReasonCode.VELOCITY_ADDRESS} <= codes
    clock.advance(timedelta(hours=25))
    later = check_out(context)
    with context.unit_of_work() as uow:
        score = context.shop.score_of(uow, FRAUD_TEAM, later.reference)
    assert score is not None and score.reasons == ()


def test_l32_an_ip_abroad_for_a_dutch_address_is_a_reason(context: Context) -> None:
    placed = check_out(context, ip="8.8.8.8")  # a US address in the GeoIP data
    with context.unit_of_work() as uow:
        score = context.shop.score_of(uow, FRAUD_TEAM, placed.reference)
    assert score is not None
    [reason] = score.reasons
    assert reason.code is ReasonCode.COUNTRY_MISMATCH
    assert reason.facts == {"ip_country": "US", "country": "NL"}


def _status(context: Context, reference: str) -> OrderStatus:
    with context.engine.connect() as connection:
        return OrderStatus(
            connection.execute(
                select(shop_orders.c.status).where(shop_orders.c.reference == reference)
            ).scalar_one()
        )


def test_l33_p11_the_carrier_gets_exactly_the_delivery_fields_recorded_as_a_disclosure(
    context: Context,
) -> None:
    placed = check_out(context, phone="0612345678", comment="Bel aan bij de buren.")
    with context.unit_of_work() as uow, pytest.raises(Conflict):
        context.shop.ship(uow, SUPPORT, placed.reference, "PostNL")  # not paid yet
    pay(context, placed)
    context.access_log.flush()
    with context.unit_of_work() as uow:
        shipment = context.shop.ship(uow, SUPPORT, placed.reference, "PostNL")
    assert shipment.payload == {
        "name": "Anna de Vries",
        "street": "Oosterheemplein 2a",
        "postal_code": "2721 NA",
        "city": "Zoetermeer",
        "country": "NL",
    }
    assert shipment.recipient == "carriers"
    context.access_log.flush()
    with context.engine.connect() as connection:
        [row] = connection.execute(select(shop_shipments)).all()
        sent = connection.execute(
            select(access_log.c.activity, access_log.c.actor).where(
                access_log.c.operation == "send"
            )
        ).all()
    assert row.recipient == "carriers" and row.carrier == "PostNL"
    assert row.handed_fields == "name,street,postal_code,city,country"
    assert ("shipping", SUPPORT.actor) in [tuple(r) for r in sent]
    assert _status(context, placed.reference) is OrderStatus.SHIPPED


def test_l34_the_invoice_survives_the_erasure_while_the_orders_personal_data_goes(
    context: Context,
) -> None:
    placed = check_out(context)
    pay(context, placed)
    subject_id = subject_of(context, placed.reference)
    with context.unit_of_work() as uow:
        context.erasure.erase(uow, OFFICER, subject_id, ground="art. 17(1)(a)")
    with context.engine.connect() as connection:

        def count(table: Any) -> int:
            return int(
                connection.execute(
                    select(func.count()).select_from(table).where(table.c.subject_id == subject_id)
                ).scalar_one()
            )

        assert count(shop_orders) == count(shop_order_lines) == count(fraud_scores) == 0
        [invoice] = connection.execute(select(shop_invoices)).all()
        erased = connection.execute(
            select(subjects.c.erased_at).where(subjects.c.id == subject_id)
        ).scalar_one()
    assert erased is not None  # the tombstone names the held invoice
    assert invoice.order_id is None and invoice.total_cents == 9900
    assert invoice.vat_cents == 1718 and invoice.net_cents == 8182
    assert invoice.year_end.year == 2027  # seven years counted from the end of 2026
    # the held invoice is still readable, under the hold key, in the access export
    with context.unit_of_work() as uow:
        data = SubjectExport(access=context.access).collect(uow, OFFICER, subject_id)
    [held] = data.part("shop_invoices").rows  # type: ignore[union-attr]
    assert held["name"] == "Anna de Vries" and "Zoetermeer" in held["address"]
    assert data.part("shop_orders") is None


def test_l59_the_order_its_lines_and_its_score_are_in_the_access_export(
    context: Context,
) -> None:
    placed = check_out(context, email="klant@mailinator.com", lines={"router-5g": 1})
    subject_id = subject_of(context, placed.reference)
    with context.unit_of_work() as uow:
        data = SubjectExport(access=context.access).collect(
            uow, DataSubject(subject_id), subject_id
        )
    [order] = data.part("shop_orders").rows  # type: ignore[union-attr]
    assert order["name"] == "Anna de Vries" and order["email"] == "klant@mailinator.com"
    assert order["payment_provider"] == "sisow"
    [line] = data.part("shop_order_lines").rows  # type: ignore[union-attr]
    assert line["product"] == "router-5g"
    [score] = data.part("fraud_scores").rows  # type: ignore[union-attr]
    assert score["score"] == 65
    codes = {reason["code"] for reason in json.loads(score["reasons"])}
    assert codes == {"disposable_email", "first_order_high_amount"}


def test_p8_a_payment_report_applies_once_and_a_contradiction_is_refused(
    context: Context,
) -> None:
    placed = check_out(context, provider=PaymentProvider.PAYPAL.value)
    first = pay(context, placed)
    again = pay(context, placed)
    assert first.changed and not again.changed and again.status is OrderStatus.CONFIRMED
    with context.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(shop_invoices)).scalar() == 1
    with pytest.raises(Conflict):
        pay(context, placed, "failed")


def test_p8_a_failed_payment_cancels_the_order(context: Context) -> None:
    placed = check_out(context)
    assert pay(context, placed, "cancelled").status is OrderStatus.CANCELLED


def test_l34_the_invoice_goes_seven_years_after_the_end_of_its_financial_year(
    context: Context,
) -> None:
    placed = check_out(context)
    pay(context, placed)
    [holder] = [h for h in holders() if h.table.name == "shop_invoices"]
    assert holder.held and holder.spec.hold == "tax_records"
    # the sweep deletes what its clock started before now minus the policy's P7Y
    with context.engine.begin() as connection:
        kept = holder.sweep(connection, before=datetime(2026, 12, 31, tzinfo=UTC))
    assert kept == 0  # 2033-12-31: still within the seven years from 2027-01-01
    with context.engine.begin() as connection:
        gone = holder.sweep(connection, before=datetime(2027, 1, 2, tzinfo=UTC))
    assert gone == 1  # 2034-01-02: seven years after the end of 2026


def test_guest_orders_from_one_address_are_limited_and_the_refused_one_stores_nothing(
    context: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shop_module, "MAX_GUEST_ORDERS_PER_IP", 2)
    check_out(context)
    check_out(context)
    with context.engine.connect() as connection:
        before = connection.execute(select(func.count()).select_from(subjects)).scalar_one()
    with pytest.raises(TooManyAttempts):
        check_out(context)
    with context.engine.connect() as connection:
        after = connection.execute(select(func.count()).select_from(subjects)).scalar_one()
    assert after == before
    check_out(context, ip="145.97.9.9")  # another address is not held up
