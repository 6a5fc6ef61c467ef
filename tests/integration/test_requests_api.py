"""The requests API over HTTP (issue 11 item 1; LEGAL L54, L55, L57): a logged-in person
files a right, verified at once, due one month after receipt; another's request is not
found; bad input is an RFC 9457 problem and writes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from tests.integration.test_consents_api import assert_problem, logged_in

from privaat.store.tables_requests import subject_requests


def _count(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(subject_requests)).scalar_one()


def test_L57_a_logged_in_request_is_verified_at_once_and_due_in_one_month(
    client: TestClient, engine: Engine
) -> None:
    logged_in(client)
    response = client.post("/api/v1/requests", json={"type": "access"})
    assert response.status_code == 201, response.text
    body = response.json()
    # the fixture clock is Thursday 26 November 2026; 26 December is a Saturday and
    # Christmas, so the answer is due Monday 28 December
    assert body["type"] == "access" and body["status"] == "verified"
    assert body["channel"] == "api" and body["due_on"] == "2026-12-28"
    assert body["overdue"] is False
    assert client.get(f"/api/v1/requests/{body['id']}").json() == body
    assert client.get("/api/v1/requests").json() == [body]


def test_a_double_submit_returns_the_open_request_and_writes_nothing_more(
    client: TestClient, engine: Engine
) -> None:
    logged_in(client)
    first = client.post("/api/v1/requests", json={"type": "erasure"})
    again = client.post("/api/v1/requests", json={"type": "erasure", "details": "nogmaals"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert _count(engine) == 1
    other = client.post("/api/v1/requests", json={"type": "portability"})
    assert other.status_code == 201 and _count(engine) == 2


def test_another_persons_request_is_not_found(client: TestClient) -> None:
    logged_in(client, "a@example.nl")
    reference = client.post("/api/v1/requests", json={"type": "access"}).json()["id"]
    assert client.delete("/api/v1/session").status_code == 204
    client.cookies.clear()
    logged_in(client, "b@example.nl")
    assert_problem(client.get(f"/api/v1/requests/{reference}"), 404)
    assert client.get("/api/v1/requests").json() == []


def test_without_a_session_nothing_is_filed(client: TestClient, engine: Engine) -> None:
    assert_problem(client.post("/api/v1/requests", json={"type": "access"}), 401)
    assert _count(engine) == 0


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param({"type": "unclear"}, id="unclear-is-not-a-right"),
        pytest.param({"type": "inzage"}, id="unknown-type"),
        pytest.param({}, id="no-type"),
        pytest.param({"type": "access", "details": "x" * 5001}, id="details-too-long"),
        pytest.param({"type": "access", "extra": 1}, id="unknown-field"),
        pytest.param({"type": ["access"]}, id="wrong-type"),
    ],
)
def test_bad_input_is_a_problem_and_writes_nothing(
    client: TestClient, engine: Engine, payload: dict[str, Any]
) -> None:
    logged_in(client)
    body = assert_problem(client.post("/api/v1/requests", json=payload), 422)
    assert body["errors"]
    assert _count(engine) == 0


@pytest.mark.parametrize("reference", ["PR-1", "pr-ABCDEFGH", "x" * 200])
def test_a_malformed_id_is_a_problem(client: TestClient, reference: str) -> None:
    logged_in(client)
    assert_problem(client.get(f"/api/v1/requests/{reference}"), 422)
