"""The centre's toggles drive telemetry, over HTTP end to end (issue 12 item 6; LEGAL L25,
L21): a customer objects on /account/preferences (the page's own form and CSRF token) and
the next batch for them answers ``refused: objected`` per line and stores nothing, while
another person's lines are stored; a precise location is stored only while the consent row
is on (given, withdrawn, given again on the page)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.factories import Customer, customer
from tests.integration.test_pages_support import log_in, submit

from privaat.bootstrap import Context
from privaat.store.tables import subjects
from privaat.store.tables_telemetry import (
    app_analytics_events,
    telemetry_precise_locations,
    voip_sync_events,
)

PAGE = "/account/preferences"
NDJSON = "application/x-ndjson"


def pseudonym_of(context: Context, person: Customer) -> str:
    with context.engine.connect() as connection:
        return str(
            connection.execute(
                select(subjects.c.pseudonym).where(subjects.c.id == person.subject_id)
            ).scalar_one()
        )


@pytest.fixture
def key(context: Context) -> str:
    with context.unit_of_work() as uow:
        _info, secret = context.telemetry.add_service(
            uow, "devices", ["voip_sync", "app_analytics"]
        )
    return secret


def sync(pseudonym: str, **extra: Any) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "subject": pseudonym,
        "at": "2026-11-25T08:30:00Z",
        "ip": "145.97.12.34",
        "device": {"model": "Yealink T54W"},
        "network": "wifi",
        **extra,
    }


def stat(pseudonym: str) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "subject": pseudonym,
        "at": "2026-11-25T08:30:00Z",
        "app": "Flexibelt",
        "app_version": "4.2.0",
        "device": {"model": "Pixel 8"},
        "feature": "voicemail",
    }


def post(client: TestClient, key: str, kind: str, *events: dict[str, Any]) -> list[Any]:
    """A batch from the sending service (no session cookie: the service's key alone)."""
    body = "\n".join(json.dumps(event) for event in events)
    response = client.post(
        f"/api/v1/telemetry/{kind}",
        content=body,
        headers={"Authorization": f"Bearer {key}", "Content-Type": NDJSON},
    )
    assert response.status_code in (200, 207), response.text
    return [(r["status"], r.get("reason")) for r in response.json()["results"]]


def count(context: Context, table: Any, person: Customer) -> int:
    with context.engine.connect() as connection:
        return int(
            connection.execute(
                select(func.count())
                .select_from(table)
                .where(table.c.subject_id == person.subject_id)
            ).scalar_one()
        )


def choose(client: TestClient, activity: str, choice: str) -> None:
    response = submit(client, PAGE, {"activity": activity, "choice": choice})
    assert response.status_code == 303, response.text


@pytest.mark.parametrize(
    ("activity", "kind", "table", "event"),
    [
        ("voip_sync_telemetry", "voip_sync", voip_sync_events, sync),
        ("app_hosting_analytics", "app_analytics", app_analytics_events, stat),
    ],
)
def test_l25_objecting_on_the_page_refuses_the_next_batch_for_that_person_only(
    client: TestClient, context: Context, key: str, activity: str, kind: str, table: Any, event: Any
) -> None:
    jan, piet = customer(context), customer(context)
    me, other = pseudonym_of(context, jan), pseudonym_of(context, piet)
    assert post(client, key, kind, event(me)) == [("stored", None)]
    log_in(client, jan.email, jan.password)
    choose(client, activity, "object")
    client.cookies.clear()
    answers = post(client, key, kind, event(me), event(me), event(other))
    assert answers == [("refused", "objected"), ("refused", "objected"), ("stored", None)]
    assert count(context, table, jan) == 1  # only the one from before the objection
    assert count(context, table, piet) == 1


def test_l21_precise_location_is_stored_only_while_the_consent_row_is_on(
    client: TestClient, context: Context, key: str
) -> None:
    jan = customer(context)
    me = pseudonym_of(context, jan)
    where = {"precise_location": {"latitude": 52.07, "longitude": 4.3}}
    log_in(client, jan.email, jan.password)

    def batch() -> None:
        # the event itself is always stored (coarse location from the IP); the position not
        assert post(client, key, "voip_sync", sync(me, **where)) == [("stored", None)]

    batch()
    assert count(context, telemetry_precise_locations, jan) == 0  # L21: no opt-in yet
    choose(client, "device_precise_location", "give")
    batch()
    assert count(context, telemetry_precise_locations, jan) == 1
    choose(client, "device_precise_location", "withdraw")
    batch()
    assert count(context, telemetry_precise_locations, jan) == 1  # stopped at once
    choose(client, "device_precise_location", "give")
    batch()
    assert count(context, telemetry_precise_locations, jan) == 2
    assert count(context, voip_sync_events, jan) == 4
