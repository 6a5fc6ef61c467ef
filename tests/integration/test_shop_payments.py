"""The payment providers' callbacks over HTTP and their keys from the CLI (issue 12 item 3;
P8, LEGAL L31): a signed report applies once, and every bad callback is an RFC 9457 problem
that changes nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.integration.test_shop_orders import check_out
from typer.testing import CliRunner

from privaat.bootstrap import Context, bootstrap
from privaat.cli import app
from privaat.domain.shop import PaymentProvider
from privaat.settings import Settings
from privaat.store.tables_shop import shop_invoices, shop_orders

runner = CliRunner()


def _key(context: Context, provider: PaymentProvider = PaymentProvider.SISOW) -> tuple[str, str]:
    with context.unit_of_work() as uow:
        return context.shop.add_payment_key(uow, provider)


def _signed(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(bytes.fromhex(secret), body, hashlib.sha256).hexdigest()


def _post(
    client: TestClient,
    provider: str,
    body: bytes,
    key_id: str | None,
    signature: str | None,
) -> Any:
    headers = {"Content-Type": "application/json"}
    if key_id is not None:
        headers["Privaat-Key-Id"] = key_id
    if signature is not None:
        headers["Privaat-Signature"] = signature
    return client.post(f"/api/v1/shop/payments/{provider}", content=body, headers=headers)


def _state(context: Context, reference: str) -> tuple[str, str, int]:
    with context.engine.connect() as connection:
        row = connection.execute(
            select(shop_orders.c.status, shop_orders.c.payment_status).where(
                shop_orders.c.reference == reference
            )
        ).one()
        invoices = connection.execute(select(func.count()).select_from(shop_invoices)).scalar()
    return row.status, row.payment_status, int(invoices or 0)


def test_p8_a_signed_report_applies_once_and_a_replay_changes_nothing(
    client: TestClient, context: Context
) -> None:
    placed = check_out(context)
    key_id, secret = _key(context)
    body = json.dumps({"payment_reference": placed.payment_reference, "status": "paid"}).encode()
    first = _post(client, "sisow", body, key_id, _signed(secret, body))
    assert first.status_code == 200, first.text
    assert first.json() == {
        "reference": placed.reference,
        "payment_status": "paid",
        "status": "confirmed",
        "changed": True,
    }
    again = _post(client, "sisow", body, key_id, _signed(secret, body))
    assert again.status_code == 200 and again.json()["changed"] is False
    assert _state(context, placed.reference) == ("confirmed", "paid", 1)


@pytest.mark.parametrize(
    ("case", "status"),
    [
        pytest.param("no-signature", 401, id="no-signature"),
        pytest.param("wrong-signature", 401, id="wrong-signature"),
        pytest.param("other-providers-key", 401, id="other-providers-key"),
        pytest.param("revoked-key", 401, id="revoked-key"),
        pytest.param("unknown-reference", 404, id="unknown-reference"),
        pytest.param("not-json", 422, id="not-json"),
        pytest.param("unknown-status", 422, id="unknown-status"),
        pytest.param("extra-field", 422, id="extra-field"),
        pytest.param("unknown-provider", 422, id="unknown-provider"),
        pytest.param("contradiction", 409, id="contradiction"),
    ],
)
def test_p8_a_bad_callback_is_a_problem_and_changes_nothing(
    client: TestClient, context: Context, case: str, status: int
) -> None:
    placed = check_out(context)
    key_id, secret = _key(context)
    report: dict[str, Any] = {"payment_reference": placed.payment_reference, "status": "paid"}
    provider, signature_key = "sisow", secret
    if case == "contradiction":
        body = json.dumps({**report, "status": "cancelled"}).encode()
        assert _post(client, "sisow", body, key_id, _signed(secret, body)).status_code == 200
    if case == "unknown-reference":
        report["payment_reference"] = "sisow-nothing"
    if case == "unknown-status":
        report["status"] = "maybe"
    if case == "extra-field":
        report["card_number"] = "never"
    if case == "unknown-provider":
        provider = "bitcoin"
    if case == "other-providers-key":
        key_id, signature_key = _key(context, PaymentProvider.PAYPAL)
    if case == "revoked-key":
        with context.unit_of_work() as uow:
            context.shop.revoke_payment_key(uow, key_id)
    body = b"{not json" if case == "not-json" else json.dumps(report).encode()
    signature = {
        "no-signature": None,
        "wrong-signature": _signed("00" * 32, body),
    }.get(case, _signed(signature_key, body))
    before = _state(context, placed.reference)
    response = _post(client, provider, body, key_id, signature)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status
    assert _state(context, placed.reference) == before


@pytest.mark.usefixtures("shell")
def test_the_cli_makes_a_key_that_signs_a_callback_and_lists_the_orders() -> None:
    made = runner.invoke(app, ["shop", "payment-key", "add", "paypal"])
    assert made.exit_code == 0, made.output
    lines = dict(line.split(": ", 1) for line in made.stdout.splitlines() if ": " in line)
    key_id, secret = lines["key id"], lines["secret"]
    context = bootstrap(Settings(), run_migrations=False)
    try:
        placed = check_out(context, provider="paypal")
        body = json.dumps({"payment_reference": placed.payment_reference, "status": "paid"})
        with context.unit_of_work() as uow:
            report = context.shop.payment_callback(
                uow,
                "paypal",
                key_id=key_id,
                signature=_signed(secret, body.encode()),
                body=body.encode(),
            )
        assert report.changed
    finally:
        context.close()
    listed = runner.invoke(app, ["shop", "orders", "--json"])
    assert listed.exit_code == 0, listed.output
    [order] = json.loads(listed.stdout)
    assert order["reference"] == placed.reference and order["payment_status"] == "paid"
    assert "Anna" not in listed.stdout  # nothing personal in the list
    revoked = runner.invoke(app, ["shop", "payment-key", "revoke", key_id])
    assert revoked.exit_code == 0
    again = runner.invoke(app, ["shop", "payment-key", "revoke", key_id])
    assert again.exit_code == 1 and "privaat: no live payment key" in again.output
