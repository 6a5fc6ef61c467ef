"""The console's disclosure register (P12, LEGAL L36) over HTTP: the privacy officer records
a disclosure on a form whose refusals stand at their fields (no legal ground, no recipient,
an unlisted country: nothing stored), sees it in the register beside the shop's carrier
handovers (P11, read-only, not copied), and opens it; other roles get a 403."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from tests.factories import Customer, customer
from tests.integration.test_console_roles import csrf_token, staff_session
from tests.integration.test_shop_orders import check_out, pay

from privaat.bootstrap import Context
from privaat.domain.clock import FixedClock
from privaat.domain.principal import StaffMember, StaffRole
from privaat.store.tables_disclosures import disclosures
from privaat.store.tables_shop import shop_shipments
from privaat.web.app import create_app
from privaat.web.console.access import STAFF_COOKIE

NEW = "/console/disclosures/new"


@pytest.fixture
def app(context: Context) -> FastAPI:
    return create_app(context)


@pytest.fixture
def officer(app: FastAPI, context: Context, clock: FixedClock) -> Iterator[TestClient]:
    with TestClient(
        app,
        client=("10.1.2.3", 50000),
        follow_redirects=False,
        headers={"accept-language": "en"},  # the words below are the English ones
    ) as client:
        client.cookies.set(STAFF_COOKIE, staff_session(context, clock, StaffRole.PRIVACY_OFFICER))
        yield client


@pytest.fixture
def jan(context: Context) -> Customer:
    return customer(context)


def _post(client: TestClient, **fields: str) -> Any:
    return client.post(NEW, data={"csrf_token": csrf_token(client, NEW), **fields})


def _count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(disclosures)).scalar_one())


def _order_form(jan: Customer, **changes: str) -> dict[str, str]:
    return {
        "subject": str(jan.subject_id),
        "ground": "legal_order",
        "recipient": "police_and_justice",
        "requested_by": "Politie Eenheid Amsterdam",
        "reference": "PL1300-2026-4711",
        "category_email_address": "on",
        **changes,
    }


def test_l36_no_legal_ground_and_no_recipient_are_refused_at_their_fields(
    officer: TestClient, jan: Customer, engine: Engine
) -> None:
    response = _post(officer, **_order_form(jan, ground="", recipient=""))
    assert response.status_code == 422
    page = response.text
    assert 'id="disclosure-ground-error"' in page
    assert "no disclosure is recorded without one" in page
    assert 'id="disclosure-recipient-error"' in page
    assert 'value="Politie Eenheid Amsterdam"' in page  # what was typed stays
    assert _count(engine) == 0
    dutch = officer.post(
        NEW,
        data={"csrf_token": csrf_token(officer, NEW), **_order_form(jan, ground="")},
        headers={"accept-language": "nl"},
    )
    assert "Kies de grondslag: zonder grondslag wordt geen verstrekking vastgelegd." in dutch.text


def test_l37_an_unlisted_country_is_refused_at_the_country_field(
    officer: TestClient, jan: Customer, engine: Engine
) -> None:
    response = _post(officer, **_order_form(jan, country="CN"))
    assert response.status_code == 422
    page = response.text
    assert 'id="disclosure-country-error"' in page and "No transfer to CN" in page
    assert _count(engine) == 0


def test_p12_the_officer_records_a_disclosure_and_opens_it_from_the_register(
    officer: TestClient, jan: Customer, engine: Engine
) -> None:
    assert officer.get(NEW).status_code == 200
    response = _post(officer, **_order_form(jan))
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.endswith("?notice=recorded")
    page = officer.get(location).text
    assert 'id="disclosure-notice"' in page
    assert "Politie Eenheid Amsterdam" in page and jan.email in page
    listing = officer.get("/console/disclosures").text
    assert 'id="disclosure-1"' in listing and "police_and_justice" in listing
    assert jan.email not in listing  # the register names pseudonyms only
    assert officer.get("/console/disclosures/999").status_code == 404
    assert officer.get("/console/disclosures/abc").status_code == 404


def test_p11_carrier_handovers_show_in_the_register_read_only_and_are_not_copied(
    officer: TestClient, context: Context, engine: Engine
) -> None:
    placed = check_out(context)
    pay(context, placed)
    with context.unit_of_work() as uow:
        context.shop.ship(uow, StaffMember(9, StaffRole.SUPPORT), placed.reference, "PostNL")
    listing = officer.get("/console/disclosures").text
    with engine.connect() as connection:
        (shipment_id,) = connection.execute(select(shop_shipments.c.id)).one()
    assert f'id="carrier_handover-{shipment_id}"' in listing
    assert "carriers (PostNL)" in listing
    assert f'href="/console/disclosures/{shipment_id}"' not in listing
    assert _count(engine) == 0


def test_only_the_privacy_officer_opens_the_register(
    app: FastAPI, context: Context, clock: FixedClock
) -> None:
    with TestClient(app, client=("10.1.2.3", 50000), follow_redirects=False) as client:
        client.cookies.set(STAFF_COOKIE, staff_session(context, clock, StaffRole.SUPPORT))
        assert client.get("/console/disclosures").status_code == 403
