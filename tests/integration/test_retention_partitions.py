"""PostgreSQL: the high-volume event tables are partitioned by month, and the retention sweep
drops a month whole when every row of it is due (issue 13 item 1; P20, L51, L60).

A month holding one row that must stay (a legal hold, an event received late) is not dropped:
the sweep's batches take its other rows. The evidence is the same either way: the rows
removed, per activity and table, in ``retention_batches`` and the audit trail.

Rows are written straight into the tables with placeholder ciphertext: the sweep never opens a
value. The fixture clock is 2026-11-26; login events go after six months (P6M), VoIP
telemetry 90 days after receipt."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Connection, Engine, func, insert, select, text
from tests.integration.test_retention_sweep import login, new_subject, swept_entries

from privaat.bootstrap import Context
from privaat.domain.clock import FixedClock
from privaat.store.partitions import (
    MONTHS_AHEAD,
    PARTITIONED,
    ensure_partitions,
    is_partitioned,
    partitions,
)
from privaat.store.tables import login_events
from privaat.store.tables_telemetry import telemetry_services, voip_sync_events

# months wholly before 2026-11-26 minus six months (May 26, 09:30) and minus 90 days (Aug 28)
MARCH = datetime(2026, 3, 1, tzinfo=UTC)
APRIL = datetime(2026, 4, 1, tzinfo=UTC)
MAY = datetime(2026, 5, 1, tzinfo=UTC)
pytestmark = pytest.mark.database("postgresql")  # SQLite deletes in batches


@pytest.fixture
def engine_pg(engine: Engine) -> Iterator[Engine]:
    """The PostgreSQL fixture database; the months a test makes are dropped after it, so the
    tests that count batches (test_retention_cli, _workers) never meet a month to drop."""
    with engine.connect() as connection:
        migrated = {p.name for table in PARTITIONED for p in partitions(connection, table)}
    yield engine
    with engine.begin() as connection:
        for table in PARTITIONED:
            for month in partitions(connection, table):
                if month.name not in migrated:
                    connection.execute(text(f'DROP TABLE "{month.name}"'))


def _months(engine: Engine, table: str) -> list[str]:
    with engine.connect() as connection:
        return [p.name for p in partitions(connection, table)]


def _ready(engine: Engine, since: datetime, now: datetime) -> None:
    with engine.begin() as connection:
        ensure_partitions(connection, now, since=since)


def test_l51_every_event_table_is_partitioned_with_months_ready_and_a_default(
    engine_pg: Engine,
) -> None:
    this_month = datetime.now(UTC).strftime("%Y%m")
    with engine_pg.connect() as connection:
        for table in PARTITIONED:
            assert is_partitioned(connection, table), table
            found = partitions(connection, table)
            names = [p.name for p in found]
            # the month of the migration, the MONTHS_AHEAD after it, and the default last
            assert f"{table}_p{this_month}" in names
            assert len([p for p in found if not p.is_default]) >= 1 + MONTHS_AHEAD
            assert names[-1] == f"{table}_default" and found[-1].is_default


def test_l51_a_month_wholly_due_is_dropped_whole_and_counted(
    context: Context, engine_pg: Engine, clock: FixedClock
) -> None:
    now = clock.now()
    _ready(engine_pg, MARCH, now)
    with engine_pg.begin() as connection:
        someone = new_subject(connection, MARCH)
        for day in (1, 15, 30):
            login(connection, someone, APRIL + timedelta(days=day - 1))
        login(connection, someone, MARCH + timedelta(days=3))
        late_may = login(connection, someone, MAY + timedelta(days=27))  # not due yet
        recent = login(connection, someone, now - timedelta(days=10))
    report = context.retention.sweep(context.unit_of_work)

    months = _months(engine_pg, "login_events")
    assert "login_events_p202603" not in months and "login_events_p202604" not in months
    # May is not wholly past the cutoff, the live month is live: both stay
    assert "login_events_p202605" in months and "login_events_p202611" in months
    with engine_pg.connect() as connection:
        left = connection.execute(select(login_events.c.id)).scalars().all()
    assert sorted(left) == sorted([late_may, recent])
    # the same evidence as a row delete: four rows of the activity, in the audit trail too
    assert report.counts["datacenter_login_location"]["login_events"]["deleted"] == 4
    (entry,) = [e for e in swept_entries(engine_pg) if e["activity"] == "datacenter_login_location"]
    assert entry["deleted"] == 4
    # the next sweep finds nothing and makes no month it dropped again
    assert context.retention.sweep(context.unit_of_work).total == 0
    assert "login_events_p202604" not in _months(engine_pg, "login_events")


def test_l60_a_held_row_keeps_its_month_and_the_free_rows_go_by_batches(
    context: Context, engine_pg: Engine, clock: FixedClock
) -> None:
    _ready(engine_pg, APRIL, clock.now())
    with engine_pg.begin() as connection:
        held = new_subject(connection, APRIL, legal_hold=True)
        free = new_subject(connection, APRIL)
        kept = login(connection, held, APRIL + timedelta(days=3))
        gone = [login(connection, free, APRIL + timedelta(days=d)) for d in (4, 5)]
    report = context.retention.sweep(context.unit_of_work)

    assert "login_events_p202604" in _months(engine_pg, "login_events")
    with engine_pg.connect() as connection:
        left = set(connection.execute(select(login_events.c.id)).scalars())
    assert kept in left and not left & set(gone)
    assert report.counts["datacenter_login_location"]["login_events"]["deleted"] == 2


def _service(connection: Connection, at: datetime) -> int:
    return int(
        connection.execute(
            insert(telemetry_services)
            .values(
                name=f"pbx-{secrets.token_hex(3)}",
                kinds="voip_sync",
                created_at=at,
                key_hash=secrets.token_bytes(32),
            )
            .returning(telemetry_services.c.id)
        ).scalar_one()
    )


def _voip(
    connection: Connection, service: int, subject: int, at: datetime, received: datetime
) -> None:
    connection.execute(
        insert(voip_sync_events).values(
            service_id=service,
            event_id=secrets.token_hex(16),
            subject_id=subject,
            at=at,
            received_at=received,
            ip_network_enc=b"net",
            device_enc=b"device",
        )
    )


def test_l51_a_month_with_an_event_received_late_is_not_dropped(
    context: Context, engine_pg: Engine, clock: FixedClock
) -> None:
    # telemetry goes 90 days after receipt, the month is that of the event's own time: an
    # event from May that a phone sent only last week keeps May's partition
    now = clock.now()
    _ready(engine_pg, MAY, now)
    with engine_pg.begin() as connection:
        service = _service(connection, MAY)
        someone = new_subject(connection, MAY)
        _voip(connection, service, someone, MAY + timedelta(days=2), MAY + timedelta(days=2))
        _voip(connection, service, someone, MAY + timedelta(days=3), now - timedelta(days=7))
    context.retention.sweep(context.unit_of_work)

    assert "voip_sync_events_p202605" in _months(engine_pg, "voip_sync_events")
    with engine_pg.connect() as connection:
        received = connection.execute(select(voip_sync_events.c.received_at)).scalars().all()
    assert received == [now - timedelta(days=7)]


def test_dry_run_counts_what_a_drop_would_remove_and_drops_nothing(
    context: Context, engine_pg: Engine, clock: FixedClock
) -> None:
    _ready(engine_pg, APRIL, clock.now())
    with engine_pg.begin() as connection:
        someone = new_subject(connection, APRIL)
        login(connection, someone, APRIL + timedelta(days=1))
    with context.unit_of_work() as uow:
        lines = context.retention.preview(uow)
    (line,) = [x for x in lines if x.table == "login_events" and x.action == "deleted"]
    assert line.rows == 1
    assert "login_events_p202604" in _months(engine_pg, "login_events")


def test_a_month_whose_rows_wait_in_the_default_partition_is_not_made(
    engine_pg: Engine, clock: FixedClock
) -> None:
    # a row of a month without a partition lands in the default; PostgreSQL would refuse the
    # month's partition then, so it is left out and the row goes by the batches
    old = datetime(2025, 3, 10, tzinfo=UTC)
    with engine_pg.begin() as connection:
        someone = new_subject(connection, old)
        login(connection, someone, old)
        made = ensure_partitions(connection, clock.now(), since=datetime(2025, 2, 1, tzinfo=UTC))
        in_default = connection.execute(
            text("SELECT count(*) FROM login_events_default")
        ).scalar_one()
    assert "login_events_p202502" in made and "login_events_p202504" in made
    assert "login_events_p202503" not in made
    assert in_default == 1
    with engine_pg.connect() as connection:
        assert connection.execute(select(func.count()).select_from(login_events)).scalar() == 1
