"""A privacy officer in a real browser: created with ``privaat staff create``, enrols TOTP from
the enrolment page's secret, logs in with a code, opens the ROPA and verifies the audit chain
(issue 8 items 4 and 6); axe-core and screenshots on every console page on the way."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

import pyotp
import pytest
from playwright.sync_api import Page, expect

if TYPE_CHECKING:
    from tests.e2e.conftest import LiveServer, PageInspector

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

OFFICER = "fg@flexibelt.example"
PASSWORD = "een lang console-wachtwoord"


def create_staff(server: LiveServer, email: str, role: str) -> str:
    """``privaat staff create``; returns the enrolment link it prints."""
    printed = server.cli("staff", "create", "--email", email, "--role", role).stdout
    link = re.search(r"https?://\S+/console/enrol/\S+", printed)
    assert link, printed
    assert link.group(0).startswith(server.base_url), printed
    return link.group(0)


def enrol(page: Page, link: str, inspect: PageInspector | None = None) -> pyotp.TOTP:
    """Open the link, read the secret off the page, set the password and confirm a code."""
    page.goto(link)
    expect(page.locator("#console-enrol-qr svg")).to_be_visible()
    if inspect:
        inspect("console-enrol")
    secret = "".join(page.locator("#console-enrol-secret").inner_text().split())
    totp = pyotp.TOTP(secret)
    page.fill("#console-enrol-password", PASSWORD)
    page.fill("#console-enrol-password_again", PASSWORD)
    page.fill("#console-enrol-code", totp.now())
    page.click("#console-enrol-submit")
    expect(page).to_have_url(re.compile(r"/console/login\?notice=enrolled$"))
    return totp


def next_code(totp: pyotp.TOTP) -> str:
    # a code's time step is spent once used (enrolment spent the current one): the next
    # step's code is within the accepted drift and has not been used
    return totp.at(time.time() + totp.interval)


def test_privacy_officer_enrols_totp_logs_in_opens_the_ropa_and_verifies_the_audit_chain(
    server: LiveServer, page: Page, inspect: PageInspector
) -> None:
    totp = enrol(page, create_staff(server, OFFICER, "privacy_officer"), inspect)
    expect(page.locator("#notice")).to_be_visible()
    inspect("console-login-enrolled")

    page.fill("#console-login-email", OFFICER)
    page.fill("#console-login-password", PASSWORD)
    page.fill("#console-login-code", next_code(totp))
    page.click("#console-login-submit")
    expect(page).to_have_url(server.url("/console"))
    expect(page.locator("#console-dashboard-heading")).to_be_visible()
    expect(page.locator("#overview-staff")).to_have_text("1")
    inspect("console-dashboard")

    page.click("#console-nav-ropa")
    expect(page.locator("#console-ropa-heading")).to_be_visible()
    expect(page.locator("section.activity").first).to_be_visible()
    assert page.locator("section.activity").count() > 5  # one per activity of the policy
    inspect("console-ropa")

    page.click("#console-nav-audit")
    expect(page.locator("#console-audit-heading")).to_be_visible()
    expect(page.locator("#audit-entries")).to_contain_text("staff.enrolled")
    inspect("console-audit")
    page.click("#audit-verify-submit")
    verdict = page.locator("#audit-verdict")
    expect(verdict).to_be_visible()
    expect(verdict).to_have_attribute("role", "status")  # the intact branch, not the alert
    inspect("console-audit-verified")

    # the rest of what the role may open, for axe and the screenshots
    for ident, heading in (
        ("data-map", "#console-data-map-heading"),
        ("outbox", "#console-outbox-heading"),
        ("customers", "#console-customers-heading"),
    ):
        page.click(f"#console-nav-{ident}")
        expect(page.locator(heading)).to_be_visible()
        inspect(f"console-{ident}")

    page.click("#console-logout-submit")
    expect(page).to_have_url(re.compile(r"/console/login\?notice=logged_out$"))
    page.goto(server.url("/console/ropa"))
    expect(page).to_have_url(re.compile(r"/console/login"))  # the session is over


def test_privacy_officer_looks_up_a_customer_by_e_mail_address(
    server: LiveServer, page: Page, inspect: PageInspector
) -> None:
    customer = "gevonden@example.nl"
    page.goto(server.url("/signup"))
    page.fill("#signup-email", customer)
    page.fill("#signup-password", PASSWORD)
    page.fill("#signup-name", "Gevonden Klant")
    page.check("#signup-age_declaration")
    page.click("#signup-submit")
    expect(page.locator("#signup-sent-heading")).to_be_visible()

    totp = enrol(page, create_staff(server, OFFICER, "privacy_officer"))
    page.fill("#console-login-email", OFFICER)
    page.fill("#console-login-password", PASSWORD)
    page.fill("#console-login-code", next_code(totp))
    page.click("#console-login-submit")
    page.click("#console-nav-customers")
    page.fill("#console-customer-email", customer)
    page.click("#console-customer-submit")
    expect(page.locator("#customer-record")).to_be_visible()
    expect(page.locator("#customer-email")).to_have_text(customer)
    inspect("console-customer-found")
    page.fill("#console-customer-email", "niemand@example.nl")
    page.click("#console-customer-submit")
    expect(page.locator("#customer-none")).to_be_visible()
    inspect("console-customer-none")


def test_console_refuses_a_wrong_code_next_to_its_field_and_a_spent_enrolment_link(
    server: LiveServer, page: Page, inspect: PageInspector
) -> None:
    link = create_staff(server, "support@flexibelt.example", "support")
    totp = enrol(page, link)
    page.fill("#console-login-email", "support@flexibelt.example")
    page.fill("#console-login-password", PASSWORD)
    wrong = f"{(int(next_code(totp)) + 1) % 1_000_000:06d}"
    page.fill("#console-login-code", wrong)
    page.click("#console-login-submit")
    expect(page.locator("#console-login-errors")).to_be_visible()
    expect(page.locator("#console-login-email")).to_have_value("support@flexibelt.example")
    inspect("console-login-refused")
    page.goto(link)
    expect(page.locator("#console-enrol-qr")).to_have_count(0)
    inspect("console-enrol-spent")
