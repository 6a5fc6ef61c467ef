"""Support access under the customer's grant (P7, LEGAL L29) over HTTP: the customer grants
1 hour, 24 hours or 7 days on the centre's page, a support agent opens the account in the
console only while the grant is live (checked on every request), every page opened is
listed for the customer, revoking ends access at the very next request, and "who viewed my
data" shows every staff read from the access log, the console's look-up among them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from tests.factories import Customer, customer
from tests.integration.test_console_roles import csrf_token, staff_session
from tests.integration.test_pages_support import log_in, row_counts, submit, token_of
from tests.integration.test_second_provider_services import SHOP

from privaat.bootstrap import Context, bootstrap
from privaat.domain.clock import FixedClock
from privaat.domain.principal import StaffMember, StaffRole
from privaat.services.consents import ConsentMethod, Evidence
from privaat.services.support_access import NoLiveGrant
from privaat.settings import Mode, Settings
from privaat.store.tables import access_log, consent_events
from privaat.store.tables_support_access import support_access_views, support_grants
from privaat.web.app import create_app
from privaat.web.console.access import STAFF_COOKIE

PAGE = "/account/support-access"
VIEWS = "/account/views"


@pytest.fixture
def app(context: Context) -> FastAPI:
    return create_app(context)


@pytest.fixture
def jan(context: Context) -> Customer:
    return customer(context)


@pytest.fixture
def browser(app: FastAPI, jan: Customer) -> Iterator[TestClient]:
    """Jan's browser on the privacy centre, logged in."""
    with TestClient(app, client=("145.97.0.1", 50000)) as client:
        log_in(client, jan.email, jan.password)
        yield client


@pytest.fixture
def agent(app: FastAPI, context: Context, clock: FixedClock) -> Iterator[TestClient]:
    """A support agent's browser on the console, logged in."""
    with TestClient(app, client=("10.1.2.3", 50000), follow_redirects=False) as client:
        client.cookies.set(STAFF_COOKIE, staff_session(context, clock, StaffRole.SUPPORT))
        yield client


def grant(browser: TestClient, duration: str = "1h") -> int:
    response = submit(browser, PAGE, {"duration": duration})
    assert (response.status_code, response.headers["location"]) == (303, f"{PAGE}?notice=granted")
    found = re.search(r'action="/account/support-access/(\d+)/revoke"', browser.get(PAGE).text)
    assert found, "the page offers no withdrawal"
    return int(found.group(1))


def wait(clock: FixedClock, span: timedelta, *clients: TestClient) -> None:
    """Let ``span`` pass while the people keep working (no session idles out meanwhile)."""
    step = timedelta(minutes=10)
    while span > timedelta(0):
        clock.advance(min(step, span))
        span -= step
        for client, path in zip(clients, ("/account", "/console"), strict=False):
            assert client.get(path).status_code == 200


def revoke(browser: TestClient, grant_id: int) -> Any:
    return submit(browser, f"{PAGE}/{grant_id}/revoke", {}, page=PAGE)


def views(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(select(support_access_views)).all())


# --- L29: no grant, no access -----------------------------------------------------------------


@pytest.mark.parametrize("path", ["/console/support-access/1", "/console/support-access/1/logs"])
def test_l29_without_a_grant_the_console_refuses_with_403(
    agent: TestClient, jan: Customer, path: str
) -> None:
    response = agent.get(path, headers={"Accept-Language": "en"})
    assert response.status_code == 403
    assert "<h1" in response.text and "No support access" in response.text


def test_l29_a_customers_consent_on_the_preferences_page_alone_opens_nothing(
    agent: TestClient, context: Context, jan: Customer, engine: Engine
) -> None:
    with context.unit_of_work() as uow:
        context.consents.give(
            uow,
            jan.principal,
            jan.subject_id,
            "support_account_access",
            lang="nl",
            method=ConsentMethod.PRIVACY_CENTRE,
            evidence=Evidence.none(),
        )
    assert agent.get("/console/support-access").text.count("support-access-grant-") == 0
    assert agent.get("/console/support-access/1").status_code == 403
    assert views(engine) == []


