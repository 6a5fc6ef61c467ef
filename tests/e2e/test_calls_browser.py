"""Support calls in real browsers (P7, LEGAL L26-L28): an agent reads the announcement, logs the
caller's choice and uploads a WAV segment; a file that only claims to be a WAV is refused next
to its field; a team leader in another browser plays the segment with the page's own player,
and the call page then names who listened. axe-core and screenshots on every page."""

from __future__ import annotations

import io
import re
import wave
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, FilePayload, Page, expect
from tests.e2e.conftest import HEIGHT, WIDTHS, PageInspector
from tests.e2e.test_console_browser import PASSWORD as STAFF_PASSWORD
from tests.e2e.test_console_browser import create_staff, enrol, next_code
from tests.e2e.test_customer_browser import DUTCH_ADDRESS, EMAIL, sign_up

if TYPE_CHECKING:
    from tests.e2e.conftest import LiveServer

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

AGENT = "telefoon@flexibelt.example"
LEAD = "teamleider@flexibelt.example"


def _wav(seconds: float) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(8000)
        sound.writeframes(b"\x10\x00\xf0\xff" * int(seconds * 4000))
    return buffer.getvalue()


def _staff_page(browser: Browser, server: LiveServer, email: str, role: str) -> Page:
    context = browser.new_context(locale="nl-NL", viewport={"width": WIDTHS[-1], "height": HEIGHT})
    context.set_default_timeout(10_000)
    page = context.new_page()
    totp = enrol(page, create_staff(server, email, role))
    page.fill("#console-login-email", email)
    page.fill("#console-login-password", STAFF_PASSWORD)
    page.fill("#console-login-code", next_code(totp))
    page.click("#console-login-submit")
    return page


def test_l26_l28_agent_logs_a_call_uploads_a_segment_and_only_the_lead_plays_it(
    server: LiveServer, browser: Browser, page: Page
) -> None:
    page.set_extra_http_headers({"X-Forwarded-For": DUTCH_ADDRESS})
    sign_up(page, server)

    agent = _staff_page(browser, server, AGENT, "support")
    seen = PageInspector(agent)
    agent.goto(server.url("/console/calls"))
    expect(agent.locator("#call-announcement-nl")).to_contain_text("kan worden opgenomen")
    seen("console-calls")
    agent.fill("#call-new-caller", EMAIL)
    agent.click("#call-new-submit")  # no choice: the form again, the reason by the choice
    expect(agent.locator("#call-new-choice-error")).to_be_visible()
    seen("console-calls-no-choice")
    agent.check("#call-new-choice-record")
    agent.fill("#call-new-holds", "hold 0:02-0:04")
    agent.click("#call-new-submit")
    expect(agent.locator("#call-notice")).to_be_visible()
    expect(agent.locator("#call-holds")).to_contain_text("0:02")
    call_url = agent.url.split("?")[0]

    fake = FilePayload(name="opname.wav", mimeType="audio/wav", buffer=b"ID3\x04" + b"\x00" * 500)
    agent.fill("#segment-new-start", "0:00")
    agent.fill("#segment-new-end", "0:02")
    agent.set_input_files("#segment-new-audio", files=[fake])
    agent.click("#segment-new-submit")
    expect(agent.locator("#segment-new-audio-error")).to_contain_text("geen WAV- of Ogg")
    seen("console-call-fake-wav")
    real = FilePayload(name="opname.wav", mimeType="audio/wav", buffer=_wav(2.0))
    agent.fill("#segment-new-start", "0:00")
    agent.fill("#segment-new-end", "0:02")
    agent.set_input_files("#segment-new-audio", files=[real])
    agent.click("#segment-new-submit")
    expect(agent.locator("#call-notice")).to_be_visible()
    expect(agent.locator("#call-segments")).to_be_visible()
    expect(agent.locator("#call-segments audio")).to_have_count(0)  # agents do not listen
    seen("console-call-agent")

    lead = _staff_page(browser, server, LEAD, "support_lead")
    watched = PageInspector(lead)
    lead.goto(call_url)
    player = lead.locator("#call-segments audio").first
    expect(player).to_be_visible()
    watched("console-call-lead")
    with lead.expect_response(re.compile(r"/segments/\d+/audio$")) as played:
        player.evaluate("audio => { audio.preload = 'auto'; audio.load(); }")
    assert played.value.status in (200, 206)
    assert played.value.headers["cache-control"] == "no-store"
    lead.reload()
    expect(lead.locator("#call-playbacks li")).to_have_count(1)  # one playback, one line
    expect(lead.locator("#call-playbacks")).to_contain_text("medewerkernummer")
    watched("console-call-played")
