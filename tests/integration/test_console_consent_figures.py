"""Issue 10 item 8: the console's consent figures from a hand-built ledger (L7, L9, L13).

Four customers, signed up on 1 October 2026; the clock of ``conftest`` stands at Thursday
26 November 2026 09:30 UTC (2026-W48), and the page is asked for 2026-W45 to 2026-W48:

    A  gives marketing_email  5 Oct  (before the range: live in every week)
    B  gives                 10 Nov  (W46, privacy centre), withdraws 12 Nov (W46, e-mail link)
    C  gives                 17 Nov  (W47, API),            withdraws 25 Nov (W48, support)
    D  gives                 18 Nov  (W47, privacy centre)

so marketing_email, by hand:   W45 1/1 = 100 %, W46 1/2 = 50 %, W47 3/4 = 75 %, W48 2/4 = 50 %
and every other consent-based activity has no choice at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.factories import confirm_consents, customer
from tests.integration.test_console_roles import staff_session

from privaat.bootstrap import Context
from privaat.domain.clock import FixedClock
from privaat.domain.consent_weeks import WeekRange
from privaat.domain.principal import StaffMember, StaffRole
from privaat.services.consent_stats import ConsentStats
from privaat.services.consents import ConsentMethod, Evidence
from privaat.services.errors import NotPermitted
from privaat.store.tables import audit_log
from privaat.web.app import create_app
from privaat.web.console.access import STAFF_COOKIE

RANGE = "/console/consents?weeks=4&until=2026-W48"
MARKETING = "marketing_email"


@pytest.fixture
def console(context: Context) -> Iterator[TestClient]:
    with TestClient(create_app(context), client=("145.97.0.1", 50000)) as client:
        yield client


def _on(clock: FixedClock, month: int, day: int, hour: int = 12) -> None:
    clock.current = datetime(2026, month, day, hour, tzinfo=UTC)


def _give(context: Context, who: object, method: ConsentMethod) -> None:
    with context.unit_of_work() as uow:
        context.consents.give(
            uow,
            who.principal,
            who.subject_id,
            MARKETING,
            lang="nl",  # type: ignore[attr-defined]
            method=method,
            evidence=Evidence.none(),
        )
    confirm_consents(context)  # a double opt-in (issue 14 item 5): the link opened


def _withdraw(context: Context, who: object, method: ConsentMethod) -> None:
    with context.unit_of_work() as uow:
        context.consents.withdraw(
            uow,
            who.principal,
            who.subject_id,
            MARKETING,  # type: ignore[attr-defined]
            method=method,
            evidence=Evidence.none(),
        )


@pytest.fixture
def ledger(context: Context, clock: FixedClock) -> None:
    now = clock.now()
    _on(clock, 10, 1)
    a, b, c, d = (customer(context) for _ in range(4))
    _on(clock, 10, 5)
    _give(context, a, ConsentMethod.PRIVACY_CENTRE)
    _on(clock, 11, 10)
    _give(context, b, ConsentMethod.PRIVACY_CENTRE)
    _on(clock, 11, 12)
    _withdraw(context, b, ConsentMethod.EMAIL_LINK)
    _on(clock, 11, 17)
    _give(context, c, ConsentMethod.API)
    _on(clock, 11, 18)
    _give(context, d, ConsentMethod.PRIVACY_CENTRE)
    _on(clock, 11, 25)
    _withdraw(context, c, ConsentMethod.SUPPORT)
    clock.current = now


def _as(console: TestClient, context: Context, clock: FixedClock, role: StaffRole) -> None:
    console.cookies.set(STAFF_COOKIE, staff_session(context, clock, role))


def _series(page: str, activity: str) -> str:
    found = re.search(rf'<g class="series" data-activity="{activity}">(.*?)\n</g>', page, re.S)
    assert found, f"no series for {activity}"
    return found.group(1)


def _row(page: str, table_id: str, week: str) -> str:
    table = page.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    found = re.search(rf'<tr data-week="{week}">(.*?)</tr>', table, re.S) or re.search(
        rf'<tr><th scope="row">{week}</th>(.*?)</tr>', table, re.S
    )
    assert found, f"no row {week} in {table_id}"
    return found.group(1)


@pytest.mark.usefixtures("ledger")
def test_issue10_8_the_consent_rate_per_week_is_live_consents_among_people_who_chose(
    console: TestClient, context: Context, clock: FixedClock
) -> None:
    _as(console, context, clock, StaffRole.MARKETING)
    page = console.get(RANGE, headers={"accept-language": "en"})
    assert page.status_code == 200, page.text[:400]
    points = re.findall(
        r'data-week="(2026-W\d\d)" data-rate="([0-9.]+)"', _series(page.text, MARKETING)
    )
    assert points == [
        ("2026-W45", "1.0000"),  # A, given before the range, counts as live
        ("2026-W46", "0.5000"),  # B gave and withdrew in the same week
        ("2026-W47", "0.7500"),
        ("2026-W48", "0.5000"),  # the week under way, read up to now
    ]
    # the table under the chart says the same, with the counts behind each share
    table = page.text.split('id="consent-rate-table"', 1)[1].split("</table>", 1)[0]
    assert "75% <span" in table and "(3/4)" in table and "(1/2)" in table and "(1/1)" in table
    counts = _row(page.text, f"figures-{MARKETING}", "2026-W46")
    assert re.findall(r"<td>([^<]*)</td>", counts) == ["1", "1", "1", "2", "50%"]
    counts = _row(page.text, f"figures-{MARKETING}", "2026-W47")
    assert re.findall(r"<td>([^<]*)</td>", counts) == ["2", "0", "3", "4", "75%"]


@pytest.mark.usefixtures("ledger")
def test_issue10_8_an_activity_nobody_chose_has_no_rate_and_draws_no_point(
    console: TestClient, context: Context, clock: FixedClock
) -> None:
    _as(console, context, clock, StaffRole.PRIVACY_OFFICER)
    page = console.get(RANGE, headers={"accept-language": "en"}).text
    # L9: every consent-based activity of the policy has its series, chosen or not
    for activity in ("website_analytics", "social_plugins", "group_transfer", "email_engagement"):
        assert "data-rate" not in _series(page, activity)
        counts = _row(page, f"figures-{activity}", "2026-W47")
        assert re.findall(r"<td>([^<]*)</td>", counts) == ["0", "0", "0", "0", "–"]
    rates = _row(page, "consent-rate-table", "2026-W47")
    assert '<td data-activity="social_plugins">–</td>' in rates
    assert "A dash (–) means that nobody had made a choice yet." in page


@pytest.mark.usefixtures("ledger")
def test_issue10_8_withdrawals_are_stacked_per_week_by_method(
    console: TestClient, context: Context, clock: FixedClock
) -> None:
    _as(console, context, clock, StaffRole.MARKETING)
    page = console.get(RANGE, headers={"accept-language": "en"}).text
    bars = dict(re.findall(r'<g class="bar" data-week="(2026-W\d\d)" data-total="(\d+)">', page))
    assert bars == {"2026-W45": "0", "2026-W46": "1", "2026-W47": "0", "2026-W48": "1"}
    segments = re.findall(r'data-method="(\w+)" data-count="(\d+)"><title>(2026-W\d\d)', page)
    assert segments == [("email_link", "1", "2026-W46"), ("support", "1", "2026-W48")]
    w46 = dict(
        re.findall(
            r'<td data-method="(\w+)">(\d+)</td>', _row(page, "withdrawal-table", "2026-W46")
        )
    )
    assert w46 == {
        "sign_up": "0",
        "privacy_centre": "0",
        "cookie_banner": "0",
        "email_link": "1",
        "support": "0",
        "support_access_page": "0",
        "api": "0",
        "total": "1",
    }


@pytest.mark.usefixtures("ledger")
def test_issue10_8_the_charts_are_images_with_a_title_and_a_description_in_dutch(
    console: TestClient, context: Context, clock: FixedClock
) -> None:
    _as(console, context, clock, StaffRole.MARKETING)
    page = console.get(RANGE, headers={"accept-language": "nl"}).text
    for ident in ("consent-rate-chart", "withdrawal-chart"):
        svg = re.search(rf'<svg [^>]*id="{ident}"[^>]*>', page)
        assert svg and 'role="img"' in svg.group(0)
        assert f'aria-labelledby="{ident}-title {ident}-desc"' in svg.group(0)
        assert f'<title id="{ident}-title">' in page and f'<desc id="{ident}-desc">' in page
    assert "<script" not in page  # drawn on the server: no chart library
    assert "Toestemmingspercentage per activiteit per week" in page
    assert "75%" in page and "Marketing-e-mail" in page  # the policy's own Dutch name


@pytest.mark.usefixtures("ledger")
def test_issue10_8_reading_the_figures_is_in_the_audit_trail_without_a_subject(
    console: TestClient, context: Context, clock: FixedClock
) -> None:
    _as(console, context, clock, StaffRole.MARKETING)
    assert console.get(RANGE).status_code == 200
    with context.engine.connect() as connection:
        row = connection.execute(
            select(audit_log.c.actor, audit_log.c.subject_pseudonym, audit_log.c.detail).where(
                audit_log.c.action == "consent.figures_read"
            )
        ).one()
    assert row.actor.endswith(":marketing") and row.subject_pseudonym is None
    assert '"activity":"consent_records"' in row.detail and '"until":"2026-W48"' in row.detail


@pytest.mark.parametrize("role", [StaffRole.SUPPORT, StaffRole.ADMINISTRATOR], ids=str)
def test_issue10_8_support_and_administrators_get_a_403_page(
    console: TestClient, context: Context, clock: FixedClock, role: StaffRole
) -> None:
    _as(console, context, clock, role)
    response = console.get(RANGE)
    assert response.status_code == 403 and "<h1" in response.text
    assert 'id="consent-rate-chart"' not in response.text


def test_issue10_8_the_default_range_is_the_last_twelve_weeks(
    console: TestClient, context: Context, clock: FixedClock
) -> None:
    _as(console, context, clock, StaffRole.PRIVACY_OFFICER)
    page = console.get("/console/consents", headers={"accept-language": "en"}).text
    weeks = re.findall(r'<g class="bar" data-week="(2026-W\d\d)"', page)
    assert weeks == [f"2026-W{n}" for n in range(37, 49)]
    assert 'value="12"' in page and 'value="2026-W48"' in page


@pytest.mark.parametrize(
    ("query", "field"),
    [
        pytest.param("weeks=0", "weeks", id="zero-weeks"),
        pytest.param("weeks=105", "weeks", id="too-many-weeks"),
        pytest.param("weeks=twelve", "weeks", id="words"),
        pytest.param("weeks=99999999999999999999999", "weeks", id="huge"),
        pytest.param("until=2026-W60", "until", id="no-such-week"),
        pytest.param("until=2026-W49", "until", id="future-week"),
        pytest.param("until=%3Cscript%3E", "until", id="markup"),
    ],
)
def test_issue10_8_a_bad_range_gets_the_form_again_with_the_reason(
    console: TestClient, context: Context, clock: FixedClock, query: str, field: str
) -> None:
    _as(console, context, clock, StaffRole.PRIVACY_OFFICER)
    response = console.get(f"/console/consents?{query}", headers={"accept-language": "en"})
    assert response.status_code == 422
    assert 'id="consents-range-errors"' in response.text
    assert f'id="consents-range-{field}-error"' in response.text
    assert 'id="consent-rate-chart"' not in response.text and "<script>" not in response.text


def test_issue10_8_L9_a_new_consent_based_activity_of_the_policy_gets_its_series(
    context: Context, clock: FixedClock
) -> None:

    policy = context.policy
    marketing = policy.activity(MARKETING)
    sms = marketing.model_copy(update={"id": "marketing_sms"})  # a provider's new activity
    extended = policy.model_copy(update={"activities": (*policy.activities, sms)})
    stats = ConsentStats(policy=extended, clock=clock)
    weeks = WeekRange.choose(weeks="2", until=None, now=clock.now())
    with context.unit_of_work() as uow:
        report = stats.weekly(uow, StaffMember(1, StaffRole.PRIVACY_OFFICER), weeks)
    assert report.activities[-1].activity == "marketing_sms"
    assert [f.decided for f in report.activities[-1].weeks] == [0, 0]


@pytest.mark.parametrize("role", [StaffRole.SUPPORT, StaffRole.ADMINISTRATOR], ids=str)
def test_issue10_8_the_service_refuses_a_role_the_figures_are_not_for(
    context: Context, clock: FixedClock, role: StaffRole
) -> None:

    stats = ConsentStats(policy=context.policy, clock=clock)
    weeks = WeekRange.choose(weeks="2", until=None, now=clock.now())
    with context.unit_of_work() as uow, pytest.raises(NotPermitted):
        stats.weekly(uow, StaffMember(1, role), weeks)
    with context.engine.connect() as connection:  # refused before anything was read or written
        assert (
            connection.execute(
                select(audit_log.c.seq).where(audit_log.c.action == "consent.figures_read")
            ).first()
            is None
        )