def test_l29_staff_page_works_then_the_customer_revokes_and_the_very_next_request_is_403(
    browser: TestClient, agent: TestClient, engine: Engine
) -> None:
    grant_id = grant(browser, "24h")
    listed = agent.get("/console/support-access")
    assert f'id="support-access-grant-{grant_id}"' in listed.text
    assert agent.get(f"/console/support-access/{grant_id}").status_code == 200
    assert agent.get(f"/console/support-access/{grant_id}/services").status_code == 200
    assert revoke(browser, grant_id).status_code == 303
    assert agent.get(f"/console/support-access/{grant_id}/services").status_code == 403
    assert agent.get(f"/console/support-access/{grant_id}").status_code == 403
    assert f"support-access-grant-{grant_id}" not in agent.get("/console/support-access").text
    assert [v.section for v in views(engine)] == ["overview", "services"]  # refusals: no view
    with engine.connect() as connection:
        ledger = connection.execute(
            select(consent_events.c.given)
            .where(consent_events.c.activity == "support_account_access")
            .order_by(consent_events.c.id)
        ).scalars()
        assert list(ledger) == [True, False]  # art. 7(3): withdrawn in the ledger too


def test_l29_a_grant_of_one_hour_ends_by_itself_after_an_hour(
    browser: TestClient, agent: TestClient, clock: FixedClock
) -> None:
    grant_id = grant(browser, "1h")
    wait(clock, timedelta(minutes=59), browser, agent)
    assert agent.get(f"/console/support-access/{grant_id}").status_code == 200
    wait(clock, timedelta(minutes=1), browser, agent)
    assert agent.get(f"/console/support-access/{grant_id}").status_code == 403
    page = browser.get(PAGE).text
    assert f'id="grant-{grant_id}-state">' in page
    assert 'id="support-access"' in page  # the form is back: a new grant can be given


def test_l29_withdrawing_on_the_preferences_page_ends_the_grant_too(
    browser: TestClient, agent: TestClient, context: Context, jan: Customer
) -> None:
    grant_id = grant(browser, "7d")
    with context.unit_of_work() as uow:
        context.consents.withdraw(
            uow,
            jan.principal,
            jan.subject_id,
            "support_account_access",
            method=ConsentMethod.PRIVACY_CENTRE,
            evidence=Evidence.none(),
        )
    assert agent.get(f"/console/support-access/{grant_id}").status_code == 403


def test_l29_a_new_grant_after_an_ended_one_gets_its_own_consent_and_end(
    browser: TestClient, agent: TestClient, clock: FixedClock, engine: Engine
) -> None:
    first = grant(browser, "1h")
    wait(clock, timedelta(hours=2), browser, agent)
    second = grant(browser, "24h")
    assert second != first
    assert agent.get(f"/console/support-access/{first}").status_code == 403
    assert agent.get(f"/console/support-access/{second}").status_code == 200
    with engine.connect() as connection:
        ends = connection.execute(
            select(support_grants.c.granted_at, support_grants.c.expires_at).where(
                support_grants.c.id == second
            )
        ).one()
    assert ends.expires_at - ends.granted_at == timedelta(hours=24)


# --- the customer sees every view -------------------------------------------------------------


def test_l29_every_staff_view_is_listed_under_its_grant_with_role_number_and_section(
    browser: TestClient, agent: TestClient, engine: Engine
) -> None:
    grant_id = grant(browser)
    for path in ("", "/services", "/logs"):
        assert agent.get(f"/console/support-access/{grant_id}{path}").status_code == 200
    recorded = views(engine)
    assert len(recorded) == 3
    page = browser.get(PAGE, headers={"Accept-Language": "en"}).text
    table = page[page.index(f'id="grant-{grant_id}-views"') :]
    table = table[: table.index("</table>")]
    staff_id = recorded[0].staff_id
    assert table.count(f"customer support, staff number {staff_id}") == 3
    for section in ("Overview of your account", "Products and services", "Problem and event"):
        assert section in table


def test_l29_each_staff_page_is_in_the_access_log_at_once(
    browser: TestClient, agent: TestClient, engine: Engine
) -> None:
    grant_id = grant(browser)
    agent.get(f"/console/support-access/{grant_id}/logs")
    with engine.connect() as connection:  # no flush by the test: the page wrote it
        logged = connection.execute(
            select(access_log.c.actor, access_log.c.operation).where(
                access_log.c.activity == "support_account_access"
            )
        ).all()
    assert len(logged) == 1 and re.fullmatch(r"staff:\d+:support", logged[0].actor)


def test_l29_who_viewed_my_data_shows_the_console_look_up_and_the_support_access(
    browser: TestClient, agent: TestClient, jan: Customer, context: Context
) -> None:
    found = agent.post(
        "/console/customers",
        data={"csrf_token": csrf_token(agent, "/console/customers"), "email": jan.email},
    )
    assert found.status_code == 200
    grant_id = grant(browser)
    agent.get(f"/console/support-access/{grant_id}/services")
    page = browser.get(VIEWS, headers={"Accept-Language": "en"})
    assert page.status_code == 200
    rows = re.findall(r"<tr><td>[^<]*</td><td>([^<]*)</td><td>([^<]*)</td>", page.text)
    activities = {activity for _who, activity in rows}
    names = {
        a: context.policy.activity(a).name.en for a in ("support_account_access", "support_desk")
    }
    assert activities == set(names.values())  # the look-up, then the page under the grant
    assert all(who.startswith("customer support, staff number ") for who, _a in rows)


