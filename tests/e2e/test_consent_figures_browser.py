"""Issue 10 item 8 in a real browser: a marketer opens the consent figures, the two charts
drawn on the server and their tables; axe-core finds nothing, and the range form works by
keyboard. The ledger is built beforehand through the consent service on the server's own
database, over the past twelve weeks."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect
from tests.e2e.test_console_browser import PASSWORD, create_staff, enrol, next_code
from tests.factories import confirm_consents, customer

from privaat.bootstrap import bootstrap
from privaat.domain.clock import FixedClock
from privaat.services.consents import ConsentMethod, Evidence
from privaat.settings import Mode, Settings

if TYPE_CHECKING:
    from tests.e2e.conftest import LiveServer, PageInspector

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

MARKETER = "marketing@flexibelt.example"
ACTIVITIES = ("marketing_email", "group_transfer", "website_analytics")
WITHDRAWN_BY = (
    ConsentMethod.EMAIL_LINK,
    ConsentMethod.EMAIL_LINK,
    ConsentMethod.PRIVACY_CENTRE,
    ConsentMethod.COOKIE_BANNER,
    ConsentMethod.SUPPORT,
    ConsentMethod.API,
)


def build_ledger(server: LiveServer, people: int = 24) -> None:
    """Customers who give and withdraw at known moments of the past twelve weeks."""
    env = server.env
    settings = Settings(
        mode=Mode.TEST,
        database_url=env["PRIVAAT_DATABASE_URL"],
        var_dir=Path(env["PRIVAAT_VAR_DIR"]),
        base_url=env["PRIVAAT_BASE_URL"],
    )
    now = datetime.now(UTC)
    clock = FixedClock(now - timedelta(weeks=13))
    context = bootstrap(settings, clock=clock, run_migrations=False, record_policy_version=False)
    chance = random.Random(10)  # noqa: S311  (test data, not a secret)
    try:
        plans: list[tuple[datetime, int, str, bool, ConsentMethod]] = []
        subjects = [customer(context, verified=False) for _ in range(people)]
        for n, _person in enumerate(subjects):
            for activity in ACTIVITIES:
                if chance.random() < 0.6:
                    given = now - timedelta(hours=chance.randint(2, 12 * 7 * 24))
                    plans.append((given, n, activity, True, ConsentMethod.PRIVACY_CENTRE))
                    if chance.random() < 0.4:
                        later = given + (now - given) * chance.random()
                        plans.append((later, n, activity, False, chance.choice(WITHDRAWN_BY)))
        for at, n, activity, give, method in sorted(plans):
            clock.current = at
            person = subjects[n]
            with context.unit_of_work() as uow:
                if give:
                    record = context.consents.give(
                        uow,
                        person.principal,
                        person.subject_id,
                        activity,
                        lang="nl",
                        method=method,
                        evidence=Evidence.none(),
                    )
                else:
                    context.consents.withdraw(
                        uow,
                        person.principal,
                        person.subject_id,
                        activity,
                        method=method,
                        evidence=Evidence.none(),
                    )
            if give and record.requested:
                # marketing e-mail is a double opt-in (issue 14 item 5): its link, opened
                confirm_consents(context, person.email)
    finally:
        context.close()


def test_issue10_8_a_marketer_sees_the_consent_charts_and_they_pass_axe(
    server: LiveServer, page: Page, inspect: PageInspector
) -> None:
    build_ledger(server)
    totp = enrol(page, create_staff(server, MARKETER, "marketing"))
    page.fill("#console-login-email", MARKETER)
    page.fill("#console-login-password", PASSWORD)
    page.fill("#console-login-code", next_code(totp))
    page.click("#console-login-submit")
    expect(page).to_have_url(server.url("/console"))

    page.click("#console-nav-consents")
    expect(page.locator("#console-consents-heading")).to_be_visible()
    rate = page.locator("svg#consent-rate-chart")
    expect(rate).to_have_attribute("role", "img")
    expect(page.locator("#consent-rate-chart-title")).to_have_text(
        "Toestemmingspercentage per activiteit per week"
    )
    assert page.locator("svg#consent-rate-chart polyline").count() >= 1  # a line was drawn
    assert page.locator("svg#withdrawal-chart rect[data-method]").count() >= 1
    assert page.locator("#consent-rate-table tbody tr").count() == 12
    inspect("console-consents")

    # the range by keyboard alone: four weeks up to the current one
    page.focus("#consents-range-weeks")
    page.keyboard.press("Control+A")
    page.keyboard.type("4")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/console/consents\?weeks=4&until=\d{4}-W\d\d$"))
    assert page.locator("#withdrawal-table tbody tr").count() == 4
    page.click("#figures-marketing_email summary")
    inspect("console-consents-four-weeks")

    page.fill("#consents-range-until", "volgende week")
    page.click("#consents-range-submit")
    expect(page.locator("#consents-range-errors")).to_be_visible()
    expect(page.locator("#consents-range-until")).to_have_attribute("aria-invalid", "true")
    inspect("console-consents-bad-range")
