"""The tracker scanner and the server's clearing of cookies, against ``privaat demo`` in
chromium (issue 14 items 3, 4; LEGAL L39, L42, L44, L45).

``privaat scan`` crawls the demo's example site in three passes and must find what the leaky
page (/example/leaky) does on purpose: a cookie the policy does not declare, and a call to the
stand-in analytics origin before any choice; the example site's own declared cookies are not
flagged. Then a visitor accepts, the analytics origin sets an HttpOnly cookie no script can
delete, the visitor withdraws in the cookie settings and the server's answer expires it: the
scanner's own reading of the browser's jar finds none of the category's cookies left.
Also the bad input that needs a browser: an unreachable host, a page that times out, a link
to another origin (not followed)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from playwright.sync_api import Browser, Page
from tests.e2e.conftest import free_port

from privaat.demo.example_site import LEAKY_COOKIE
from privaat.demo.third_party import HTTP_ONLY_COOKIE
from privaat.domain.tracker_scan import Pass, declarations, declared_for
from privaat.policy.loader import load_policy_file
from privaat.services.site_scanner import collect_cookies

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
TABLE = declarations(load_policy_file(REPO / "policies" / "flexibelt.yaml"))


@dataclass
class Demo:
    """A running ``privaat demo``, and the ``privaat`` command on its database."""

    base_url: str
    analytics: str
    workdir: Path
    env: dict[str, str]

    def scan(self, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "privaat", "scan", *args],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def rows(self, query: str, *params: object) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.workdir / "var" / "privaat.db") as connection:
            return connection.execute(query, params).fetchall()


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    port, analytics, social = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRIVAAT_")}
    env["COLUMNS"] = "200"  # the summary's lines unwrapped
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
        yield Demo(base, f"http://127.0.0.1:{analytics}", tmp_path, env)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert "Traceback" not in log.read_text(errors="replace"), log.read_text()[-4000:]


def violations(stdout: str) -> list[list[str]]:
    """The summary's violation lines, split into their tab-separated fields."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("violations:"))
    out = []
    for line in lines[start + 1 :]:
        if not line.startswith("  "):
            break
        out.append(line.strip().split("\t"))
    return out


def test_l39_l44_the_scan_finds_the_leaky_pages_cookie_and_call_and_not_the_declared_ones(
    demo: Demo,
) -> None:
    report = demo.workdir / "report.html"
    done = demo.scan(demo.base_url + "/example/", "--pages", "6", "--output", str(report))
    assert done.returncode == 1, done.stdout + done.stderr  # violations: exit 1
    found = violations(done.stdout)
    leaky = demo.base_url + "/example/leaky"
    kinds = {(f[0], f[1]) for f in found}
    assert ("undeclared_cookie", LEAKY_COOKIE) in kinds
    assert ["cookie_before_consent", LEAKY_COOKIE, "before", "127.0.0.1", leaky] in found
    assert ["cookie_after_refusal", LEAKY_COOKIE, "refused", "127.0.0.1", leaky] in found
    collect = demo.analytics + "/collect"
    assert ["request_before_consent", collect, "before", demo.analytics, leaky] in found
    assert ["request_after_refusal", collect, "refused", demo.analytics, leaky] in found
    # the example site itself behaves: nothing found on /example/, no declared cookie before
    # consent, the analytics script only after Accepteren
    assert not [f for f in found if demo.base_url + "/example/" in f and leaky not in f]
    assert not [f for f in found if f[1] in {"_ga", "_ga_DEMO1", "privaat_visitor"}]
    assert not [f for f in found if f[1].endswith("/analytics.js")]
    # stored: names and attributes, never a value; the leaky page was reached by its link
    assert demo.rows("SELECT count(*) FROM tracker_scans") == [(1,)]
    pages = {row[0] for row in demo.rows("SELECT page FROM tracker_scan_pages")}
    assert leaky in pages and all(p.startswith(demo.base_url) for p in pages)
    columns = {row[1] for row in demo.rows("PRAGMA table_info(tracker_scan_cookies)")}
    assert "value" not in columns
    html = report.read_text(encoding="utf-8")
    assert "Trackerscan van" in html and LEAKY_COOKIE in html and "vóór een keuze" in html

    # the last scan against the policy, again: the cookie the table does not declare
    check = demo.scan("--check")
    assert check.returncode == 1
    assert ("undeclared_cookie", LEAKY_COOKIE) in {(f[0], f[1]) for f in violations(check.stdout)}


def _settle(page: Page) -> None:
    """Load, then a moment for what the page's scripts still send (networkidle may never
    come once the consented video's iframe is on the page)."""
    page.wait_for_load_state("load")
    page.wait_for_timeout(1000)


