"""The public pages in a real browser: accessible (WCAG 2.1 A/AA by axe-core), and readable at
360 and 1280 px (screenshots in test-output/screenshots/)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

if TYPE_CHECKING:
    from tests.e2e.conftest import LiveServer, PageInspector

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_privacy_policy_page_passes_axe_in_each_language(
    server: LiveServer, page: Page, inspect: PageInspector, lang: str
) -> None:
    page.goto(server.url(f"/privacy?lang={lang}"))
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("h1")).to_contain_text("Flexibelt")
    inspect(f"privacy-{lang}")
