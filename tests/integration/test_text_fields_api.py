"""The text rule through the API (issue 7 item 7): a refused text is a 422 naming the field and
stores nothing; a card number (P8, LEGAL L31) reaches no table, log or problem document; log-in
finds an account under any spelling sign-up would have stored the same way."""

from __future__ import annotations

import logging
import unicodedata
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from privaat.services.text_fields import MESSAGES, Refusal
from privaat.store.tables import metadata

JAN: dict[str, Any] = {
    "email": "jan@example.nl",
    "password": "correct horse battery",
    "name": "Jan Jansen",
    "language": "nl",
    "age_declaration": True,
}
FREE_TEXT_FIELDS = ["name", "street", "city", "display_name"]
VISA = "4111 1111 1111 1111"


def sign_up(client: TestClient, **changes: Any) -> Any:
    return client.post("/api/v1/accounts", json={**JAN, **changes})


def log_in(client: TestClient, email: str, password: str = JAN["password"]) -> Any:
    return client.post("/api/v1/session", json={"email": email, "password": password})


def row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in metadata.sorted_tables
        }


def field_error(response: Any, field: str) -> dict[str, str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    (entry,) = (e for e in response.json()["errors"] if e["field"] == field)
    return entry


@pytest.mark.parametrize("field", FREE_TEXT_FIELDS)
@pytest.mark.parametrize(
    ("text", "reason"),
    [
        pytest.param("a\r\nBcc: x@evil.example", Refusal.LINE_BREAK, id="crlf"),
        pytest.param("\u200b\u200b\u200b", Refusal.INVISIBLE, id="three-zero-width-spaces"),
        pytest.param("Jan\x00", Refusal.NUL, id="nul"),
        pytest.param("Jan \x1b[31m", Refusal.ESCAPE, id="ansi-escape"),
        pytest.param("Jan\x07", Refusal.CONTROL, id="control"),
        pytest.param("Jan\u202egpj.exe", Refusal.BIDI, id="bidi-override"),
    ],
)
def test_item7_sign_up_refuses_the_text_with_a_422_naming_the_field_and_stores_nothing(
    client: TestClient, engine: Engine, field: str, text: str, reason: Refusal
) -> None:
    before = row_counts(engine)

    entry = field_error(sign_up(client, **{field: text}), field)

    assert entry["message"] == MESSAGES[reason]
    assert entry["pointer"] == f"/{field}"
    assert row_counts(engine) == before


def test_item7_rectification_refuses_a_header_injection_and_keeps_the_old_name(
    client: TestClient, engine: Engine
) -> None:
    assert sign_up(client).status_code == 202
    assert log_in(client, JAN["email"]).status_code == 204
    before = row_counts(engine)

    response = client.patch("/api/v1/account", json={"name": "a\r\nBcc: x@evil.example"})

    assert field_error(response, "name")["message"] == MESSAGES[Refusal.LINE_BREAK]
    assert row_counts(engine) == before
    assert client.get("/api/v1/account").json()["name"] == "Jan Jansen"


def test_item7_a_name_typed_decomposed_is_stored_composed(client: TestClient) -> None:
    name, city = (unicodedata.normalize("NFD", text) for text in ("Zoë Müller", "Zürich"))
    assert sign_up(client, name=name, city=city).status_code == 202
    assert log_in(client, JAN["email"]).status_code == 204

    account = client.get("/api/v1/account").json()

    assert account["name"] == "Zoë Müller" and account["city"] == "Zürich"
    assert unicodedata.is_normalized("NFC", account["name"])


def test_item7_the_length_limits_stay_as_they_were(client: TestClient) -> None:
    assert field_error(sign_up(client, name="x" * 201), "name")["message"].startswith(
        "String should have at most 200"
    )
    assert field_error(sign_up(client, display_name="x" * 61), "display_name")
    assert sign_up(client, name="x" * 200, display_name="y" * 60).status_code == 202


@pytest.mark.parametrize("field", FREE_TEXT_FIELDS)
@pytest.mark.parametrize(
    "card",
    [
        pytest.param(VISA, id="spaces"),
        pytest.param("4111-1111-1111-1111", id="dashes"),
        pytest.param("4111111111111111", id="compact"),
        pytest.param(f"card {VISA} exp 12/27", id="in-a-sentence"),
    ],
)
def test_l31_a_card_number_is_refused_in_every_free_text_field_and_goes_nowhere(
    client: TestClient,
    engine: Engine,
    caplog: pytest.LogCaptureFixture,
    field: str,
    card: str,
) -> None:
    before = row_counts(engine)

    with caplog.at_level(logging.DEBUG):
        response = sign_up(client, **{field: card})

    entry = field_error(response, field)
    assert entry["message"] == MESSAGES[Refusal.CARD_NUMBER]
    assert set(entry) == {"in", "pointer", "field", "message"}  # pydantic's "input" left out
    assert row_counts(engine) == before
    # nowhere in the problem document, nor in any log record
    for shown in (card, VISA, "4111111111111111", "1111"):
        assert shown not in response.text
        assert shown not in caplog.text


def test_l31_rectification_refuses_a_card_number_in_the_street(
    client: TestClient, engine: Engine
) -> None:
    assert sign_up(client).status_code == 202
    assert log_in(client, JAN["email"]).status_code == 204
    before = row_counts(engine)

    response = client.patch("/api/v1/account", json={"street": f"Dorpsstraat 1, {VISA}"})

    assert field_error(response, "street")["message"] == MESSAGES[Refusal.CARD_NUMBER]
    assert "1111" not in response.text
    assert row_counts(engine) == before


def test_l31_ibans_vat_numbers_phone_and_order_numbers_are_still_accepted(
    client: TestClient,
) -> None:
    texts = {
        "name": "Bestelling 2024-000123",
        "street": "NL91 ABNA 0417 1643 00",
        "city": "BE89 0539 0075 5185",  # an IBAN whose digits pass the Luhn check
        "display_name": "NL004495445B01 +31612345678 0612345678",
    }
    assert sign_up(client, **texts).status_code == 202
    assert log_in(client, JAN["email"]).status_code == 204

    account = client.get("/api/v1/account").json()

    assert {field: account[field] for field in texts} == texts


@pytest.mark.parametrize(
    ("signed_up_as", "logs_in_as"),
    [
        pytest.param("josé@example.nl", unicodedata.normalize("NFD", "josé@example.nl"), id="nfd"),
        pytest.param(
            unicodedata.normalize("NFD", "josé@example.nl"), "josé@example.nl", id="nfd-sign-up"
        ),
        pytest.param("jan@bücher.example", "jan@xn--bcher-kva.example", id="punycode"),
        pytest.param("jan@xn--bcher-kva.example", "jan@bücher.example", id="idn"),
        pytest.param("jan@bücher.example", "Jan@BÜCHER.example", id="upper-case-idn"),
        pytest.param("jan@example.nl", "  jan@example.nl ", id="spaces-around"),
    ],
)
def test_item7_log_in_normalises_the_address_as_sign_up_does(
    client: TestClient, signed_up_as: str, logs_in_as: str
) -> None:
    assert sign_up(client, email=signed_up_as).status_code == 202

    assert log_in(client, logs_in_as).status_code == 204


@pytest.mark.parametrize(
    "address",
    [
        pytest.param("jan@", id="no-domain"),
        pytest.param("not an address", id="no-at-sign"),
        pytest.param("jan@example.nl\r\nBcc: x@evil.example", id="crlf"),
        pytest.param("jan@@example.nl", id="two-at-signs"),
    ],
)
def test_item7_log_in_with_an_invalid_address_is_the_401_of_a_wrong_password(
    client: TestClient, address: str
) -> None:
    assert sign_up(client).status_code == 202
    wrong_password = log_in(client, JAN["email"], password="not the password")

    response = log_in(client, address)

    assert wrong_password.status_code == response.status_code == 401
    assert response.json() == wrong_password.json()


def test_l31_a_card_number_sent_as_an_unknown_key_is_not_echoed(client: TestClient) -> None:
    response = client.post(
        "/api/v1/accounts",
        json={
            "email": "kaart@example.nl",
            "password": "a long enough password",
            "name": "Kaart Houder",
            "age_declaration": True,
            "4111 1111 1111 1111": "x",
        },
    )
    assert response.status_code == 422
    assert "4111" not in response.text
    assert response.json()["errors"][0]["message"] == "unknown field"
