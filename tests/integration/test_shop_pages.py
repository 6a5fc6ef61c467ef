"""The web shop's pages (issue 12 items 3, 6; P8; LEGAL L30-L32): checkout as a guest and as an
account holder, the confirmation for the buyer's browser only, the privacy centre's orders,
and card numbers refused in every field and found nowhere afterwards."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from stdnum import luhn
from tests.factories import customer
from tests.integration.test_pages_support import error_of, log_in, submit

from privaat.bootstrap import Context
from privaat.settings import Settings
from privaat.store.tables import metadata
from privaat.store.tables_shop import shop_orders

FORM: dict[str, str] = {
    "qty-headset-usb": "1",
    "name": "Anna de Vries",
    "street": "Oosterheemplein 2a",
    "postal_code": "2721 NA",
    "city": "Zoetermeer",
    "country": "NL",
    "email": "anna@example.nl",
    "phone": "",
    "comment": "",
    "provider": "sisow",
}
# the card schemes' published test numbers, as people type them
TEST_CARDS = (
    "4111 1111 1111 1111",
    "4111-1111-1111-1111",
    "4111111111111111",
    "5555 5555 5555 4444",
    "5555-5555-5555-4444",
    "3782 822463 10005",
    "378282246310005",
)
CARD_FIELDS = ("name", "street", "postal_code", "city", "email", "phone", "comment")
# a Luhn-valid run of 13-19 digits, grouped by single spaces or dashes, standing alone
_DIGIT_RUN = re.compile(rb"\d(?:[ -]?\d)*")


def _orders(context: Context) -> int:
    with context.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(shop_orders)).scalar_one())


def _check_out(client: TestClient, **changes: str) -> Any:
    return submit(client, "/shop", {**FORM, **changes})


def luhn_runs(data: bytes) -> list[bytes]:
    """Every stand-alone run of 13-19 digits in ``data`` that passes the Luhn check."""
    found = []
    for run in _DIGIT_RUN.finditer(data):
        start, end = run.span()
        if (start > 0 and data[start - 1 : start].isalnum()) or data[end : end + 1].isalnum():
            continue
        digits = re.sub(rb"\D", b"", run.group()).decode()
        if 13 <= len(digits) <= 19 and luhn.is_valid(digits):
            found.append(run.group())
    return found


def test_l30_a_guest_checks_out_and_only_their_browser_sees_the_confirmation(
    client: TestClient, context: Context
) -> None:
    response = _check_out(client, phone="06 12345678")
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    reference = location.rsplit("/", 1)[1]
    page = client.get(location)
    assert page.status_code == 200
    assert "Anna de Vries" in page.text and "2721 NA" in page.text and reference in page.text
    assert "+31612345678" in page.text
    # another browser without the order's cookie: no such page
    with TestClient(client.app) as stranger:
        assert stranger.get(location).status_code == 404


def test_l30_the_form_asks_only_the_contracts_fields_and_the_phone_is_optional(
    client: TestClient,
) -> None:
    html = client.get("/shop").text
    form = html[
        html.index('<form id="checkout-form"') : html.index("</form>", html.index("checkout-form"))
    ]
    names = set(re.findall(r'name="([a-z_-]+)"', form)) - {"csrf_token"}
    asked = {n for n in names if not n.startswith("qty-")}
    assert asked == {
        "name",
        "street",
        "postal_code",
        "city",
        "country",
        "email",
        "phone",
        "comment",
        "provider",
    }
    assert 'id="checkout-phone" name="phone" type="tel"' in html
    assert re.search(r'id="checkout-phone"[^>]* required', html) is None
    assert "card" not in " ".join(names)


@pytest.mark.parametrize(
    ("field", "typed"),
    [
        pytest.param("name", "", id="no-name"),
        pytest.param("email", "anna@", id="bad-email"),
        pytest.param("postal_code", "2721", id="bad-postal-code"),
        pytest.param("phone", "12", id="bad-phone"),
        pytest.param("provider", "", id="no-provider"),
        pytest.param("country", "US", id="country-not-delivered"),
        pytest.param("lines", "", id="no-product"),
    ],
)
def test_l30_bad_input_is_named_at_its_field_and_nothing_is_stored(
    client: TestClient, context: Context, field: str, typed: str
) -> None:
    changes = {"qty-headset-usb": "0"} if field == "lines" else {field: typed}
    response = _check_out(client, **changes)
    assert response.status_code == 422
    assert error_of(response.text, f"checkout-{field}")
    assert _orders(context) == 0


def _stored(context: Context, settings: Settings) -> list[tuple[str, bytes]]:
    """What the database holds: the SQLite file and its WAL byte for byte, or on PostgreSQL
    every row of every table as text."""
    if not settings.database_url.startswith("sqlite"):
        with context.engine.connect() as connection:
            return [
                (table.name, "\n".join(map(repr, connection.execute(select(table)))).encode())
                for table in metadata.sorted_tables
            ]
    context.engine.dispose()
    database = Path(settings.database_url.removeprefix("sqlite:///"))
    files = [p for p in database.parent.iterdir() if p.name.startswith(database.name)]
    assert database in files
    return [(path.name, path.read_bytes()) for path in files]


def test_l31_card_numbers_are_refused_in_every_field_and_found_nowhere_afterwards(
    client: TestClient, context: Context, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    assert _check_out(client, comment="Graag na 17:00 bezorgen.").status_code == 303
    for card in TEST_CARDS:
        for field in CARD_FIELDS:
            typed = f"{card}@example.nl" if field == "email" else card
            if field in ("name", "street", "comment"):
                typed = f"Betaal met {card}"
            response = _check_out(client, **{field: typed})
            assert response.status_code == 422, (field, card)
            message = error_of(response.text, f"checkout-{field}")
            assert "payment card number" in message or "betaalkaart" in message, (field, message)
            assert card not in response.text
    assert _orders(context) == 1
    context.access_log.flush()
    for name, data in _stored(context, settings):
        assert luhn_runs(data) == [], name
        for card in TEST_CARDS:
            assert card.encode() not in data and card.replace(" ", "").encode() not in data
    logged = "\n".join(record.getMessage() for record in caplog.records).encode()
    assert luhn_runs(logged) == []
    assert luhn_runs(caplog.text.encode()) == []


def test_the_luhn_scan_finds_a_card_number_where_there_is_one() -> None:
    assert luhn_runs(b"x\x00 4111 1111 1111 1111\x01") == [b"4111 1111 1111 1111"]
    assert luhn_runs(b"ref 4111111111111112 ") == []  # not Luhn-valid


def test_p8_an_account_holder_sees_their_orders_in_the_privacy_centre(
    client: TestClient, context: Context
) -> None:
    person = customer(context, name="Anna de Vries")
    log_in(client, person.email, person.password)
    response = _check_out(client)
    assert response.status_code == 303
    reference = response.headers["location"].rsplit("/", 1)[1]
    listed = client.get("/account/orders")
    assert listed.status_code == 200 and reference in listed.text
    page = client.get(f"/account/orders/{reference}")
    assert page.status_code == 200 and "Oosterheemplein 2a" in page.text
    assert client.get("/account/orders/B-NOTHERE").status_code == 404


def test_l32_an_order_in_review_says_a_person_will_look_at_it(
    client: TestClient, context: Context
) -> None:
    response = _check_out(
        client, **{"qty-headset-usb": "0", "qty-router-5g": "1", "email": "x@mailinator.com"}
    )
    assert response.status_code == 303
    page = client.get(response.headers["location"], headers={"Accept-Language": "en"})
    assert 'id="order-review"' in page.text
    assert "A person will review this order" in page.text
    assert "never refuses" in page.text


def test_the_centre_needs_a_log_in(client: TestClient) -> None:
    response = client.get("/account/orders", follow_redirects=False)
    assert response.status_code == 303 and "/login" in response.headers["location"]
