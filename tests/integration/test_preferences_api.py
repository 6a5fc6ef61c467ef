"""The preferences API (issue 10 item 2; P4): topics, language and channels round trip; bad
input is an RFC 9457 problem naming the fault, and nothing is written."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from privaat.store.tables import preferences

PASSWORD = "correct horse battery"


def logged_in(client: TestClient, email: str = "pref@example.nl") -> TestClient:
    account = {
        "email": email,
        "password": PASSWORD,
        "name": "Piet Pref",
        "language": "en",
        "age_declaration": True,
    }
    assert client.post("/api/v1/accounts", json=account).status_code == 202
    response = client.post("/api/v1/session", json={"email": email, "password": PASSWORD})
    assert response.status_code == 204, response.text
    return client


def stored(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(preferences)).scalar_one()


def test_p4_never_stated_preferences_have_no_topics_and_the_accounts_language(
    client: TestClient,
) -> None:
    body = logged_in(client).get("/api/v1/preferences").json()
    assert body["topics"] == [] and body["language"] == "en" and body["channels"] == ["email"]
    assert body["offered_topics"] == ["hosting", "email", "voip", "webshop", "apps"]


def test_p4_preferences_round_trip_in_the_policys_order(client: TestClient, engine: Engine) -> None:
    logged_in(client)
    wanted = {"topics": ["apps", "hosting"], "language": "nl", "channels": ["email"]}
    response = client.put("/api/v1/preferences", json=wanted)
    assert response.status_code == 200, response.text
    again = client.get("/api/v1/preferences").json()
    assert again["topics"] == ["hosting", "apps"] and again["language"] == "nl"
    assert stored(engine) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"topics": ["golf"], "language": "nl", "channels": []}, "topics", id="topic"),
        pytest.param(
            {"topics": [], "language": "nl", "channels": ["sms"]}, "channels", id="channel"
        ),
        pytest.param({"topics": [], "language": "de", "channels": []}, "language", id="lang"),
        pytest.param({"topics": "hosting", "language": "nl", "channels": []}, "topics", id="str"),
        pytest.param({"topics": [1], "language": "nl", "channels": []}, "topics", id="int"),
        pytest.param({"topics": [], "language": "nl"}, "channels", id="missing"),
        pytest.param(
            {"topics": [], "language": "nl", "channels": [], "extra": 1}, "extra", id="extra"
        ),
    ],
)
def test_p4_bad_preferences_are_a_problem_naming_the_field_and_write_nothing(
    client: TestClient, engine: Engine, body: dict[str, Any], field: str
) -> None:
    logged_in(client)
    response = client.put("/api/v1/preferences", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in response.text
    if field == "topics" and body["topics"] == ["golf"]:
        assert "unknown topic 'golf'" in response.text
    assert stored(engine) == 0


def test_p4_a_one_megabyte_body_is_a_problem_and_writes_nothing(
    client: TestClient, engine: Engine
) -> None:
    logged_in(client)
    huge = '{"topics": ["' + "x" * 1_000_000 + '"], "language": "nl", "channels": []}'
    response = client.put(
        "/api/v1/preferences", content=huge, headers={"content-type": "application/json"}
    )
    assert response.status_code in (413, 422), response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert stored(engine) == 0


def test_p4_preferences_need_a_log_in(client: TestClient) -> None:
    response = client.get("/api/v1/preferences")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
