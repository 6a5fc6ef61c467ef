"""The privacy officer's request pages in a real browser (issue 11 items 3 and 11; L55):
the queue marks an overdue request in words and puts it first, a request is started and
extended with a reason and the requester's letter in the SMTP catcher names that reason and
the new due date, a phoned request is filed by the form, and the figures page draws its
charts; an erasure is carried out from the request page after its confirmation and the
page and the requester's letter hold the receipt's hash (L64); axe-core and screenshots at
360 and 1280 px on every page."""

from __future__ import annotations

import re
import sqlite3
from datetime import date, timedelta
from typing import TYPE_CHECKING

import pytest
from babel.dates import format_date
from playwright.sync_api import Page, expect
from tests.e2e.conftest import body_of
from tests.e2e.test_console_browser import OFFICER, PASSWORD, create_staff, enrol, next_code

if TYPE_CHECKING:
    from tests.e2e.conftest import LiveServer, PageInspector

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

LATE = "laat@example.nl"
EXTENDED = "verlengd@example.nl"
ERASED = "wissen@example.nl"


def file_by_cli(server: LiveServer, email: str, kind: str) -> str:
    """``privaat requests file``: a request someone phoned in; returns its reference."""
    printed = server.cli(
        "requests", "file", "--email", email, "--type", kind, "--identity", "teruggebeld"
    ).stdout
    found = re.match(r"(PR-[0-9A-Z]{8}) ", printed)
    assert found, printed
    return found.group(1)


def back_date(server: LiveServer, reference: str, days: int) -> None:
    """Move a request's receipt ``days`` back in the server's database (a month has passed)."""
    with sqlite3.connect(server.workdir / "privaat.db") as db:
        received_on, due_on = (
            date.fromisoformat(value)
            for value in db.execute(
                "SELECT received_on, due_on FROM subject_requests WHERE reference = ?",
                (reference,),
            ).fetchone()
        )
        db.execute(
            "UPDATE subject_requests SET received_on = ?, due_on = ?, "
            "received_at = datetime(received_at, ?) WHERE reference = ?",
            (
                (received_on - timedelta(days=days)).isoformat(),
                (due_on - timedelta(days=days)).isoformat(),
                f"-{days} days",
                reference,
            ),
        )


def log_in_officer(server: LiveServer, page: Page) -> None:
    totp = enrol(page, create_staff(server, OFFICER, "privacy_officer"))
    page.fill("#console-login-email", OFFICER)
    page.fill("#console-login-password", PASSWORD)
    page.fill("#console-login-code", next_code(totp))
    page.click("#console-login-submit")
    expect(page).to_have_url(server.url("/console"))


