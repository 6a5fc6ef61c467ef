"""One-click unsubscribe in a real browser (issue 10 item 9; RFC 8058; LEGAL L14): a campaign
received by a real SMTP server on loopback, its footer link opened in chromium without logging
in, one button pressed, and the marketing consent is withdrawn in the ledger (method
email_link); opening the link alone changed nothing."""

from __future__ import annotations

import re
import sqlite3
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, Page, expect
from tests.e2e.conftest import HEIGHT, WIDTHS, PageInspector, body_of
from tests.e2e.test_customer_browser import PASSWORD, confirm_by_mail

if TYPE_CHECKING:
    from tests.e2e.conftest import LiveServer

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

EMAIL = "afmelden@example.nl"


def marketing_ledger(server: LiveServer) -> list[tuple[int, str]]:
    """(given, method) of every marketing_email record, oldest first, read from the database."""
    with sqlite3.connect(server.workdir / "privaat.db") as db:
        return db.execute(
            "SELECT given, channel FROM consent_events WHERE activity = 'marketing_email' "
            "ORDER BY id"
        ).fetchall()


def sign_up_with_marketing(page: Page, server: LiveServer) -> None:
    page.goto(server.url("/signup"))
    page.fill("#signup-email", EMAIL)
    page.fill("#signup-password", PASSWORD)
    page.fill("#signup-name", "Afmeld Klant")
    page.check("#signup-age_declaration")
    page.check("#signup-consent_marketing_email")  # the person ticks it themselves (L8)
    page.click("#signup-submit")
    expect(page.locator("#signup-sent-heading")).to_be_visible()


def campaign(server: LiveServer, name: str, text: str, subject_id: int) -> str:
    """Create a Dutch campaign and send it to one subject with the CLI; what send printed."""
    body = server.workdir / f"{name}.txt"
    body.write_text(text + "\n", encoding="utf-8")
    server.cli(
        "mail", "campaign", "create", name, "--subject", f"nl={name}", "--body", f"nl={body}"
    )
    return server.cli("mail", "campaign", "send", name, "--subject-id", str(subject_id)).stdout


def test_L14_the_unsubscribe_link_of_a_received_mail_works_without_log_in_in_one_click(
    server: LiveServer, page: Page, browser: Browser
) -> None:
    sign_up_with_marketing(page, server)
    assert marketing_ledger(server) == [(0, "sign_up")]  # asked: a double opt-in (item 5)
    confirm_by_mail(page, server, EMAIL)  # the link that came with the sign-up, opened
    assert marketing_ledger(server) == [(0, "sign_up"), (1, "email_link")]
    with sqlite3.connect(server.workdir / "privaat.db") as db:
        (subject_id,) = db.execute("SELECT subject_id FROM accounts").fetchone()

    body = server.workdir / "lente-nl.txt"
    body.write_text("Nieuw dit voorjaar: de Flexibelt-app. https://www.flexibelt.nl/app\n")
    server.cli(
        "mail", "campaign", "create", "lente", "--subject", "nl=Lente", "--body", f"nl={body}"
    )
    sent = server.cli("mail", "campaign", "send", "lente", "--subject-id", str(subject_id))
    assert "queued 1" in sent.stdout
    server.deliver_mail()

    (mail,) = [m for m in server.mail.to(EMAIL) if m["List-Unsubscribe"] is not None]
    assert str(mail["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    text = body_of(mail).replace("\r\n", "\n")
    found = re.search(r"Afmelden met één klik: (\S+)", text)
    assert found is not None, text
    link = found.group(1)
    assert link.startswith(server.url("/unsubscribe/")) and EMAIL not in link

    # a browser that never logged in: a fresh context, no cookies of the sign-up
    context = browser.new_context(locale="nl-NL", viewport={"width": WIDTHS[-1], "height": HEIGHT})
    try:
        reader = context.new_page()
        inspect = PageInspector(reader)
        reader.goto(link)
        expect(reader.locator("#unsubscribe-heading")).to_have_text(
            "Afmelden voor marketing-e-mail"
        )
        expect(reader.locator("main button")).to_have_count(1)
        inspect("unsubscribe-confirm")
        # opening the link changed nothing
        assert marketing_ledger(server) == [(0, "sign_up"), (1, "email_link")]

        reader.click("#unsubscribe-submit")  # the one click
        expect(reader.locator("#unsubscribe-done")).to_contain_text("U bent afgemeld")
        inspect("unsubscribe-done")
    finally:
        context.close()
    assert marketing_ledger(server) == [(0, "sign_up"), (1, "email_link"), (0, "email_link")]

    # the next send skips them: the guard and the suppression list both say no (L11, L13)
    body.write_text("Nog meer nieuws. https://www.flexibelt.nl/app\n")
    server.cli(
        "mail", "campaign", "create", "zomer", "--subject", "nl=Zomer", "--body", f"nl={body}"
    )
    again = server.cli("mail", "campaign", "send", "zomer", "--subject-id", str(subject_id))
    assert "queued 0" in again.stdout
