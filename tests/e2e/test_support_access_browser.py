"""Support access in real browsers (P7, LEGAL L29): a customer grants 24 hours on the centre's
page, a support agent in another browser opens the account in the console, the customer sees
the view under the grant and withdraws it, and the agent's very next page is refused; the
customer's "who viewed my data" lists the agent. axe-core and screenshots on every page."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, Page, expect
from tests.e2e.conftest import HEIGHT, WIDTHS, PageInspector
from tests.e2e.test_console_browser import PASSWORD as STAFF_PASSWORD
from tests.e2e.test_console_browser import create_staff, enrol, next_code
from tests.e2e.test_customer_browser import DUTCH_ADDRESS, log_in, sign_up

if TYPE_CHECKING:
    from tests.e2e.conftest import LiveServer

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

AGENT = "helpdesk@flexibelt.example"


def _agent_page(browser: Browser) -> Page:
    context = browser.new_context(locale="nl-NL", viewport={"width": WIDTHS[-1], "height": HEIGHT})
    context.set_default_timeout(10_000)
    return context.new_page()


def test_l29_grant_staff_view_revoke_and_the_next_staff_page_is_refused(
    server: LiveServer, browser: Browser, page: Page, inspect: PageInspector
) -> None:
    page.set_extra_http_headers({"X-Forwarded-For": DUTCH_ADDRESS})
    sign_up(page, server)
    log_in(page)
    expect(page).to_have_url(server.url("/account"))
    page.click("#account-support-access")
    expect(page.locator("#support-access-heading")).to_be_visible()
    inspect("support-access-form")
    page.check("#support-access-duration-24h")
    page.click("#support-access-submit")
    expect(page.locator("#support-access-live")).to_be_visible()
    inspect("support-access-live")

    agent = _agent_page(browser)
    seen = PageInspector(agent)
    try:
        totp = enrol(agent, create_staff(server, AGENT, "support"))
        agent.fill("#console-login-email", AGENT)
        agent.fill("#console-login-password", STAFF_PASSWORD)
        agent.fill("#console-login-code", next_code(totp))
        agent.click("#console-login-submit")
        agent.goto(server.url("/console/support-access"))
        expect(agent.locator("#support-access-grants")).to_contain_text("Browser Klant")
        seen("console-support-access")
        agent.locator("#support-access-grants a").first.click()
        expect(agent.locator("#console-grant-heading")).to_be_visible()
        agent.click("#console-grant-section-services")
        expect(agent.locator("#console-grant-section-heading")).to_be_visible()
        seen("console-support-access-section")
        section_url = agent.url

        page.reload()
        views = page.locator("table[id$='-views']")
        expect(views).to_contain_text("klantenservice, medewerkernummer")
        expect(views).to_contain_text("Producten en diensten")
        inspect("support-access-viewed")
        page.click("#support-access-revoke-submit")
        expect(page.locator("#notice")).to_be_visible()
        expect(page.locator("#support-access")).to_be_visible()  # the form is back

        refused = agent.goto(section_url)
        assert refused is not None and refused.status == 403
        expect(agent.locator("h1")).to_have_text("Geen toegang voor de klantenservice")
        seen("console-support-access-refused")
    finally:
        agent.context.close()

    page.goto(server.url("/account/views"))
    expect(page.locator("#views-table")).to_contain_text(re.compile("medewerkernummer"))
    inspect("views")
