"""Embeds as placeholders in a real browser (issue 14 item 6; L39, L45, L42): the example
site's video (``data-privaat-embed="embeds"``, served by the demo's stand-in social origin on
another port) loads nothing before a click; "Toestaan voor deze keer" loads that one iframe
and records nothing, so a reload shows the placeholder again; "Altijd toestaan" records the
consent in the ledger and persists; a withdrawal in the settings brings the placeholder back;
by keyboard alone, and axe-clean."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page
from tests.e2e import test_cookie_banner_browser as banner_tests
from tests.e2e.conftest import axe_violations
from tests.e2e.test_cookie_banner_browser import Demo, Watch, _context, _settle

pytestmark = pytest.mark.e2e
demo = banner_tests.demo  # the running ``privaat demo`` fixture, shared with the banner's tests

VIDEO = "#site-video"
PLACEHOLDER = "#site-video .pb-embed"
FRAME = "#site-video iframe"


def _refused(browser: Browser, demo: Demo) -> tuple[Page, Watch]:
    """The example site after Weigeren: every category refused, the placeholder shown."""
    page = _context(browser).new_page()
    watch = Watch(page)
    page.goto(demo.base_url + "/example/")
    page.get_by_role("button", name="Weigeren").click()
    page.locator("#pb-reopen").wait_for()
    page.locator(PLACEHOLDER).wait_for()
    _settle(page)
    return page, watch


def _embeds_in_ledger(demo: Demo) -> list[bool]:
    return [given for activity, given, _ in demo.ledger() if activity == "embedded_media"]


def test_l39_l45_nothing_loads_before_a_click_and_this_once_loads_it_for_this_page_only(
    demo: Demo, browser: Browser
) -> None:
    page, watch = _refused(browser, demo)
    assert watch.to(demo.social) == []
    placeholder = page.locator(PLACEHOLDER).inner_text()
    # the purpose and the company before any request to them; the consent's own words
    assert "Google Ireland Limited" in placeholder
    assert "Laad video's en kaarten van Google (YouTube, Google Maps)." in placeholder
    assert page.locator(FRAME).count() == 0
    with page.expect_request(lambda r: r.url == demo.social + "/video"):
        page.get_by_role("button", name="Toestaan voor deze keer").click()
    assert page.locator(FRAME).get_attribute("title") == "Video: zo werkt Flexibelt-hosting"
    assert _embeds_in_ledger(demo) == [False]  # only Weigeren's refusal: "once" keeps nothing
    page.reload()
    page.locator(PLACEHOLDER).wait_for()
    _settle(page)
    assert page.locator(FRAME).count() == 0
    assert watch.to(demo.social) == [demo.social + "/video"]  # the one load, not the reload's
    page.context.close()


def test_l42_always_allow_is_a_consent_that_persists_until_withdrawn_in_the_settings(
    demo: Demo, browser: Browser
) -> None:
    page, watch = _refused(browser, demo)
    with page.expect_request(lambda r: r.url == demo.social + "/video"):
        page.get_by_role("button", name="Altijd toestaan").click()
    page.locator(FRAME).wait_for()
    assert _embeds_in_ledger(demo) == [False, True]
    with page.expect_request(lambda r: r.url == demo.social + "/video"):
        page.reload()  # the stored consent loads it at once: no placeholder
    page.locator(FRAME).wait_for()
    assert page.locator(PLACEHOLDER).count() == 0
    assert watch.to(demo.social) == [demo.social + "/video"] * 2  # the social button: never

    page.locator("#pb-reopen").click()
    page.locator("#pb-category-embeds").uncheck()
    with page.expect_navigation():  # a loaded iframe cannot be unloaded otherwise
        page.locator("#pb-save").click()
    page.locator(PLACEHOLDER).wait_for()
    _settle(page)
    assert page.locator(FRAME).count() == 0
    assert len(watch.to(demo.social)) == 2
    assert _embeds_in_ledger(demo) == [False, True, False]
    page.context.close()


def test_the_placeholder_works_by_keyboard_alone_and_passes_axe(
    demo: Demo, browser: Browser
) -> None:
    page, _ = _refused(browser, demo)
    assert axe_violations(page) == []
    page.set_viewport_size({"width": 360, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scroll
    page.set_viewport_size({"width": 1280, "height": 800})
    for _ in range(40):
        if page.evaluate("document.activeElement.className.includes('pb-once')"):
            break
        page.keyboard.press("Tab")
    else:
        raise AssertionError("'Toestaan voor deze keer' is not reachable with Tab")
    page.keyboard.press("Enter")
    page.locator(FRAME).wait_for()
    # the keyboard user lands on what they loaded
    assert page.evaluate("document.activeElement.tagName") == "IFRAME"
    assert axe_violations(page) == []
    page.context.close()


BAD_EMBEDS = """<!DOCTYPE html>
<html lang="nl"><head><meta charset="utf-8"><title>Embeds</title>
<script src="/consent/banner.js"></script></head>
<body><main><h1>Embeds</h1>
<div id="script-src" data-privaat-embed="embeds" data-src="javascript:alert(1)"></div>
<div id="no-category" data-privaat-embed="ads" data-src="{social}/video"></div>
<div id="no-src" data-privaat-embed="embeds"></div>
</main></body></html>
"""


def test_an_embed_without_a_web_address_or_with_an_unknown_category_never_loads(
    demo: Demo, browser: Browser
) -> None:
    context = _context(browser)
    context.route(
        demo.base_url + "/example/bad-embeds",
        lambda route: route.fulfill(
            body=BAD_EMBEDS.replace("{social}", demo.social),
            content_type="text/html; charset=utf-8",
            headers={"Content-Security-Policy": f"default-src 'self'; frame-src {demo.social}"},
        ),
    )
    page = context.new_page()
    watch = Watch(page)
    page.goto(demo.base_url + "/example/bad-embeds")
    page.get_by_role("button", name="Accepteren").click()  # every category consented
    page.locator("#pb-reopen").wait_for()
    _settle(page)
    assert page.locator("iframe").count() == 0
    assert page.locator(".pb-embed").count() == 0  # nothing to offer either
    assert watch.to(demo.social) == []
    context.close()


def test_a_failed_always_allow_says_so_in_the_placeholder_and_loads_nothing(
    demo: Demo, browser: Browser
) -> None:
    page, watch = _refused(browser, demo)
    # the server unreachable for the choice (a network failure, not an answer)
    page.route(demo.base_url + "/consent/choices", lambda route: route.abort())
    page.get_by_role("button", name="Altijd toestaan").click()
    expected = "Uw keuze is niet opgeslagen. Probeer het opnieuw."
    page.locator(PLACEHOLDER + " .pb-status").get_by_text(expected).wait_for()
    assert page.locator(FRAME).count() == 0 and watch.to(demo.social) == []
    assert _embeds_in_ledger(demo) == [False]
    page.context.close()