def test_L55_the_officer_sees_the_overdue_first_extends_with_a_reason_and_files_a_phoned_request(
    server: LiveServer, page: Page, inspect: PageInspector
) -> None:
    late = file_by_cli(server, LATE, "erasure")
    back_date(server, late, 45)  # due 45 days earlier: about two weeks over
    fresh = file_by_cli(server, EXTENDED, "access")
    server.deliver_mail()  # the two acknowledgements
    log_in_officer(server, page)

    page.click("#console-nav-requests")
    expect(page.locator("#console-requests-heading")).to_be_visible()
    rows = page.locator("#requests-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_have_attribute("id", f"request-row-{late}")  # overdue: on top
    expect(rows.nth(0).locator(".overdue")).to_contain_text("TE LAAT")
    late_label = rows.nth(0).locator(".overdue").inner_text()
    expect(rows.nth(1)).to_have_attribute("id", f"request-row-{fresh}")
    expect(rows.nth(1)).not_to_contain_text("TE LAAT")
    expect(page.locator("#requests-overdue-count")).to_have_text("1 te laat")
    inspect("console-requests-queue")

    page.click(f"#request-row-{fresh} a")
    expect(page.locator("#request-heading")).to_contain_text(fresh)
    expect(page.locator("#request-email")).to_have_text(EXTENDED)
    expect(page.locator("#request-identity-check")).to_have_text("teruggebeld")
    expect(page.locator("#step-extend")).to_have_count(0)  # not in progress yet
    inspect("console-request-verified")
    page.click("#step-start-submit")
    expect(page.locator("#request-notice")).to_be_visible()
    due_before = date.fromisoformat(page.locator("#request-due").inner_text().split()[0])

    page.click("#step-extend-submit")  # without reasons: refused next to the field
    expect(page.locator("#step-extend-reason-error")).to_be_visible()
    inspect("console-request-extend-refused")
    page.check("#step-extend-months-1")
    page.fill("#step-extend-reason", "De gegevens staan ook in het oude archief")
    page.click("#step-extend-submit")
    expect(page.locator("#request-notice")).to_be_visible()
    expect(page.locator("#request-status")).to_have_text("verlengd")
    due_after = date.fromisoformat(page.locator("#request-due").inner_text().split()[0])
    # one more month (a due date on a weekend or holiday moves to the next working day)
    assert 27 <= (due_after - due_before).days <= 34, (due_before, due_after)
    inspect("console-request-extended")

    server.deliver_mail()
    reason = "De gegevens staan ook in het oude archief"
    mails = server.mail.to(EXTENDED)
    assert len(mails) == 2, [m["Subject"] for m in mails]  # the acknowledgement, the letter
    letter = mails[-1]
    assert "meer tijd" in str(letter["Subject"]), letter["Subject"]
    body = body_of(letter)
    assert f"De reden: {reason}" in body
    assert format_date(due_after, format="long", locale="nl") in body, body
    assert fresh in body

    page.click("#request-back")
    page.click("#requests-new-link")
    expect(page.locator("#request-new-heading")).to_be_visible()
    page.click("#request-new-submit")  # empty: an error by each required field
    for field in ("email", "type", "identity_check"):
        expect(page.locator(f"#request-new-{field}-error")).to_be_visible()
    inspect("console-request-new-errors")
    page.fill("#request-new-email", "beller@example.nl")
    page.select_option("#request-new-type", "portability")
    page.fill("#request-new-identity_check", "Teruggebeld op het nummer van het account")
    page.fill("#request-new-details", "Hij wil zijn gegevens meenemen.")
    page.click("#request-new-submit")
    expect(page.locator("#request-notice")).to_be_visible()
    expect(page.locator("#request-kind")).to_have_text("Overdraagbaarheid (art. 20)")
    expect(page.locator("#request-text")).to_have_text("Hij wil zijn gegevens meenemen.")
    inspect("console-request-filed")
    server.deliver_mail()
    assert server.mail.to("beller@example.nl"), "the acknowledgement"

    page.click("#request-back")
    page.click(f"#request-row-{late} a")
    expect(page.locator("#request-overdue")).to_have_text(late_label)  # as the queue counts
    inspect("console-request-overdue")

    page.goto(server.url("/console/requests/figures"))
    expect(page.locator("#request-figures-heading")).to_be_visible()
    expect(page.locator("#request-kind-chart")).to_be_visible()
    expect(page.locator("#request-answer-chart")).to_be_visible()
    inspect("console-request-figures")
    page.goto(server.url("/console/requests/figures?lang=en"))
    expect(page.locator("#request-figures-heading")).to_have_text("Request figures")
    inspect("console-request-figures-en")


def test_L64_the_privacy_officer_completes_an_erasure(
    server: LiveServer, page: Page, inspect: PageInspector
) -> None:
    reference = file_by_cli(server, ERASED, "erasure")
    server.deliver_mail()  # the acknowledgement
    log_in_officer(server, page)
    page.goto(server.url(f"/console/requests/{reference}"))
    expect(page.locator("#request-kind")).to_have_text("Wissing (art. 17)")
    expect(page.locator("#step-erase")).to_have_count(0)  # not in progress yet
    page.click("#step-start-submit")
    expect(page.locator("#request-status")).to_have_text("in behandeling")
    expect(page.locator("#step-erase")).to_be_visible()
    inspect("console-request-erase")

    page.click("#step-erase-submit")  # the box not ticked: refused next to it, nothing erased
    expect(page.locator("#step-erase-confirm-error")).to_be_visible()
    expect(page.locator("#request-status")).to_have_text("in behandeling")
    inspect("console-request-erase-unconfirmed")

    page.check("#step-erase-confirm")
    page.click("#step-erase-submit")
    expect(page.locator("#step-erased")).to_be_visible()
    expect(page.locator("#request-status")).to_have_text("afgehandeld")
    expect(page.locator("#step-erase")).to_have_count(0)
    sha256 = page.locator("#step-erased-sha256").inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", sha256), sha256
    kept = page.locator("#step-erased-kept li")
    expect(kept.first).to_be_visible()  # the request itself is kept, for rights handling
    expect(page.locator("#step-erased-kept")).to_contain_text("Uw privacyrechten")
    inspect("console-request-erased")

    server.deliver_mail()
    mails = server.mail.to(ERASED)
    assert len(mails) == 2, [m["Subject"] for m in mails]  # the acknowledgement, the answer
    body = body_of(mails[-1])
    assert sha256 in body and reference in body
    assert "Autoriteit Persoonsgegevens" in body


def test_L65_L67_the_officer_restricts_and_lifts_and_decides_an_objection_on_the_page(
    server: LiveServer, page: Page, inspect: PageInspector
) -> None:
    restriction = file_by_cli(server, "beperk@example.nl", "restriction")
    objection = file_by_cli(server, "bezwaar@example.nl", "objection")
    log_in_officer(server, page)

    page.goto(server.url(f"/console/requests/{restriction}"))
    page.click("#step-start-submit")
    expect(page.locator("#step-restrict")).to_be_visible()
    inspect("console-request-restrict")
    page.check("#step-restrict-scope-some")
    page.click("#step-restrict-submit")  # nothing ticked: refused next to the choice
    expect(page.locator("#step-restrict-scope-error")).to_be_visible()
    expect(page.locator("#step-restrict-activity-support_desk")).to_be_visible()  # opened
    inspect("console-request-restrict-refused")
    page.check("#step-restrict-scope-all")
    page.click("#step-restrict-submit")
    expect(page.locator("#request-notice")).to_be_visible()
    expect(page.locator("#request-status")).to_have_text("afgehandeld")
    page.fill("#step-lift-days", "3")
    page.click("#step-lift-submit")  # under 7 days' notice: refused (art. 18(3))
    expect(page.locator("#step-lift-days-error")).to_be_visible()
    inspect("console-request-lift-refused")
    page.fill("#step-lift-days", "7")
    page.click("#step-lift-submit")
    expect(page.locator("#request-notice")).to_be_visible()
    expect(page.locator("#step-lift")).to_have_count(0)

    page.goto(server.url(f"/console/requests/{objection}"))
    page.click("#step-start-submit")
    page.select_option("#step-object-activity", "support_linking")
    page.click("#step-object-submit")
    expect(page.locator("#request-notice")).to_be_visible()
    expect(page.locator("#step-grounds")).to_be_visible()
    page.click("#step-grounds-submit")  # no grounds stated: refused next to the field
    expect(page.locator("#step-grounds-reason-error")).to_be_visible()
    inspect("console-request-grounds-refused")
    page.click("#step-uphold-submit")
    expect(page.locator("#request-status")).to_have_text("afgehandeld")
    expect(page.locator("#request-history")).to_contain_text("bezwaar toegekend")
    inspect("console-request-objection-upheld")
