"""The cookie banner's API over HTTP (issue 10 item 7; P14, P16, P17; LEGAL L7-L10, L39-L45):
categories from the policy, choices in the consent ledger with method cookie_banner for a
visitor subject without an account, GPC recorded as a refusal, the analytics gate, and bad
input as RFC 9457 problems that write nothing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from privaat.bootstrap import Context
from privaat.policy.schema import consent_text_sha256
from privaat.store.tables import accounts, consent_events, subjects
from privaat.store.tables_visitors import visitors

JSON = {"content-type": "application/json"}


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar_one()


def ledger(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(select(consent_events).order_by(consent_events.c.id)))


def assert_problem(response: Any, status: int, slug: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"]
    if slug:
        assert body["type"].endswith("/" + slug), body
    return body


def choose(client: TestClient, **choices: bool) -> Any:
    return client.post("/consent/choices", json={"choices": choices, "lang": "nl"})


def test_p14_the_categories_come_from_the_policy_with_purposes_companies_and_cookies(
    client: TestClient,
) -> None:
    config = client.get("/consent/choices?lang=nl").json()
    by_id = {c["id"]: c for c in config["categories"]}
    assert list(by_id) == ["necessary", "analytics", "social", "embeds"]
    assert by_id["necessary"]["required"] is True
    assert "privaat_visitor" in [c["name"] for c in by_id["necessary"]["cookies"]]
    assert by_id["analytics"]["companies"] == [
        "Google Ireland Limited (Google Analytics, Google Search Console)"
    ]
    assert by_id["analytics"]["request"] == "Statistiekcookies (Google Analytics) toestaan"
    assert {c["name"] for c in by_id["analytics"]["cookies"]} == {"_ga", "_ga_<container-id>"}
    assert len(by_id["social"]["companies"]) == 2
    assert by_id["embeds"]["companies"] == ["Google Ireland Limited"]  # issue 14 item 6
    assert config["texts"]["accept"] == "Accepteren" and config["texts"]["refuse"] == "Weigeren"
    assert config["choice"] is None
    english = client.get("/consent/choices?lang=en").json()
    assert english["texts"]["refuse"] == "Refuse"


def test_l39_before_a_choice_nothing_is_written_and_no_visitor_cookie_is_set(
    client: TestClient, engine: Engine
) -> None:
    before = count(engine, subjects)
    response = client.get("/consent/choices")
    assert "set-cookie" not in response.headers
    assert response.headers["cache-control"] == "no-store"
    assert count(engine, subjects) == before and count(engine, consent_events) == 0


def test_l7_accepting_records_consent_for_a_visitor_subject_without_an_account(
    client: TestClient, engine: Engine, context: Context
) -> None:
    response = choose(client, analytics=True, social=True)
    assert response.status_code == 200, response.text
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("privaat_visitor=") and "HttpOnly" in cookie and "Max-Age" in cookie
    assert response.json()["choice"]["given"] == {
        "analytics": True,
        "social": True,
        "embeds": False,
    }
    rows = ledger(engine)
    assert [(r.activity, r.given, r.channel) for r in rows] == [
        ("website_analytics", True, "cookie_banner"),
        ("social_plugins", True, "cookie_banner"),
        ("embedded_media", False, "cookie_banner"),  # left out: a refusal (L8)
    ]
    # the exact request text shown, in the language shown (L86)
    assert rows[0].text_sha256 == consent_text_sha256(
        "Statistiekcookies (Google Analytics) toestaan"
    )
    assert count(engine, visitors) == 1 and count(engine, accounts) == 0
    # the state comes back on the next page load, from the ledger
    state = client.get("/consent/choices").json()["choice"]
    assert state["given"] == {"analytics": True, "social": True, "embeds": False}
    assert state["current"] is True


def test_l10_withdrawing_in_the_banner_is_one_request_and_recorded(
    client: TestClient, engine: Engine
) -> None:
    choose(client, analytics=True)
    assert client.post("/consent/analytics/collect").status_code == 204
    response = choose(client, analytics=False)
    assert response.status_code == 200
    rows = ledger(engine)
    analytics = [(r.given, r.channel) for r in rows if r.activity == "website_analytics"]
    assert analytics == [(True, "cookie_banner"), (False, "cookie_banner")]
    # the visitor keeps the one cookie: no new visitor for a second choice (the withdrawal's
    # expiries of the analytics cookies are tests/integration/test_cookie_clearing.py's)
    set_cookies = response.headers.get_list("set-cookie")
    assert not [c for c in set_cookies if c.startswith("privaat_visitor=")]
    assert count(engine, visitors) == 1
    assert_problem(client.post("/consent/analytics/collect"), 403, "processing-not-allowed")


def test_l8_refusing_records_a_refusal_for_every_category_and_repeating_it_writes_nothing(
    client: TestClient, engine: Engine
) -> None:
    assert choose(client).status_code == 200  # Weigeren: every category left out is a no
    rows = ledger(engine)
    assert sorted((r.activity, r.given) for r in rows) == [
        ("embedded_media", False),
        ("social_plugins", False),
        ("website_analytics", False),
    ]
    assert choose(client).status_code == 200
    assert len(ledger(engine)) == 3


@pytest.mark.parametrize("how", ["header", "navigator"])
def test_gpc_counts_as_a_refusal_and_is_recorded_as_such(
    client: TestClient, engine: Engine, how: str
) -> None:
    if how == "header":
        response = client.post(
            "/consent/choices",
            json={"choices": {"analytics": True}, "lang": "en"},
            headers={"Sec-GPC": "1"},
        )
    else:
        response = client.post(
            "/consent/choices", json={"choices": {"analytics": True}, "lang": "en", "gpc": True}
        )
    assert response.status_code == 200, response.text
    assert response.json()["choice"] == {**response.json()["choice"], "gpc": True}
    assert response.json()["choice"]["given"] == {
        "analytics": False,
        "social": False,
        "embeds": False,
    }
    assert {(r.activity, r.given, r.channel) for r in ledger(engine)} == {
        ("website_analytics", False, "cookie_banner"),
        ("social_plugins", False, "cookie_banner"),
        ("embedded_media", False, "cookie_banner"),
    }
    with engine.connect() as connection:
        assert connection.execute(select(visitors.c.gpc)).scalar_one() is True
    assert client.get("/consent/choices", headers={"Sec-GPC": "1"}).json()["gpc"] is True
    assert_problem(client.post("/consent/analytics/collect"), 403)


def test_gpc_json_is_served(client: TestClient) -> None:
    response = client.get("/.well-known/gpc.json")
    assert response.status_code == 200
    body = response.json()
    assert body["gpc"] is True and len(body["lastUpdate"]) == 10


def test_l39_analytics_events_without_a_visitor_or_consent_are_refused(
    client: TestClient,
) -> None:
    body = assert_problem(client.post("/consent/analytics/collect"), 403, "processing-not-allowed")
    assert "consent" in body["detail"]
    choose(client, social=True)
    assert_problem(client.post("/consent/analytics/collect"), 403, "processing-not-allowed")
    assert_problem(client.post("/consent/nothing/collect"), 404, "unknown-category")


def test_l42_a_changed_vendor_list_asks_again(client: TestClient, engine: Engine) -> None:
    choose(client, analytics=True)
    with engine.begin() as connection:
        connection.execute(visitors.update().values(vendors_sha256="0" * 64))
    assert client.get("/consent/choices").json()["choice"]["current"] is False


def test_a_visitor_reads_their_ledger_and_a_receipt(client: TestClient) -> None:
    choose(client, analytics=True)
    records = client.get("/consent/records").json()["records"]
    assert [(r["activity"], r["method"]) for r in records][0] == (
        "embedded_media",
        "cookie_banner",
    )
    receipt = client.get(records[-1]["receipt"] + "?format=kantara")
    assert receipt.status_code == 200 and receipt.json()["version"] == "KI-CR-v1.1.0"


# --- bad input: a clear problem, nothing written -------------------------------------------


@pytest.mark.parametrize(
    ("send", "status"),
    [
        pytest.param({"json": {"choices": {"marketing": True}}}, 422, id="unknown-category"),
        pytest.param(
            {"json": {"choices": {"website_analytics": True}}}, 422, id="activity-id-not-category"
        ),
        pytest.param({"content": b'{"choices": {', "headers": JSON}, 422, id="malformed-json"),
        pytest.param({"json": {"choices": {"analytics": "yes please"}}}, 422, id="not-a-bool"),
        pytest.param({"json": {"choices": {}, "extra": 1}}, 422, id="unknown-field"),
        pytest.param(
            {"content": b'{"choices": {}}', "headers": {"content-type": "text/plain"}},
            422,
            id="not-json",
        ),
        pytest.param(
            {"content": b'{"choices": {"' + b"a" * 1_048_576 + b'": true}}', "headers": JSON},
            413,
            id="one-megabyte",
        ),
    ],
)
def test_bad_banner_posts_are_problems_and_write_nothing(
    client: TestClient, engine: Engine, send: dict[str, Any], status: int
) -> None:
    before = count(engine, subjects)
    response = client.post("/consent/choices", **send)
    assert_problem(response, status)
    assert "set-cookie" not in response.headers
    assert count(engine, subjects) == before
    assert count(engine, consent_events) == 0 and count(engine, visitors) == 0


@pytest.mark.parametrize(
    "forged",
    [
        pytest.param("A" * 43, id="well-formed-unknown"),
        pytest.param("../../etc", id="malformed"),
        pytest.param("x" * 500, id="too-long"),
    ],
)
def test_a_forged_visitor_cookie_is_a_problem_writes_nothing_and_is_removed(
    client: TestClient, engine: Engine, forged: str
) -> None:
    client.cookies.set("privaat_visitor", forged)
    before = count(engine, subjects)
    response = choose(client, analytics=True)
    assert_problem(response, 400, "unknown-visitor")
    assert 'privaat_visitor=""' in response.headers["set-cookie"]
    assert count(engine, subjects) == before and count(engine, consent_events) == 0
    # the banner then asks afresh; analytics stays shut
    client.cookies.set("privaat_visitor", forged)
    assert client.get("/consent/choices").json()["choice"] is None
    client.cookies.set("privaat_visitor", forged)
    assert_problem(client.post("/consent/analytics/collect"), 400, "unknown-visitor")


def test_the_banner_assets_are_cached_and_usable_by_other_sites(client: TestClient) -> None:
    script = client.get("/consent/banner.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith(
        "text/javascript"
    )
    assert "max-age" in script.headers["cache-control"]
    assert script.headers["cross-origin-resource-policy"] == "cross-origin"
    again = client.get("/consent/banner.js", headers={"if-none-match": script.headers["etag"]})
    assert again.status_code == 304
    assert client.get("/consent/banner.css").headers["content-type"].startswith("text/css")


def test_the_cookie_settings_page_lists_every_category_and_loads_the_banner(
    client: TestClient,
) -> None:
    page = client.get("/cookies?lang=nl")
    assert page.status_code == 200
    assert "privaat_visitor" in page.text and "_ga" in page.text and "fr" in page.text
    assert '<script src="/consent/banner.js"' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]


# --- a visitor is a subject like a customer: erasure, and the policy decides the categories ---


def test_a_visitor_is_erased_like_a_customer_and_the_consent_proof_is_held(
    client: TestClient, engine: Engine, context: Context
) -> None:
    from privaat.domain.principal import SystemJob

    choose(client, analytics=True)
    with engine.connect() as connection:
        subject_id = connection.execute(select(visitors.c.subject_id)).scalar_one()
    context.erasure.erase(
        context.unit_of_work(), SystemJob("test"), subject_id, ground="art. 17(1)(b)"
    )
    assert count(engine, visitors) == 0  # the cookie names no one any more
    assert len(ledger(engine)) == 3  # art. 7(1): the proof of consent is held (registry HOLD)
    # the old cookie is now unknown: a clear problem, then a fresh start
    assert_problem(choose(client, analytics=True), 400, "unknown-visitor")
    assert choose(client, analytics=False).status_code == 200


def test_l9_a_new_consent_based_cookie_activity_appears_in_the_banner_without_code(
    context: Context,
) -> None:
    from privaat.services.visitors import Visitors

    analytics = context.policy.activity("website_analytics")
    heatmaps = analytics.model_copy(update={"id": "heatmaps", "banner_category": "heatmaps"})
    policy = context.policy.model_copy(
        update={"activities": (*context.policy.activities, heatmaps)}
    )
    banner = Visitors(
        access=context.access, consents=context.consents, policy=policy, clock=context.clock
    )
    assert [c.id for c in banner.categories()] == [
        "necessary",
        "analytics",
        "social",
        "embeds",
        "heatmaps",
    ]
    assert banner.vendors_sha256 != context.visitors.vendors_sha256  # asked again (L42)


def test_one_address_cannot_fill_the_database_with_new_visitors(
    client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from privaat.services import visitors as visitors_module

    monkeypatch.setattr(visitors_module, "MAX_NEW_VISITORS_PER_IP", 3)
    for _ in range(3):
        client.cookies.clear()
        assert choose(client, analytics=True).status_code == 200
    client.cookies.clear()
    body = assert_problem(choose(client, analytics=True), 429)
    assert body["title"]
    assert count(engine, visitors) == 3
