"""W7: server time and weight of the pages people use — ``/``, the sign-up page, "Mijn
gegevens" and the console dashboard — each beside ``/healthz`` measured in the same run.

In process, through the ASGI app: each request is one call of the whole app (headers
middleware, body limit, routing, dependencies, the page's reads, its template) from a minimal
ASGI driver on one event loop, with no socket and no HTTP client. What is timed is what the
server spends on a request; loopback HTTP would add uvicorn's parsing and the client's own
cost to every figure alike. Pages and the baseline are requested in turn, round-robin, so a
noisy neighbour slows all of them together and the ratios hold.

    python -m bench.pages_bench --size 2000 [--requests N]

``--size`` is the number of other customers in the SQLite database (bulk-created as
``bench.accounts_bench`` creates them); ``--requests`` the timed requests per page (default:
``size``, at most 5,000). The pages are read as the person who sees them: a customer logged
in through the JSON API's log-in, a privacy officer logged in with a password and a TOTP code.
Page weight is the HTML plus every stylesheet and script it links, as served (uncompressed).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from typing import Any

import pyotp

from bench.accounts_bench import create_accounts, machine
from privaat.bootstrap import Context, bootstrap
from privaat.domain.clock import SystemClock
from privaat.services.account_commands import AccountCreate
from privaat.settings import Mode, Settings
from privaat.web.app import create_app
from privaat.web.console.access import STAFF_COOKIE

P50_TARGET_MS = 5.0
WEIGHT_TARGET_KB = 100.0
WARM_UP = 50
HOST = "127.0.0.1:8000"
CLIENT = ("145.97.0.1", 50000)  # a Dutch public address, as the tests use

Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Asgi = Callable[[dict[str, Any], Receive, Send], Awaitable[None]]


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    seconds: float

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k == name), None)

    def cookies(self) -> dict[str, str]:
        jar: SimpleCookie = SimpleCookie()
        for name, value in self.headers:
            if name == "set-cookie":
                jar.load(value)
        return {key: morsel.value for key, morsel in jar.items()}


@dataclass
class Browser:
    """Cookies kept between requests, as a browser keeps them (no expiry, no paths)."""

    app: Asgi
    cookies: dict[str, str] = field(default_factory=dict)
    language: str = "nl"

    async def request(
        self, method: str, path: str, *, body: bytes = b"", content_type: str | None = None
    ) -> Answer:
        raw_path, _, query = path.partition("?")
        headers = [(b"host", HOST.encode()), (b"accept-language", self.language.encode())]
        if self.cookies:
            jar = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            headers.append((b"cookie", jar.encode()))
        if content_type:
            headers += [
                (b"content-type", content_type.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"origin", f"http://{HOST}".encode()),
                (b"sec-fetch-site", b"same-origin"),
            ]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": raw_path,
            "raw_path": raw_path.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": headers,
            "client": CLIENT,
            "server": ("127.0.0.1", 8000),
            "state": {},
        }
        sent = False
        start: Message = {}
        chunks: list[bytes] = []

        async def receive() -> Message:
            nonlocal sent
            if sent:
                await asyncio.Event().wait()  # the request is over; wait for the disconnect
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        began = time.perf_counter()
        await self.app(scope, receive, send)
        seconds = time.perf_counter() - began
        answer = Answer(
            start["status"],
            [(k.decode("latin-1"), v.decode("latin-1")) for k, v in start.get("headers", [])],
            b"".join(chunks),
            seconds,
        )
        self.cookies.update(answer.cookies())
        return answer


class _Assets(HTMLParser):
    """The stylesheets and scripts a page links to."""

    def __init__(self) -> None:
        super().__init__()
        self.css: list[str] = []
        self.scripts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        rel = (values.get("rel") or "").split()
        if tag == "link" and "stylesheet" in rel and values.get("href"):
            self.css.append(str(values["href"]))
        elif tag == "script" and values.get("src"):
            self.scripts.append(str(values["src"]))


async def weight(browser: Browser, path: str) -> tuple[int, int, int]:
    """Bytes of the page's HTML, of its stylesheets and of its scripts."""
    page = await browser.request("GET", path)
    assets = _Assets()
    assets.feed(page.body.decode("utf-8", "replace"))

    async def total(urls: Iterable[str]) -> int:
        sizes = [len((await browser.request("GET", url)).body) for url in dict.fromkeys(urls)]
        return sum(sizes)

    return len(page.body), await total(assets.css), await total(assets.scripts)


