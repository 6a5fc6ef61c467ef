"""Consent per site for hosting customers, in chromium (issue 14 item 7; LEGAL L39, L42).

``privaat demo`` declares two demo customers: Bakkerij A on a1.test and a2.test, Fietsen B on
b1.test, each page at /site/ with the banner and the stand-in analytics held back. Chromium
maps every ``.test`` name to the demo's loopback address, so each domain is its own site with
its own first-party cookies: a choice on a1.test reaches a2.test through the link's carry
token, and never b1.test."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, axe_violations
from tests.e2e.test_cookie_banner_browser import Demo, Watch, demo  # noqa: F401  (the fixture)

pytestmark = pytest.mark.e2e


@pytest.fixture
def mapped(browser: Browser) -> Iterator[Browser]:
    """A second chromium of the same Playwright that resolves *.test to the loopback."""
    chromium = browser.browser_type.launch(
        executable_path=str(CHROMIUM),
        args=[*CHROMIUM_ARGS, "--host-resolver-rules=MAP *.test 127.0.0.1"],
    )
    yield chromium
    chromium.close()


def _site(running: Demo, domain: str) -> str:
    return f"http://{domain}:{urlsplit(running.base_url).port}/site/"


def _records(running: Demo) -> list[tuple[str, str, bool]]:
    with sqlite3.connect(running.database) as connection:
        rows = connection.execute(
            "SELECT s.customer, e.category, e.given FROM site_consent_events e"
            " JOIN site_scopes s ON s.id = e.scope_id ORDER BY e.id"
        ).fetchall()
    return [(customer, category, bool(given)) for customer, category, given in rows]


def _visitors(running: Demo) -> list[tuple[str, int]]:
    with sqlite3.connect(running.database) as connection:
        rows = connection.execute(
            "SELECT s.customer, v.subject_id FROM site_visitors v"
            " JOIN site_scopes s ON s.id = v.scope_id"
        ).fetchall()
    return [(customer, subject) for customer, subject in rows]


def _context(browser: Browser) -> BrowserContext:
    context = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    return context


def _quiet(page: Page) -> None:
    page.wait_for_load_state("load")
    page.wait_for_timeout(800)  # time for anything a script would still send


def test_issue14_item7_a_choice_on_a1_applies_on_a2_and_never_on_b1(
    demo: Demo,  # noqa: F811  (the imported fixture)
    mapped: Browser,
) -> None:
    context = _context(mapped)
    page = context.new_page()
    watch = Watch(page)
    page.goto(_site(demo, "a1.test"))
    banner = page.locator("#privaat-banner")
    banner.wait_for()
    # A's own categories, words and company on A's site (L40); nothing called before (L39)
    assert "Stand-in Analytics (demo)" in banner.inner_text()
    _quiet(page)
    assert watch.to(demo.analytics) == []
    assert axe_violations(page) == []  # WCAG 2.1 AA, the customer's banner as the provider's
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "customer-site-a1-banner-1280.png")
    page.get_by_role("button", name="Accepteren").click()
    watch.wait_for(page, demo.analytics + "/collect")
    assert _records(demo) == [("bakkerij-a", "analytics", True)]

    # A's other domain: the link carries the choice; no banner, the analytics runs there
    watch.urls.clear()
    page.locator("#to-a2-test").click()
    page.wait_for_url("http://a2.test:*/site/**")
    page.locator("#pb-reopen").wait_for()
    watch.wait_for(page, demo.analytics + "/collect")
    assert page.locator("#privaat-banner").count() == 0
    assert "privaat_carry" not in page.url  # off the address before the page's scripts ran
    carried = [url for url in watch.urls if "privaat_carry=" in url]
    assert len(carried) == 1 and urlsplit(carried[0]).hostname == "a2.test"
    visitors = _visitors(demo)
    assert [customer for customer, _ in visitors] == ["bakkerij-a", "bakkerij-a"]
    assert len({subject for _, subject in visitors}) == 1  # one visitor of A, two cookies
    assert {c["domain"] for c in context.cookies() if c["name"] == "privaat_visitor"} == {
        "a1.test",
        "a2.test",
    }
    assert _records(demo) == [("bakkerij-a", "analytics", True)]  # the same record set

    # B's site: another customer, its own banner; nothing given, nothing called, no token
    watch.urls.clear()
    page.locator("#to-b1-test").click()
    page.wait_for_url("http://b1.test:*/site/")
    page.locator("#privaat-banner").wait_for()
    assert "Fietsen B" in page.title()
    _quiet(page)
    assert watch.to(demo.analytics) == []
    assert not [url for url in watch.urls if "privaat_carry" in url]
    assert [customer for customer, _ in _visitors(demo)] == ["bakkerij-a", "bakkerij-a"]
    assert _records(demo) == [("bakkerij-a", "analytics", True)]
    context.close()
