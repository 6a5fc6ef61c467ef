"""Log-ins to datacenter services: hosted servers, webmail, the PBX (issue 12 item 5; P9;
LEGAL L35, L23, L25): taken through the telemetry path (``POST
/api/v1/telemetry/service_login``, NDJSON, idempotent), shown to the person alone on
/account/logins, in their access export and gone after their erasure; an objection to
datacenter_login_location keeps only the time and the outcome; the full IP goes after 30
days."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.factories import Customer, customer
from tests.integration.test_pages_support import log_in

from privaat.bootstrap import Context
from privaat.domain.clock import FixedClock
from privaat.domain.principal import DataSubject, StaffMember, StaffRole
from privaat.services.subject_export import SubjectExport
from privaat.store.tables import subjects
from privaat.store.tables_telemetry import service_logins

PATH = "/api/v1/telemetry/service_login"
NDJSON = "application/x-ndjson"
OFFICER = StaffMember(1, StaffRole.PRIVACY_OFFICER)


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
        _info, secret = context.telemetry.add_service(uow, "datacenter", ["service_login"])
    return secret


def login_event(pseudonym: str, **overrides: Any) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "subject": pseudonym,
        "at": "2026-11-25T08:30:00Z",
        "service": "webmail",
        "outcome": "success",
        "ip": "145.97.12.34",
        **overrides,
    }


def post(client: TestClient, key: str, *events: dict[str, Any]) -> Any:
    body = "\n".join(json.dumps(event) for event in events)
    return client.post(
        PATH, content=body, headers={"Authorization": f"Bearer {key}", "Content-Type": NDJSON}
    )


def stored(context: Context, subject_id: int) -> list[Any]:
    with context.engine.connect() as connection:
        return list(
            connection.execute(
                select(service_logins).where(service_logins.c.subject_id == subject_id)
            ).all()
        )


def test_p9_a_batch_of_service_logins_is_stored_with_ip_and_place_and_retries_are_duplicates(
    client: TestClient, context: Context, key: str
) -> None:
    jan = customer(context)
    me = pseudonym_of(context, jan)
    events = [
        login_event(me),
        login_event(me, service="pbx", outcome="failure", ip="2a02:a440:1:2::7"),
        login_event(me, service="telnet"),  # not a service of ours: named, not stored
    ]
    first = post(client, key, *events)
    assert first.status_code == 207, first.text
    answer = first.json()
    assert [r["status"] for r in answer["results"]] == ["stored", "stored", "invalid"]
    assert answer["results"][2]["field"] == "service"
    again = post(client, key, *events[:2])
    assert again.status_code == 200
    assert [r["status"] for r in again.json()["results"]] == ["duplicate", "duplicate"]
    rows = stored(context, jan.subject_id)
    assert len(rows) == 2
    assert {(r.service, r.outcome) for r in rows} == {("webmail", "success"), ("pbx", "failure")}
    # ciphertext under the person's key: no address in clear in the table
    assert all(r.ip_enc and b"145.97" not in r.ip_enc for r in rows)
    assert all(r.ip_network_enc is not None for r in rows)


def test_p9_l35_only_the_person_sees_their_service_logins_on_the_logins_page(
    client: TestClient, context: Context, key: str
) -> None:
    jan, piet = customer(context), customer(context)
    post(client, key, login_event(pseudonym_of(context, jan), service="pbx", ip="145.97.12.34"))
    log_in(client, jan.email, jan.password)
    page = client.get("/account/logins", headers={"Accept-Language": "en"}).text
    assert "Log-ins to your services" in page
    table = page[page.index('id="service-logins"') :]
    assert "145.97.12.34" in table and "Telephone exchange (PBX)" in table
    assert "Logged in" in table
    client.cookies.clear()
    log_in(client, piet.email, piet.password)
    other = client.get("/account/logins", headers={"Accept-Language": "en"}).text
    assert "145.97.12.34" not in other
    assert "No log-ins to your services recorded yet." in other


def test_l35_an_objection_keeps_only_time_and_outcome(
    client: TestClient, context: Context, key: str
) -> None:
    jan, piet = customer(context), customer(context)
    with context.unit_of_work() as uow:
        context.objections.object(
            uow, DataSubject(jan.subject_id), jan.subject_id, "datacenter_login_location"
        )
    answer = post(
        client,
        key,
        login_event(pseudonym_of(context, jan), outcome="failure"),
        login_event(pseudonym_of(context, piet)),
    )
    assert answer.status_code == 200, answer.text
    [mine] = stored(context, jan.subject_id)
    assert (mine.service, mine.outcome) == ("webmail", "failure")
    assert mine.at is not None
    assert (mine.ip_enc, mine.ip_network_enc, mine.location_enc) == (None, None, None)
    [theirs] = stored(context, piet.subject_id)  # the other person's place is still kept
    assert theirs.ip_enc is not None and theirs.ip_network_enc is not None
    log_in(client, jan.email, jan.password)
    page = client.get("/account/logins", headers={"Accept-Language": "en"}).text
    table = page[page.index('id="service-logins"') :]
    assert "Failed" in table and "not recorded" in table and "145.97" not in table


def swept(context: Context, now: datetime, action: str) -> int:
    """One retention sweep at ``now`` (issue 13): the service log-ins it deleted or minimised."""
    report = context.retention.sweep(context.unit_of_work, now=now)
    return sum(tables.get("service_logins", {}).get(action, 0) for tables in report.counts.values())


def test_l23_the_full_ip_of_a_service_login_goes_after_30_days_the_network_stays(
    client: TestClient, context: Context, key: str, clock: FixedClock
) -> None:
    jan = customer(context)
    post(client, key, login_event(pseudonym_of(context, jan)))
    # the registry's clock is the log-in's own time (a day before its receipt here)
    assert swept(context, clock.now() + timedelta(days=28), "minimised") == 0
    assert swept(context, clock.now() + timedelta(days=31), "minimised") == 1
    [row] = stored(context, jan.subject_id)
    assert row.ip_enc is None and row.ip_network_enc is not None
    with context.unit_of_work() as uow:
        [view] = context.telemetry.service_logins(uow, jan.principal, jan.subject_id) or []
    assert view.ip == "145.97.12.0/24"


def test_l35_service_logins_are_in_the_export_and_gone_after_erasure(
    client: TestClient, context: Context, key: str
) -> None:
    jan = customer(context)
    post(client, key, login_event(pseudonym_of(context, jan), service="server"))
    with context.unit_of_work() as uow:
        data = SubjectExport(access=context.access).collect(
            uow, DataSubject(jan.subject_id), jan.subject_id
        )
    [row] = data.part("service_logins").rows  # type: ignore[union-attr]
    assert row["ip"] == "145.97.12.34" and row["ip_network"] == "145.97.12.0/24"
    assert row["service"] == "server" and row["outcome"] == "success"
    with context.unit_of_work() as uow:
        context.erasure.erase(uow, OFFICER, jan.subject_id, ground="art. 17(1)(a)")
    with context.engine.connect() as connection:
        left = connection.execute(
            select(func.count())
            .select_from(service_logins)
            .where(service_logins.c.subject_id == jan.subject_id)
        ).scalar_one()
    assert left == 0


def test_l35_service_logins_are_deleted_after_six_months(
    client: TestClient, context: Context, key: str, clock: FixedClock
) -> None:
    jan = customer(context)
    post(client, key, login_event(pseudonym_of(context, jan)))
    kept = swept(context, clock.now() + timedelta(days=150), "deleted")
    assert kept == 0 and len(stored(context, jan.subject_id)) == 1
    gone = swept(context, clock.now() + timedelta(days=190), "deleted")
    assert gone == 1 and stored(context, jan.subject_id) == []
