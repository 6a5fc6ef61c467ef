"""Headless Chromium over a website, three times: what it stores and whom it calls.

    check_url(url)            ── http(s) with a host, else BadScanUrl (nothing started)
    scan_site(url, pages=N)
      ├─ Pass.BEFORE    fresh profile: the start page, then its same-origin links breadth
      │                 first, at most N pages (a page's URL without query is its identity)
      ├─ Pass.REFUSED   fresh profile: the banner's refuse button (#pb-refuse), then the
      │                 same pages
      └─ Pass.ACCEPTED  fresh profile: the banner's accept button (#pb-accept), the same pages
         after each page: new cookies (name, domain, path, expiry, flags; never the value),
         localStorage / sessionStorage keys of every frame, and each request to another origin
         (URL without query) since the last page

The banner's buttons are found by the ids banner.js gives them, so a scan works in every
language. A page that does not load in ``timeout`` seconds is a ``PageOutcome.TIMEOUT`` and the
scan goes on; a start page that cannot be reached at all is ``ScanFailed`` (nothing stored).
Playwright is imported only here, when a scan runs: the web app starts without it. The
browser is Debian's chromium (``/usr/bin/chromium``); Playwright's own download is never used.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from privaat.domain.clock import Clock
from privaat.domain.tracker_scan import (
    Pass,
    ScanObservations,
    SeenCookie,
    SeenRequest,
    SeenStorage,
    StorageArea,
)
from privaat.services.tracker_scans import PageOutcome, PageVisit

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

__all__ = [
    "CHROMIUM",
    "MAX_PAGES",
    "BadScanUrl",
    "ScanFailed",
    "check_url",
    "collect_cookies",
    "origin_of",
    "scan_site",
]

CHROMIUM = Path("/usr/bin/chromium")
MAX_PAGES = 200
# as the browser tests run it: no sandbox as root, no background connections of its own
# (they would count as the site's third-party requests)
_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
_REFUSE, _ACCEPT, _CHOSEN = "#pb-refuse", "#pb-accept", "#pb-reopen"  # ids of banner.js
_QUIET_MS = 2_000  # how long a page may keep its network busy after "load" before we move on
_STORAGE_KEYS = "() => [Object.keys(localStorage), Object.keys(sessionStorage)]"
_LINKS = "() => Array.from(document.links, (a) => a.href)"


class BadScanUrl(ValueError):
    """The URL cannot be scanned: not http(s), or malformed."""


class ScanFailed(RuntimeError):
    """The scan could not run: no browser, or the start page cannot be reached."""


def check_url(url: str) -> str:
    """``url`` without its fragment, when it is an http(s) URL with a host; else BadScanUrl."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018  (raises ValueError for a port that is no number)
    except ValueError as error:
        raise BadScanUrl(f"malformed URL {url!r}: {error}") from None
    if parts.scheme not in ("http", "https"):
        scheme = parts.scheme or "(none)"
        raise BadScanUrl(f"{url!r}: the scheme must be http or https, not {scheme}")
    if not parts.hostname:
        raise BadScanUrl(f"malformed URL {url!r}: it names no host")
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def origin_of(url: str) -> str:
    """scheme://host[:port] of ``url``, lower-case, the default port left out."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"  # an IPv6 literal
    default = {"http": 80, "https": 443}.get(parts.scheme)
    port = "" if parts.port in (None, default) else f":{parts.port}"
    return f"{parts.scheme}://{host}{port}"


def _bare(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", "", ""))


def collect_cookies(context: BrowserContext, scan_pass: Pass, page: str) -> list[SeenCookie]:
    """Every cookie in ``context``'s jar as an observation (names and attributes only)."""
    out = []
    for c in context.cookies():
        expires = c.get("expires", -1)
        out.append(
            SeenCookie(
                name=c.get("name", ""),
                domain=c.get("domain", ""),
                path=c.get("path", "/"),
                expires=None if expires < 0 else datetime.fromtimestamp(expires, UTC),
                http_only=bool(c.get("httpOnly", False)),
                secure=bool(c.get("secure", False)),
                same_site=str(c.get("sameSite", "Lax")),
                scan_pass=scan_pass,
                page=page,
            )
        )
    return out


@dataclass
class _Pass:
    """What one pass has seen so far, deduplicated, each with the page it came after."""

    scan_pass: Pass
    site: str
    cookies: dict[tuple[str, str, str], SeenCookie] = field(default_factory=dict)
    storage: dict[tuple[str, str, str], SeenStorage] = field(default_factory=dict)
    requests: dict[str, SeenRequest] = field(default_factory=dict)
    pending: list[str] = field(default_factory=list)  # third-party URLs since the last page
    listening: bool = False

    def request(self, url: str) -> None:
        if self.listening and urlsplit(url).scheme in ("http", "https", "ws", "wss"):
            if origin_of(url) != self.site:
                self.pending.append(_bare(url))

    def after(self, context: BrowserContext, page: Page | None, label: str) -> None:
        for url in self.pending:
            self.requests.setdefault(url, SeenRequest(origin_of(url), url, self.scan_pass, label))
        self.pending.clear()
        for c in collect_cookies(context, self.scan_pass, label):
            self.cookies.setdefault((c.name, c.domain, c.path), c)
        from playwright.sync_api import Error

        for frame in page.frames if page is not None else ():
            try:
                local, session = frame.evaluate(_STORAGE_KEYS)
            except Error:  # an opaque or detached frame has no storage to read; nothing else
                continue
            origin = origin_of(frame.url) if frame.url.startswith("http") else self.site
            for area, keys in ((StorageArea.LOCAL, local), (StorageArea.SESSION, session)):
                for key in keys:
                    item = SeenStorage(area, str(key), origin, self.scan_pass, label)
                    self.storage.setdefault((area.value, origin, str(key)), item)


