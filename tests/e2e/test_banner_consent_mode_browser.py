"""Google Consent Mode v2 in a real browser (issue 14 item 1; L39, L44): on a page that loads
the banner first in <head> and a Google tag right after it, the tag's queue (``dataLayer``)
gets the ``default`` (everything denied but the always-on types) before any tag command, an
``update`` after Accepteren, Weigeren and a withdrawal in the settings, the stored choice again
at every load, and nothing granted under Global Privacy Control — under a strict CSP that
reports no violation.

The page is the test's own (served to chromium by Playwright's router on privaat's origin);
the banner, its API and the ledger are the real ``privaat demo``. A recorder added before any
page script logs every ``dataLayer.push`` to the console, which survives the reloads."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Route
from tests.e2e import test_cookie_banner_browser as banner_tests
from tests.e2e.test_cookie_banner_browser import Demo, _context

pytestmark = pytest.mark.e2e
demo = banner_tests.demo  # the running ``privaat demo`` fixture, shared with the banner's tests

PAGE = "/example/consent-mode"
TAG = "/example/google-tag.js"
HTML = """<!DOCTYPE html>
<html lang="nl"><head><meta charset="utf-8"><title>Consent Mode</title>
<script src="/consent/banner.js"></script>
<script src="/example/google-tag.js"></script>
</head><body><main><h1>Consent Mode</h1></main></body></html>
"""
# Google's own snippet, as a site puts it after the banner (developers.google.com/tag-platform)
GOOGLE_TAG = """window.dataLayer = window.dataLayer || [];
function gtag(){dataLayer.push(arguments);}
gtag('js', new Date());
gtag('config', 'G-DEMO1');
"""
STRICT_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# before any page script: wrap the push of whatever array becomes window.dataLayer
RECORDER = """(() => {
  let layer;
  Object.defineProperty(window, "dataLayer", {
    configurable: true,
    get() { return layer; },
    set(value) {
      layer = value;
      const push = Array.prototype.push;
      value.push = function () {
        for (const item of arguments) {
          const kind = Object.prototype.toString.call(item);
          console.info("dataLayer " + JSON.stringify({kind, args: Array.from(item)}));
        }
        return push.apply(this, arguments);
      };
    },
  });
  document.addEventListener("securitypolicyviolation", (e) => {
    console.info("csp-violation " + e.violatedDirective + " " + e.blockedURI);
  });
})();"""
# by hand from policies/flexibelt.yaml google_consent_mode
ALWAYS = {"functionality_storage": "granted", "security_storage": "granted"}
DENIED = {
    "ad_storage": "denied",
    "ad_user_data": "denied",
    "ad_personalization": "denied",
    "analytics_storage": "denied",
    "personalization_storage": "denied",
    **ALWAYS,
}
ANALYTICS_GRANTED = {**DENIED, "analytics_storage": "granted"}
DEFAULT = ["consent", "default", {**DENIED, "wait_for_update": 500}]


class Recorder:
    """Every dataLayer entry (and CSP violation) of the page, in order, across reloads."""

    def __init__(self, page: Page) -> None:
        self.entries: list[list[Any]] = []
        self.kinds: set[str] = set()
        self.violations: list[str] = []
        page.on("console", self._seen)

    def _seen(self, message: ConsoleMessage) -> None:
        if message.text.startswith("dataLayer "):
            entry = json.loads(message.text.removeprefix("dataLayer "))
            self.kinds.add(entry["kind"])
            self.entries.append(entry["args"])
        elif message.text.startswith("csp-violation "):
            self.violations.append(message.text)

    def commands(self) -> list[list[Any]]:
        """Each entry as the tag reads it; the 'js' command's date left out."""
        return [e[:1] if e[0] == "js" else e for e in self.entries]

    def wait_for(self, page: Page, count: int) -> None:
        for _ in range(100):
            if len(self.entries) >= count:
                return
            page.wait_for_timeout(50)
        raise AssertionError(f"fewer than {count} dataLayer entries: {self.entries}")


