"""Telemetry ingestion over HTTP (issue 12 item 1; P6, P15; LEGAL L20, L21, L23, L24, L25):
per-line answers, exactly once under retries, the guard per event, and bad input refused
with nothing half-stored."""

from __future__ import annotations

import gzip
import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from tests.factories import customer
from tests.integration.campaign_support import give

from privaat.bootstrap import Context
from privaat.domain.clock import FixedClock
from privaat.domain.principal import DataSubject, SystemJob
from privaat.store.tables import subjects
from privaat.store.tables_telemetry import (
    app_analytics_events,
    telemetry_precise_locations,
    voip_sync_events,
)

NDJSON = {"Content-Type": "application/x-ndjson"}
READER = SystemJob("telemetry-test")


def _pseudonym(context: Context, subject_id: int) -> str:
    with context.unit_of_work() as uow, uow.reading() as connection:
        value: str = connection.execute(
            select(subjects.c.pseudonym).where(subjects.c.id == subject_id)
        ).scalar_one()
    return value


def _sync(subject: str, **extra: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),
        "subject": subject,
        "at": "2026-11-30T12:00:00Z",
        "ip": "145.97.12.34",
        "device": {"model": "Yealink T54W", "firmware": "96.86.0.70"},
        "network": "wifi",
    }
    event.update(extra)
    return event


def _ndjson(*events: dict[str, Any] | str) -> bytes:
    return b"\n".join((e if isinstance(e, str) else json.dumps(e)).encode() for e in events) + b"\n"


def _count(context: Context, table: Any) -> int:
    with context.unit_of_work() as uow, uow.reading() as connection:
        value: int = connection.execute(select(func.count()).select_from(table)).scalar_one()
    return value


@pytest.fixture
def voip_key(context: Context) -> str:
    with context.unit_of_work() as uow:
        _info, key = context.telemetry.add_service(uow, "device-sync", ["voip_sync"])
    return key


@pytest.fixture
def person(context: Context) -> tuple[int, str]:
    me = customer(context)
    return me.subject_id, _pseudonym(context, me.subject_id)


def _post(client: TestClient, key: str, body: bytes, kind: str = "voip_sync", **headers: str):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v1/telemetry/{kind}",
        content=body,
        headers={**NDJSON, "Authorization": f"Bearer {key}", **headers},
    )


def test_P6_a_batch_answers_every_line_and_stores_only_the_good_ones(
    client: TestClient, context: Context, voip_key: str, person: tuple[int, str]
) -> None:
    _sid, pseudonym = person
    good = _sync(pseudonym)
    unknown_field = _sync(pseudonym, serial_number="SN-123")
    wrong_type = _sync(pseudonym, network=5)
    response = _post(client, voip_key, _ndjson(good, unknown_field, "{not json", wrong_type))
    assert response.status_code == 207
    body = response.json()
    assert (body["stored"], body["invalid"]) == (1, 3)
    by_line = {r["line"]: r for r in body["results"]}
    assert by_line[1] == {"line": 1, "status": "stored", "event_id": good["event_id"]}
    assert by_line[2]["status"] == "invalid" and by_line[2]["field"] == "serial_number"
    assert by_line[3]["status"] == "invalid"
    assert by_line[4]["status"] == "invalid" and by_line[4]["field"] == "network"
    assert _count(context, voip_sync_events) == 1


def test_P6_values_are_ciphertext_and_the_crash_log_is_scrubbed_L20(
    client: TestClient, context: Context, voip_key: str, person: tuple[int, str]
) -> None:
    sid, pseudonym = person
    log = "SIP/2.0 401 from +31 20 123 4567, user jan@example.nl password=hunter22 ok"
    event = _sync(pseudonym, crash_log=log)
    assert _post(client, voip_key, _ndjson(event)).status_code == 200
    with context.unit_of_work() as uow, uow.reading() as connection:
        row = connection.execute(select(voip_sync_events)).one()
        cipher = context.access.open(connection, READER, sid, "voip_sync_telemetry").cipher
    raw = b"".join(v for v in row if isinstance(v, bytes))
    for clear in (b"145.97.12.34", b"Yealink", b"hunter22", b"jan@example.nl"):
        assert clear not in raw
    assert cipher.decrypt("voip_sync_events.ip", row.ip_enc) == "145.97.12.34"
    assert cipher.decrypt("voip_sync_events.ip_network", row.ip_network_enc) == "145.97.12.0/24"
    stored_log = cipher.decrypt("voip_sync_events.log", row.log_enc)
    for secret in ("123 4567", "jan@example.nl", "hunter22"):
        assert secret not in stored_log
    assert stored_log.startswith("SIP/2.0 401")
    assert json.loads(cipher.decrypt("voip_sync_events.device", row.device_enc)) == {
        "model": "Yealink T54W",
        "firmware": "96.86.0.70",
        "network": "wifi",
    }