def scan_site(
    url: str,
    *,
    pages: int,
    timeout: float,
    clock: Clock,
    progress: Callable[[Pass, str], None] | None = None,
    planned: Callable[[int], None] | None = None,
) -> tuple[ScanObservations, list[PageVisit]]:
    """Scan the site of ``url`` in three passes; ``planned`` hears the number of page loads
    once the first pass has found the pages, ``progress`` each page as it is done."""
    start = check_url(url)
    site = origin_of(start)
    if not CHROMIUM.is_file():
        raise ScanFailed(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        raise ScanFailed(
            "the scan needs Playwright for Python: pip install 'privaat[scan]'"
        ) from None
    at = clock.now()
    visits: list[PageVisit] = []
    passes: list[_Pass] = []
    ms = int(timeout * 1000)
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=_ARGS)
        except Error as error:
            raise ScanFailed(f"chromium did not start: {_first_line(error)}") from None
        try:
            before = _Pass(Pass.BEFORE, site)
            found = _crawl(browser, before, [start], pages, ms, visits, progress, discover=True)
            passes.append(before)
            if visits and visits[0].outcome is PageOutcome.ERROR:
                raise ScanFailed(f"cannot reach {start}: {visits[0].detail}")
            if planned is not None:
                planned(len(found) * 3)
            for scan_pass, button in ((Pass.REFUSED, _REFUSE), (Pass.ACCEPTED, _ACCEPT)):
                state = _Pass(scan_pass, site)
                _crawl(browser, state, found, pages, ms, visits, progress, button=button)
                passes.append(state)
        finally:
            browser.close()
    observed = ScanObservations(
        site,
        at,
        tuple(c for p in passes for c in p.cookies.values()),
        tuple(s for p in passes for s in p.storage.values()),
        tuple(r for p in passes for r in p.requests.values()),
    )
    return observed, visits


def _crawl(
    browser: Browser,
    state: _Pass,
    queue: list[str],
    limit: int,
    ms: int,
    visits: list[PageVisit],
    progress: Callable[[Pass, str], None] | None,
    *,
    discover: bool = False,
    button: str | None = None,
) -> list[str]:
    """Visit ``queue`` (and, discovering, the same-origin links found) in one fresh profile."""
    from playwright.sync_api import Error
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    context = browser.new_context(locale="nl-NL")
    context.set_default_timeout(ms)
    context.on("request", lambda request: state.request(request.url))
    done: list[str] = []
    seen = {_bare(u) for u in queue}
    todo = list(queue)
    try:
        page = context.new_page()
        if button is not None and not _choose(page, todo[0], button, ms, state, visits):
            return done
        state.listening = True
        while todo and len(done) < limit:
            url = todo.pop(0)
            label = _bare(url)
            visit = _visit(page, url, label, state.scan_pass, ms, Error, PlaywrightTimeout)
            visits.append(visit)
            done.append(url)
            if visit.outcome is PageOutcome.OK and origin_of(page.url) == state.site:
                state.after(context, page, label)
                if discover:
                    for link in _links(page):
                        if origin_of(link) == state.site and _bare(link) not in seen:
                            seen.add(_bare(link))
                            todo.append(link)
            else:
                state.after(context, None, label)
            if progress is not None:
                progress(state.scan_pass, label)
    finally:
        context.close()
    return done


def _choose(
    page: Page, url: str, button: str, ms: int, state: _Pass, visits: list[PageVisit]
) -> bool:
    """Open ``url`` and click the banner's button; False (with the reason as a visit) when
    the banner cannot be found there."""
    from playwright.sync_api import Error

    try:
        page.goto(url, wait_until="load", timeout=ms)
        page.locator(button).click(timeout=ms)
        page.locator(_CHOSEN).wait_for(timeout=ms)  # the choice is saved: the banner closed
    except Error as error:
        detail = f"the banner's button {button} could not be used: {_first_line(error)}"
        visits.append(PageVisit(state.scan_pass, _bare(url), PageOutcome.ERROR, None, detail))
        return False
    _settle(page)
    return True


def _visit(
    page: Page,
    url: str,
    label: str,
    scan_pass: Pass,
    ms: int,
    error_type: type[Exception],
    timeout_type: type[Exception],
) -> PageVisit:
    try:
        response = page.goto(url, wait_until="load", timeout=ms)
    except timeout_type:
        with contextlib.suppress(error_type):
            page.goto("about:blank")  # stop the slow page before the next one
        return PageVisit(scan_pass, label, PageOutcome.TIMEOUT, None, f"no load in {ms} ms")
    except error_type as error:
        return PageVisit(scan_pass, label, PageOutcome.ERROR, None, _first_line(error))
    _settle(page)
    status = response.status if response is not None else None
    if origin_of(page.url) != origin_of(url):
        detail = f"redirected to another origin: {origin_of(page.url)}"
        return PageVisit(scan_pass, label, PageOutcome.OK, status, detail)
    return PageVisit(scan_pass, label, PageOutcome.OK, status)


def _settle(page: Page) -> None:
    """Give the page's scripts a moment: what they set or send soon after load counts."""
    from playwright.sync_api import Error

    with contextlib.suppress(Error):
        page.wait_for_load_state("networkidle", timeout=_QUIET_MS)
    page.wait_for_timeout(300)


def _links(page: Page) -> list[str]:
    from playwright.sync_api import Error

    try:
        hrefs: Any = page.evaluate(_LINKS)
    except Error:
        return []
    return [urlunsplit(urlsplit(str(h))[:4] + ("",)) for h in hrefs if str(h).startswith("http")]


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:200] if text else type(error).__name__
