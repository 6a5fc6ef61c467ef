"""The web shop and the support desk in a real browser (P5, P7, P8; LEGAL L30, L31): a guest
orders from the home page with only the delivery fields, a card number typed in the comment
is refused next to the field, and afterwards no file the real server wrote (database, WAL, log)
nor any mail it sent holds a Luhn-valid number; the confirmation page shows the order; a
signed-in customer asks customer service a question, sees the case, and finds their order
under "my orders". axe-core and screenshots at 360 and 1280 px on every page."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect
from tests.e2e.conftest import PageInspector
from tests.e2e.test_customer_browser import DUTCH_ADDRESS, EMAIL, log_in, sign_up
from tests.integration.test_shop_pages import luhn_runs

if TYPE_CHECKING:
    from tests.e2e.conftest import LiveServer

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def _fill_checkout(page: Page, email: str) -> None:
    page.fill("#checkout-qty-headset-usb", "1")
    page.fill("#checkout-name", "Browser Koper")
    page.fill("#checkout-street", "Dorpsstraat 1")
    page.fill("#checkout-postal_code", "2721 NA")
    page.fill("#checkout-city", "Zoetermeer")
    page.fill("#checkout-email", email)


def test_p8_a_guest_orders_and_a_card_number_in_the_comment_is_refused(
    server: LiveServer, page: Page, inspect: PageInspector
) -> None:
    page.set_extra_http_headers({"X-Forwarded-For": DUTCH_ADDRESS})
    page.goto(server.url("/"))
    page.click("#home-shop")
    expect(page.locator("#shop-heading")).to_be_visible()
    inspect("shop")
    _fill_checkout(page, "gast.koper@example.nl")
    page.fill("#checkout-comment", "Mijn kaart is 4111 1111 1111 1111, graag snel leveren")
    page.click("#checkout-submit")
    error = page.locator("#checkout-comment-error")
    expect(error).to_be_visible()  # L31: refused where it was typed
    expect(page.locator("#checkout-comment")).to_have_attribute("aria-invalid", "true")
    assert "4111" not in page.locator("#checkout-comment").input_value()  # never echoed back
    inspect("shop-card-refused")
    page.fill("#checkout-comment", "Graag na 17:00 bezorgen")
    page.click("#checkout-submit")
    expect(page.locator("#order-heading")).to_be_visible()
    expect(page.locator("#order-lines")).to_contain_text("USB")
    expect(page.locator("#order-address")).to_contain_text("Zoetermeer")
    inspect("shop-order")
    # L31: after a real server took a real test-card number, no file it wrote holds one: the
    # database and its WAL, the key and export folder, the server's log; nor any mail it sent
    written = [path for path in server.workdir.rglob("*") if path.is_file()]
    assert any(path.name == "server.log" for path in written)
    assert any(path.name.startswith("privaat.db") for path in written)
    for path in written:
        assert luhn_runs(path.read_bytes()) == [], path.name
    for message in server.mail.messages:
        assert luhn_runs(message.as_bytes()) == []


def test_p5_p7_a_customer_asks_customer_service_and_sees_the_case_and_their_order(
    server: LiveServer, page: Page, inspect: PageInspector
) -> None:
    page.set_extra_http_headers({"X-Forwarded-For": DUTCH_ADDRESS})
    sign_up(page, server)
    log_in(page)
    page.click("#account-support")
    expect(page.locator("#support-heading")).to_be_visible()
    inspect("support-none")
    page.click("#support-new")
    expect(page.locator("#support-new-heading")).to_be_visible()
    page.fill("#support-new-title", "Toestel belt niet")
    page.fill(
        "#support-new-question", "Mijn bureautoestel gaat niet over bij inkomende gesprekken."
    )
    page.fill("#support-new-serial", "FX-2024-00123")
    inspect("support-new")
    page.click("#support-new-submit")
    expect(page.locator("#support-case-heading")).to_be_visible()
    expect(page.locator("#support-case-facts")).to_contain_text("Toestel belt niet")
    expect(page.locator("#support-case-products + ul")).to_contain_text("FX-2024-00123")
    inspect("support-case")

    page.goto(server.url("/shop"))
    _fill_checkout(page, EMAIL)
    page.click("#checkout-submit")
    expect(page.locator("#order-heading")).to_be_visible()
    page.goto(server.url("/account/orders"))
    expect(page.locator("#orders-table")).to_contain_text("€ 49,50")  # the headset
    inspect("account-orders")
