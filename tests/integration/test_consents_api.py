"""The consents API over HTTP (issue 10 items 1-2): P4, P11, P13, P14, P16, P17; LEGAL L7
(the ledger), L8 (nothing pre-ticked), L9 (from the policy), L10 (withdrawing is one request,
like giving), L12 (sign-up without consents works); bad input is an RFC 9457 problem and
writes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from privaat.bootstrap import Context
from privaat.policy.schema import consent_text_sha256
from privaat.store.tables import accounts, consent_events

PASSWORD = "correct horse battery"


def account(email: str, **changes: Any) -> dict[str, Any]:
    return {
        "email": email,
        "password": PASSWORD,
        "name": "Jan Jansen",
        "language": "nl",
        "age_declaration": True,
        **changes,
    }


def logged_in(client: TestClient, email: str = "jan@example.nl", **changes: Any) -> TestClient:
    assert client.post("/api/v1/accounts", json=account(email, **changes)).status_code == 202
    response = client.post("/api/v1/session", json={"email": email, "password": PASSWORD})
    assert response.status_code == 204, response.text
    return client


def ledger(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(consent_events)).scalar_one()


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["type"].startswith("https://") and body["title"]
    return body


def test_l8_l9_the_choices_list_every_consent_based_activity_none_given(
    client: TestClient, context: Context
) -> None:
    logged_in(client)
    choices = client.get("/api/v1/consents").json()
    expected = [a.id for a in context.policy.activities if a.legal_basis.value == "consent"]
    assert [c["activity"] for c in choices] == expected
    assert all(c["status"] == "not_given" and c["given"] is False for c in choices)
    marketing = next(c for c in choices if c["activity"] == "marketing_email")
    declared = context.policy.activity("marketing_email")
    assert declared.consent is not None
    # the policy's own words, in the account's language
    assert marketing["purpose"] == declared.description.nl
    assert marketing["request"] == declared.consent.request.nl
    assert marketing["request_sha256"] == consent_text_sha256(declared.consent.request.nl)
    english = client.get("/api/v1/consents", params={"lang": "en"}).json()
    assert english[0]["request"] != choices[0]["request"]


def test_p13_l10_give_and_withdraw_are_one_request_each(
    client: TestClient, context: Context, engine: Engine
) -> None:
    # group_transfer: a consent given at once (marketing e-mail is a double opt-in, whose
    # two steps tests/integration/test_consent_double_opt_in.py drives)
    logged_in(client)
    given = client.post("/api/v1/consents/group_transfer")
    assert given.status_code == 200, given.text
    record = given.json()
    assert record["given"] is True and record["method"] == "api" and record["lang"] == "nl"
    assert record["stage"] is None
    choices = {c["activity"]: c for c in client.get("/api/v1/consents").json()}
    assert choices["group_transfer"]["status"] == "given" and choices["group_transfer"]["given"]
    withdrawn = client.delete("/api/v1/consents/group_transfer")
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["given"] is False
    choices = {c["activity"]: c for c in client.get("/api/v1/consents").json()}
    assert choices["group_transfer"]["status"] == "withdrawn"
    history = client.get("/api/v1/consents/history").json()
    assert [h["given"] for h in history] == [False, True]  # newest first
    assert ledger(engine) == 2


def test_a_give_names_the_language_of_the_text_shown(client: TestClient, context: Context) -> None:
    logged_in(client)
    record = client.post("/api/v1/consents/group_transfer", json={"lang": "en"}).json()
    declared = context.policy.activity("group_transfer").consent
    assert declared is not None
    assert record["lang"] == "en"
    assert record["text_sha256"] == consent_text_sha256(declared.request.en)


def test_duplicate_submits_write_nothing(client: TestClient, engine: Engine) -> None:
    logged_in(client)
    first = client.post("/api/v1/consents/marketing_email").json()
    second = client.post("/api/v1/consents/marketing_email").json()
    assert first == second and ledger(engine) == 1
    client.delete("/api/v1/consents/marketing_email")
    again = client.delete("/api/v1/consents/marketing_email")
    assert again.status_code == 200 and ledger(engine) == 2


def test_a_withdrawal_without_prior_consent_is_a_409_problem(
    client: TestClient, engine: Engine
) -> None:
    logged_in(client)
    body = assert_problem(client.delete("/api/v1/consents/marketing_email"), 409)
    assert "never given" in body["detail"]
    assert ledger(engine) == 0


@pytest.mark.parametrize(
    ("activity", "words"),
    [("no_such_activity", "declares no activity"), ("account", "not based on consent")],
    ids=["unknown-activity", "not-consent-based"],
)
def test_an_unknown_or_non_consent_activity_is_a_404_problem_and_nothing_is_written(
    client: TestClient, engine: Engine, activity: str, words: str
) -> None:
    logged_in(client)
    for response in (
        client.post(f"/api/v1/consents/{activity}"),
        client.delete(f"/api/v1/consents/{activity}"),
    ):
        assert words in assert_problem(response, 404)["detail"]
    assert ledger(engine) == 0


def test_a_path_that_cannot_name_an_activity_is_a_problem(client: TestClient) -> None:
    logged_in(client)
    assert_problem(client.post("/api/v1/consents/Not-An-Id"), 404)
    assert_problem(client.post("/api/v1/consents/history"), 405)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"{not json", id="malformed-json"),
        pytest.param(b'{"lang": "de"}', id="unknown-language"),
        pytest.param(b'{"lang": "nl", "given": true}', id="unknown-field"),
    ],
)
def test_a_bad_body_is_a_problem_and_nothing_is_written(
    client: TestClient, engine: Engine, body: bytes
) -> None:
    logged_in(client)
    response = client.post(
        "/api/v1/consents/marketing_email",
        content=body,
        headers={"content-type": "application/json"},
    )
    assert_problem(response, 422)
    assert ledger(engine) == 0


def test_a_1_mb_body_is_refused_with_413_and_nothing_is_written(
    client: TestClient, engine: Engine
) -> None:
    logged_in(client)
    response = client.post(
        "/api/v1/consents/marketing_email",
        content=b'{"lang": "' + b"n" * 1_000_000 + b'"}',
        headers={"content-type": "application/json"},
    )
    assert_problem(response, 413)
    assert ledger(engine) == 0


def test_every_route_needs_a_log_in(client: TestClient) -> None:
    for method, path in [
        ("GET", "/api/v1/consents"),
        ("POST", "/api/v1/consents/marketing_email"),
        ("DELETE", "/api/v1/consents/marketing_email"),
        ("GET", "/api/v1/consents/history"),
        ("GET", "/api/v1/consents/receipts/1"),
    ]:
        assert_problem(client.request(method, path), 401)


def test_p13_receipts_in_both_formats(client: TestClient) -> None:
    logged_in(client)
    record = client.post("/api/v1/consents/group_transfer").json()
    kantara = client.get(f"/api/v1/consents/receipts/{record['id']}")
    assert kantara.status_code == 200 and kantara.json()["version"] == "KI-CR-v1.1.0"
    iso = client.get(
        f"/api/v1/consents/receipts/{record['id']}", params={"format": "iso27560"}
    ).json()
    assert iso["schema_version"] == "ISO/IEC TS 27560:2023"
    assert iso["notice"]["text_hash"]["value"] == record["text_sha256"]
    withdrawal = client.delete("/api/v1/consents/group_transfer").json()
    assert_problem(client.get(f"/api/v1/consents/receipts/{withdrawal['id']}"), 409)
    assert_problem(client.get("/api/v1/consents/receipts/1", params={"format": "pdf"}), 422)


def test_another_customers_receipt_id_is_a_404_not_a_leak(context: Context) -> None:
    from privaat.web.app import create_app

    app = create_app(context)
    with TestClient(app, client=("145.97.0.1", 50000)) as jan:
        logged_in(jan, "jan@example.nl")
        record = jan.post("/api/v1/consents/marketing_email").json()
    with TestClient(app, client=("145.97.0.2", 50000)) as piet:
        logged_in(piet, "piet@example.nl")
        body = assert_problem(piet.get(f"/api/v1/consents/receipts/{record['id']}"), 404)
        unknown = assert_problem(piet.get("/api/v1/consents/receipts/999999"), 404)
        assert body["detail"] == unknown["detail"]  # the same answer: nothing is told
        assert piet.get("/api/v1/consents/history").json() == []


def test_l12_sign_up_with_zero_consents_works_fully(client: TestClient, engine: Engine) -> None:
    logged_in(client)
    assert client.get("/api/v1/account").status_code == 200
    assert ledger(engine) == 0


def test_sign_up_with_two_consents_records_a_row_for_each(
    client: TestClient, engine: Engine
) -> None:
    logged_in(client, consents=["marketing_email", "group_transfer"])
    with engine.connect() as connection:
        rows = connection.execute(select(consent_events).order_by(consent_events.c.id)).all()
    assert [(r.activity, r.given, r.channel, r.stage) for r in rows] == [
        ("marketing_email", False, "api", "requested"),  # a double opt-in: its link is mailed
        ("group_transfer", True, "api", None),
    ]
    choices = {c["activity"]: c["given"] for c in client.get("/api/v1/consents").json()}
    assert not choices["marketing_email"] and choices["group_transfer"]  # until the link
    assert not choices["email_engagement"]


@pytest.mark.parametrize(
    "consents",
    [["no_such_activity"], ["account"], ["marketing_email", "no_such_activity"]],
    ids=["unknown", "not-consent-based", "one-bad-among-good"],
)
def test_sign_up_with_a_bad_consent_id_writes_nothing_not_even_the_account(
    client: TestClient, engine: Engine, consents: list[str]
) -> None:
    response = client.post("/api/v1/accounts", json=account("bad@example.nl", consents=consents))
    body = assert_problem(response, 422)
    assert "consents" in {e["field"] for e in body["errors"]}
    assert ledger(engine) == 0
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(accounts)).scalar_one() == 0


def test_a_give_without_a_body_proves_the_text_in_the_accounts_language(
    client: TestClient, context: Context
) -> None:
    logged_in(client, language="en")
    record = client.post("/api/v1/consents/marketing_email").json()
    declared = context.policy.activity("marketing_email").consent
    assert declared is not None
    assert record["lang"] == "en"
    assert record["text_sha256"] == consent_text_sha256(declared.request.en)
