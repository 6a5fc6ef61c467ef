"""The web shop's rules (P8, P11; LEGAL L32-L34): the carrier's exact payload, the order's
transition table, the VAT in a price and the invoice's financial year."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from privaat.domain.shop import (
    DeliveryAddress,
    IllegalTransition,
    OrderEvent,
    OrderStatus,
    carrier_payload,
    financial_year_end,
    next_status,
    vat_included,
)

ADDRESS = DeliveryAddress(
    name="Anna de Vries",
    street="Oosterheemplein 2a",
    postal_code="2721 NA",
    city="Zoetermeer",
    country="NL",
    phone="+31612345678",
)


def test_l33_the_carrier_gets_name_and_delivery_address_only() -> None:
    assert carrier_payload(ADDRESS, phone_needed=False) == {
        "name": "Anna de Vries",
        "street": "Oosterheemplein 2a",
        "postal_code": "2721 NA",
        "city": "Zoetermeer",
        "country": "NL",
    }


def test_l33_the_phone_only_when_the_carrier_needs_it_and_it_was_given() -> None:
    assert carrier_payload(ADDRESS, phone_needed=True)["phone"] == "+31612345678"
    without = DeliveryAddress("A", "B 1", "1234 AB", "C", "NL")
    assert "phone" not in carrier_payload(without, phone_needed=True)


@pytest.mark.parametrize(
    ("status", "event", "paid", "after"),
    [
        pytest.param(OrderStatus.PLACED, OrderEvent.PAID, False, OrderStatus.CONFIRMED, id="paid"),
        pytest.param(
            OrderStatus.PLACED, OrderEvent.FLAGGED, False, OrderStatus.IN_REVIEW, id="flagged"
        ),
        pytest.param(
            OrderStatus.IN_REVIEW,
            OrderEvent.PAID,
            False,
            OrderStatus.IN_REVIEW,
            id="paid-in-review",
        ),
        pytest.param(
            OrderStatus.IN_REVIEW, OrderEvent.APPROVED, True, OrderStatus.CONFIRMED, id="approved"
        ),
        pytest.param(
            OrderStatus.IN_REVIEW,
            OrderEvent.APPROVED,
            False,
            OrderStatus.PLACED,
            id="approved-unpaid",
        ),
        pytest.param(
            OrderStatus.IN_REVIEW, OrderEvent.REFUSED, False, OrderStatus.REFUSED, id="refused"
        ),
        pytest.param(
            OrderStatus.CONFIRMED, OrderEvent.SHIPPED, True, OrderStatus.SHIPPED, id="shipped"
        ),
    ],
)
def test_the_transition_table(
    status: OrderStatus, event: OrderEvent, paid: bool, after: OrderStatus
) -> None:
    assert next_status(status, event, paid=paid) is after


@pytest.mark.parametrize(
    ("status", "event"),
    [
        # L32: only a person's review refuses, and only an order in review
        pytest.param(OrderStatus.PLACED, OrderEvent.REFUSED, id="refuse-unreviewed"),
        pytest.param(OrderStatus.PLACED, OrderEvent.SHIPPED, id="ship-unpaid"),
        pytest.param(OrderStatus.IN_REVIEW, OrderEvent.SHIPPED, id="ship-in-review"),
        pytest.param(OrderStatus.SHIPPED, OrderEvent.SHIPPED, id="ship-twice"),
        pytest.param(OrderStatus.REFUSED, OrderEvent.APPROVED, id="approve-refused"),
    ],
)
def test_an_illegal_transition_has_its_own_error(status: OrderStatus, event: OrderEvent) -> None:
    with pytest.raises(IllegalTransition):
        next_status(status, event)


def test_l32_no_event_but_a_persons_refusal_leads_to_refused() -> None:
    for status in OrderStatus:
        for event in OrderEvent:
            try:
                after = next_status(status, event, paid=True)
            except IllegalTransition:
                continue
            if after is OrderStatus.REFUSED and status is not OrderStatus.REFUSED:
                assert event is OrderEvent.REFUSED


def test_the_vat_in_a_price_rounds_to_the_cent() -> None:
    assert vat_included(12100) == (10000, 2100)
    assert vat_included(9900) == (8182, 1718)
    assert vat_included(1) == (1, 0)


def test_l34_an_invoice_is_kept_from_the_end_of_its_financial_year() -> None:
    assert financial_year_end(date(2026, 1, 2)) == datetime(2027, 1, 1, tzinfo=UTC)
    assert financial_year_end(date(2026, 12, 31)) == datetime(2027, 1, 1, tzinfo=UTC)
