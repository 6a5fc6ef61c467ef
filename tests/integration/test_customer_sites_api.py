"""Issue 14 item 7 over HTTP: the banner on hosting customers' sites, found by the Host.

Customer A has a1.test and a2.test, customer B has b1.test. A choice on a1.test is recorded in
A's own ledger; the carry token takes it to a2.test (the same visitor subject, the same record
set) and never to b1.test: B's host refuses A's token with a problem, and nothing is recorded.
Any other host, or a malformed one, is the provider's own banner as before (LEGAL L39-L42)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from privaat.bootstrap import Context
from privaat.domain.clock import FixedClock
from privaat.domain.customer_sites import SiteFile
from privaat.domain.principal import SystemJob
from privaat.policy.schema import consent_text_sha256
from privaat.store.tables import audit_log, consent_events, subjects
from privaat.store.tables_sites import site_carries, site_consent_events, site_visitors
from privaat.store.tables_visitors import visitors

A1, A2, B1 = "http://a1.test", "http://a2.test", "http://b1.test"
A_REQUEST = {"nl": "Statistiekcookies van Bakkerij A toestaan", "en": "Allow A's statistics"}


def site(customer: str, *domains: str, request: dict[str, str]) -> SiteFile:
    text = {"nl": f"Statistieken van {customer}", "en": f"Statistics of {customer}"}
    return SiteFile.model_validate(
        {
            "customer": customer,
            "name": f"{customer} B.V.",
            "privacy_url": f"https://{domains[0]}/privacy",
            "domains": list(domains),
            "categories": [
                {"id": "analytics", "name": text, "purpose": text, "request": request,
                 "companies": ["Stand-in Analytics"], "cookies": ["_ga"]},
                {"id": "chat", "name": text, "purpose": text, "request": text},
            ],
        }
    )  # fmt: skip


@pytest.fixture
def sites(context: Context) -> Context:
    operator = SystemJob("test")
    with context.unit_of_work() as uow:
        context.sites.registry.declare(
            uow, operator, site("bakkerij-a", "a1.test", "a2.test", request=A_REQUEST)
        )
        b_request = {"nl": "Statistiekcookies van Fietsen B toestaan", "en": "Allow B's"}
        context.sites.registry.declare(
            uow, operator, site("fietsen-b", "b1.test", request=b_request)
        )
    return context


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar_one()


def ledger(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        query = select(site_consent_events).order_by(site_consent_events.c.id)
        return list(connection.execute(query))


def assert_problem(response: Any, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"].endswith("/" + slug) and body["detail"], body
    return body


def accept(client: TestClient, origin: str, **choices: bool) -> Any:
    response = client.post(
        f"{origin}/consent/choices", json={"choices": choices or {"analytics": True}, "lang": "nl"}
    )
    assert response.status_code == 200, response.text
    return response.json()


def visitor_cookies(response: Any) -> list[str]:
    return [c for c in response.headers.get_list("set-cookie") if c.startswith("privaat_visitor=")]


@pytest.mark.parametrize(
    "host",
    [
        pytest.param("127.0.0.1:8000", id="address"),
        pytest.param("flexibelt.example", id="unknown-site"),
        pytest.param("a1.test:http", id="bad-port"),
        pytest.param("a1 test", id="space"),
        pytest.param("[::1]", id="ipv6"),
    ],
)
def test_issue14_item7_an_unknown_or_malformed_host_gets_the_providers_banner(
    sites: Context, client: TestClient, host: str
) -> None:
    config = client.get("/consent/choices?lang=nl", headers={"host": host}).json()
    assert [c["id"] for c in config["categories"]] == ["necessary", "analytics", "social", "embeds"]
    assert config["privacy"] == "/privacy?lang=nl" and "domains" not in config


def test_issue14_item7_a_customers_domain_shows_its_own_categories_and_other_domains(
    sites: Context, client: TestClient
) -> None:
    config = client.get(f"{A2}/consent/choices?lang=nl").json()
    by_id = {c["id"]: c for c in config["categories"]}
    assert list(by_id) == ["necessary", "analytics", "chat"]
    assert by_id["necessary"]["required"] is True
    assert [c["name"] for c in by_id["necessary"]["cookies"]] == ["privaat_visitor"]
    assert by_id["analytics"]["request"] == "Statistiekcookies van Bakkerij A toestaan"
    assert by_id["analytics"]["companies"] == ["Stand-in Analytics"]
    assert config["privacy"] == "https://a1.test/privacy"
    assert config["domains"] == ["a1.test"]  # the scope's other domains, never B's
    assert config["choice"] is None and config["carry"] is None
    assert config["texts"]["accept"] == "Accepteren"


def test_issue14_item7_a_choice_on_a1_goes_to_as_ledger_and_not_to_the_providers(
    sites: Context, client: TestClient, engine: Engine
) -> None:
    response = client.post(
        f"{A1}/consent/choices", json={"choices": {"analytics": True}, "lang": "nl"}
    )
    assert response.status_code == 200, response.text
    cookie = visitor_cookies(response)[0]
    assert "HttpOnly" in cookie and "Domain" not in cookie  # host-only, first-party on a1.test
    assert response.json()["choice"]["given"] == {"analytics": True, "chat": False}
    rows = ledger(engine)
    assert [(r.category, r.given, r.channel, r.lang) for r in rows] == [
        ("analytics", True, "cookie_banner", "nl"),
        ("chat", False, "cookie_banner", "nl"),  # left out: a refusal (L8)
    ]
    # the exact request text shown, in the language shown (L86)
    assert rows[0].text_sha256 == consent_text_sha256("Statistiekcookies van Bakkerij A toestaan")
    assert count(engine, consent_events) == 0 and count(engine, visitors) == 0
    assert count(engine, site_visitors) == 1
    state = client.get(f"{A1}/consent/choices").json()
    assert state["choice"]["given"] == {"analytics": True, "chat": False}
    assert state["carry"] and state["choice"]["current"] is True
    # the audit trail names the scope and the category, never the text or the address
    with engine.connect() as connection:
        entries = connection.execute(
            select(audit_log.c.action, audit_log.c.detail).where(
                audit_log.c.action.like("site_consent.%")
            )
        ).all()
    assert [e.action for e in entries] == ["site_consent.given", "site_consent.withdrawn"]
    assert "145.97" not in str(entries) and "Statistiek" not in str(entries)
    # the analytics gate of A's site: in with consent, out for the category refused
    assert client.post(f"{A1}/consent/analytics/collect").status_code == 204
    assert_problem(client.post(f"{A1}/consent/chat/collect"), 403, "processing-not-allowed")


def test_issue14_item7_as_choice_on_a1_applies_on_a2_after_the_token(
    sites: Context, client: TestClient, engine: Engine
) -> None:
    carry = accept(client, A1)["carry"]
    assert client.get(f"{A2}/consent/choices").json()["choice"] is None  # no cookie on a2 yet
    taken = client.post(f"{A2}/consent/carry", json={"token": carry})
    assert taken.status_code == 200, taken.text
    assert visitor_cookies(taken)
    state = client.get(f"{A2}/consent/choices").json()
    assert state["choice"]["given"] == {"analytics": True, "chat": False}
    assert state["choice"]["current"] is True and state["domains"] == ["a1.test"]
    assert client.post(f"{A2}/consent/analytics/collect").status_code == 204
    # one visitor subject in A's scope, two cookies; the choice was recorded once
    with engine.connect() as connection:
        owners = connection.execute(select(site_visitors.c.subject_id)).scalars().all()
    assert len(owners) == 2 and len(set(owners)) == 1
    assert len(ledger(engine)) == 2
    # the same record set: a withdrawal on a2 is a withdrawal on a1
    accept(client, A2, analytics=False)
    assert client.get(f"{A1}/consent/choices").json()["choice"]["given"]["analytics"] is False
    assert [(r.category, r.given) for r in ledger(engine)][-1] == ("analytics", False)
    assert_problem(client.post(f"{A1}/consent/analytics/collect"), 403, "processing-not-allowed")


def test_issue14_item7_as_token_on_bs_domain_is_refused_and_nothing_recorded(
    sites: Context, client: TestClient, engine: Engine
) -> None:
    carry = accept(client, A1)["carry"]
    before = {t.name: count(engine, t) for t in (subjects, site_visitors, site_consent_events)}
    refused = client.post(f"{B1}/consent/carry", json={"token": carry})
    body = assert_problem(refused, 409, "other-scope")
    assert "another customer" in body["detail"] and "nothing was recorded" in body["detail"]
    assert not visitor_cookies(refused)
    after = {t.name: count(engine, t) for t in (subjects, site_visitors, site_consent_events)}
    assert after == before and count(engine, site_carries) == 0
    # B's banner still asks, and nothing is given there
    state = client.get(f"{B1}/consent/choices").json()
    assert state["choice"] is None and state["domains"] == []
    assert_problem(client.post(f"{B1}/consent/analytics/collect"), 403, "processing-not-allowed")
    # and the refused token still works where it belongs: nothing of it was spent
    assert client.post(f"{A2}/consent/carry", json={"token": carry}).status_code == 200


def test_issue14_item7_as_cookie_presented_on_bs_domain_names_no_visitor_there(
    sites: Context, client: TestClient, engine: Engine
) -> None:
    a1 = client.post(f"{A1}/consent/choices", json={"choices": {"analytics": True}})
    token = visitor_cookies(a1)[0].split(";")[0].split("=", 1)[1]
    other = TestClient(client.app, base_url=B1, client=("145.97.0.1", 50000))
    seen = other.get("/consent/choices", headers={"cookie": f"privaat_visitor={token}"})
    assert seen.json()["choice"] is None
    assert any("Max-Age=0" in c or "expires=" in c.lower() for c in visitor_cookies(seen))
    refused = other.post(
        "/consent/analytics/collect", headers={"cookie": f"privaat_visitor={token}"}
    )
    assert_problem(refused, 400, "unknown-visitor")
    # nor on the provider's own banner: its visitors are another table
    provider = other.get(
        "/consent/choices", headers={"cookie": f"privaat_visitor={token}", "host": "127.0.0.1"}
    )
    assert provider.json()["choice"] is None
    assert len(ledger(engine)) == 2 and count(engine, consent_events) == 0


@pytest.mark.parametrize(
    ("spoil", "status", "slug"),
    [
        pytest.param(lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"), 400,
                     "invalid-carry-token", id="forged"),
        pytest.param(lambda t: "k.1.1.x.1.x", 400, "invalid-carry-token", id="made-up"),
        pytest.param(lambda t: t, 409, "carry-token-used", id="used"),
    ],
)  # fmt: skip
def test_issue14_item7_a_forged_or_spent_token_is_refused_and_nothing_recorded(
    sites: Context, client: TestClient, engine: Engine, spoil: Any, status: int, slug: str
) -> None:
    carry = accept(client, A1)["carry"]
    if slug == "carry-token-used":
        assert client.post(f"{A2}/consent/carry", json={"token": carry}).status_code == 200
    before = count(engine, site_visitors)
    fresh = TestClient(client.app, base_url=A2, client=("145.97.0.1", 50000))
    refused = fresh.post("/consent/carry", json={"token": spoil(carry)})
    assert_problem(refused, status, slug)
    assert not visitor_cookies(refused) and count(engine, site_visitors) == before


def test_issue14_item7_an_expired_token_is_refused(
    sites: Context, client: TestClient, engine: Engine, clock: FixedClock
) -> None:
    carry = accept(client, A1)["carry"]
    clock.advance(timedelta(minutes=10))
    assert_problem(
        client.post(f"{A2}/consent/carry", json={"token": carry}), 410, "carry-token-expired"
    )
    assert count(engine, site_visitors) == 1


def test_issue14_item7_a_token_on_the_providers_own_site_is_no_customer_site(
    sites: Context, client: TestClient
) -> None:
    carry = accept(client, A1)["carry"]
    assert_problem(client.post("/consent/carry", json={"token": carry}), 404, "no-customer-site")


def test_issue14_item7_an_unknown_category_of_a_customer_site_writes_nothing(
    sites: Context, client: TestClient, engine: Engine
) -> None:
    # "social" is a category of the provider's banner, not of A's
    refused = client.post(f"{A1}/consent/choices", json={"choices": {"social": True}})
    assert refused.status_code == 422, refused.text
    assert "social" in refused.text
    assert count(engine, subjects) == 0 and count(engine, site_consent_events) == 0


def test_issue14_item7_a_customers_records_list_the_scopes_ledger(
    sites: Context, client: TestClient
) -> None:
    accept(client, A1)
    listed = client.get(f"{A1}/consent/records").json()
    assert listed["controller"] == "bakkerij-a B.V."
    assert [(r["category"], r["given"]) for r in listed["records"]] == [
        ("chat", False),
        ("analytics", True),
    ]
    assert_problem(
        client.get(f"{A1}/consent/records/{listed['records'][0]['id']}/receipt"), 404, "no-receipt"
    )


def test_issue14_item7_l42_a_changed_company_list_asks_as_visitors_again(
    sites: Context, client: TestClient
) -> None:
    accept(client, A1)
    changed = site("bakkerij-a", "a1.test", "a2.test", request=A_REQUEST)
    category = changed.categories[0].model_copy(update={"companies": ("Another Analytics",)})
    changed = changed.model_copy(update={"categories": (category, *changed.categories[1:])})
    with sites.unit_of_work() as uow:
        sites.sites.registry.declare(uow, SystemJob("test"), changed, replace=True)
    state = client.get(f"{A1}/consent/choices").json()["choice"]
    assert state["current"] is False  # another vendor list: the banner shows again


def test_issue14_item7_l86_a_consent_counts_only_for_the_request_text_it_was_given_for(
    sites: Context, client: TestClient, engine: Engine
) -> None:
    accept(client, A1)
    reworded = site("bakkerij-a", "a1.test", "a2.test", request={"nl": "Nieuw", "en": "New"})
    with sites.unit_of_work() as uow:
        sites.sites.registry.declare(uow, SystemJob("test"), reworded, replace=True)
    assert client.get(f"{A1}/consent/choices").json()["choice"]["given"]["analytics"] is False
    assert_problem(client.post(f"{A1}/consent/analytics/collect"), 403, "processing-not-allowed")
    accept(client, A1)  # given again, for the new text: a new record against its hash
    assert ledger(engine)[-1].text_sha256 == consent_text_sha256("Nieuw")


def test_issue14_item7_gpc_on_a_customers_site_is_a_refusal_of_every_category(
    sites: Context, client: TestClient, engine: Engine
) -> None:
    response = client.post(
        f"{A1}/consent/choices",
        json={"choices": {"analytics": True}, "lang": "en"},
        headers={"sec-gpc": "1"},
    )
    assert response.json()["choice"]["given"] == {"analytics": False, "chat": False}
    assert [(r.category, r.given, r.lang) for r in ledger(engine)] == [
        ("analytics", False, "en"),
        ("chat", False, "en"),
    ]
    assert client.get(f"{A1}/consent/choices").json()["choice"]["gpc"] is True


def test_issue14_item7_a_visitor_of_a_customers_site_is_erased_and_the_proof_is_held(
    sites: Context, client: TestClient, engine: Engine
) -> None:
    carry = accept(client, A1)["carry"]
    assert client.post(f"{A2}/consent/carry", json={"token": carry}).status_code == 200
    with engine.connect() as connection:
        subject_id = connection.execute(select(site_visitors.c.subject_id).limit(1)).scalar_one()
    sites.erasure.erase(sites.unit_of_work(), SystemJob("test"), subject_id, ground="art. 17(1)(b)")
    assert count(engine, site_visitors) == 0  # no cookie of either domain names anyone
    assert len(ledger(engine)) == 2  # art. 7(1): the scope's records are held (HOLD)
    assert_problem(client.post(f"{A2}/consent/analytics/collect"), 400, "unknown-visitor")
    # and the token of the erased visitor links no one
    fresh = TestClient(client.app, base_url=A2, client=("145.97.0.1", 50000))
    again = sites.sites.carry_token(sites.unit_of_work(), _scope(sites, "a1.test"), subject_id)
    assert_problem(fresh.post("/consent/carry", json={"token": again}), 400, "unknown-visitor")


def _scope(context: Context, domain: str) -> Any:
    with context.unit_of_work() as uow:
        return context.sites.resolve(uow, domain)


def test_issue14_item7_a_failure_after_the_first_write_leaves_nothing(
    sites: Context, client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from privaat.services import customer_sites

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("the audit trail is unavailable")

    before = count(engine, subjects)
    monkeypatch.setattr(customer_sites.AuditTrail, "append", broken)
    with pytest.raises(RuntimeError):
        client.post(f"{A1}/consent/choices", json={"choices": {"analytics": True}})
    # the visitor subject, its cookie row and the first record were written, then rolled back
    assert count(engine, subjects) == before
    assert count(engine, site_visitors) == 0 and count(engine, site_consent_events) == 0


def test_issue14_item7_a_withdrawal_on_a_customers_site_expires_its_cookies_from_the_server(
    sites: Context, client: TestClient
) -> None:
    accept(client, A1)
    client.cookies.set("_ga", "GA1.1.1.1", domain="a1.test")
    withdrawn = client.post(f"{A1}/consent/choices", json={"choices": {"analytics": False}})
    expiries = [c for c in withdrawn.headers.get_list("set-cookie") if c.startswith("_ga=")]
    # by hand: the site file's "_ga", host-only and for a1.test itself, each expired at Path=/
    assert len(expiries) == 2 and all("Max-Age=0" in c and "Path=/" in c for c in expiries)
    assert sorted("Domain=a1.test" in c for c in expiries) == [False, True]
    # no withdrawal, no expiry: giving again, or refusing what was never given
    again = client.post(f"{A1}/consent/choices", json={"choices": {"analytics": True}})
    assert not [c for c in again.headers.get_list("set-cookie") if c.startswith("_ga=")]


def test_issue14_item7_the_providers_consent_mode_mapping_is_not_served_to_a_customers_site(
    sites: Context, client: TestClient
) -> None:
    provider = client.get("/consent/banner.js").text
    customer = client.get(f"{A1}/consent/banner.js").text
    # by hand: the provider's policy grants analytics_storage with its analytics category
    assert '"analytics":["analytics_storage"]' in provider
    assert "var MODE = null;" in customer and '"grants"' not in customer
