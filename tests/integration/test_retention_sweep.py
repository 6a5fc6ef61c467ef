"""The retention sweep (issue 13 item 1; P20, LEGAL L23, L51-L53, L60): expired rows go,
live rows stay, minimisation empties the full IP, holds keep rows, a NULL clock never goes,
the dry run changes nothing, evidence per activity lands in the audit trail, a second sweep
finds nothing, and a running sweep refuses a second one (a stale one is taken over).

Rows are written straight into the tables with placeholder ciphertext: the sweep never opens
a value, it only compares clocks and subject ids."""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, func, insert, select, update
from tests.factories import customer

from privaat.bootstrap import Context
from privaat.domain.clock import FixedClock
from privaat.services.retention import SweepRunning
from privaat.store.tables import (
    accounts,
    audit_log,
    consent_events,
    login_events,
    metadata,
    subjects,
)
from privaat.store.tables_campaigns import campaign_sends, campaigns
from privaat.store.tables_requests import subject_requests
from privaat.store.tables_retention import retention_batches, retention_sweeps
from privaat.store.tables_support import support_case_events, support_cases


def new_subject(connection: Connection, at: datetime, *, legal_hold: bool = False) -> int:
    return int(
        connection.execute(
            insert(subjects)
            .values(pseudonym=secrets.token_hex(16), created_at=at, legal_hold=legal_hold)
            .returning(subjects.c.id)
        ).scalar_one()
    )


def login(connection: Connection, subject_id: int, at: datetime) -> int:
    return int(
        connection.execute(
            insert(login_events)
            .values(
                subject_id=subject_id,
                at=at,
                ip_enc=b"full",
                ip_truncated_enc=b"net",
                device_hash=b"d" * 32,
                new_device=False,
            )
            .returning(login_events.c.id)
        ).scalar_one()
    )


def logins(engine: Engine) -> dict[int, bool]:
    """login id -> whether its full IP is still there."""
    with engine.connect() as connection:
        rows = connection.execute(select(login_events.c.id, login_events.c.ip_enc)).all()
    return {row.id: row.ip_enc is not None for row in rows}


def swept_entries(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(audit_log.c.detail)
            .where(audit_log.c.action == "retention.swept")
            .order_by(audit_log.c.seq)
        ).scalars()
        return [json.loads(detail) for detail in rows]


def test_p20_l23_sweep_deletes_expired_minimises_old_ips_keeps_live(
    context: Context, engine: Engine, clock: FixedClock
) -> None:
    now = clock.now()
    with engine.begin() as connection:
        someone = new_subject(connection, now - timedelta(days=400))
        expired = login(connection, someone, now - timedelta(days=200))  # past P6M
        old_ip = login(connection, someone, now - timedelta(days=40))  # past the P30D step
        fresh = login(connection, someone, now - timedelta(days=10))
    report = context.retention.sweep(context.unit_of_work)
    assert logins(engine) == {old_ip: False, fresh: True}
    assert expired not in logins(engine)
    assert report.counts["datacenter_login_location"]["login_events"] == {
        "deleted": 1,
        "minimised": 1,
    }
    (entry,) = [e for e in swept_entries(engine) if e["activity"] == "datacenter_login_location"]
    assert (entry["deleted"], entry["minimised"], entry["tables"]) == (1, 1, "login_events")
    # nothing personal in the evidence: numbers, the activity, table names, the sweep
    assert set(entry) == {"sweep", "activity", "tables", "deleted", "minimised", "erased"}
    # idempotent: a second sweep right after finds nothing
    again = context.retention.sweep(context.unit_of_work)
    assert again.total == 0
    assert logins(engine) == {old_ip: False, fresh: True}


