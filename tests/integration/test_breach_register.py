"""The breach register (issue 13 item 4, P10, LEGAL L68-L71): counts from the data, the clock,
staged updates, and nothing changed by a refused step. Real database, real HTTP ingest."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from tests.factories import customer

from privaat.bootstrap import Context, bootstrap
from privaat.domain.breaches import ClockState, UpdateKind
from privaat.domain.clock import FixedClock
from privaat.domain.principal import StaffMember, StaffRole
from privaat.mail.breach_notice import NoticeWords, breach_notice_text
from privaat.services.breaches import BreachDraft, BreachNotFound, Scope
from privaat.services.errors import InvalidField, NotPermitted
from privaat.settings import Mode, Settings
from privaat.store.audit import AuditTrail
from privaat.store.tables import audit_log, outbox, subjects
from privaat.store.tables_breaches import breach_notices, breach_updates, breaches

OFFICER = StaffMember(1, StaffRole.PRIVACY_OFFICER)
NDJSON = {"Content-Type": "application/x-ndjson"}
T0 = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)  # the conftest clock's start


def _pseudonym(context: Context, subject_id: int) -> str:
    with context.engine.connect() as connection:
        value: str = connection.execute(
            select(subjects.c.pseudonym).where(subjects.c.id == subject_id)
        ).scalar_one()
    return value


def _send(client: TestClient, key: str, *pseudonyms: str) -> None:
    lines = [
        json.dumps(
            {
                "event_id": str(uuid.uuid4()),
                "subject": pseudonym,
                "at": "2026-11-26T09:00:00Z",
                "ip": "145.97.12.34",
                "device": {"model": "Yealink T54W", "firmware": "96.86.0.70"},
                "network": "wifi",
            }
        )
        for pseudonym in pseudonyms
    ]
    response = client.post(
        "/api/v1/telemetry/voip_sync",
        content=("\n".join(lines) + "\n").encode(),
        headers={**NDJSON, "Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 200, response.text


@pytest.fixture
def seeded(client: TestClient, context: Context, clock: FixedClock) -> dict[str, int]:
    """Three customers' VoIP sync events, received at hand-chosen times:

    T0+1h: A, A, B      T0+3h: C      T0+5h: A         (5 rows, 3 people)
    """
    with context.unit_of_work() as uow:
        _info, key = context.telemetry.add_service(uow, "device-sync", ["voip_sync"])
    people = {name: customer(context).subject_id for name in "ABC"}
    p = {name: _pseudonym(context, sid) for name, sid in people.items()}
    clock.current = T0 + timedelta(hours=1)
    _send(client, key, p["A"], p["A"], p["B"])
    clock.current = T0 + timedelta(hours=3)
    _send(client, key, p["C"])
    clock.current = T0 + timedelta(hours=5)
    _send(client, key, p["A"])
    clock.current = T0 + timedelta(hours=8)
    return people


def draft(**overrides: Any) -> BreachDraft:
    fields: dict[str, Any] = {
        "discovered_at": T0 - timedelta(hours=2),
        "nature": "confidentiality",
        "risk": "risk",
        "description": "A misconfigured export left sync logs readable for a few hours.",
        "consequences": "Device models and network addresses of callers may be known.",
        "measures": "The export was closed and its keys rotated.",
        "data_categories": ("ip_address", "device_information"),
        "subject_categories": ("customers",),
        **overrides,
    }
    return BreachDraft(**fields)


def _row(context: Context, breach_id: int) -> Any:
    with context.engine.connect() as connection:
        return connection.execute(select(breaches).where(breaches.c.id == breach_id)).one()


def _count(context: Context, table: Any) -> int:
    with context.engine.connect() as connection:
        value: int = connection.execute(select(func.count()).select_from(table)).scalar_one()
    return value


def test_p10_counts_telemetry_events_between_two_times_from_the_data(
    context: Context, seeded: dict[str, int]
) -> None:
    window = Scope(
        tables=("voip_sync_events",),
        start=T0 + timedelta(minutes=30),
        end=T0 + timedelta(hours=4),
    )
    with context.unit_of_work() as uow, uow.reading() as connection:
        counted = context.breaches.count(connection, window)
        later = context.breaches.count(
            connection,
            Scope(tables=("voip_sync_events",), start=T0 + timedelta(hours=4)),
        )
    # by hand: A, A, B at +1h and C at +3h lie in [+30m, +4h); A at +5h does not
    assert (counted.records, counted.people) == (4, 3)
    assert (later.records, later.people) == (1, 1)


def test_p10_an_activity_counts_every_table_whose_columns_name_it(
    context: Context, seeded: dict[str, int]
) -> None:
    with context.unit_of_work() as uow, uow.reading() as connection:
        counted = context.breaches.count(connection, Scope(activities=("voip_sync_telemetry",)))
    by_table = {t.table: t.rows for t in counted.tables}
    assert by_table == {"voip_sync_events": 5}
    assert counted.people == 3
    assert "voip_sync_telemetry" in counted.activities


def test_l69_recorded_breach_has_counts_from_the_data_and_an_l70_24_hour_clock(
    context: Context, seeded: dict[str, int], clock: FixedClock
) -> None:
    scope = Scope(activities=("voip_sync_telemetry",), start=T0, end=T0 + timedelta(hours=4))
    with context.unit_of_work() as uow:
        found = draft(scope=scope, discovered_at=T0 + timedelta(hours=6))
        breach_id = context.breaches.record(uow, OFFICER, found)
    row = _row(context, breach_id)
    assert (row.people_count, row.records_count, row.counts_estimated) == (3, 4, False)
    # the categories of voip_sync_events' columns (tables_telemetry.py), with the officer's
    assert json.loads(row.data_categories) == [
        "coarse_location",
        "device_information",
        "diagnostic_logs",
        "ip_address",
    ]
    # flexibelt.yaml: the PBX is a public ECS and voip_sync_telemetry is one of its activities
    assert row.report_hours == 24
    assert row.due_at == datetime(2026, 11, 27, 15, 30, tzinfo=UTC)  # discovered +6h, +24h
    with context.unit_of_work() as uow:
        listed = context.breaches.register(uow, OFFICER)
    assert listed[0].clock.state is ClockState.RUNNING
    assert listed[0].clock.left == timedelta(hours=22)  # now is T0+8h
    clock.current = datetime(2026, 11, 27, 15, 31, tzinfo=UTC)
    with context.unit_of_work() as uow:
        listed = context.breaches.register(uow, OFFICER)
    assert listed[0].clock.state is ClockState.OVERDUE and listed[0].clock.flagged


def test_l69_a_breach_outside_the_telephony_has_72_hours_and_staff_estimates(
    context: Context,
) -> None:
    estimate = draft(
        discovered_at=datetime(2026, 11, 20, 23, 0, tzinfo=UTC),
        people_estimate=120,
        records_estimate=400,
    )
    with context.unit_of_work() as uow:
        breach_id = context.breaches.record(uow, OFFICER, estimate)
    row = _row(context, breach_id)
    assert (row.people_count, row.records_count, row.counts_estimated) == (120, 400, True)
    assert row.report_hours == 72
    assert row.due_at == datetime(2026, 11, 23, 23, 0, tzinfo=UTC)  # a weekend counts
    with context.unit_of_work() as uow:
        shop_scope = Scope(activities=("shop_orders",))
        shop = context.breaches.record(uow, OFFICER, draft(scope=shop_scope))
    assert _row(context, shop).report_hours == 72


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param({"discovered_at": None}, "discovered_at", id="no-discovery-time"),
        pytest.param(
            {"discovered_at": T0 + timedelta(days=1)}, "discovered_at", id="discovery-in-future"
        ),
        pytest.param(
            {"discovered_at": datetime(2026, 11, 25, 9, 0)}, "discovered_at", id="naive-time"
        ),
        pytest.param({"scope": Scope(tables=("no_such_table",))}, "tables", id="unknown-table"),
        pytest.param(
            {"scope": Scope(activities=("no_such_activity",))}, "activities", id="unknown-activity"
        ),
        pytest.param({"nature": "leaky"}, "nature", id="unknown-nature"),
        pytest.param({"description": "  "}, "description", id="no-description"),
        pytest.param({"data_categories": ("shoe_size",)}, "data_categories", id="unknown-category"),
        pytest.param(
            {"occurred_from": T0 - timedelta(hours=1)}, "occurred_from", id="after-discovery"
        ),
    ],
)
def test_l68_bad_input_is_refused_at_its_field_and_nothing_is_recorded(
    context: Context, overrides: dict[str, Any], field: str
) -> None:
    with context.unit_of_work() as uow, pytest.raises(InvalidField) as refused:
        context.breaches.record(uow, OFFICER, draft(**overrides))
    assert refused.value.field == field
    assert _count(context, breaches) == 0 and _count(context, breach_updates) == 0


def test_l68_staged_updates_and_the_report_stay_in_the_register_with_their_times(
    context: Context, clock: FixedClock
) -> None:
    calls = draft(scope=Scope(activities=("call_recording",)))  # the PBX's: 24 hours (L70)
    with context.unit_of_work() as uow:
        breach_id = context.breaches.record(uow, OFFICER, calls)
    clock.advance(timedelta(hours=2))
    with context.unit_of_work() as uow:
        context.breaches.reported(uow, OFFICER, breach_id, at=None, reference="AP-2026-0042")
    clock.advance(timedelta(hours=20))
    with context.unit_of_work() as uow:
        context.breaches.add(uow, OFFICER, breach_id, "The logs were copied once, by a crawler.")
        view = context.breaches.breach(uow, OFFICER, breach_id)
    kinds = [(u.kind, u.at) for u in view.updates]
    assert kinds == [
        (UpdateKind.RECORDED, T0),
        (UpdateKind.REPORTED, T0 + timedelta(hours=2)),
        (UpdateKind.ADDITION, T0 + timedelta(hours=22)),
    ]
    assert view.authority_reference == "AP-2026-0042"
    assert view.summary.clock.state is ClockState.REPORTED
    with context.unit_of_work() as uow:
        report = context.breaches.notification(uow, OFFICER, breach_id, "en")
    document = report.document
    assert document["a_nature"]["nature"] == "confidentiality"
    assert document["b_contact"]["email"] == "euprivacy@flexibelt.nl"
    assert document["c_consequences"].startswith("Device models")
    assert document["d_measures"] == "The export was closed and its keys rotated."
    assert document["full_details_due"] == "2026-11-29T11:30:00+00:00"  # Reg. 611/2013 2(3)
    assert "(d) Measures taken or proposed:" in report.text
    assert "The logs were copied once, by a crawler." in report.text
    # the audit trail names the breach by number only, and its chain holds
    with context.engine.connect() as connection:
        actions = connection.execute(
            select(audit_log.c.action).where(audit_log.c.action.like("breach.%"))
        ).scalars()
        assert list(actions) == ["breach.recorded", "breach.reported", "breach.addition"]
        assert AuditTrail.verify(connection).ok


def test_l68_a_breach_not_reported_keeps_its_reason_and_stays_listed(context: Context) -> None:
    with context.unit_of_work() as uow:
        breach_id = context.breaches.record(uow, OFFICER, draft(risk="none"))
        context.breaches.not_reported(uow, OFFICER, breach_id, "A locked laptop, disk encrypted.")
        listed = context.breaches.register(uow, OFFICER)
    assert [b.id for b in listed] == [breach_id]
    assert listed[0].clock.state is ClockState.NOT_REPORTED
    assert _row(context, breach_id).not_reported_reason == "A locked laptop, disk encrypted."


def test_l68_an_update_to_an_unknown_breach_changes_nothing(context: Context) -> None:
    with context.unit_of_work() as uow, pytest.raises(BreachNotFound):
        context.breaches.add(uow, OFFICER, 999, "more")
    assert _count(context, breach_updates) == 0


def test_p10_only_the_privacy_officer_keeps_the_register(context: Context) -> None:
    with context.unit_of_work() as uow, pytest.raises(NotPermitted):
        context.breaches.record(uow, StaffMember(2, StaffRole.SUPPORT), draft())
    assert _count(context, breaches) == 0


SHOP = Path(__file__).resolve().parents[2] / "policies" / "webwinkel-voorbeeld.yaml"


@pytest.fixture
def shop(database_url: str, engine: Engine, clock: FixedClock, tmp_path: Path) -> Iterator[Context]:
    """A context under the second provider's policy: a tea shop, no telephony, no public ECS."""
    settings = Settings(
        mode=Mode.TEST, database_url=database_url, var_dir=tmp_path / "var", policy_file=SHOP
    )
    ctx = bootstrap(settings, clock=clock, engine=engine, run_migrations=False)
    yield ctx
    ctx.access_log.flush()


