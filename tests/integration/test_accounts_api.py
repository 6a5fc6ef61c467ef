"""The accounts API (issue 3 item 4, 7): P1-P3, P9, P18; LEGAL L2, L46; RFC 9457 errors."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update

from privaat.bootstrap import Context
from privaat.store.tables import (
    accounts,
    audit_log,
    credentials,
    login_events,
    metadata,
    sessions,
    subject_keys,
    subjects,
)

JAN: dict[str, Any] = {
    "email": "Jan.Jansen@Example.nl",
    "password": "correct horse battery",
    "name": "Jan Jansen",
    "street": "Dorpsstraat 1",
    "postal_code": "2721na",
    "city": "Zoetermeer",
    "phone": "06 12345678",
    "vat_number": "NL004495445B01",
    "language": "nl",
    "age_declaration": True,
}


def sign_up(client: TestClient, **changes: Any) -> Any:
    return client.post("/api/v1/accounts", json={**JAN, **changes})


def log_in(client: TestClient, email: str = JAN["email"], password: str = JAN["password"]) -> Any:
    return client.post("/api/v1/session", json={"email": email, "password": password})


def row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in metadata.sorted_tables
        }


def outbox_mail(context: Context) -> list[tuple[str, str]]:
    return [(template, mail.to) for _id, template, mail in context.outbox.pending()]


def assert_problem(response: Any, status: int, *fields: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["type"].startswith("https://") and body["title"]
    named = {error["field"] for error in body.get("errors", [])}
    for field in fields:
        assert field in named, f"{field} not named in {body}"
    return body


def test_p1_sign_up_log_in_and_read_own_account(client: TestClient) -> None:
    assert sign_up(client).status_code == 202
    response = log_in(client)
    assert response.status_code == 204
    cookie = response.headers["set-cookie"]
    assert "privaat_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    account = client.get("/api/v1/account").json()
    assert account["email"] == "Jan.Jansen@example.nl"
    assert account["postal_code"] == "2721 NA"
    assert account["phone"] == "+31612345678"
    assert account["vat_number"] == "NL004495445B01"
    assert account["status"] == "active" and len(account["id"]) == 32


def test_p1_account_fields_are_stored_encrypted_not_in_clear(
    client: TestClient, engine: Engine
) -> None:
    sign_up(client)
    with engine.connect() as connection:
        row = connection.execute(select(accounts)).mappings().one()
    stored = b"".join(v for v in row.values() if isinstance(v, bytes))
    for value in (b"Jansen", b"Dorpsstraat", b"Zoetermeer", b"31612345678", b"NL004495445B01"):
        assert value not in stored


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"birth_date": "2015-01-01"}, id="birth-date-under-16"),
        pytest.param({"age_declaration": False}, id="declared-under-16"),
    ],
)
def test_p18_under_16_is_refused_and_nothing_is_stored(
    client: TestClient, engine: Engine, changes: dict[str, Any]
) -> None:
    before = row_counts(engine)
    response = sign_up(client, **changes)
    body = assert_problem(response, 422, next(iter(changes)))
    assert "16" in body["detail"]
    assert row_counts(engine) == before


def test_p18_sixteen_today_may_sign_up(client: TestClient, context: Context) -> None:
    today = context.clock.now().date()
    assert (
        sign_up(client, birth_date=today.replace(year=today.year - 16).isoformat()).status_code
        == 202
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"email": "jan@"}, "email", id="email"),
        pytest.param({"phone": "12"}, "phone", id="phone"),
        pytest.param({"vat_number": "NL123456789B02"}, "vat_number", id="vat-checksum"),
        pytest.param({"postal_code": "2721 SS"}, "postal_code", id="postal-code"),
        pytest.param({"name": "x" * 201}, "name", id="oversize-field"),
        pytest.param({"name": 42}, "name", id="wrong-type"),
        pytest.param({"password": "short"}, "password", id="weak-password"),
        pytest.param({"favourite_colour": "blue"}, "favourite_colour", id="unknown-field-l2"),
    ],
)
def test_l2_invalid_field_is_a_problem_naming_it_and_writes_nothing(
    client: TestClient, engine: Engine, changes: dict[str, Any], field: str
) -> None:
    before = row_counts(engine)
    assert_problem(sign_up(client, **changes), 422, field)
    assert row_counts(engine) == before


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"{not json", id="malformed-json"),
        pytest.param(b"[]", id="array"),
        pytest.param(b"null", id="null"),
        pytest.param(b"", id="empty"),
    ],
)
def test_malformed_body_is_a_problem_not_a_500(
    client: TestClient, engine: Engine, body: bytes
) -> None:
    before = row_counts(engine)
    response = client.post(
        "/api/v1/accounts", content=body, headers={"content-type": "application/json"}
    )
    assert_problem(response, 422)
    assert row_counts(engine) == before


def test_oversize_body_is_refused_with_413(client: TestClient, engine: Engine) -> None:
    before = row_counts(engine)
    response = sign_up(client, name="x" * 100_000)
    assert_problem(response, 413)
    assert row_counts(engine) == before


def test_p3_signing_up_twice_answers_the_same_and_tells_the_holder(
    client: TestClient, context: Context
) -> None:
    first, second = sign_up(client), sign_up(client, name="Someone Else")
    assert (first.status_code, first.json()) == (second.status_code, second.json())
    assert row_counts(context.engine)["accounts"] == 1
    assert outbox_mail(context) == [
        ("verify_email", "Jan.Jansen@example.nl"),  # the first sign-up's verification link
        ("sign_up_attempt", "Jan.Jansen@example.nl"),
    ]


def test_p2_wrong_password_and_unknown_email_get_the_same_answer(client: TestClient) -> None:
    sign_up(client)
    wrong = log_in(client, password="not the password")
    unknown = log_in(client, email="nobody@example.nl")
    assert wrong.status_code == unknown.status_code == 401
    strip = ("instance",)
    assert {k: v for k, v in wrong.json().items() if k not in strip} == {
        k: v for k, v in unknown.json().items() if k not in strip
    }


def test_p2_log_in_is_rate_limited_per_account(client: TestClient) -> None:
    sign_up(client)
    for _ in range(5):
        assert log_in(client, password="wrong password!").status_code == 401
    response = log_in(client)  # even the right password waits now
    assert_problem(response, 429)
    assert int(response.headers["retry-after"]) > 0


def test_p2_log_in_is_rate_limited_per_ip_across_accounts(client: TestClient) -> None:
    for n in range(20):
        log_in(client, email=f"guess{n}@example.nl", password="guess guess")
    assert_problem(log_in(client, email="other@example.nl", password="guess guess"), 429)


def test_rectification_validates_and_refuses_to_clear_required_fields(
    client: TestClient,
) -> None:
    sign_up(client)
    log_in(client)
    assert_problem(client.patch("/api/v1/account", json={"phone": "abc"}), 422, "phone")
    assert_problem(client.patch("/api/v1/account", json={"name": None}), 422, "name")
    assert client.get("/api/v1/account").json()["phone"] == "+31612345678"


def test_p3_password_change_sends_a_notice_and_ends_other_sessions(
    client: TestClient, context: Context
) -> None:
    sign_up(client)
    other = TestClient(client.app, client=("145.97.0.2", 50001))
    assert log_in(other).status_code == 204
    log_in(client)
    response = client.post(
        "/api/v1/account/password",
        json={"current_password": JAN["password"], "new_password": "a much better one"},
    )
    assert response.status_code == 204
    assert ("password_changed", "Jan.Jansen@example.nl") in outbox_mail(context)
    assert client.get("/api/v1/account").status_code == 200
    assert_problem(other.get("/api/v1/account"), 401)
    client.delete("/api/v1/session")
    assert log_in(client).status_code == 401
    assert log_in(client, password="a much better one").status_code == 204


def test_p3_log_in_from_a_new_device_sends_a_notice(client: TestClient, context: Context) -> None:
    sign_up(client)
    client.headers["user-agent"] = "Firefox"
    log_in(client)
    log_in(client)  # same device: no notice
    assert [t for t, _ in outbox_mail(context) if t == "new_device_login"] == []
    client.headers["user-agent"] = "Phone"
    log_in(client)
    assert [t for t, _ in outbox_mail(context) if t == "new_device_login"] == ["new_device_login"]


def test_p9_log_in_records_time_ip_and_country(client: TestClient, context: Context) -> None:
    sign_up(client)
    log_in(client)
    logins = client.get("/api/v1/account/logins").json()
    assert len(logins) == 1
    assert logins[0]["ip"] == "145.97.0.1" and logins[0]["country"] == "NL"
    assert logins[0]["at"].startswith(context.clock.now().date().isoformat())


def test_close_account_ends_the_session_and_log_in(client: TestClient, engine: Engine) -> None:
    sign_up(client)
    log_in(client)
    # a wrong current password is no lost session: 422 on the field, not 401 (issue 5 item 2)
    assert_problem(
        client.post("/api/v1/account/close", json={"password": "wrong one!"}), 422, "password"
    )
    assert (
        client.post("/api/v1/account/close", json={"password": JAN["password"]}).status_code == 204
    )
    assert_problem(client.get("/api/v1/account"), 401)
    assert log_in(client).status_code == 401
    with engine.connect() as connection:
        assert connection.execute(select(accounts.c.status)).scalar_one() == "closed"
        assert connection.execute(select(func.count()).select_from(sessions)).scalar_one() == 0


def test_guard_denial_is_a_403_problem_with_the_reason(client: TestClient, engine: Engine) -> None:
    sign_up(client)
    log_in(client)
    with engine.begin() as connection:
        connection.execute(update(subjects).values(minor=True))  # P18: flagged as a minor
    body = assert_problem(client.get("/api/v1/account"), 403)
    assert body["activity"] == "account" and body["reason"] == "minor"


def test_unauthenticated_calls_are_401_problems(client: TestClient) -> None:
    assert_problem(client.get("/api/v1/account"), 401)
    client.cookies.set("privaat_session", "forged")
    assert_problem(client.get("/api/v1/account"), 401)


def test_every_write_is_in_the_audit_trail_by_pseudonym(client: TestClient, engine: Engine) -> None:
    sign_up(client)
    log_in(client)
    client.patch("/api/v1/account", json={"city": "Delft"})
    with engine.connect() as connection:
        actions = connection.execute(select(audit_log.c.action).order_by(audit_log.c.seq)).scalars()
        details = " ".join(connection.execute(select(audit_log.c.detail)).scalars())
        pseudonym = connection.execute(select(subjects.c.pseudonym)).scalar_one()
        named = set(connection.execute(select(audit_log.c.subject_pseudonym)).scalars())
    assert list(actions) == ["account.created", "session.opened", "account.rectified"]
    assert named == {pseudonym}
    assert "Jan" not in details and "Delft" not in details


def test_tables_hold_what_sign_up_and_log_in_wrote(client: TestClient, engine: Engine) -> None:
    sign_up(client)
    log_in(client)
    counts = row_counts(engine)
    assert counts[subjects.name] == counts[subject_keys.name] == counts[accounts.name] == 1
    assert counts[credentials.name] == counts[login_events.name] == counts[sessions.name] == 1


def test_oversize_streamed_body_without_length_is_refused_with_413(
    client: TestClient, engine: Engine
) -> None:
    before = row_counts(engine)

    def chunks() -> Any:
        yield b'{"name": "'
        for _ in range(100):
            yield b"x" * 1024
        yield b'"}'

    response = client.post(
        "/api/v1/accounts", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_problem(response, 413)
    assert row_counts(engine) == before


# over https (the configured base URL): tests/integration/test_session_cookie.py


def test_session_cookie_is_not_marked_secure_over_plain_http(client: TestClient) -> None:
    sign_up(client)
    assert "Secure" not in log_in(client).headers["set-cookie"]