def _assert_load(commands: list[list[Any]], update: dict[str, Any]) -> None:
    """One page load: the default before anything else, then the tag's own commands in order
    and the stored choice as one update. The update is pushed when the banner's question is
    answered, which may be before or after the tag's script ran: both are within
    wait_for_update, and Consent Mode applies an update whenever it comes after the default."""
    assert commands[0] == DEFAULT
    rest = commands[1:]
    assert [c for c in rest if c[0] != "consent"] == [["js"], ["config", "G-DEMO1"]]
    assert [c for c in rest if c[0] == "consent"] == [["consent", "update", update]]


def _serve_page(context: BrowserContext, demo: Demo) -> None:
    def fulfil(route: Route) -> None:
        html = route.request.url.endswith(PAGE)
        route.fulfill(
            status=200,
            body=HTML if html else GOOGLE_TAG,
            content_type="text/html; charset=utf-8" if html else "text/javascript",
            headers={"Content-Security-Policy": STRICT_CSP},
        )

    context.route(demo.base_url + PAGE, fulfil)
    context.route(demo.base_url + TAG, fulfil)
    context.add_init_script(RECORDER)


def _open(browser: Browser, demo: Demo, *, gpc: bool = False) -> tuple[Page, Recorder]:
    context = _context(browser, gpc=gpc)
    _serve_page(context, demo)
    page = context.new_page()
    recorder = Recorder(page)
    page.goto(demo.base_url + PAGE)
    return page, recorder


def test_l44_the_default_comes_before_any_tag_command_and_accepteren_sends_an_update(
    demo: Demo, browser: Browser
) -> None:
    page, recorder = _open(browser, demo)
    page.locator("#privaat-banner").wait_for()
    page.wait_for_timeout(300)
    # no choice yet: the default, then the tag's own commands, and no update
    assert recorder.commands() == [DEFAULT, ["js"], ["config", "G-DEMO1"]]
    page.get_by_role("button", name="Accepteren").click()
    recorder.wait_for(page, 4)
    assert recorder.commands()[3] == ["consent", "update", ANALYTICS_GRANTED]
    # the next load: the default first again, then the stored choice as an update
    page.reload()
    recorder.wait_for(page, 8)
    _assert_load(recorder.commands()[4:], ANALYTICS_GRANTED)
    # exactly as Google's snippet pushes them: Arguments objects, not arrays
    assert recorder.kinds == {"[object Arguments]"}
    assert recorder.violations == []  # strict CSP: no inline script or style, no eval
    page.context.close()


def test_l42_weigeren_and_a_withdrawal_in_the_settings_each_send_a_denying_update(
    demo: Demo, browser: Browser
) -> None:
    page, recorder = _open(browser, demo)
    page.get_by_role("button", name="Weigeren").click()
    recorder.wait_for(page, 4)
    assert recorder.commands()[3] == ["consent", "update", DENIED]
    page.locator("#pb-reopen").click()
    page.locator("#pb-category-analytics").check()
    page.locator("#pb-save").click()
    recorder.wait_for(page, 5)
    assert recorder.commands()[4] == ["consent", "update", ANALYTICS_GRANTED]
    page.locator("#pb-reopen").click()
    page.locator("#pb-category-analytics").uncheck()
    with page.expect_navigation():  # the analytics ran: withdrawing reloads the page
        page.locator("#pb-save").click()
    recorder.wait_for(page, 10)
    # the denying update reached the queue before the reload, and the reload restores it
    assert recorder.commands()[5] == ["consent", "update", DENIED]
    _assert_load(recorder.commands()[6:], DENIED)
    assert recorder.violations == []
    page.context.close()


def test_gpc_keeps_every_consent_type_denied(demo: Demo, browser: Browser) -> None:
    page, recorder = _open(browser, demo, gpc=True)
    page.locator("#pb-reopen").wait_for()  # the refusal is stored without a banner
    recorder.wait_for(page, 4)
    page.reload()
    page.locator("#pb-reopen").wait_for()
    recorder.wait_for(page, 8)
    updates = [e for e in recorder.commands() if e[:2] == ["consent", "update"]]
    assert updates == [["consent", "update", DENIED]] * 2
    assert recorder.commands()[0] == DEFAULT and recorder.commands()[4] == DEFAULT
    assert recorder.violations == []
    page.context.close()