def test_exactly_once_a_replayed_batch_stores_nothing_twice(
    client: TestClient, context: Context, voip_key: str, person: tuple[int, str]
) -> None:
    _sid, pseudonym = person
    batch = _ndjson(_sync(pseudonym), _sync(pseudonym), _sync(pseudonym))
    first = _post(client, voip_key, batch)
    assert first.status_code == 200 and first.json()["stored"] == 3
    again = _post(client, voip_key, batch)
    assert again.status_code == 200
    assert [r["status"] for r in again.json()["results"]] == ["duplicate"] * 3
    assert _count(context, voip_sync_events) == 3
    twice = _sync(pseudonym)
    inside = _post(client, voip_key, _ndjson(twice, twice)).json()
    assert [r["status"] for r in inside["results"]] == ["stored", "duplicate"]
    assert _count(context, voip_sync_events) == 4


def test_L25_an_objection_refuses_that_persons_events_and_not_the_others(
    client: TestClient, context: Context, voip_key: str, person: tuple[int, str]
) -> None:
    objector, objector_pseudonym = person
    other = customer(context)
    with context.unit_of_work() as uow:
        context.objections.object(uow, DataSubject(objector), objector, "voip_sync_telemetry")
    batch = _ndjson(_sync(objector_pseudonym), _sync(_pseudonym(context, other.subject_id)))
    response = _post(client, voip_key, batch)
    assert response.status_code == 207
    results = response.json()["results"]
    assert results[0]["status"] == "refused" and results[0]["reason"] == "objected"
    assert results[1]["status"] == "stored"
    with context.unit_of_work() as uow, uow.reading() as connection:
        owners = connection.execute(select(voip_sync_events.c.subject_id)).scalars().all()
    assert owners == [other.subject_id]


def test_a_restricted_subject_and_an_unknown_pseudonym_are_refused_per_event(
    client: TestClient, context: Context, voip_key: str, person: tuple[int, str]
) -> None:
    sid, pseudonym = person
    with context.unit_of_work() as uow, uow.writing() as connection:
        connection.execute(update(subjects).where(subjects.c.id == sid).values(restricted=True))
    response = _post(client, voip_key, _ndjson(_sync(pseudonym), _sync("0" * 32)))
    reasons = [r["reason"] for r in response.json()["results"]]
    assert reasons == ["restricted", "unknown_subject"]
    assert _count(context, voip_sync_events) == 0


def test_L24_an_advertising_id_is_refused(
    client: TestClient, context: Context, person: tuple[int, str]
) -> None:
    _sid, pseudonym = person
    with context.unit_of_work() as uow:
        _info, key = context.telemetry.add_service(uow, "app-backend", ["app_analytics"])
    event = {
        "event_id": str(uuid.uuid4()),
        "subject": pseudonym,
        "at": "2026-11-30T12:00:00+01:00",
        "app": "Flexibelt",
        "app_version": "4.2.0",
        "device": {"model": "Pixel 8", "os": "Android 15"},
        "feature": "call_history",
        "language": "nl",
        "ip": "145.97.12.34",
    }
    response = _post(client, key, _ndjson({**event, "idfa": "ABCD-1234"}, event), "app_analytics")
    results = response.json()["results"]
    assert results[0] == {
        "line": 1,
        "status": "refused",
        "reason": "advertising_id",
        "field": "idfa",
    }
    assert results[1]["status"] == "stored"
    with context.unit_of_work() as uow, uow.reading() as connection:
        row = connection.execute(select(app_analytics_events)).one()
    # L20: app statistics keep no IP address at all (the table has no column for one)
    assert "ip_enc" not in app_analytics_events.c
    assert b"145.97" not in b"".join(v for v in row if isinstance(v, bytes))


def test_L21_a_precise_location_is_kept_only_with_consent(
    client: TestClient, context: Context, voip_key: str, person: tuple[int, str]
) -> None:
    sid, pseudonym = person
    where = {"latitude": 52.37, "longitude": 4.89, "accuracy_m": 5.0}
    assert (
        _post(client, voip_key, _ndjson(_sync(pseudonym, precise_location=where))).json()["stored"]
        == 1
    )
    assert _count(context, telemetry_precise_locations) == 0  # dropped: no consent
    me = customer(context)
    give(context, me, "device_precise_location")
    consenting = _pseudonym(context, me.subject_id)
    assert (
        _post(client, voip_key, _ndjson(_sync(consenting, precise_location=where))).json()["stored"]
        == 1
    )
    with context.unit_of_work() as uow, uow.reading() as connection:
        rows = connection.execute(select(telemetry_precise_locations)).all()
    assert [r.subject_id for r in rows] == [me.subject_id]
    assert sid != me.subject_id