def test_who_viewed_my_data_shows_no_reads_of_the_person_themself(
    browser: TestClient,
) -> None:
    page = browser.get(VIEWS, headers={"Accept-Language": "en"})
    assert page.status_code == 200 and 'id="views-none"' in page.text


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "duration",
    [
        pytest.param("30d", id="thirty-days"),
        pytest.param("30 days", id="thirty-days-words"),
        pytest.param("P30D", id="iso-thirty-days"),
        pytest.param("", id="empty"),
        pytest.param("1h; DROP TABLE support_grants", id="garbage"),
    ],
)
def test_l29_a_grant_longer_than_the_policy_or_garbage_is_refused_and_stores_nothing(
    browser: TestClient, engine: Engine, duration: str
) -> None:
    before = row_counts(engine)
    response = submit(browser, PAGE, {"duration": duration})
    assert response.status_code == 422
    assert 'id="support-access-duration-error"' in response.text
    after = row_counts(engine)
    for table in ("support_grants", "consent_events", "audit_log"):
        assert after[table] == before[table], table


def test_l29_a_second_grant_while_one_is_live_is_refused(
    browser: TestClient, engine: Engine
) -> None:
    grant(browser)
    html = browser.get(PAGE).text
    response = browser.post(
        PAGE, data={"duration": "7d", "csrf_token": token_of(html)}, follow_redirects=False
    )
    assert response.status_code == 409
    assert row_counts(engine)["support_grants"] == 1


@pytest.mark.parametrize("path", [PAGE, f"{PAGE}/1/revoke"], ids=["grant", "revoke"])
def test_l29_the_forms_without_their_csrf_token_are_refused(
    browser: TestClient, engine: Engine, path: str
) -> None:
    before = row_counts(engine)
    response = browser.post(path, data={"duration": "1h"}, follow_redirects=False)
    assert response.status_code == 403
    assert row_counts(engine)["support_grants"] == before["support_grants"]


def test_l29_another_customers_grant_cannot_be_revoked(
    app: FastAPI, browser: TestClient, context: Context, agent: TestClient
) -> None:
    grant_id = grant(browser)
    piet = customer(context)
    with TestClient(app, client=("145.97.0.2", 50000)) as other:
        log_in(other, piet.email, piet.password)
        assert revoke(other, grant_id).status_code == 404
    assert agent.get(f"/console/support-access/{grant_id}").status_code == 200  # still live


@pytest.mark.parametrize("grant_id", ["abc", "-1", "99999999999999999999", "0"])
def test_l29_a_grant_id_that_names_no_grant_gets_the_same_403(
    agent: TestClient, grant_id: str
) -> None:
    assert agent.get(f"/console/support-access/{grant_id}").status_code == 403


def test_an_unknown_section_is_not_found_and_records_nothing(
    browser: TestClient, agent: TestClient, engine: Engine
) -> None:
    grant_id = grant(browser)
    assert agent.get(f"/console/support-access/{grant_id}/passwords").status_code == 404
    assert views(engine) == []


def test_the_centre_pages_need_a_log_in(app: FastAPI) -> None:
    with TestClient(app) as anonymous:
        for path in (PAGE, VIEWS):
            response = anonymous.get(path, follow_redirects=False)
            assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_a_provider_without_support_access_has_no_such_page_and_no_grant(
    database_url: str, engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    settings = Settings(
        mode=Mode.TEST, database_url=database_url, var_dir=tmp_path / "var", policy_file=SHOP
    )
    shop = bootstrap(settings, clock=clock, engine=engine, run_migrations=False)
    assert not shop.support_access.offered
    thea = customer(shop)
    with TestClient(create_app(shop), client=("145.97.0.1", 50000)) as client:
        log_in(client, thea.email, thea.password)
        assert client.get(PAGE).status_code == 404
        assert client.get(VIEWS).status_code == 200  # staff reads are shown all the same
    with shop.unit_of_work() as uow, pytest.raises(NoLiveGrant):
        shop.support_access.open_section(uow, StaffMember(1, StaffRole.SUPPORT), 1, None)
    shop.access_log.flush()
