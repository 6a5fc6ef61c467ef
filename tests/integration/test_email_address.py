"""Issue 5 items 2 and 11 (P3, LEGAL L4): addresses are proven by single-use links.

Sign-up sends a verification link; an e-mail change asks the current password, ends the
other sessions and takes effect only when the new address confirms; a taken address gets
the same answer; a link works once, and not after it expires.
"""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient

from privaat.bootstrap import Context
from privaat.domain.clock import FixedClock
from privaat.services.email_address import LINK_LIFETIME

JAN = {
    "email": "jan@example.nl",
    "password": "correct horse battery",
    "name": "Jan Jansen",
    "age_declaration": True,
}
LINK = re.compile(r"https?://[^\s/]+/email/(verify|confirm)\?token=([\w-]+)")


def mail_to(context: Context, template: str, address: str) -> list[str]:
    return [
        mail.body
        for _id, kind, mail in context.outbox.pending()
        if kind == template and mail.to == address
    ]


def link_in(body: str) -> str:
    """The API's form of the mailed link (the mail opens the page with its button)."""
    found = LINK.search(body)
    assert found is not None, body
    return f"/api/v1/account/email/{found.group(1)}?token={found.group(2)}"


def signed_up_and_logged_in(client: TestClient) -> None:
    assert client.post("/api/v1/accounts", json=JAN).status_code == 202
    log_in = {"email": JAN["email"], "password": JAN["password"]}
    assert client.post("/api/v1/session", json=log_in).status_code == 204


def test_item11_sign_up_sends_a_verification_link_and_the_account_says_whether_it_was_opened(
    client: TestClient, context: Context
) -> None:
    signed_up_and_logged_in(client)
    assert client.get("/api/v1/account").json()["email_verified"] is False
    (body,) = mail_to(context, "verify_email", JAN["email"])
    link = link_in(body)
    assert client.get(link).status_code == 200
    assert client.get("/api/v1/account").json()["email_verified"] is True
    again = client.get(link)  # single use
    assert again.status_code == 422 and again.json()["errors"][0]["field"] == "token"


def test_item11_an_expired_or_forged_link_changes_nothing(
    client: TestClient, context: Context, clock: FixedClock
) -> None:
    signed_up_and_logged_in(client)
    (body,) = mail_to(context, "verify_email", JAN["email"])
    clock.advance(LINK_LIFETIME + timedelta(seconds=1))
    assert client.get(link_in(body)).status_code == 422
    forged = client.get("/api/v1/account/email/verify", params={"token": "x" * 43})
    assert forged.status_code == 422
    log_in = {"email": JAN["email"], "password": JAN["password"]}
    assert client.post("/api/v1/session", json=log_in).status_code == 204  # idle since
    assert client.get("/api/v1/account").json()["email_verified"] is False


def test_item2_an_email_change_needs_the_current_password(client: TestClient) -> None:
    signed_up_and_logged_in(client)
    without = client.patch("/api/v1/account", json={"email": "jan@nieuw.nl"})
    assert without.status_code == 422
    assert without.json()["errors"][0]["field"] == "current_password"
    wrong = client.patch(
        "/api/v1/account", json={"email": "jan@nieuw.nl", "current_password": "not my password"}
    )
    assert wrong.status_code == 422
    assert client.get("/api/v1/account").json()["email"] == JAN["email"]


def test_item2_p3_a_change_takes_effect_only_when_the_new_address_confirms(
    client: TestClient, context: Context
) -> None:
    signed_up_and_logged_in(client)
    other = TestClient(client.app)
    log_in = {"email": JAN["email"], "password": JAN["password"]}
    assert other.post("/api/v1/session", json=log_in).status_code == 204
    asked = client.patch(
        "/api/v1/account",
        json={"email": "jan@nieuw.nl", "current_password": JAN["password"], "city": "Delft"},
    )
    assert asked.status_code == 200, asked.text
    assert asked.json()["email"] == JAN["email"] and asked.json()["city"] == "Delft"
    assert other.get("/api/v1/account").status_code == 401  # other sessions ended
    assert mail_to(context, "email_change_requested", JAN["email"])  # L4: the old one hears
    (body,) = mail_to(context, "confirm_email_change", "jan@nieuw.nl")
    assert client.get(link_in(body)).status_code == 200
    account = client.get("/api/v1/account").json()
    assert account["email"] == "jan@nieuw.nl" and account["email_verified"] is True
    assert mail_to(context, "email_changed", JAN["email"])
    assert mail_to(context, "email_changed", "jan@nieuw.nl")
    client.delete("/api/v1/session")
    assert client.post("/api/v1/session", json=log_in).status_code == 401
    assert (
        client.post(
            "/api/v1/session", json={"email": "jan@nieuw.nl", "password": JAN["password"]}
        ).status_code
        == 204
    )


def test_item2_a_taken_address_gets_the_same_answer_and_no_link(
    client: TestClient, context: Context
) -> None:
    emma = {**JAN, "email": "emma@example.nl", "name": "Emma de Vries"}
    assert client.post("/api/v1/accounts", json=emma).status_code == 202
    signed_up_and_logged_in(client)
    free = client.patch(
        "/api/v1/account", json={"email": "free@example.nl", "current_password": JAN["password"]}
    )
    log_in = {"email": JAN["email"], "password": JAN["password"]}
    assert client.post("/api/v1/session", json=log_in).status_code == 204
    taken = client.patch(
        "/api/v1/account", json={"email": "emma@example.nl", "current_password": JAN["password"]}
    )
    assert (free.status_code, taken.status_code) == (200, 200)
    assert free.json().keys() == taken.json().keys()
    assert mail_to(context, "email_in_use", "emma@example.nl")
    assert not mail_to(context, "confirm_email_change", "emma@example.nl")