def test_l60_open_request_and_legal_hold_keep_expired_rows(
    context: Context, engine: Engine, clock: FixedClock
) -> None:
    now = clock.now()
    me = customer(context)
    with engine.begin() as connection:
        held = new_subject(connection, now - timedelta(days=400), legal_hold=True)
        free = new_subject(connection, now - timedelta(days=400))
        kept_by_claim = login(connection, held, now - timedelta(days=200))
        kept_by_request = login(connection, me.subject_id, now - timedelta(days=200))
        gone = login(connection, free, now - timedelta(days=200))
        _open_request(connection, me.subject_id, now)
    context.retention.sweep(context.unit_of_work)
    left = logins(engine)
    assert kept_by_claim in left and kept_by_request in left
    assert gone not in left
    # held rows keep their full IP too (the minimisation honours the holds)
    assert left[kept_by_claim] and left[kept_by_request]


def _open_request(connection: Connection, subject_id: int, now: datetime) -> None:
    """An access request received today and not yet answered (L60: it holds the data)."""
    connection.execute(
        insert(subject_requests).values(
            reference=f"R-{secrets.token_hex(4)}",
            subject_id=subject_id,
            kind="access",
            status="received",
            channel="web",
            received_at=now,
            received_on=now.date(),
            due_on=(now + timedelta(days=30)).date(),
            extended_months=0,
            requester_bidx=secrets.token_bytes(32),
            details_enc=b"x",
        )
    )


def test_p20_a_null_clock_never_goes_and_a_closed_case_goes_a_year_after(
    context: Context, engine: Engine, clock: FixedClock
) -> None:
    now = clock.now()
    with engine.begin() as connection:
        someone = new_subject(connection, now - timedelta(days=900))
        cases = {}
        for name, closed in (("open", None), ("old", now - timedelta(days=400))):
            cases[name] = connection.execute(
                insert(support_cases)
                .values(
                    reference=f"S-{secrets.token_hex(3)}",
                    subject_id=someone,
                    actor="staff:1",
                    channel="email",
                    status="open" if closed is None else "closed",
                    opened_at=now - timedelta(days=800),
                    closed_at=closed,
                    title_enc=b"t",
                    question_enc=b"q",
                    contact_by="email",
                )
                .returning(support_cases.c.id)
            ).scalar_one()
            connection.execute(
                insert(support_case_events).values(
                    case_id=cases[name],
                    subject_id=someone,
                    kind="note",
                    actor="staff:1",
                    at=now - timedelta(days=800),
                    closed_at=closed,
                )
            )
    report = context.retention.sweep(context.unit_of_work)
    with engine.connect() as connection:
        left = set(connection.execute(select(support_cases.c.id)).scalars())
        events = connection.execute(select(func.count()).select_from(support_case_events))
        assert events.scalar_one() == 1
    assert left == {cases["open"]}
    assert report.counts["support_desk"]["support_cases"] == {"deleted": 1}


def _dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as connection:
        return {
            table.name: sorted((tuple(row) for row in connection.execute(select(table))), key=repr)
            for table in metadata.sorted_tables
        }


def test_p20_dry_run_reports_what_would_go_and_changes_nothing(
    context: Context, engine: Engine, clock: FixedClock
) -> None:
    now = clock.now()
    with engine.begin() as connection:
        someone = new_subject(connection, now - timedelta(days=400))
        login(connection, someone, now - timedelta(days=300))
        login(connection, someone, now - timedelta(days=200))
        login(connection, someone, now - timedelta(days=40))
    before = _dump(engine)
    with context.unit_of_work() as uow:
        lines = context.retention.preview(uow)
    assert _dump(engine) == before
    shown = {(line.activity, line.table, line.action): line for line in lines if line.rows}
    deleted = shown["datacenter_login_location", "login_events", "deleted"]
    assert deleted.rows == 2
    assert deleted.oldest == now - timedelta(days=300)
    # the minimisation counts every full IP past 30 days, the expired ones too
    assert shown["datacenter_login_location", "login_events", "minimised"].rows == 3