async def lifespan(app: Asgi) -> Callable[[], Awaitable[None]]:
    """Start the app's lifespan (the access-log flusher runs as in a server); returns its stop."""
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    started, stopped = asyncio.Event(), asyncio.Event()

    async def send(message: Message) -> None:
        if message["type"].startswith("lifespan.startup"):
            started.set()
        if message["type"].startswith("lifespan.shutdown"):
            stopped.set()

    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    task = asyncio.create_task(app(scope, inbox.get, send))
    await inbox.put({"type": "lifespan.startup"})
    await started.wait()

    async def stop() -> None:
        await inbox.put({"type": "lifespan.shutdown"})
        await stopped.wait()
        await task

    return stop


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p99 in milliseconds."""
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return statistics.median(samples) * 1000, cuts[98] * 1000


@dataclass
class Page:
    label: str
    path: str
    browser: Browser


async def measure(pages: list[Page], requests: int) -> dict[str, list[float]]:
    """Seconds per request of each page, requested round-robin; every answer must be a 200."""
    times: dict[str, list[float]] = {page.label: [] for page in pages}
    for round_ in range(WARM_UP + requests):
        for page in pages:
            answer = await page.browser.request("GET", page.path)
            if answer.status != 200:
                raise SystemExit(f"{page.label} ({page.path}) answered {answer.status}")
            if round_ >= WARM_UP:
                times[page.label].append(answer.seconds)
    return times


async def customer_browser(app: Asgi, ctx: Context) -> Browser:
    """A customer signed up through the service, logged in through the JSON API."""
    email, password = "bench.klant@example.nl", "benchmark wachtwoord"
    command = AccountCreate.model_validate(
        {
            "email": email,
            "password": password,
            "name": "Bench Klant",
            "street": "Dorpsstraat 1",
            "postal_code": "2721 NA",
            "city": "Zoetermeer",
            "age_declaration": True,
        }
    )
    with ctx.unit_of_work() as uow:
        ctx.accounts.sign_up(uow, command)
    browser = Browser(app)
    body = f'{{"email": "{email}", "password": "{password}"}}'.encode()
    answer = await browser.request(
        "POST", "/api/v1/session", body=body, content_type="application/json"
    )
    if answer.status != 204:
        raise SystemExit(f"log-in answered {answer.status}: {answer.body[:200]!r}")
    return browser


async def officer_browser(app: Asgi, ctx: Context) -> Browser:
    """A privacy officer created, enrolled and logged in (password and TOTP) by the service."""
    email, password = "bench.fg@flexibelt.example", "benchmark console-wachtwoord"
    with ctx.unit_of_work() as uow:
        enrolment = ctx.staff.create(uow, email=email, role="privacy_officer")
        totp = pyotp.TOTP(ctx.staff.pending_enrolment(uow, enrolment.token).secret)
        ctx.staff.enrol(uow, token=enrolment.token, password=password, code=totp.now())
        # the enrolment spent this time step; the next one's code is within the drift
        code = totp.at(time.time() + totp.interval)
        session = ctx.staff.log_in(uow, email=email, password=password, code=code, ip=CLIENT[0])
    return Browser(app, cookies={STAFF_COOKIE: session.token})


def report(label: str, ours: list[float], base: list[float]) -> str:
    p50, p99 = percentiles(ours)
    b50, b99 = percentiles(base)
    verdict = "✔" if p50 <= P50_TARGET_MS else "✘ over"
    return (
        f"{label}: p50 {p50:.2f} ms, p99 {p99:.2f} ms | /healthz p50 {b50:.2f} ms, "
        f"p99 {b99:.2f} ms | ratio p50 {p50 / b50:.1f}x, p99 {p99 / b99:.1f}x "
        f"| target p50 ≤ {P50_TARGET_MS:g} ms {verdict}"
    )


def weight_line(label: str, sizes: tuple[int, int, int]) -> str:
    html, css, scripts = (size / 1024 for size in sizes)
    total = html + css + scripts
    verdict = "✔" if total <= WEIGHT_TARGET_KB else "✘ over"
    return (
        f"{label} weight: HTML {html:.1f} KB + CSS {css:.1f} KB + scripts {scripts:.1f} KB"
        f" = {total:.1f} KB | target ≤ {WEIGHT_TARGET_KB:g} KB {verdict}"
    )


async def run_async(size: int, requests: int) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="privaat-pages-bench-") as workdir:
        settings = Settings(
            mode=Mode.TEST, database_url=f"sqlite:///{workdir}/privaat.db", var_dir=f"{workdir}/var"
        )
        ctx = bootstrap(settings, clock=SystemClock())
        try:
            create_accounts(ctx, size)
            app: Asgi = create_app(ctx)
            stop = await lifespan(app)
            anonymous = Browser(app)
            customer = await customer_browser(app, ctx)
            officer = await officer_browser(app, ctx)
            pages = [
                Page("/healthz", "/healthz", anonymous),
                Page("/ (start page)", "/", anonymous),
                Page("/signup (sign-up page)", "/signup", anonymous),
                Page("/account (Mijn gegevens)", "/account", customer),
                Page("/console (dashboard)", "/console", officer),
            ]
            times = await measure(pages, requests)
            baseline = times[pages[0].label]
            lines = [
                f"pages: {size:,} other customers on SQLite, {requests:,} requests per page,"
                " in process through the ASGI app (no socket)"
            ]
            lines += [report(page.label, times[page.label], baseline) for page in pages[1:]]
            for page in pages[1:]:
                lines.append(weight_line(page.label, await weight(page.browser, page.path)))
            await stop()
        finally:
            ctx.close()
    return lines


def run(size: int, requests: int | None = None) -> list[str]:
    """The figures as printed lines; ``requests`` defaults to ``size``, at most 5,000."""
    return asyncio.run(run_async(size, requests or min(max(size, 100), 5_000)))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=2_000, help="other customers in the database")
    parser.add_argument("--requests", type=int, default=None, help="timed requests per page")
    args = parser.parse_args(argv)
    print(f"machine: {machine()}")
    for line in run(args.size, args.requests):
        print(line, flush=True)


if __name__ == "__main__":
    main()