def test_L23_full_ips_go_after_the_troubleshooting_window(
    client: TestClient,
    context: Context,
    voip_key: str,
    person: tuple[int, str],
    clock: FixedClock,
) -> None:
    _sid, pseudonym = person
    _post(client, voip_key, _ndjson(_sync(pseudonym)))

    # one rule of the retention sweep (issue 13): the voip_sync_telemetry step of 14 days
    def minimised() -> int:
        report = context.retention.sweep(context.unit_of_work)
        voip = report.counts.get("voip_sync_telemetry", {})
        return voip.get("voip_sync_events", {}).get("minimised", 0)

    assert minimised() == 0  # still within 14 days
    clock.advance(timedelta(days=15))
    assert minimised() == 1
    with context.unit_of_work() as uow, uow.reading() as connection:
        row = connection.execute(select(voip_sync_events)).one()
    assert row.ip_enc is None and row.ip_network_enc is not None


def test_keys_kinds_and_encodings_are_checked_before_anything_is_stored(
    client: TestClient, context: Context, voip_key: str, person: tuple[int, str]
) -> None:
    _sid, pseudonym = person
    batch = _ndjson(_sync(pseudonym))
    with context.unit_of_work() as uow:
        _info, other_key = context.telemetry.add_service(uow, "app-backend", ["app_analytics"])
    assert _post(client, "tlm_wrong", batch).status_code == 401
    no_key = client.post("/api/v1/telemetry/voip_sync", content=batch, headers=NDJSON)
    assert no_key.status_code == 401 and "Bearer" in no_key.headers["WWW-Authenticate"]
    assert _post(client, other_key, batch).status_code == 403  # another service's kind
    assert _post(client, voip_key, batch, "gps_tracks").status_code == 404  # unknown kind
    broken = gzip.compress(batch)[:-9]
    response = _post(client, voip_key, broken, **{"Content-Encoding": "gzip"})
    assert response.status_code == 400 and response.json()["type"].endswith("/broken-gzip")
    assert _post(client, voip_key, batch, **{"Content-Encoding": "br"}).status_code == 415
    assert _post(client, voip_key, batch, **{"Content-Type": "text/plain"}).status_code == 415
    assert _count(context, voip_sync_events) == 0
    gzipped = _post(client, voip_key, gzip.compress(batch), **{"Content-Encoding": "gzip"})
    assert gzipped.status_code == 200 and gzipped.json()["stored"] == 1


def test_a_100_mb_line_is_refused_and_a_long_line_spoils_only_itself(
    client: TestClient, context: Context, voip_key: str, person: tuple[int, str]
) -> None:
    _sid, pseudonym = person
    huge = gzip.compress(b'{"a":"' + b"x" * 100_000_000 + b'"}\n', compresslevel=9)
    response = _post(client, voip_key, huge, **{"Content-Encoding": "gzip"})
    assert response.status_code == 413
    long_line = '{"crash_log":"' + "x" * 1_000_000 + '"}'
    body = gzip.compress(_ndjson(long_line, _sync(pseudonym)))
    answer = _post(client, voip_key, body, **{"Content-Encoding": "gzip"}).json()
    assert answer["results"][0]["status"] == "invalid"
    assert "longer than" in answer["results"][0]["reason"]
    assert answer["results"][1]["status"] == "stored"
    assert _count(context, voip_sync_events) == 1


def test_one_json_event_is_accepted_as_application_json(
    client: TestClient, context: Context, voip_key: str, person: tuple[int, str]
) -> None:
    _sid, pseudonym = person
    response = client.post(
        "/api/v1/telemetry/voip_sync",
        json=_sync(pseudonym),
        headers={"Authorization": f"Bearer {voip_key}"},
    )
    assert response.status_code == 200 and response.json()["stored"] == 1


def test_a_batch_larger_than_the_apps_64_kib_is_taken_whole(
    client: TestClient, context: Context, voip_key: str, person: tuple[int, str]
) -> None:
    # a batch is many events: the app-wide body limit (64 KiB) is raised for telemetry only
    _sid, pseudonym = person
    batch = _ndjson(*(_sync(pseudonym) for _ in range(1_000)))
    assert len(batch) > 64 * 1024
    response = _post(client, voip_key, batch)
    assert response.status_code == 200, response.text
    assert response.json()["stored"] == 1_000
    assert _count(context, voip_sync_events) == 1_000
    # everywhere else the limit stands
    other = client.post("/api/v1/accounts", content=batch, headers=NDJSON)
    assert other.status_code == 413
