"""Two retention workers at once on PostgreSQL (issue 13 item 1; P20): every expired row is
gone, every live row stays, and the evidence adds up exactly to the rows removed — nothing
done twice, nothing missed (``FOR UPDATE SKIP LOCKED``). SQLite has one writer: skipped."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, insert, select

from privaat.bootstrap import Context
from privaat.domain.clock import FixedClock
from privaat.services.retention import RetentionSweeps
from privaat.store.tables import audit_log, login_events, subjects
from privaat.store.tables_retention import retention_batches

EXPIRED, LIVE = 6_000, 1_500


@pytest.mark.database("postgresql")  # several workers share a sweep on PostgreSQL only
def test_p20_two_workers_on_postgresql_take_every_expired_row_once(
    context: Context, engine: Engine, clock: FixedClock
) -> None:
    now = clock.now()
    with engine.begin() as connection:
        people = [
            connection.execute(
                insert(subjects)
                .values(pseudonym=secrets.token_hex(16), created_at=now - timedelta(days=400))
                .returning(subjects.c.id)
            ).scalar_one()
            for _ in range(30)
        ]
        rows = [
            {
                "subject_id": people[n % len(people)],
                "at": now - timedelta(days=200 if n < EXPIRED else 10, seconds=n),
                "ip_enc": b"full",
                "ip_truncated_enc": b"net",
                "device_hash": b"d" * 32,
                "new_device": False,
            }
            for n in range(EXPIRED + LIVE)
        ]
        connection.execute(insert(login_events), rows)
    # small batches, so the two workers interleave many times over the same table
    sweeps = RetentionSweeps(
        plan=context.retention.plan, erasure=context.erasure, clock=clock, batch=50
    )
    report = sweeps.sweep(context.unit_of_work, workers=2)
    with engine.connect() as connection:
        ages = connection.execute(select(login_events.c.at)).scalars().all()
        batches = connection.execute(
            select(func.count(), func.sum(retention_batches.c.rows)).where(
                retention_batches.c.table_name == "login_events",
                retention_batches.c.action == "deleted",
            )
        ).one()
        details = connection.execute(
            select(audit_log.c.detail).where(audit_log.c.action == "retention.swept")
        ).scalars()
        entries = [json.loads(detail) for detail in details]
    assert len(ages) == LIVE and all(at > now - timedelta(days=11) for at in ages)
    assert batches[1] == EXPIRED and batches[0] >= EXPIRED // 50  # every row in one batch
    assert report.counts["datacenter_login_location"]["login_events"] == {"deleted": EXPIRED}
    (entry,) = [e for e in entries if e["activity"] == "datacenter_login_location"]
    assert entry["deleted"] == EXPIRED
