"""The telemetry tables join the access export and the erasure through the registry alone
(issue 12 item 1; LEGAL L59, L64; GDPR art. 15, 17): a person's syncs, statistics and
precise positions come out in clear in their export and are gone after their erasure."""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.factories import customer
from tests.integration.campaign_support import give

from privaat.bootstrap import Context
from privaat.domain.principal import DataSubject, StaffMember, StaffRole
from privaat.services.subject_export import SubjectExport
from privaat.store.tables import subjects
from privaat.store.tables_telemetry import (
    app_analytics_events,
    telemetry_precise_locations,
    voip_sync_events,
)

OFFICER = StaffMember(1, StaffRole.PRIVACY_OFFICER)
TABLES = (voip_sync_events, app_analytics_events, telemetry_precise_locations)


def _seeded(client: TestClient, context: Context) -> int:
    me = customer(context)
    give(context, me, "device_precise_location")
    with context.unit_of_work() as uow, uow.reading() as connection:
        pseudonym = connection.execute(
            select(subjects.c.pseudonym).where(subjects.c.id == me.subject_id)
        ).scalar_one()
    with context.unit_of_work() as uow:
        _s, key = context.telemetry.add_service(uow, "all-kinds", ["voip_sync", "app_analytics"])
    common: dict[str, Any] = {"subject": pseudonym, "at": "2026-11-30T12:00:00Z"}
    sync = {
        **common,
        "event_id": str(uuid.uuid4()),
        "ip": "145.97.12.34",
        "device": {"model": "Snom D785"},
        "network": "wifi",
        "crash_log": "registrar timeout",
        "precise_location": {"latitude": 52.1, "longitude": 5.1},
    }
    stat = {
        **common,
        "event_id": str(uuid.uuid4()),
        "app": "Flexibelt",
        "app_version": "4.2.0",
        "device": {"model": "Pixel 8"},
        "feature": "voicemail",
    }
    headers = {"Authorization": f"Bearer {key}"}
    for kind, event in (("voip_sync", sync), ("app_analytics", stat)):
        response = client.post(f"/api/v1/telemetry/{kind}", json=event, headers=headers)
        assert response.status_code == 200, response.text
    context.access_log.flush()
    return me.subject_id


def _count(context: Context, subject_id: int) -> dict[str, int]:
    with context.engine.connect() as connection:
        return {
            table.name: connection.execute(
                select(func.count()).select_from(table).where(table.c.subject_id == subject_id)
            ).scalar_one()
            for table in TABLES
        }


def test_L59_a_persons_telemetry_is_in_their_export_in_clear(
    client: TestClient, context: Context
) -> None:
    subject_id = _seeded(client, context)
    with context.unit_of_work() as uow:
        data = SubjectExport(access=context.access).collect(
            uow, DataSubject(subject_id), subject_id
        )
    [sync] = data.part("voip_sync_events").rows  # type: ignore[union-attr]
    assert sync["ip"] == "145.97.12.34" and sync["ip_network"] == "145.97.12.0/24"
    assert sync["log"] == "registrar timeout"
    assert json.loads(sync["device"])["model"] == "Snom D785"
    [stat] = data.part("app_analytics_events").rows  # type: ignore[union-attr]
    assert stat["usage"] == "voicemail"
    [where] = data.part("telemetry_precise_locations").rows  # type: ignore[union-attr]
    assert json.loads(where["location"]) == {"latitude": 52.1, "longitude": 5.1}


def test_L64_erasure_removes_every_telemetry_row(client: TestClient, context: Context) -> None:
    subject_id = _seeded(client, context)
    assert _count(context, subject_id) == {table.name: 1 for table in TABLES}
    with context.unit_of_work() as uow:
        context.erasure.erase(uow, OFFICER, subject_id, ground="art. 17(1)(a)")
    assert _count(context, subject_id) == {table.name: 0 for table in TABLES}
