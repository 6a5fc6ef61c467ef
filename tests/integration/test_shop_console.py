"""The console's orders (issue 12 items 4, 6; P8, P11; LEGAL L32, L33): the fraud team alone
sees scores and reasons and decides a review with a reason; support sees the order but no
reason; shipping from the console hands the carrier the minimum and is access-logged."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.integration.test_console_roles import csrf_token, staff_session
from tests.integration.test_shop_orders import check_out, mails, pay

from privaat.bootstrap import Context
from privaat.domain.clock import FixedClock
from privaat.domain.principal import StaffRole
from privaat.store.tables import access_log
from privaat.store.tables_shop import fraud_scores, shop_orders
from privaat.web.app import create_app
from privaat.web.console.access import STAFF_COOKIE

SUSPICIOUS: dict[str, Any] = {"email": "klant@mailinator.com", "lines": {"router-5g": 1}}


@pytest.fixture
def console(context: Context) -> Iterator[TestClient]:
    with TestClient(create_app(context), client=("145.97.0.1", 50000)) as client:
        yield client


def _as(console: TestClient, context: Context, clock: FixedClock, role: StaffRole) -> TestClient:
    console.cookies.set(STAFF_COOKIE, staff_session(context, clock, role))
    return console


def _post(client: TestClient, path: str, page: str, **data: str) -> object:
    return client.post(
        path, data={"csrf_token": csrf_token(client, page), **data}, follow_redirects=False
    )


def test_l32_the_fraud_team_sees_the_reasons_and_the_queue(
    console: TestClient, context: Context, clock: FixedClock
) -> None:
    placed = check_out(context, **SUSPICIOUS)
    fraud = _as(console, context, clock, StaffRole.FRAUD)
    queue = fraud.get("/console/orders/review", headers={"Accept-Language": "en"})
    assert queue.status_code == 200 and placed.reference in queue.text
    page = fraud.get(f"/console/orders/{placed.reference}", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert "Fraud score: 65" in page.text
    assert "throw-away mail service" in page.text and "first order of a high amount" in page.text
    assert 'id="order-review-form"' in page.text


def test_l32_support_sees_the_order_but_not_its_score_or_reasons(
    console: TestClient, context: Context, clock: FixedClock
) -> None:
    placed = check_out(context, **SUSPICIOUS)
    support = _as(console, context, clock, StaffRole.SUPPORT)
    page = support.get(f"/console/orders/{placed.reference}")
    assert page.status_code == 200 and "Anna de Vries" in page.text
    assert 'id="order-score"' not in page.text and "mailinator" in page.text
    assert 'id="order-review-form"' not in page.text
    assert support.get("/console/orders/review").status_code == 403
    listing = support.get("/console/orders")
    assert listing.status_code == 200 and "Anna" not in listing.text


def test_l32_a_refusal_needs_a_reason_then_is_recorded_and_told(
    console: TestClient, context: Context, clock: FixedClock
) -> None:
    placed = check_out(context, **SUSPICIOUS)
    fraud = _as(console, context, clock, StaffRole.FRAUD)
    path, page = f"/console/orders/{placed.reference}/review", f"/console/orders/{placed.reference}"
    refused = _post(fraud, path, page, decision="refused", reason="")
    assert refused.status_code == 422  # type: ignore[attr-defined]
    with context.engine.connect() as connection:
        assert connection.execute(select(fraud_scores.c.decision)).scalar() == "none"
    done = _post(fraud, path, page, decision="refused", reason="Adres onbekend bij PostNL.")
    assert done.status_code == 303  # type: ignore[attr-defined]
    with context.engine.connect() as connection:
        row = connection.execute(select(fraud_scores)).one()
        status = connection.execute(select(shop_orders.c.status)).scalar()
    assert row.decision == "refused" and row.decided_by.startswith("staff:")
    assert status == "refused"
    [mail] = mails(context, "order_refused")
    assert "Adres onbekend bij PostNL." in mail.body


def test_l33_shipping_from_the_console_records_the_disclosure(
    console: TestClient, context: Context, clock: FixedClock
) -> None:
    placed = check_out(context)
    pay(context, placed)
    support = _as(console, context, clock, StaffRole.SUPPORT)
    path, page = f"/console/orders/{placed.reference}/ship", f"/console/orders/{placed.reference}"
    bad = _post(support, path, page, carrier="")
    assert bad.status_code == 422  # type: ignore[attr-defined]
    done = _post(support, path, page, carrier="PostNL")
    assert done.status_code == 303  # type: ignore[attr-defined]
    again = _post(support, path, page, carrier="PostNL")
    assert again.status_code == 409  # type: ignore[attr-defined]
    context.access_log.flush()
    with context.engine.connect() as connection:
        sent = (
            connection.execute(
                select(access_log.c.activity).where(access_log.c.operation == "send")
            )
            .scalars()
            .all()
        )
    assert "shipping" in sent


def test_an_unknown_order_is_a_404_page(
    console: TestClient, context: Context, clock: FixedClock
) -> None:
    fraud = _as(console, context, clock, StaffRole.FRAUD)
    assert fraud.get("/console/orders/B-NOTHERE").status_code == 404
