"""A right of access from end to end in real browsers (issue 11; GDPR art. 15; L59, L61):
a customer logs in and files an access request from their requests page, the privacy officer
starts and answers it in the console, the customer follows the mailed link and downloads
the ZIP, and the ZIP holds the summary and the data as JSON; axe-core on every page."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, Page, expect
from tests.e2e.test_console_requests_browser import log_in_officer
from tests.e2e.test_customer_browser import log_in, sign_up

if TYPE_CHECKING:
    from tests.e2e.conftest import LiveServer, PageInspector

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

CUSTOMER = "inzage.browser@example.nl"


def test_L59_L61_a_customer_asks_for_access_the_officer_answers_and_the_zip_is_downloaded(
    server: LiveServer, page: Page, browser: Browser, inspect: PageInspector
) -> None:
    # the customer: an account, logged in, files an access request from /account/requests
    sign_up(page, server, CUSTOMER)
    server.deliver_mail()
    [verify] = [link for link in server.links_to(CUSTOMER) if "/email/verify" in link]
    page.goto(verify)
    page.click("#address-submit")
    page.goto(server.url("/"))
    log_in(page, CUSTOMER)
    page.goto(server.url("/account/requests"))
    expect(page.locator("#requests-none")).to_be_visible()
    page.click("#requests-new")
    page.select_option("#request-type", "access")
    page.fill("#request-details", "Welke gegevens hebben jullie van mij?")
    page.click("#request-submit")
    expect(page).to_have_url(re.compile(r"/account/requests\?notice=request_filed$"))
    row = page.locator("#requests-table tbody tr")
    expect(row).to_have_count(1)
    reference = row.locator("td").first.inner_text().strip()
    assert re.fullmatch(r"PR-[0-9A-Z]{8}", reference), reference
    inspect("rights-account-request-filed")

    # the privacy officer, in a browser of their own: start, then answer with the copy
    officer_context = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 800})
    officer_context.set_default_timeout(10_000)
    officer = officer_context.new_page()
    try:
        log_in_officer(server, officer)
        officer.goto(server.url(f"/console/requests/{reference}"))
        expect(officer.locator("#request-email")).to_have_text(CUSTOMER)
        expect(officer.locator("#request-text")).to_have_text(
            "Welke gegevens hebben jullie van mij?"
        )
        officer.click("#step-start-submit")
        expect(officer.locator("#request-status")).to_have_text("in behandeling")
        officer.click("#step-answer-submit")
        expect(officer.locator("#request-notice")).to_be_visible()
        expect(officer.locator("#request-status")).to_have_text("afgehandeld")
        expect(officer.locator("#request-history")).to_contain_text("antwoordbestand gemaakt")
    finally:
        officer_context.close()

    # the customer follows the mailed link; the button downloads the ZIP
    server.deliver_mail()
    [link] = [u for u in server.links_to(CUSTOMER) if "/requests/download" in u]
    page.goto(link)
    expect(page.locator("#request-download-heading")).to_be_visible()
    inspect("rights-download")
    with page.expect_download() as info:
        page.click("#request-download-submit")
    download = info.value
    assert download.suggested_filename == f"{reference}.zip"
    archive = zipfile.ZipFile(io.BytesIO(Path(download.path()).read_bytes()))
    names = set(archive.namelist())
    assert {"summary.html", "manifest.json", "data/accounts.json"} <= names, names
    [account] = json.loads(archive.read("data/accounts.json"))
    assert account["email"] == CUSTOMER
    assert account["name"] == "Browser Klant" and account["city"] == "Zoetermeer"
    summary = archive.read("summary.html").decode("utf-8")
    assert "Flexibelt" in summary  # the controller is named
    assert CUSTOMER not in json.dumps(json.loads(archive.read("manifest.json")))

    page.goto(server.url("/account/requests"))
    expect(page.locator("#requests-table tbody tr").first).to_contain_text("beantwoord")
    inspect("rights-account-request-answered")
