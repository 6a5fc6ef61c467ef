"""Support access through the service (P7, LEGAL L29; GDPR art. 15, 17): the grant rests on a
consent record of the ledger, the sections show only the activity's data categories, and the
grants and views join the access export and the erasure through the registry alone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.factories import Customer, customer
from tests.integration.test_telemetry_rights import _seeded

from privaat.bootstrap import Context
from privaat.domain.principal import DataSubject, StaffMember, StaffRole
from privaat.services.consents import Evidence
from privaat.services.errors import Conflict, InvalidField, NotPermitted
from privaat.services.subject_export import SubjectExport
from privaat.services.support_access import DESK_ROLES, NoLiveGrant
from privaat.store.tables import consent_events
from privaat.store.tables_support_access import support_access_views, support_grants

AGENT = StaffMember(7, StaffRole.SUPPORT)
OFFICER = StaffMember(1, StaffRole.PRIVACY_OFFICER)
TABLES = (support_grants, support_access_views)


def _grant(context: Context, subject_id: int, duration: str = "24h") -> int:
    with context.unit_of_work() as uow:
        granted = context.support_access.grant(
            uow, DataSubject(subject_id), duration, lang="en", evidence=Evidence.none()
        )
    return granted.id


def _count(context: Context, subject_id: int) -> dict[str, int]:
    with context.engine.connect() as connection:
        return {
            table.name: connection.execute(
                select(func.count()).select_from(table).where(table.c.subject_id == subject_id)
            ).scalar_one()
            for table in TABLES
        }


def test_l29_a_grant_rests_on_a_given_consent_of_the_ledger(context: Context) -> None:
    jan = customer(context)
    grant_id = _grant(context, jan.subject_id)
    with context.engine.connect() as connection:
        row = connection.execute(
            select(consent_events.c.activity, consent_events.c.given, consent_events.c.channel)
            .join(support_grants, support_grants.c.consent_id == consent_events.c.id)
            .where(support_grants.c.id == grant_id)
        ).one()
    assert tuple(row) == ("support_account_access", True, "support_access_page")


@pytest.mark.parametrize(("duration", "hours"), [("1h", 1), ("24h", 24), ("7d", 168)])
def test_l29_the_grants_consent_ends_when_the_grant_does(
    context: Context, duration: str, hours: int
) -> None:
    # art. 7(3): a one-hour grant is not a seven-day consent in the ledger
    jan = customer(context)
    grant_id = _grant(context, jan.subject_id, duration)
    with context.engine.connect() as connection:
        row = connection.execute(
            select(consent_events.c.at, consent_events.c.expires_at, support_grants.c.expires_at)
            .join(support_grants, support_grants.c.consent_id == consent_events.c.id)
            .where(support_grants.c.id == grant_id)
        ).one()
    given_at, consent_ends, grant_ends = row
    assert consent_ends == grant_ends
    assert consent_ends - given_at == timedelta(hours=hours)


def test_l29_the_sections_show_only_the_activitys_data_categories(
    client: TestClient, context: Context
) -> None:
    subject_id = _seeded(client, context)  # a VoIP sync with a crash log, an app statistic
    with context.unit_of_work() as uow, uow.writing() as connection:
        context.preferences.add_service(
            connection, OFFICER, subject_id, "voip", since=context.clock.now()
        )
    grant_id = _grant(context, subject_id)
    with context.unit_of_work() as uow:
        logs = context.support_access.open_section(uow, AGENT, grant_id, "logs")
    assert [(e.kind, e.value) for e in logs.entries] == [("voip", "registrar timeout")]
    with context.unit_of_work() as uow:
        services = context.support_access.open_section(uow, AGENT, grant_id, "services")
    assert [(e.kind, e.value) for e in services.entries] == [("service", "voip")]
    assert {s.category for s in logs.sections} <= set(
        context.policy.activity("support_account_access").data_categories
    )
    with context.unit_of_work() as uow, pytest.raises(InvalidField):
        context.support_access.open_section(uow, AGENT, grant_id, "contact")


def test_l29_a_second_live_grant_is_a_conflict(
    context: Context,
) -> None:
    jan = customer(context)
    _grant(context, jan.subject_id)
    with context.unit_of_work() as uow, pytest.raises(Conflict):
        context.support_access.grant(uow, jan.principal, "1h", lang="nl", evidence=Evidence.none())


@pytest.mark.parametrize("duration", ["30d", "P7D", "168h", "1H", " 1h"])
def test_l29_only_the_three_offered_durations_are_accepted(context: Context, duration: str) -> None:
    jan = customer(context)
    with context.unit_of_work() as uow, pytest.raises(InvalidField) as refused:
        context.support_access.grant(
            uow, jan.principal, duration, lang="nl", evidence=Evidence.none()
        )
    assert refused.value.field == "duration"
    assert _count(context, jan.subject_id) == {"support_grants": 0, "support_access_views": 0}


def test_l29_the_grants_and_views_are_in_the_persons_access_export(context: Context) -> None:
    jan = customer(context)
    grant_id = _grant(context, jan.subject_id)
    with context.unit_of_work() as uow:
        context.support_access.open_section(uow, AGENT, grant_id, None)
    with context.unit_of_work() as uow:
        data = SubjectExport(access=context.access).collect(uow, jan.principal, jan.subject_id)
    [granted] = data.part("support_grants").rows  # type: ignore[union-attr]
    assert granted["expires_at"] is not None and granted["revoked_at"] is None
    [viewed] = data.part("support_access_views").rows  # type: ignore[union-attr]
    assert viewed["section"] == "overview"


def test_l29_erasure_removes_the_grants_and_views(context: Context) -> None:
    jan: Customer = customer(context)
    grant_id = _grant(context, jan.subject_id)
    with context.unit_of_work() as uow:
        context.support_access.open_section(uow, AGENT, grant_id, None)
    assert _count(context, jan.subject_id) == {"support_grants": 1, "support_access_views": 1}
    with context.unit_of_work() as uow:
        context.erasure.erase(uow, OFFICER, jan.subject_id, ground="art. 17(1)(a)")
    assert _count(context, jan.subject_id) == {"support_grants": 0, "support_access_views": 0}
    with context.unit_of_work() as uow, pytest.raises(NoLiveGrant):
        context.support_access.open_section(uow, AGENT, grant_id, None)


@pytest.mark.parametrize(
    "role", [r for r in StaffRole if r not in DESK_ROLES], ids=lambda r: str(r.value)
)
def test_l29_only_the_support_desk_opens_an_account_under_a_grant(
    context: Context, role: StaffRole
) -> None:
    jan = customer(context)
    grant_id = _grant(context, jan.subject_id)
    other = StaffMember(9, role)
    with context.unit_of_work() as uow, pytest.raises(NotPermitted):
        context.support_access.open_section(uow, other, grant_id, None)
    with context.unit_of_work() as uow, pytest.raises(NotPermitted):
        context.support_access.live_grants(uow, other)
    assert _count(context, jan.subject_id)["support_access_views"] == 0