@pytest.mark.parametrize(
    ("settings_page", "opener"),
    [
        pytest.param("/example/", "#pb-reopen", id="banner-button"),
        pytest.param("/cookies", "#cookie-settings-open", id="cookies-page"),
    ],
)
def test_l42_withdrawal_expires_the_httponly_cookie_the_scan_saw(
    demo: Demo, browser: Browser, settings_page: str, opener: str
) -> None:
    scanned = demo.scan(demo.base_url + "/example/", "--pages", "3")
    assert scanned.returncode == 0, scanned.stdout + scanned.stderr  # 3 pages: not the leaky one
    # the scan saw the HttpOnly cookie after Accepteren: its name, domain and path are stored
    assert demo.rows(
        "SELECT domain, path, http_only FROM tracker_scan_cookies "
        "WHERE name = ? AND scan_pass = 'accepted'",
        HTTP_ONLY_COOKIE,
    ) == [("127.0.0.1", "/example/", 1)]
    context = browser.new_context(locale="nl-NL")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(demo.base_url + "/example/")
    with page.expect_response(lambda r: r.url.startswith(demo.analytics + "/collect")):
        page.get_by_role("button", name="Accepteren").click()
    _settle(page)
    jar = {c["name"]: c for c in context.cookies()}
    assert jar[HTTP_ONLY_COOKIE]["httpOnly"] is True  # no script can delete this one
    assert jar[HTTP_ONLY_COOKIE]["path"] == "/example/"  # and /consent/choices never sees it

    if settings_page != "/example/":
        page.goto(demo.base_url + settings_page)
        page.locator("#pb-reopen").wait_for()  # the stored choice is read
    page.locator(opener).click()  # the permanent cookie settings, or the /cookies page's
    page.locator("#pb-category-analytics").uncheck()
    with page.expect_response(lambda r: r.url.endswith("/consent/choices") and
                              r.request.method == "POST") as answer:  # fmt: skip
        with page.expect_navigation():  # a page whose category ran reloads on withdrawal
            page.locator("#pb-save").click()
    expiries = [h["value"] for h in answer.value.headers_array() if h["name"] == "set-cookie"]
    assert any(v.startswith(HTTP_ONLY_COOKIE + "=;") and "Path=/example/" in v for v in expiries)
    page.locator("#pb-reopen").wait_for()
    _settle(page)
    # the scanner's own reading of the jar, held against the table: no analytics cookie left
    left = [
        c.name
        for c in collect_cookies(context, Pass.ACCEPTED, page.url)
        if (row := declared_for(c.name, TABLE)) is not None and row.category == "analytics"
    ]
    assert left == []
    assert "privaat_visitor" in {c["name"] for c in context.cookies()}  # the choice is kept
    context.close()


# --- bad input that needs the browser ---------------------------------------------------------


class _Site:
    """A small site without a banner: a start page linking to a slow page, a plain page and
    a page on another origin, which records every request it gets."""

    def __init__(self) -> None:
        self.away_hits: list[str] = []
        hits = self.away_hits

        class Away(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                hits.append(self.path)
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.away = ThreadingHTTPServer(("127.0.0.1", 0), Away)
        away = f"http://127.0.0.1:{self.away.server_address[1]}"

        class Site(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                if self.path.startswith("/slow"):
                    time.sleep(4)
                body = (
                    f'<!DOCTYPE html><title>t</title><a href="/slow">s</a> '
                    f'<a href="/next">n</a> <a href="{away}/away">a</a>'
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.site = ThreadingHTTPServer(("127.0.0.1", 0), Site)
        for server in (self.away, self.site):
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.site.server_address[1]}/"

    def stop(self) -> None:
        for server in (self.away, self.site):
            server.shutdown()
            server.server_close()


@pytest.fixture
def site() -> Iterator[_Site]:
    served = _Site()
    yield served
    served.stop()


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRIVAAT_")}
    env["PRIVAAT_DATABASE_URL"] = f"sqlite:///{tmp_path}/scan.db"
    env["COLUMNS"] = "200"
    return env


def _privaat(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "privaat", *args],
        cwd=tmp_path,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_a_page_that_times_out_is_reported_and_another_origin_is_never_followed(
    tmp_path: Path, site: _Site
) -> None:
    done = _privaat(tmp_path, "scan", site.url, "--pages", "5", "--timeout", "1.5")
    assert done.returncode == 0, done.stdout + done.stderr  # nothing set, nothing called
    assert site.away_hits == []  # the link to another origin was not followed
    assert f"  timeout\tbefore\t{site.url}slow" in done.stdout
    with sqlite3.connect(tmp_path / "scan.db") as connection:
        pages = connection.execute(
            "SELECT page, outcome FROM tracker_scan_pages WHERE scan_pass = 'before'"
        ).fetchall()
    # the scan went on past the slow page; the banner-less site is said to have no banner
    assert sorted(pages) == [
        (site.url, "ok"),
        (site.url + "next", "ok"),
        (site.url + "slow", "timeout"),
    ]
    assert "#pb-refuse could not be used" in done.stdout


def test_an_unreachable_host_exits_2_and_stores_nothing(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/"  # nothing listens there
    done = _privaat(tmp_path, "scan", url)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"privaat: scan: cannot reach {url}" in done.stderr
    assert "ERR_CONNECTION_REFUSED" in done.stderr and "Traceback" not in done.stderr
    with sqlite3.connect(tmp_path / "scan.db") as connection:
        assert connection.execute("SELECT count(*) FROM tracker_scans").fetchone() == (0,)