def test_p20_a_second_sweep_while_one_runs_is_refused_a_stale_one_is_finished(
    context: Context, engine: Engine, clock: FixedClock
) -> None:
    now = clock.now()
    with engine.begin() as connection:
        sweep_id = connection.execute(
            insert(retention_sweeps)
            .values(
                started_at=now - timedelta(minutes=1),
                heartbeat_at=now - timedelta(seconds=10),
                worker="elsewhere:1",
                dry_run=False,
                status="running",
            )
            .returning(retention_sweeps.c.id)
        ).scalar_one()
        # the killed worker had done a batch: its count is kept
        connection.execute(
            insert(retention_batches).values(
                sweep_id=sweep_id,
                activity="datacenter_login_location",
                table_name="login_events",
                action="deleted",
                rows=5,
            )
        )
        someone = new_subject(connection, now - timedelta(days=400))
        login(connection, someone, now - timedelta(days=200))
    with pytest.raises(SweepRunning, match="a sweep started at .* is still running"):
        context.retention.sweep(context.unit_of_work)
    assert len(logins(engine)) == 1  # nothing changed
    with engine.begin() as connection:  # the worker died: its heartbeat goes stale
        connection.execute(
            update(retention_sweeps).values(heartbeat_at=now - timedelta(minutes=10))
        )
    report = context.retention.sweep(context.unit_of_work)
    assert report.resumed and report.sweep_id == sweep_id
    assert logins(engine) == {}
    (entry,) = [e for e in swept_entries(engine) if e["activity"] == "datacenter_login_location"]
    assert entry["deleted"] == 6  # the killed worker's 5 and this run's 1
    with engine.connect() as connection:
        status = connection.execute(select(retention_sweeps.c.status)).scalar_one()
    assert status == "finished"


def test_l52_a_closed_account_past_its_period_is_erased_a_recent_one_kept(
    context: Context, engine: Engine, clock: FixedClock
) -> None:
    now = clock.now()
    old, recent, active = customer(context), customer(context), customer(context)
    with engine.begin() as connection:
        for person, days in ((old, 31), (recent, 29)):
            connection.execute(
                update(accounts)
                .where(accounts.c.subject_id == person.subject_id)
                .values(status="closed", closed_at=now - timedelta(days=days))
            )
    report = context.retention.sweep(context.unit_of_work)
    assert report.counts["account"]["accounts"] == {"erased": 1}
    with engine.connect() as connection:
        left = set(connection.execute(select(accounts.c.subject_id)).scalars())
        erased = connection.execute(
            select(func.count())
            .select_from(audit_log)
            .where(audit_log.c.action == "subject.erased")
        ).scalar_one()
    assert left == {recent.subject_id, active.subject_id}
    assert erased == 1


def _consent(connection: Connection, subject_id: int, given: bool, at: datetime) -> None:
    connection.execute(
        insert(consent_events).values(
            subject_id=subject_id,
            activity="marketing_email",
            given=given,
            consent_version=1,
            text_sha256="0" * 64,
            channel="account_preferences",
            at=at,
        )
    )


def test_p20_kept_until_consent_is_withdrawn_then_the_period_runs_from_the_withdrawal(
    context: Context, engine: Engine, clock: FixedClock
) -> None:
    now = clock.now()
    long_ago = now - timedelta(days=90)
    with engine.begin() as connection:
        campaign = connection.execute(
            insert(campaigns)
            .values(name="Najaar", content="{}", links="[]", created_at=long_ago)
            .returning(campaigns.c.id)
        ).scalar_one()
        sends = {}
        for name, withdrawn_days_ago in (("consenting", None), ("recent", 10), ("past", 40)):
            person = new_subject(connection, long_ago)
            _consent(connection, person, True, long_ago)
            if withdrawn_days_ago is not None:
                _consent(connection, person, False, now - timedelta(days=withdrawn_days_ago))
            sends[name] = connection.execute(
                insert(campaign_sends)
                .values(
                    campaign_id=campaign,
                    subject_id=person,
                    queued_at=now - timedelta(days=60),
                    lang="nl",
                    tracked=False,
                )
                .returning(campaign_sends.c.id)
            ).scalar_one()
    context.retention.sweep(context.unit_of_work)
    with engine.connect() as connection:
        left = set(connection.execute(select(campaign_sends.c.id)).scalars())
        proofs = connection.execute(select(func.count()).select_from(consent_events))
        assert proofs.scalar_one() == 5  # the consent log keeps its proof for five years
    # marketing_email: 30 days after the withdrawal; a send of a consenting person stays
    assert left == {sends["consenting"], sends["recent"]}
