"""The newest tracker scan on the console (issue 14 item 3; LEGAL L39, L44): its findings
against the policy in force now, escaped, for the privacy officer and administrators only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from tests.integration.test_console_roles import staff_session

from privaat.bootstrap import Context
from privaat.domain.clock import FixedClock
from privaat.domain.principal import StaffRole
from privaat.domain.tracker_scan import Pass, ScanObservations, SeenCookie, SeenRequest
from privaat.services.tracker_scans import TrackerScans
from privaat.web.app import create_app
from privaat.web.console.access import STAFF_COOKIE

AT = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
SITE = "https://www.flexibelt.example"
HOSTILE = "<script>alert(1)</script>"


def cookie(name: str, scan_pass: Pass) -> SeenCookie:
    expires = AT + timedelta(days=30)
    return SeenCookie(name, "www.flexibelt.example", "/", expires, False, False, "Lax",
                      scan_pass, SITE + "/actie")  # fmt: skip


def test_l39_the_console_shows_the_newest_scans_violations_escaped(
    context: Context, clock: FixedClock
) -> None:
    older = ScanObservations(
        SITE, AT - timedelta(days=7), (cookie("old_one", Pass.BEFORE),), (), ()
    )
    newer = ScanObservations(
        SITE,
        AT,
        (cookie("flexibelt_ab", Pass.BEFORE), cookie("_ga", Pass.ACCEPTED)),
        (),
        (SeenRequest("https://stats.example", "https://stats.example/" + HOSTILE, Pass.BEFORE,
                     SITE + "/actie"),),
    )  # fmt: skip
    with context.unit_of_work() as uow:
        TrackerScans().save(uow, older, [], pages_limit=10, finished_at=older.at)
        TrackerScans().save(uow, newer, [], pages_limit=10, finished_at=newer.at)
    with TestClient(create_app(context), client=("145.97.0.1", 50000)) as browser:
        browser.cookies.set(STAFF_COOKIE, staff_session(context, clock, StaffRole.PRIVACY_OFFICER))
        page = browser.get("/console/scans?lang=nl")
        assert page.status_code == 200
        assert 'href="/console/scans"' in page.text  # in the menu
        assert "flexibelt_ab" in page.text and "old_one" not in page.text  # the newest only
        assert "Cookie staat niet in de cookietabel" in page.text
        assert "Derde partij aangeroepen voordat een keuze is gemaakt" in page.text
        assert HOSTILE not in page.text and "&lt;script&gt;" in page.text
        # _ga after Accepteren is declared: no violation row names it
        assert "<code>_ga</code>" not in page.text.split('id="scan-unseen')[0]
        browser.cookies.set(STAFF_COOKIE, staff_session(context, clock, StaffRole.MARKETING))
        assert browser.get("/console/scans").status_code == 403


def test_without_a_scan_the_page_says_so(context: Context, clock: FixedClock) -> None:
    with TestClient(create_app(context), client=("145.97.0.1", 50000)) as browser:
        browser.cookies.set(STAFF_COOKIE, staff_session(context, clock, StaffRole.ADMINISTRATOR))
        page = browser.get("/console/scans")
        assert page.status_code == 200 and 'id="scans-none"' in page.text
