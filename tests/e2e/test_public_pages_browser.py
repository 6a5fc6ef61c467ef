"""The public pages in a real browser: accessible (WCAG 2.1 A/AA by axe-core), and readable at
360 and 1280 px (screenshots in test-output/screenshots/)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

if TYPE_CHECKING:
    from tests.e2e.conftest import LiveServer, PageInspector

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_privacy_policy_page_passes_axe_in_each_language(
    server: LiveServer, page: Page, inspect: PageInspector, lang: str
) -> None:
    page.goto(server.url(f"/privacy?lang={lang}"))
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("h1")).to_contain_text("Flexibelt")
    inspect(f"privacy-{lang}")


def test_home_page_names_the_provider_and_links_every_part_of_the_service(
    server: LiveServer, page: Page, inspect: PageInspector
) -> None:
    page.goto(server.url("/"))
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.locator("#home-heading")).to_contain_text("Flexibelt")
    for link, target in {
        "#home-login": "/login",
        "#home-signup": "/signup",
        "#home-centre": "/account",
        "#home-policy": "/privacy?lang=nl",
        "#home-console": "/console",
    }.items():
        expect(page.locator(link)).to_have_attribute("href", target)
    inspect("home-nl")
    page.locator("#language-en").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#home-policy")).to_have_attribute("href", "/privacy?lang=en")
    inspect("home-en")


def test_error_page_of_an_unknown_address_is_a_page_of_the_site(
    server: LiveServer, page: Page, inspect: PageInspector
) -> None:
    answer = page.goto(server.url("/bestaat-niet"))
    assert answer is not None and answer.status == 404
    expect(page.locator("#error-heading")).to_be_visible()
    expect(page.locator("#error-home")).to_have_attribute("href", "/")
    inspect("error-404")


@pytest.mark.parametrize("path", ["/signup", "/login", "/requests/new"])
def test_forms_in_english_pass_axe(
    server: LiveServer, page: Page, inspect: PageInspector, path: str
) -> None:
    page.goto(server.url(f"{path}?lang=en"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    inspect(f"{path.strip('/').replace('/', '-')}-en")


def test_p22_a_privacy_request_by_the_public_form_shows_its_errors_and_passes_axe(
    server: LiveServer, page: Page, inspect: PageInspector
) -> None:
    page.goto(server.url("/requests/new"))
    page.fill("#request-email", "geen-adres")
    page.click("#request-submit")
    expect(page.locator("#request-email-error")).to_be_visible()
    inspect("request-new-invalid")
    page.fill("#request-email", "iemand@example.nl")
    page.select_option("#request-type", "portability")
    page.click("#request-submit")
    expect(page.locator("#request-sent-heading")).to_be_visible()
    inspect("request-sent")
    server.deliver_mail()
    [link] = [u for u in server.links_to("iemand@example.nl") if "/requests/confirm" in u]
    page.goto(link)
    page.click("#request-confirm-submit")
    expect(page.locator("#request-confirm-done")).to_be_visible()
    inspect("request-confirmed")


def test_privacy_statement_links_lead_somewhere_and_its_details_open_by_keyboard(
    server: LiveServer, page: Page, inspect: PageInspector
) -> None:
    # issue 9: the statement names only what runs, so every link it holds must answer
    page.goto(server.url("/privacy?lang=nl"))
    hrefs = page.locator("main a[href]").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    assert hrefs
    for href in dict.fromkeys(hrefs):
        if href.startswith("#"):
            assert page.locator(f"[id='{href[1:]}']").count() == 1, href
        elif href.startswith("/"):
            answer = page.request.get(server.url(href))
            assert answer.status < 400, f"{href}: {answer.status}"
    alternate = page.locator("link[rel=alternate][type='application/ld+json']")
    if alternate.count():
        answer = page.request.get(server.url(alternate.get_attribute("href") or ""))
        assert answer.status == 200
    # the first activity's details: closed, opened from the keyboard, its facts then visible
    details = page.locator("details").first
    expect(details).not_to_have_attribute("open", "")
    details.locator("summary").focus()
    page.keyboard.press("Enter")
    expect(details).to_have_attribute("open", "")
    expect(details.locator("li").first).to_be_visible()
    expect(page.locator("#objection")).to_be_visible()
    expect(page.locator("#overview caption")).to_be_visible()
    inspect("privacy-nl-details-open")
