"""The tracker scan's HTML report (issue 14 item 3): Dutch by default, English on request,
every name and URL from the scanned site escaped; the summary names each violation."""

from __future__ import annotations

from datetime import UTC, datetime

from privaat.domain.tracker_scan import (
    Finding,
    FindingKind,
    Pass,
    ScanObservations,
    SeenCookie,
)
from privaat.render.tracker_scan_report import render_report, summary_lines
from privaat.services.tracker_scans import PageOutcome, PageVisit, StoredScan

AT = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
SITE = "https://www.flexibelt.example"
HOSTILE = '<img src=x onerror="alert(1)">'


def scan() -> StoredScan:
    cookie = SeenCookie(HOSTILE, "www.flexibelt.example", "/", None, True, False, "Lax",
                        Pass.BEFORE, SITE + "/")  # fmt: skip
    visits = (
        PageVisit(Pass.BEFORE, SITE + "/", PageOutcome.OK, 200),
        PageVisit(Pass.BEFORE, SITE + "/slow", PageOutcome.TIMEOUT, None, "no load in 1500 ms"),
    )
    return StoredScan(7, 10, AT, visits, ScanObservations(SITE, AT, (cookie,), (), ()))


FOUND = [
    Finding(FindingKind.UNDECLARED_COOKIE, HOSTILE, domain="www.flexibelt.example"),
    Finding(FindingKind.COOKIE_BEFORE_CONSENT, HOSTILE, Pass.BEFORE, SITE + "/"),
    Finding(FindingKind.DECLARED_NOT_SEEN, "fr", category="social"),
]


def test_the_report_is_dutch_and_escapes_what_the_site_named() -> None:
    html = render_report(scan(), FOUND, "nl")
    assert "Trackerscan van https://www.flexibelt.example" in html
    assert "Cookie staat niet in de cookietabel" in html and "vóór een keuze" in html
    assert "te traag" in html  # the page that timed out
    assert HOSTILE not in html and "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html
    assert "Overtredingen</h2>" not in html  # the count follows the heading
    assert "Overtredingen (2)" in html


def test_the_report_in_english() -> None:
    html = render_report(scan(), FOUND, "en")
    assert "Tracker scan of" in html and "Cookie not in the cookie table" in html


def test_the_summary_lists_violations_then_information_and_the_slow_page() -> None:
    lines = summary_lines(scan(), FOUND)
    assert lines[0].startswith("scan 7 of https://www.flexibelt.example: 2 page load(s)")
    assert f"  timeout\tbefore\t{SITE}/slow" in lines
    assert lines[lines.index("violations: 2") + 1].startswith("  undeclared_cookie\t")
    assert "information: 1" in lines