def test_l69_another_provider_without_a_public_ecs_has_72_hours_and_its_own_contact(
    shop: Context,
) -> None:
    assert shop.policy.policy.public_electronic_communications_service is False
    person = customer(shop)
    scope = Scope(activities=("account",))
    with shop.unit_of_work() as uow:
        breach_id = shop.breaches.record(uow, OFFICER, draft(scope=scope, data_categories=()))
        report = shop.breaches.notification(uow, OFFICER, breach_id, "nl")
    row = _row(shop, breach_id)
    assert row.report_hours == 72
    assert row.due_at == datetime(2026, 11, 29, 7, 30, tzinfo=UTC)  # T0-2h, +72h
    assert row.people_count == 1 and person.subject_id
    assert report.document["b_contact"]["email"] == shop.policy.privacy_contact.email
    assert report.document["controller"] != "Flexibelt"


def _high(context: Context, scope: Scope) -> int:
    with context.unit_of_work() as uow:
        return context.breaches.record(uow, OFFICER, draft(risk="high", scope=scope))


WORDS = {
    lang: NoticeWords(happened="h", consequences="c", measures="m", advice="a")
    for lang in ("nl", "en")
}


def test_l71_an_erased_person_in_the_held_logs_is_not_reachable_and_nothing_fails(
    context: Context,
) -> None:
    gone, kept = customer(context), customer(context)
    with context.unit_of_work() as uow:  # both were read: the access log names them
        context.breaches.record(uow, OFFICER, draft())
        context.access.open(uow.single_read(), OFFICER, gone.subject_id, "account")
        context.access.open(uow.single_read(), OFFICER, kept.subject_id, "account")
    context.access_log.flush()
    with context.unit_of_work() as uow:
        context.erasure.erase(uow, OFFICER, gone.subject_id, ground="art. 17(1)(a)")
    with context.unit_of_work() as uow, uow.reading() as connection:
        logs = context.breaches.count(connection, Scope(tables=("access_log",)))
    assert logs.people == 2  # the erased person is still in the held log, by pseudonym
    breach_id = _high(context, Scope(tables=("access_log", "accounts")))
    with context.unit_of_work() as uow:
        done = context.breaches.notify(uow, OFFICER, breach_id, WORDS)
    # two found; the erased person has no address left to write to
    assert (done.queued, done.unreachable) == (1, 1)
    assert _count(context, breach_notices) == 1


def test_l71_a_failure_mid_way_queues_nobody(
    context: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(3):
        customer(context)
    breach_id = _high(context, Scope(tables=("accounts",)))
    calls = []

    def failing(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the second notice fails")
        return breach_notice_text(*args, **kwargs)

    monkeypatch.setattr("privaat.services.breaches.breach_notice_text", failing)
    with context.unit_of_work() as uow, pytest.raises(RuntimeError):
        context.breaches.notify(uow, OFFICER, breach_id, WORDS)
    assert _count(context, breach_notices) == 0
    with context.engine.connect() as connection:
        queued = connection.execute(
            select(func.count()).select_from(outbox).where(outbox.c.template == "breach_notice")
        ).scalar_one()
    assert queued == 0 and _row(context, breach_id).notified_count == 0
