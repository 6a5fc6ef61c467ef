"""Filing a privacy request on the web and following it (issue 11 items 1, 11; P22; LEGAL
L54, L57): the public form confirms by mail and never tells whether an account exists; a
logged-in request is verified at once; bad input is a page, and nothing is written."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from tests.factories import customer
from tests.integration.test_pages_support import error_of, log_in, submit, without_tokens

from privaat.bootstrap import Context
from privaat.store.tables_requests import subject_requests


def _count(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(subject_requests)).scalar_one()


def _file(client: TestClient, **data: str) -> Any:
    return submit(client, "/requests/new", data, page="/requests/new")


def test_L57_the_public_form_answers_the_same_with_or_without_an_account(
    client: TestClient, context: Context, engine: Engine
) -> None:
    known = customer(context)
    form = client.get("/requests/new")
    assert form.status_code == 200 and 'id="request-email"' in form.text
    pages = [
        _file(client, email=address, type="access")
        for address in (known.email, "onbekend@example.org")
    ]
    assert [p.status_code for p in pages] == [200, 200]
    assert without_tokens(pages[0].text) == without_tokens(pages[1].text)
    assert 'id="request-sent-heading"' in pages[0].text
    acks = [m.to for _i, t, m in context.outbox.pending() if t == "request_received"]
    assert acks == [known.email, "onbekend@example.org"]
    with engine.connect() as connection:
        rows = connection.execute(select(subject_requests.c.channel, subject_requests.c.status))
        assert sorted(rows) == [("web", "received"), ("web", "received")]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        pytest.param({"email": "geen-adres", "type": "access"}, "request-email", id="bad-email"),
        pytest.param({"email": "", "type": "access"}, "request-email", id="no-email"),
        pytest.param({"email": "a@example.nl", "type": "inzage"}, "request-type", id="bad-type"),
        pytest.param({"email": "a@example.nl"}, "request-type", id="no-type"),
        pytest.param(
            {"email": "a@example.nl", "type": "access", "details": "x" * 5001},
            "request-details",
            id="too-long",
        ),
    ],
)
def test_bad_input_is_shown_at_its_field_and_nothing_is_written(
    client: TestClient, engine: Engine, data: dict[str, str], field: str
) -> None:
    page = _file(client, **data)
    assert page.status_code == 422
    assert error_of(page.text, field)
    assert _count(engine) == 0


def test_the_public_form_is_rate_limited_per_address(client: TestClient, engine: Engine) -> None:
    kinds = ["access", "erasure", "portability", "restriction"]
    pages = [_file(client, email="doelwit@example.nl", type=kind) for kind in kinds]
    assert [p.status_code for p in pages] == [200, 200, 200, 429]
    assert _count(engine) == 3


def test_L57_a_logged_in_request_is_confirmed_at_once_and_listed(
    client: TestClient, context: Context
) -> None:
    person = customer(context)
    log_in(client, person.email, person.password)
    form = client.get("/requests/new")
    assert 'id="request-email"' not in form.text  # the session says who it is
    response = _file(client, type="erasure", details="Mijn oude adres ook graag.")
    assert response.status_code == 303
    assert response.headers["location"] == "/account/requests?notice=request_filed"
    listing = client.get("/account/requests?notice=request_filed")
    assert 'id="requests-filed"' in listing.text
    assert "bevestigd" in listing.text and "2026-12-28" in listing.text
    assert not [m for _i, t, m in context.outbox.pending() if t == "request_received"]


def test_the_list_needs_a_log_in(client: TestClient) -> None:
    response = client.get("/account/requests", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
