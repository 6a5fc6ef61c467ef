"""Keyboard only (issue 8 item 6; WCAG 2.1.1 Keyboard, 2.4.7 Focus Visible): from the start
page a person signs up and logs in with Tab, typing, Space and Enter — no mouse, no click."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

if TYPE_CHECKING:
    from tests.e2e.conftest import LiveServer, PageInspector

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

MAX_TABS = 60  # more stops than any page of ours has before its last control
EMAIL = "toetsenbord@example.nl"
PASSWORD = "alleen met het toetsenbord"


def tab_to(page: Page, selector: str) -> None:
    """Press Tab until ``selector`` has the focus, and check that the focus can be seen."""
    target = page.locator(selector)
    expect(target).to_have_count(1)
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            break
    else:
        raise AssertionError(f"{selector} is not reached with Tab ({MAX_TABS} presses)")
    ring = target.evaluate(
        """element => {
            const style = getComputedStyle(element);
            return style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0
                || style.boxShadow !== 'none';
        }"""
    )
    assert ring, f"{selector} has the focus but shows no focus indicator (WCAG 2.4.7)"


def type_into(page: Page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.type(text)


def test_sign_up_and_log_in_with_the_keyboard_alone(
    server: LiveServer, page: Page, inspect: PageInspector
) -> None:
    page.goto(server.url("/"))
    tab_to(page, "#home-signup")
    page.keyboard.press("Enter")
    expect(page.locator("#signup-heading")).to_be_visible()
    inspect("signup-nl")

    type_into(page, "#signup-email", EMAIL)
    type_into(page, "#signup-password", PASSWORD)
    type_into(page, "#signup-name", "Toetsenbord Gebruiker")
    type_into(page, "#signup-street", "Dorpsstraat 2")
    type_into(page, "#signup-postal_code", "2721 NA")
    type_into(page, "#signup-city", "Zoetermeer")
    tab_to(page, "#signup-age_declaration")
    expect(page.locator("#signup-age_declaration")).not_to_be_checked()  # none ticked in advance
    page.keyboard.press("Space")
    expect(page.locator("#signup-age_declaration")).to_be_checked()
    tab_to(page, "#signup-submit")
    page.keyboard.press("Enter")
    expect(page.locator("#signup-sent-heading")).to_be_visible()
    inspect("signup-sent")

    tab_to(page, "#signup-sent-login")
    page.keyboard.press("Enter")
    expect(page.locator("#login-heading")).to_be_visible()
    inspect("login-nl")
    type_into(page, "#login-email", EMAIL)
    type_into(page, "#login-password", PASSWORD)
    page.keyboard.press("Enter")  # Enter in a field submits its form
    expect(page).to_have_url(server.url("/account"))
    expect(page.locator("#account-heading")).to_be_visible()
    tab_to(page, "#logout-submit")  # and out again
    page.keyboard.press("Enter")
    expect(page.locator("#nav-login")).to_be_visible()
