"""One customer can never read another's data through any route (issue 16 item 6; GDPR art.
5(1)(f), 32; P1): every route of the app — the API, the pages, the console — is called with
another customer's session and with every identifier the first customer can see of their own
(request references and ids, order and case references, consent record ids), by every method.
No answer is a 5xx, none carries the first customer's data, and afterwards their data is as it
was. The identifiers are harvested from the first customer's own answers, not hand-picked, so a
route a later issue adds is walked the day it lands."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.routing import Route
from tests.factories import Customer, customer

from privaat.bootstrap import Context
from privaat.domain.principal import DataSubject
from privaat.services.shop import CheckoutCommand
from privaat.services.support_desk import Channel, NewCase
from privaat.services.support_desk import Product as SupportProduct
from privaat.web.app import ROUTERS, create_app

ANNA = {
    "name": "Anna Markeer",
    "email": "anna.markeer@voorbeeld.nl",
    "phone": "+31612349876",
    "street": "Markeerstraat 7",
    "postal_code": "2721 NA",
    "city": "Zoetermeer",
}
# what must never reach the other customer: Anna's own words and values
MARKERS = ("markeer", "+31612349876", "0612349876", "Zoemt bij elk gesprek")
_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")
_REFERENCE = re.compile(r"\b[A-Z]{2,3}-[A-Z0-9]{6,12}\b")


def _login(client: TestClient, person: Customer) -> None:
    answer = client.post(
        "/api/v1/session", json={"email": person.email, "password": person.password}
    )
    assert answer.status_code == 204, answer.text


@pytest.fixture
def people(context: Context) -> Iterator[tuple[TestClient, TestClient, Customer, Customer]]:
    anna = customer(context, **{k: ANNA[k] for k in ("name", "email", "phone")})
    bram = customer(context, name="Bram Visser")
    with context.unit_of_work() as uow:
        if "shop_orders" in context.policy.activity_ids:
            order = CheckoutCommand.model_validate(
                {
                    "lines": {"snom-d785": 1},
                    **{k: ANNA[k] for k in ("name", "street", "postal_code", "city", "email")},
                    "provider": "sisow",
                    "language": "nl",
                }
            )
            context.shop.check_out(uow, order, buyer=DataSubject(anna.subject_id), ip="145.97.1.2")
        case = NewCase(
            channel=Channel.WEB,
            title="Zoemt bij elk gesprek",
            question="Zoemt bij elk gesprek, ook met de headset van Anna Markeer.",
            email=ANNA["email"],
            products=(SupportProduct("SN-D785-004211", date(2026, 10, 2)),),
        )
        context.support.file_by_customer(uow, DataSubject(anna.subject_id), case)
    app = create_app(context)
    with (
        TestClient(app, client=("145.97.0.1", 50000)) as first,
        TestClient(app, client=("145.97.0.2", 50000)) as second,
    ):
        _login(first, anna)
        assert first.post(
            "/api/v1/requests",
            json={"type": "access", "details": "Zoemt bij elk gesprek: wat weet u van mij?"},
        ).status_code in (201, 202)
        assert first.post("/api/v1/consents/marketing_email").status_code < 300
        _login(second, bram)
        yield first, second, anna, bram


def _routes() -> list[tuple[str, str]]:
    found = []
    for router in ROUTERS:
        for route in router.routes:
            if isinstance(route, Route) and route.methods:
                for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
                    found.append((method, route.path))
    return found


def _harvest(first: TestClient) -> dict[str, set[str]]:
    """Every identifier Anna's own answers show her: by kind of path parameter."""
    seen: dict[str, set[str]] = {"reference": set(), "id": set()}
    for method, path in _routes():
        if method != "GET" or _PARAM.search(path) or path.startswith("/console"):
            continue
        answer = first.get(path)
        if answer.status_code != 200:
            continue
        seen["reference"].update(_REFERENCE.findall(answer.text))
        if answer.headers.get("content-type", "").startswith("application/json"):
            _ids(answer.json(), seen["id"])
    return seen


def _ids(value: Any, into: set[str]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            if (key == "id" or key.endswith("_id")) and isinstance(inner, int | str):
                into.add(str(inner))
            _ids(inner, into)
    elif isinstance(value, list):
        for inner in value:
            _ids(inner, into)


def _filled(path: str, harvest: dict[str, set[str]]) -> Iterator[str]:
    names = _PARAM.findall(path)
    if not names:
        yield path
        return
    first = names[0]
    candidates = sorted(
        harvest["reference"] if first in ("reference", "token") else harvest["id"]
    ) or ["1"]
    if first == "activity":
        candidates = ["marketing_email"]
    for value in candidates:
        filled = path
        for name in names:
            filled = _PARAM.sub(value if name == first else "1", filled, count=1)
        yield filled


def test_p1_no_route_hands_one_customer_another_s_data(
    context: Context, people: tuple[TestClient, TestClient, Customer, Customer]
) -> None:
    first, second, anna, bram = people
    harvest = _harvest(first)
    # the walk is only as good as what it tries: Anna's request, order and case are in it
    assert len(harvest["reference"]) >= 2 and harvest["id"], harvest
    before = first.get("/api/v1/account").json()
    # the markers can be seen: Anna's own answers carry them (else the walk proves nothing)
    assert "markeer" in first.get("/api/v1/account").text.lower()
    own_case = next(
        r
        for r in sorted(harvest["reference"])
        if first.get(f"/account/support/{r}").status_code == 200
    )
    assert "zoemt bij elk gesprek" in first.get(f"/account/support/{own_case}").text.lower()
    leaks, errors, tried, relogins = [], [], 0, 0
    for method, path in _routes():
        for url in _filled(path, harvest):
            tried += 1
            answer = second.request(method, url, json={} if method != "GET" else None)
            if second.get("/api/v1/account").status_code != 200:
                _login(second, bram)  # a log-out or a closing route ended Bram's session
                relogins += 1
            if answer.status_code >= 500:
                errors.append(f"{method} {url}: {answer.status_code}")
            body = answer.text.lower()
            for marker in MARKERS:
                if marker.lower() in body:
                    leaks.append(f"{method} {url}: {marker}")
    assert tried > 150 and relogins >= 1  # the walk did reach the log-out route
    assert errors == []
    assert leaks == []
    # and nothing of Anna's changed: her account, her request, her consent
    assert first.get("/api/v1/account").json() == before
    [request] = first.get("/api/v1/requests").json()
    assert request["status"] in ("verified", "received")
    assert anna.subject_id
