"""A customer in a real browser (issue 8 items 3 and 6): signs up, logs in, rectifies the
address (art. 16), sees the log-ins with their location (P9), switches to English and closes
the account (P20); the mailed address link opens its page; axe-core and screenshots on every
page."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

if TYPE_CHECKING:
    from tests.e2e.conftest import LiveServer, PageInspector

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

EMAIL = "klant.browser@example.nl"
DUTCH_ADDRESS = "145.97.0.1"  # a public address in the Netherlands, through the local proxy
PASSWORD = "een goed lang wachtwoord"


def sign_up(page: Page, server: LiveServer, email: str = EMAIL) -> None:
    page.goto(server.url("/"))
    page.click("#home-signup")
    page.fill("#signup-email", email)
    page.fill("#signup-password", PASSWORD)
    page.fill("#signup-name", "Browser Klant")
    page.fill("#signup-street", "Dorpsstraat 1")
    page.fill("#signup-postal_code", "2721 NA")
    page.fill("#signup-city", "Zoetermeer")
    page.check("#signup-age_declaration")
    page.click("#signup-submit")
    expect(page.locator("#signup-sent-heading")).to_be_visible()


def confirm_by_mail(page: Page, server: LiveServer, email: str) -> None:
    """Deliver the outbox over SMTP and open the newest double opt-in link mailed to
    ``email`` (issue 14 item 5), pressing its one button as the person would."""
    server.deliver_mail()
    links = [link for link in server.links_to(email) if "/confirm/" in link]
    assert links, f"no confirmation link was mailed to {email}"
    page.goto(links[-1])
    page.click("#confirm-submit")
    expect(page.locator("#confirm-done")).to_be_visible()


def log_in(page: Page, email: str = EMAIL, password: str = PASSWORD) -> None:
    page.click("#nav-login")
    page.fill("#login-email", email)
    page.fill("#login-password", password)
    page.click("#login-submit")


def test_customer_signs_up_logs_in_rectifies_sees_log_ins_switches_to_english_and_closes(
    server: LiveServer, page: Page, inspect: PageInspector
) -> None:
    page.set_extra_http_headers({"X-Forwarded-For": DUTCH_ADDRESS})
    sign_up(page, server)
    inspect("signup-sent-nl")

    log_in(page)
    expect(page).to_have_url(server.url("/account"))
    expect(page.locator("#account-heading")).to_have_text("Mijn gegevens")
    expect(page.locator("#held-street")).to_contain_text("Dorpsstraat 1")
    # each activity with its purpose, legal basis and retention from the policy
    assert page.locator("section.activity").count() >= 2
    expect(page.locator("section.activity dl.facts").first).to_be_visible()
    inspect("account-nl")

    page.click("#nav-edit")
    expect(page.locator("#edit-heading")).to_be_visible()
    expect(page.locator("#edit-street")).to_have_value("Dorpsstraat 1")
    inspect("account-edit")
    page.fill("#edit-street", "Kerkstraat 12")
    page.fill("#edit-city", "Delft")
    page.click("#edit-submit")
    expect(page).to_have_url(re.compile(r"/account\?notice=saved$"))
    expect(page.locator("#notice")).to_be_visible()
    expect(page.locator("#held-street")).to_contain_text("Kerkstraat 12")
    expect(page.locator("#held-city")).to_contain_text("Delft")
    inspect("account-saved")

    page.click("#nav-logins")
    expect(page.locator("#logins-heading")).to_be_visible()
    rows = page.locator("#logins-all tbody tr")
    expect(rows).to_have_count(1)  # this one log-in, with where it came from
    expect(rows.first).to_contain_text(DUTCH_ADDRESS)
    expect(rows.first).to_contain_text("Nederland")
    inspect("account-logins-nl")

    page.click("#language-en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#logins-heading")).to_have_text("Your recent log-ins")
    expect(rows.first).to_contain_text("Netherlands")
    inspect("account-logins-en")
    page.click("#nav-account")  # the choice is kept (a cookie), not only on the page it was made
    expect(page.locator("#account-heading")).to_have_text("My data")
    inspect("account-en")
    page.click("#nav-password")
    expect(page.locator("#password-heading")).to_be_visible()
    inspect("account-password")

    page.click("#nav-close")
    expect(page.locator("#close-heading")).to_have_text("Close your account")
    expect(page.locator("#close-kept dt").first).to_be_visible()  # what is kept, from the policy
    inspect("account-close")
    page.fill("#close-password", PASSWORD)
    page.click("#close-submit")
    expect(page).to_have_url(re.compile(r"/\?notice=account_closed$"))
    expect(page.locator("#notice")).to_be_visible()
    inspect("home-account-closed")

    log_in(page)
    expect(page.locator("#login-errors")).to_be_visible()
    inspect("login-refused-en")
    server.deliver_mail()
    assert len(server.mail.to(EMAIL)) >= 2  # the verification link, then the closure notice


def test_the_address_link_in_the_sign_up_mail_opens_a_page_whose_button_verifies_it(
    server: LiveServer, page: Page, inspect: PageInspector
) -> None:
    sign_up(page, server, "adres.bewijs@example.nl")
    server.deliver_mail()
    verify = [link for link in server.links_to("adres.bewijs@example.nl") if "/verify" in link]
    assert len(verify) == 1, server.links_to("adres.bewijs@example.nl")
    # a page with one button: a mail scanner that opens the link spends nothing
    assert re.search(r"^http://[^/]+/email/verify\?token=", verify[0]), verify[0]
    page.goto(verify[0])
    expect(page.locator("#address-heading")).to_be_visible()
    inspect("address-verify")
    page.click("#address-submit")
    expect(page).to_have_url(re.compile(r"/\?notice=email_verified$"))
    expect(page.locator("#notice")).to_be_visible()
    inspect("home-email-verified")
    page.goto(verify[0])  # a link works once
    page.click("#address-submit")
    expect(page.locator("#address-invalid")).to_be_visible()
    inspect("address-link-spent")


def test_sign_up_under_16_is_refused_with_the_message_next_to_the_field_and_input_kept(
    server: LiveServer, page: Page, inspect: PageInspector
) -> None:
    page.goto(server.url("/signup"))
    page.fill("#signup-email", "te.jong@example.nl")
    page.fill("#signup-password", PASSWORD)
    page.fill("#signup-name", "Te Jong")
    page.fill("#signup-city", "Leiden")
    page.click("#signup-submit")  # the age box left unticked, as it comes
    expect(page.locator("#signup-errors")).to_be_visible()
    expect(page.locator("#signup-age_declaration-error")).to_be_visible()
    expect(page.locator("#signup-age_declaration")).to_have_attribute(
        "aria-describedby", re.compile("signup-age_declaration-error")
    )
    expect(page.locator("#signup-city")).to_have_value("Leiden")
    expect(page.locator("#signup-password")).to_have_value("")  # a password is never sent back
    inspect("signup-refused-nl")
    page.goto(server.url("/login"))
    log_in(page, "te.jong@example.nl")
    expect(page.locator("#login-errors")).to_be_visible()  # nothing was stored


def test_a_typed_logout_address_shows_its_button_and_a_wrong_password_is_refused_by_its_field(
    server: LiveServer, page: Page, inspect: PageInspector
) -> None:
    sign_up(page, server, "uitloggen@example.nl")
    log_in(page, "uitloggen@example.nl")
    expect(page.locator("#account-heading")).to_be_visible()
    page.click("#nav-password")
    page.fill("#password-current_password", "niet mijn wachtwoord")
    page.fill("#password-new_password", "een nieuw lang wachtwoord")
    page.click("#password-submit")
    expect(page.locator("#password-errors")).to_be_visible()
    expect(page.locator("#password-current_password-error")).to_be_visible()
    inspect("account-password-refused")
    page.goto(server.url("/logout"))
    expect(page.locator("#logout-heading")).to_be_visible()
    inspect("logout-page")
    page.click("#logout-page-submit")
    expect(page).to_have_url(re.compile(r"/\?notice=logged_out$"))
    inspect("home-logged-out")
