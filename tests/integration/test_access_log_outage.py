"""Issue 5 item 4: nothing read goes unlogged. A batch whose write fails goes back in front of
the buffer and arrives with the next flush; the buffer is bounded and counts what it drops."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import OperationalError

from privaat.domain.clock import FixedClock
from privaat.services.access_log import AccessLog
from privaat.store.fastpath import BulkInsert
from privaat.store.tables import access_log


def entries(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(access_log)).scalar_one())


def record(log: AccessLog, n: int) -> None:
    for k in range(n):
        log.record(
            actor="self", activity="account", subject_pseudonym=f"{k:032x}", operation="read"
        )


def test_item4_an_engine_that_fails_once_then_recovers_loses_no_entry(
    engine: Engine, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = AccessLog(engine, clock, batch_size=2)
    record(log, 5)
    real_run = BulkInsert.run
    calls = 0

    def fail_on_the_second_batch(self: BulkInsert, connection: Any, rows: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise OperationalError("INSERT", {}, Exception("server closed the connection"))
        real_run(self, connection, rows)

    monkeypatch.setattr(BulkInsert, "run", fail_on_the_second_batch)
    with pytest.raises(OperationalError):
        log.flush()
    assert entries(engine) == 2  # the first batch is in
    assert log.pending() == 3  # the rest waits, in order, for the next flush
    assert log.due()
    assert log.flush() == 3
    assert entries(engine) == 5 and log.pending() == 0 and log.dropped == 0


def test_item4_a_long_outage_drops_the_oldest_entries_beyond_the_bound_and_counts_them(
    engine: Engine, clock: FixedClock
) -> None:
    log = AccessLog(engine, clock, max_pending=3)
    record(log, 5)
    assert log.pending() == 3 and log.dropped == 2


def test_record_never_writes_even_when_a_batch_is_due(engine: Engine, clock: FixedClock) -> None:
    """It runs inside the caller's transaction: a write of its own there would wait on it."""
    log = AccessLog(engine, clock, batch_size=1)
    record(log, 3)
    clock.advance(timedelta(seconds=5))
    record(log, 1)
    assert entries(engine) == 0 and log.due()
    assert log.flush() == 4


def test_item4_the_apps_flusher_survives_a_failed_write_and_writes_later(
    context: Any, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from fastapi.testclient import TestClient

    from privaat.web.app import create_app

    log = context.access_log
    real_flush = log.flush
    failures = 0

    def flaky_flush() -> int:
        nonlocal failures
        if failures == 0:
            failures += 1
            raise OperationalError("INSERT", {}, Exception("connection refused"))
        return int(real_flush())

    monkeypatch.setattr(log, "flush", flaky_flush)
    with TestClient(create_app(context)):
        record(log, 2)
        clock.advance(timedelta(seconds=5))
        deadline = time.monotonic() + 6
        while (log.pending() or failures == 0) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert failures == 1 and log.pending() == 0
    assert entries(context.engine) == 2
