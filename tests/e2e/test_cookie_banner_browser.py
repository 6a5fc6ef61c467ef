"""The cookie banner in a real browser (issue 10 items 7 and 9; P14, P16, P17; LEGAL L39-L45):
``privaat demo`` serves the Flexibelt example site with the banner, and stand-in analytics and
social-network scripts from two other loopback origins, so chromium shows whether a third
party was called before, after or without consent."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Request
from tests.e2e.conftest import SCREENSHOTS, axe_violations, free_port

pytestmark = pytest.mark.e2e

# by hand, from policies/flexibelt.yaml essential_cookies: the only cookies allowed before
# a choice (L39); privaat_visitor comes only with a choice
ALLOWED_BEFORE_CHOICE = {"privaat_session", "privaat_csrf", "privaat_lang", "privaat_visitor"}
ANALYTICS_COOKIES = {"_ga", "_ga_DEMO1"}  # what the stand-in sets, as Google Analytics does


@dataclass
class Demo:
    """A running ``privaat demo`` with its example site and its stand-in third parties."""

    base_url: str
    analytics: str  # the stand-in analytics origin
    social: str  # the stand-in social-network origin
    database: Path

    def ledger(self) -> list[tuple[str, bool, str]]:
        with sqlite3.connect(self.database) as connection:
            rows = connection.execute(
                "SELECT activity, given, channel FROM consent_events ORDER BY id"
            ).fetchall()
        return [(activity, bool(given), channel) for activity, given, channel in rows]

    def gpc_flags(self) -> list[bool]:
        with sqlite3.connect(self.database) as connection:
            return [bool(row[0]) for row in connection.execute("SELECT gpc FROM visitors")]


@pytest.fixture
def demo(tmp_path: Path, browser: Browser) -> Iterator[Demo]:
    port, analytics, social = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRIVAAT_")}
    log = tmp_path / "demo.log"
    command = [sys.executable, "-m", "privaat", "demo", "--host", "127.0.0.1",
               "--port", str(port), "--analytics-port", str(analytics),
               "--social-port", str(social)]  # fmt: skip
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=tmp_path, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield Demo(
            base,
            f"http://127.0.0.1:{analytics}",
            f"http://127.0.0.1:{social}",
            tmp_path / "var" / "privaat.db",
        )
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert "Traceback" not in log.read_text(errors="replace"), log.read_text()[-4000:]


class Watch:
    """Every request the page makes, by URL, to tell which origins were called."""

    def __init__(self, page: Page) -> None:
        self.urls: list[str] = []
        page.on("request", self._seen)

    def _seen(self, request: Request) -> None:
        self.urls.append(request.url)

    def to(self, origin: str) -> list[str]:
        return [url for url in self.urls if url.startswith(origin + "/")]

    def wait_for(self, page: Page, prefix: str) -> None:
        """Until the page has asked for a URL starting with ``prefix`` (10 s at most)."""
        for _ in range(100):
            if any(url.startswith(prefix) for url in self.urls):
                return
            page.wait_for_timeout(100)
        raise AssertionError(f"no request to {prefix}: {self.urls}")


def _context(browser: Browser, *, gpc: bool = False, width: int = 1280) -> BrowserContext:
    context = browser.new_context(
        locale="nl-NL",
        viewport={"width": width, "height": 800},
        extra_http_headers={"Sec-GPC": "1"} if gpc else {},
    )
    if gpc:
        # GPC spec §3.2: the browser exposes the signal to scripts as well
        context.add_init_script(
            "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true})"
        )
    context.set_default_timeout(10_000)
    _IN_FLIGHT[id(context)] = set()
    context.on("request", lambda request: _IN_FLIGHT[id(context)].add(request))
    context.on("requestfinished", lambda request: _IN_FLIGHT[id(context)].discard(request))
    context.on("requestfailed", lambda request: _IN_FLIGHT[id(context)].discard(request))
    return context


# the requests each context has under way: Playwright's "networkidle" never comes, now and
# then, once the consented video's iframe is on the page, though no request is left open
_IN_FLIGHT: dict[int, set[Request]] = {}


def _cookies(context: BrowserContext) -> set[str]:
    return {cookie["name"] for cookie in context.cookies()}


def _settle(page: Page) -> None:
    """Until no request of the page's context has been under way for 500 ms (10 s at most),
    then 300 ms more: time for anything a script would still send."""
    page.wait_for_load_state("load")
    in_flight = _IN_FLIGHT[id(page.context)]
    quiet = 0
    for _ in range(100):
        quiet = 0 if in_flight else quiet + 1
        if quiet == 5:
            break
        page.wait_for_timeout(100)
    else:
        raise AssertionError(f"requests still under way: {[r.url for r in in_flight]}")
    page.wait_for_timeout(300)


def _shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=False)


def test_l39_l44_nothing_reaches_the_analytics_origin_before_accepteren_and_it_is_called_after(
    demo: Demo, browser: Browser
) -> None:
    context = _context(browser)
    page = context.new_page()
    watch = Watch(page)
    page.goto(demo.base_url + "/example/")
    banner = page.locator("#privaat-banner")
    banner.wait_for()
    _settle(page)
    assert watch.to(demo.analytics) == [] and watch.to(demo.social) == []
    assert _cookies(context) <= ALLOWED_BEFORE_CHOICE, _cookies(context)
    assert page.evaluate("localStorage.length") == 0
    # the banner names the purposes and the companies on its first layer (L40)
    assert "Google Ireland Limited" in banner.inner_text()
    assert "Meta Platforms Ireland Limited" in banner.inner_text()
    _shoot(page, "cookie-banner-first-layer-1280")

    page.get_by_role("button", name="Accepteren").click()
    watch.wait_for(page, demo.analytics + "/collect")
    _settle(page)
    assert banner.count() == 0
    assert any(url.endswith("/analytics.js") for url in watch.to(demo.analytics))
    assert ANALYTICS_COOKIES <= _cookies(context)
    assert ("website_analytics", True, "cookie_banner") in demo.ledger()
    # the choice holds on the next page: the analytics runs without asking again
    page.goto(demo.base_url + "/example/order")
    page.locator("#order-done").wait_for()
    assert page.locator("#privaat-banner").count() == 0
    context.close()


def test_l41_after_weigeren_no_third_party_is_called_and_the_order_still_completes(
    demo: Demo, browser: Browser
) -> None:
    context = _context(browser)
    page = context.new_page()
    watch = Watch(page)
    page.goto(demo.base_url + "/example/")
    page.get_by_role("button", name="Weigeren").click()
    page.locator("#pb-reopen").wait_for()
    page.locator("#site-order").click()
    page.locator("#order-done").wait_for()  # no cookie wall: the site works fully
    _settle(page)
    assert watch.to(demo.analytics) == [] and watch.to(demo.social) == []
    assert sorted(demo.ledger()) == [
        ("embedded_media", False, "cookie_banner"),
        ("social_plugins", False, "cookie_banner"),
        ("website_analytics", False, "cookie_banner"),
    ]
    assert _cookies(context) <= ALLOWED_BEFORE_CHOICE
    context.close()


def test_gpc_is_a_refusal_recorded_as_such_and_the_analytics_origin_is_never_called(
    demo: Demo, browser: Browser
) -> None:
    context = _context(browser, gpc=True)
    page = context.new_page()
    watch = Watch(page)
    page.goto(demo.base_url + "/example/")
    page.locator("#pb-reopen").wait_for()  # the refusal is stored; no banner to click away
    _settle(page)
    assert page.locator("#privaat-banner").count() == 0
    page.reload()
    page.locator("#pb-reopen").wait_for()
    _settle(page)
    assert watch.to(demo.analytics) == [] and watch.to(demo.social) == []
    assert sorted(set(demo.ledger())) == [
        ("embedded_media", False, "cookie_banner"),
        ("social_plugins", False, "cookie_banner"),
        ("website_analytics", False, "cookie_banner"),
    ]
    assert len(demo.ledger()) == 3  # the reload wrote nothing more
    assert demo.gpc_flags() == [True]
    assert not (ANALYTICS_COOKIES & _cookies(context))
    context.close()


def test_l42_withdrawing_in_the_cookie_settings_stops_the_analytics_and_deletes_its_cookies(
    demo: Demo, browser: Browser
) -> None:
    context = _context(browser)
    page = context.new_page()
    accepted = Watch(page)
    page.goto(demo.base_url + "/example/")
    page.get_by_role("button", name="Accepteren").click()
    accepted.wait_for(page, demo.analytics + "/collect")
    _settle(page)
    assert ANALYTICS_COOKIES <= _cookies(context)

    page.locator("#pb-reopen").click()  # the permanent cookie-instellingen link
    box = page.locator("#pb-category-analytics")
    assert box.is_checked()
    box.uncheck()
    with page.expect_navigation():  # the running script cannot be stopped: a reload
        page.locator("#pb-save").click()
    watch = Watch(page)
    page.locator("#pb-reopen").wait_for()
    _settle(page)
    assert not (ANALYTICS_COOKIES & _cookies(context)), _cookies(context)
    page.reload()
    page.locator("#pb-reopen").wait_for()
    _settle(page)
    assert watch.to(demo.analytics) == []
    analytics = [row for row in demo.ledger() if row[0] == "website_analytics"]
    assert analytics == [
        ("website_analytics", True, "cookie_banner"),
        ("website_analytics", False, "cookie_banner"),
    ]
    context.close()


def test_l45_the_social_button_loads_the_networks_code_only_after_a_click(
    demo: Demo, browser: Browser
) -> None:
    context = _context(browser)
    page = context.new_page()
    watch = Watch(page)
    page.goto(demo.base_url + "/example/")
    page.get_by_role("button", name="Weigeren").click()
    placeholder = page.locator("#social-button button")
    placeholder.wait_for()
    _settle(page)
    assert watch.to(demo.social) == []
    # the placeholder shows the consent's own words (the text whose hash the ledger keeps)
    assert "Laad de knoppen van sociale netwerken" in placeholder.inner_text()
    with page.expect_request(lambda r: r.url.startswith(demo.social + "/button.js")):
        placeholder.click()
    page.get_by_text("Vind ik leuk").wait_for()
    assert ("social_plugins", True, "cookie_banner") in demo.ledger()
    assert watch.to(demo.analytics) == []  # the click consented to the buttons only
    context.close()


@pytest.mark.parametrize("width", [360, 1280])
def test_l40_accepteren_and_weigeren_are_the_same_size_and_style(
    demo: Demo, browser: Browser, width: int
) -> None:
    context = _context(browser, width=width)
    page = context.new_page()
    page.goto(demo.base_url + "/example/")
    accept, refuse = page.locator("#pb-accept"), page.locator("#pb-refuse")
    accept.wait_for()
    a, r = accept.bounding_box(), refuse.bounding_box()
    assert a is not None and r is not None
    assert (round(a["width"]), round(a["height"])) == (round(r["width"]), round(r["height"]))
    style = "el => [getComputedStyle(el).backgroundColor, getComputedStyle(el).color, " \
        "getComputedStyle(el).fontSize, getComputedStyle(el).fontWeight]"  # fmt: skip
    assert accept.evaluate(style) == refuse.evaluate(style)
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= width, f"scrolls sideways at {width} px"
    _shoot(page, f"cookie-banner-{width}")
    context.close()


def test_the_banner_works_by_keyboard_alone_and_passes_axe(demo: Demo, browser: Browser) -> None:
    context = _context(browser)
    page = context.new_page()
    watch = Watch(page)
    page.goto(demo.base_url + "/example/")
    page.locator("#privaat-banner").wait_for()
    assert axe_violations(page) == []

    def tab_to(element_id: str) -> None:
        for _ in range(30):
            if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
                return
            page.keyboard.press("Tab")
        raise AssertionError(f"#{element_id} is not reachable with Tab")

    tab_to("pb-settings")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "pb-category-analytics"
    page.keyboard.press("Space")  # tick statistics only
    assert axe_violations(page) == []
    _shoot(page, "cookie-banner-settings-1280")
    tab_to("pb-save")
    page.keyboard.press("Enter")
    watch.wait_for(page, demo.analytics + "/collect")
    _settle(page)
    assert ("website_analytics", True, "cookie_banner") in demo.ledger()
    assert ("social_plugins", False, "cookie_banner") in demo.ledger()
    assert watch.to(demo.social) == []
    # focus went to the permanent settings link, which reopens the banner by keyboard too
    tab_to("pb-reopen")
    page.keyboard.press("Enter")
    page.locator("#privaat-banner").wait_for()
    assert axe_violations(page) == []
    context.close()


def test_the_cookie_settings_page_of_the_statement_reopens_the_banner(
    demo: Demo, browser: Browser
) -> None:
    context = _context(browser)
    page = context.new_page()
    page.goto(demo.base_url + "/cookies")
    page.locator("#privaat-banner").wait_for()
    page.get_by_role("button", name="Weigeren").click()
    page.locator("#privaat-banner").wait_for(state="hidden")  # the choice is stored
    page.wait_for_load_state()
    page.locator("#cookie-settings-open").click()
    # the banner opens its settings layer after the click's handler ran: wait for it
    page.locator("#pb-settings-layer").wait_for(state="visible", timeout=5000)
    assert page.locator("#pb-settings-layer").is_visible()
    assert axe_violations(page) == []
    context.close()


def test_the_banner_speaks_the_pages_language(demo: Demo, browser: Browser) -> None:
    context = _context(browser)
    page = context.new_page()
    page.goto(demo.base_url + "/example/?lang=en")
    banner = page.locator("#privaat-banner")
    banner.wait_for()
    assert banner.get_attribute("lang") == "en"
    assert page.get_by_role("button", name="Accept", exact=True).is_visible()
    assert page.get_by_role("button", name="Refuse", exact=True).is_visible()
    page.get_by_role("button", name="Refuse", exact=True).click()
    page.locator("#pb-reopen").wait_for()
    assert page.locator("#pb-reopen").inner_text() == "Cookie settings"
    context.close()
