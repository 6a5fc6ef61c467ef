"""W7: the retention sweep over N expired and N live telemetry events (``voip_sync_events``,
the highest-volume event table), beside a raw ``DELETE … WHERE received_at < cutoff`` of the
same rows in the same run; and the longest stall of a concurrent writer during the sweep.

    python -m bench.retention_bench --rows 100000
    python -m bench.retention_bench --rows 10000000        # the issue's 10M + 10M run
    python -m bench.retention_bench --rows 200000 \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

Each backend runs on a fresh database: the table is filled with N events received 120 to 180
days ago (past ``voip_sync_telemetry``'s P90D) and N received 5 to 12 days ago (within it, and
within the 14-day IP step), then, each over a fresh fill,

- raw: one ``DELETE FROM voip_sync_events WHERE received_at < :cutoff`` (one transaction);
- ours: ``RetentionSweeps.sweep`` with the policy's whole plan (every rule of every table,
  the open-request and legal-hold conditions, batches of 2,000 keys, each its own
  transaction, the per-batch evidence rows, the audit entries at the end); on PostgreSQL the
  expired rows wait in the default partition (no month partition was made for them);
- PostgreSQL, ours again with the expired months each in a partition of their own, as a
  deployment that sweeps daily has them: the sweep checks each month and drops it whole.

During ours a writer thread inserts one event at a time, each its own transaction, as the API
would; its longest wait (one insert, begin to commit) is the stall. The targets: ours at least
0.5x the raw delete's rows/s, the stall at most 100 ms. On PostgreSQL the run uses a database
of its own (``privaat_w7_bench``, made afresh beside the named one, dropped after).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from bench.accounts_bench import machine
from privaat.bootstrap import Context, bootstrap
from privaat.domain.clock import SystemClock
from privaat.services.retention import RetentionSweeps
from privaat.settings import Mode, Settings
from privaat.store.crypto import MasterKey
from privaat.store.partitions import ensure_partitions, partitions
from privaat.store.tables import subjects
from privaat.store.tables_telemetry import telemetry_services, voip_sync_events
from privaat.store.unit_of_work import UnitOfWork

TARGET_RATIO, TARGET_STALL_MS = 0.5, 100.0
_PG_BENCH_DB = "privaat_w7_bench"
_SUBJECTS = 1_000
_FILL = 20_000


def _context(workdir: str, url: str | None) -> Context:
    settings = Settings(
        mode=Mode.TEST,
        database_url=url or f"sqlite:///{workdir}/privaat.db",
        var_dir=f"{workdir}/var",
        master_key=MasterKey.generate().to_base64(),
    )
    return bootstrap(settings, clock=SystemClock())


def _pg_admin(url: str) -> Any:
    import psycopg

    target = make_url(url)
    return psycopg.connect(
        host=target.host,
        port=target.port or 5432,
        user=target.username,
        password=target.password,
        dbname=target.database,
        autocommit=True,
    )


def _pg_fresh(url: str) -> str:
    with _pg_admin(url) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {_PG_BENCH_DB} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {_PG_BENCH_DB}")
    return make_url(url).set(database=_PG_BENCH_DB).render_as_string(hide_password=False)


def _pg_drop(url: str) -> None:
    with _pg_admin(url) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {_PG_BENCH_DB} WITH (FORCE)")


def _setup(engine: Engine) -> tuple[int, list[int]]:
    now = datetime.now(UTC)
    with engine.begin() as connection:
        service = connection.execute(
            insert(telemetry_services)
            .values(
                name="w7-bench",
                kinds="voip_sync",
                created_at=now,
                key_hash=os.urandom(32),
            )
            .returning(telemetry_services.c.id)
        ).scalar_one()
        connection.execute(
            insert(subjects),
            [
                {"pseudonym": uuid.uuid4().hex, "created_at": now - timedelta(days=400)}
                for _ in range(_SUBJECTS)
            ],
        )
        people = list(connection.execute(select(subjects.c.id)).scalars())
    return int(service), people


def _event(service: int, subject: int, received: datetime) -> dict[str, Any]:
    return {
        "service_id": service,
        "event_id": str(uuid.uuid4()),
        "subject_id": subject,
        "at": received,
        "received_at": received,
        "ip_enc": b"i" * 40,
        "ip_network_enc": b"n" * 40,
        "device_enc": b"d" * 60,
    }


_OLD_SPREAD = timedelta(days=60)  # expired: 120 to 180 days old, over three months
_NEW_SPREAD = timedelta(days=7)  # live: 5 to 12 days old, inside the 14-day IP window


def _fill(engine: Engine, service: int, people: list[int], rows: int, now: datetime) -> None:
    """N events 120-180 days old, N 5-12 days old, interleaved (as a day's traffic is)."""
    old, new = now - timedelta(days=120), now - timedelta(days=5)
    old_s, new_s = int(_OLD_SPREAD.total_seconds()), int(_NEW_SPREAD.total_seconds())
    for start in range(0, rows, _FILL // 2):
        chunk = range(start, min(rows, start + _FILL // 2))
        batch = []
        for n in chunk:
            person = people[n % len(people)]
            spread = n * 7919  # a prime stride: the times are spread, not in insert order
            batch.append(_event(service, person, old - timedelta(seconds=spread % old_s)))
            batch.append(_event(service, person, new - timedelta(seconds=spread % new_s)))
        with engine.begin() as connection:
            connection.execute(insert(voip_sync_events), batch)


def _months(engine: Engine, now: datetime | None) -> int:
    """PostgreSQL: the month partitions of the event table; with ``now``, first make those
    of the expired events' months (else their rows wait in the default partition)."""
    with engine.begin() as connection:
        if now is not None:
            since = now - timedelta(days=120) - _OLD_SPREAD - timedelta(days=1)
            ensure_partitions(connection, now, since=since)
        return sum(not p.is_default for p in partitions(connection, "voip_sync_events"))


def _count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(select(func.count()).select_from(voip_sync_events)).scalar_one()
        )


class _Writer(threading.Thread):
    """Inserts one event at a time, each its own transaction; records the longest wait."""

    def __init__(self, engine: Engine, service: int, people: list[int]) -> None:
        super().__init__(name="w7-writer", daemon=True)
        self.engine, self.service, self.people = engine, service, people
        self.stop = threading.Event()
        self.waits: list[float] = []
        self.stored = 0
        self.refused = 0  # gave up waiting for the lock (SQLite's busy timeout): a stall too

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            event = _event(self.service, self.people[n % len(self.people)], datetime.now(UTC))
            started = time.perf_counter()
            try:
                with UnitOfWork(self.engine) as uow, uow.writing() as connection:
                    connection.execute(insert(voip_sync_events).values(event))
            except OperationalError:
                self.refused += 1
            else:
                self.stored += 1
            self.waits.append(time.perf_counter() - started)
            n += 1
            time.sleep(0.002)  # an API under load, not a tight loop hogging the lock


@dataclass(frozen=True, slots=True)
class _Run:
    label: str
    rows: int
    seconds: float
    waits: list[float]
    refused: int = 0  # the writer's inserts that gave up waiting for the lock

    @property
    def rate(self) -> float:
        return self.rows / self.seconds


def _raw(engine: Engine, service: int, people: list[int], rows: int) -> _Run:
    """One ``DELETE … WHERE received_at < cutoff`` of the expired rows, one transaction."""
    now = datetime.now(UTC)
    _fill(engine, service, people, rows, now)
    started = time.perf_counter()
    with engine.begin() as connection:
        done = connection.execute(
            delete(voip_sync_events).where(
                voip_sync_events.c.received_at < now - timedelta(days=90)
            )
        ).rowcount
    seconds = time.perf_counter() - started
    with engine.begin() as connection:
        connection.execute(delete(voip_sync_events))
    return _Run("raw DELETE … WHERE received_at < cutoff", done, seconds, [])


def _ours(context: Context, service: int, people: list[int], rows: int, label: str) -> _Run:
    """The sweep over the policy's whole plan, a writer inserting beside it."""
    engine = context.engine
    _fill(engine, service, people, rows, datetime.now(UTC))
    sweeps = RetentionSweeps(
        plan=context.retention.plan, erasure=context.erasure, clock=SystemClock()
    )
    writer = _Writer(engine, service, people)
    writer.start()
    time.sleep(0.05)
    started = time.perf_counter()
    report = sweeps.sweep(context.unit_of_work)
    seconds = time.perf_counter() - started
    writer.stop.set()
    writer.join()
    done = report.counts["voip_sync_telemetry"]["voip_sync_events"]["deleted"]
    left = _count(engine)
    assert left == rows + writer.stored, "every live row and every written row stays"
    with engine.begin() as connection:
        connection.execute(delete(voip_sync_events))
    return _Run(label, done, seconds, writer.waits, writer.refused)


def _backend(rows: int, url: str | None, emit: Callable[[str], None]) -> list[str]:
    name = "PostgreSQL" if url else "SQLite"
    runs: list[_Run] = []
    dropped = 0
    with tempfile.TemporaryDirectory() as workdir:
        fresh = _pg_fresh(url) if url else None
        context = _context(workdir, fresh)
        try:
            engine = context.engine
            service, people = _setup(engine)
            runs.append(_raw(engine, service, people, rows))
            runs.append(_ours(context, service, people, rows, "retention sweep (batches of 2,000)"))
            if url:
                # the same, the expired months each in a partition of their own: dropped whole
                before = _months(engine, datetime.now(UTC))
                label = "retention sweep (month partitions dropped)"
                runs.append(_ours(context, service, people, rows, label))
                dropped = before - _months(engine, None)
        finally:
            context.close()
            if fresh is not None and url is not None:
                _pg_drop(url)
    raw = runs[0]
    assert all(run.rows == rows for run in runs), [(run.label, run.rows) for run in runs]
    lines = [f"W7 {name}: {rows:,} expired + {rows:,} live events"]
    for run in runs:
        lines.append(
            f"| {name} {run.label} | {run.rows:,} rows | {run.seconds:.2f} s | "
            f"{run.rate:,.0f} rows/s |"
        )
    for run in runs[1:]:
        ratio = run.rate / raw.rate
        ok = "meets" if ratio >= TARGET_RATIO else "misses"
        waits = sorted(run.waits)
        stall = waits[-1] * 1000 if waits else 0.0
        p99 = waits[int(len(waits) * 0.99)] * 1000 if waits else 0.0
        ok_stall = "meets" if stall <= TARGET_STALL_MS else "misses"
        lines.append(f"W7 {name} {run.label}: {ratio:.2f}x raw ({ok} the 0.5x target)")
        lines.append(
            f"W7 {name} {run.label}, writer: {len(waits):,} inserts during the sweep, longest "
            f"{stall:.1f} ms, p99 {p99:.1f} ms, {run.refused} gave up waiting for the lock "
            f"({ok_stall} the 100 ms target)"
        )
    if url:
        lines.append(f"W7 {name}: {dropped} month partition(s) dropped")
    for line in lines:
        emit(line)
    return lines


def run(
    rows: int, database_url: str | None = None, *, emit: Callable[[str], None] = print
) -> list[str]:
    lines = [f"machine: {machine()}"]
    emit(lines[0])
    lines += _backend(rows, None, emit)
    if database_url:
        lines += _backend(rows, database_url, emit)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000, help="expired rows (as many live)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("PRIVAAT_TEST_DATABASE_URL"),
        help="a PostgreSQL URL to run there too (its server; the bench makes its own database)",
    )
    args = parser.parse_args()
    run(args.rows, args.database_url)


if __name__ == "__main__":
    main()
