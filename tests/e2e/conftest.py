"""Browser fixtures: a real ``privaat serve`` process and Debian's chromium driven by Playwright.

    make test ─▶ chromium (apt), playwright (pip, dev), axe-core (npm, under .venv/axe)
    server   ─▶ privaat serve on 127.0.0.1:<free port>, a temporary SQLite database and var/,
                its mail to an SMTP catcher on loopback (``server.deliver_mail()``)
    browser  ─▶ one chromium per run ─▶ a fresh context and ``page`` per test
    inspect  ─▶ at each page: axe-core (WCAG 2.1 A/AA), no console error, no sideways
                scrolling at 360 px, screenshots at 360 and 1280 px in test-output/screenshots/

axe-core is evaluated in the page through the DevTools protocol, which the page's own
Content-Security-Policy does not govern: the pages are tested under the CSP they ship.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast

import httpx2 as httpx
import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Browser, ConsoleMessage, Page, Response, sync_playwright

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE = REPO / ".venv" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = REPO / "test-output" / "screenshots"
# the flags the machine's chromium is known to run with: no sandbox as root, and no background
# connections (a closed network refuses them, many at a time)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WIDTHS = (360, 1280)
HEIGHT = 800
STARTUP_SECONDS = 30


def _missing_tools() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is missing (make test installs it as root: apt-get install chromium)"
    if not AXE.is_file():
        return f"axe-core is missing at {AXE} (make test installs it with npm)"
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- mail ------------------------------------------------------------------------------------


@dataclass
class MailCatcher:
    """An aiosmtpd handler that keeps every message the outbox delivers."""

    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.original_content, policy=email_policy.default)
        self.messages.append(cast(EmailMessage, message))
        await asyncio.sleep(0)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address.lower() in str(m["To"]).lower()]


def body_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    return str((part or message).get_content())


# --- the server process ----------------------------------------------------------------------


@dataclass
class LiveServer:
    """A ``privaat serve`` process on loopback, and the ``privaat`` command on its database."""

    base_url: str
    env: dict[str, str]
    workdir: Path
    mail: MailCatcher

    def url(self, path: str) -> str:
        return self.base_url + path

    def cli(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """Run ``privaat ARGS`` with the server's settings; fails the test on a non-zero exit."""
        done = subprocess.run(
            [sys.executable, "-m", "privaat", *args],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert done.returncode == 0, f"privaat {' '.join(args)}: {done.stdout}{done.stderr}"
        return done

    def deliver_mail(self) -> None:
        """One pass of the outbox (``privaat mail deliver``), as the operator's timer runs it."""
        self.cli("mail", "deliver")

    def links_to(self, address: str) -> list[str]:
        """Every link of the mail delivered to ``address`` so far, oldest first."""
        found: list[str] = []
        for message in self.mail.to(address):
            found += re.findall(r"https?://[^\s<>\"']+", body_of(message))
        # a sentence may end right after a link: its full stop is not part of it
        links = [link.rstrip(".,;:!?)") for link in found]
        return [link for link in links if link.startswith(self.base_url)]


def _server_env(workdir: Path, port: int, smtp_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRIVAAT_")}
    env.update(
        PRIVAAT_MODE="test",  # cheap argon2, a master key made in var/
        PRIVAAT_DATABASE_URL=f"sqlite:///{workdir / 'privaat.db'}",
        PRIVAAT_VAR_DIR=str(workdir / "var"),
        PRIVAAT_BASE_URL=f"http://127.0.0.1:{port}",
        PRIVAAT_SMTP_HOST="127.0.0.1",
        PRIVAAT_SMTP_PORT=str(smtp_port),
        PRIVAAT_MAIL_FROM="privacy@flexibelt.example",
        # as behind a reverse proxy on the same host: a test can say where its browser is
        # (X-Forwarded-For), so a log-in has a real place (P9)
        PRIVAAT_FORWARDED_ALLOW_IPS="127.0.0.1",
    )
    return env


def _wait_healthy(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert process.poll() is None, f"privaat serve exited:\n{log.read_text()}"
        late = time.monotonic() > deadline
        assert not late, f"not healthy after {STARTUP_SECONDS} s:\n{log.read_text()}"
        time.sleep(0.1)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    """A fresh server per test: its own database, so per-IP limits and data never carry over."""
    catcher, smtp_port = MailCatcher(), free_port()
    smtp = Controller(catcher, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    port = free_port()
    env = _server_env(tmp_path, port, smtp_port)
    log = tmp_path / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "privaat", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    live = LiveServer(f"http://127.0.0.1:{port}", env, tmp_path, catcher)
    try:
        _wait_healthy(live.base_url, process, log)
        yield live
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        smtp.stop()
    # a page that answered with a 500 left its traceback here, whatever the browser showed
    output_text = log.read_text(errors="replace")
    assert "Traceback" not in output_text, output_text[-4000:]


# --- the browser -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's chromium, started once for the run (Playwright's own browsers are never used)."""
    missing = _missing_tools()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests cannot run in CI: {missing}")
        pytest.skip(missing)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A new browser context (no cookies) for a Dutch visitor, desktop-sized."""
    context = browser.new_context(
        locale="nl-NL",  # Accept-Language: nl-NL; the pages' own default is Dutch too
        viewport={"width": WIDTHS[-1], "height": HEIGHT},
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@dataclass
class Finding:
    """One thing wrong with one page: an axe rule, a console error, or sideways scrolling."""

    page: str
    what: str

    def __str__(self) -> str:
        return f"{self.page}: {self.what}"


class PageInspector:
    """Checks each page the test reaches and screenshots it at every width."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.console: list[str] = []
        self.seen: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.console.append(f"script error: {error}"))
        page.on("response", self._on_response)

    def _on_console(self, message: ConsoleMessage) -> None:
        # a form re-rendered with its errors is a 422 document, as it should be: a failed
        # load is judged by _on_response, for what the page itself loads
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.console.append(f"console error: {message.text}")

    def _on_response(self, response: Response) -> None:
        if response.request.resource_type != "document" and response.status >= 400:
            self.console.append(f"{response.request.method} {response.url}: {response.status}")

    def __call__(self, name: str) -> None:
        """Fail on any finding on the page now shown; its screenshots are taken first."""
        findings = self.findings(name)
        assert not findings, "\n".join(str(f) for f in findings)

    def findings(self, name: str) -> list[Finding]:
        """What is wrong with the page now shown; ``name`` (unique in the run) names its files."""
        page, label = self.page, f"{name} ({self.page.url})"
        page.wait_for_load_state("load")
        self.seen.append(name)
        found = [Finding(label, text) for text in self.console]
        self.console.clear()
        found += [Finding(label, text) for text in axe_violations(page)]
        original = page.viewport_size
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": HEIGHT})
            if width == min(WIDTHS):
                overflow = page.evaluate("document.documentElement.scrollWidth")
                if overflow > width:
                    found.append(Finding(label, f"scrolls sideways at {width} px: {overflow} px"))
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=SCREENSHOTS / f"{name}-{width}.png", full_page=True)
        if original:
            page.set_viewport_size(original)
        return found


def axe_violations(page: Page) -> list[str]:
    """Each WCAG 2.1 A/AA violation axe-core finds on the page: rule, impact, elements."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source())
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes:"
        " ['violations']})",
        WCAG_21_AA,
    )
    lines = []
    for violation in result["violations"]:
        for node in violation["nodes"]:
            lines.append(
                f"axe {violation['id']} ({violation['impact']}): {' '.join(node['target'])}"
                f" {node['html'][:160]!r} — {violation['help']}"
            )
    return lines


_AXE_SOURCE: list[str] = []


def _axe_source() -> str:
    if not _AXE_SOURCE:
        _AXE_SOURCE.append(AXE.read_text(encoding="utf-8"))
    return _AXE_SOURCE[0]


@pytest.fixture
def inspect(page: Page) -> PageInspector:
    """``inspect("name")`` checks the page now shown and screenshots it as ``name-WIDTH.png``."""
    return PageInspector(page)
