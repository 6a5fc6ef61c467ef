"""W3: telemetry batch ingestion through the full path, beside a raw ``executemany`` of the
same rows in the same run; and the peak memory of streaming a large NDJSON file.

    python -m bench.telemetry_bench --events 1000000 --subjects 10000 --stream-mb 1024
    python -m bench.telemetry_bench --events 200000 \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

On PostgreSQL the run uses a database of its own (``privaat_w3_bench``, made afresh beside
the named one, dropped after) and the baseline is ``COPY ... FROM STDIN`` (psycopg's
``cursor.copy``) of the same rows into a twin table, 5,000 a transaction.

Ours, per batch of 5,000 NDJSON lines of VoIP device-sync events (10 % with a crash log to
scrub): ``Telemetry.authenticate`` (the service's key), ``Telemetry.kind``, then
``Telemetry.ingest`` — what ``POST /api/v1/telemetry/voip_sync`` calls: pydantic validation
of each line, the subjects by pseudonym, the idempotency check, each subject opened once per
batch through the seam (guard + access log), the crash log scrubbed, the coarse location from
the offline GeoIP data, the values encrypted under the subject's key and one ``executemany``
per batch, one transaction each. The baseline: the very rows ours stored, read back and
inserted by ``sqlite3``'s ``executemany`` into a copy of the table (same columns, same unique
index), 5,000 a transaction. The HTTP row posts gzipped NDJSON batches through the whole
ASGI app (in process, no socket), each body under the app's 64 KiB wire limit.

The stream figure runs ``privaat telemetry ingest``'s path (file → gunzip → bounded lines →
batches → ingest) in a fresh process per file size and reports that process's peak RSS:
flat means the same peak for a file four times the size.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from bench.accounts_bench import machine
from privaat.bootstrap import Context, bootstrap
from privaat.domain.clock import SystemClock
from privaat.domain.principal import SystemJob
from privaat.domain.subject import SubjectState
from privaat.services.telemetry import MAX_LINE
from privaat.services.telemetry_lines import gunzip, ndjson_lines
from privaat.settings import Mode, Settings
from privaat.store.crypto import MasterKey

TARGET_RATE, TARGET_RATIO = 100_000, 4.0
BATCH = 5_000
SETUP = SystemJob("telemetry-bench")
_IPS = [f"145.97.{a}.{b}" for a in range(0, 250, 7) for b in range(1, 250, 31)]
_MODELS = ("Yealink T54W", "Gigaset N670", "Snom D785", "Fanvil X6U")
_LOG = (
    "SIP/2.0 408 Request Timeout\nTo: <sip:0612345678@pbx.flexibelt.nl>\n"
    "retry registrar password=hunter22 after 30s; contact jan@example.nl"
)


_PG_BENCH_DB = "privaat_w3_bench"


def _context(workdir: str, master: str, url: str | None = None) -> Context:
    settings = Settings(
        mode=Mode.TEST,
        database_url=url or f"sqlite:///{workdir}/privaat.db",
        var_dir=f"{workdir}/var",
        master_key=master,
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
    """A fresh database of the bench's own beside ``url``'s (never the named one's tables)."""
    with _pg_admin(url) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {_PG_BENCH_DB}")
        admin.execute(f"CREATE DATABASE {_PG_BENCH_DB}")
    return make_url(url).set(database=_PG_BENCH_DB).render_as_string(hide_password=False)


def _pg_drop(url: str) -> None:
    with _pg_admin(url) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {_PG_BENCH_DB} WITH (FORCE)")


def _raw_pg(url: str) -> tuple[float, int]:
    """The rows ours stored, copied again by ``COPY FROM STDIN`` into a twin table."""
    import psycopg

    target = make_url(url)
    with psycopg.connect(
        host=target.host,
        port=target.port or 5432,
        user=target.username,
        password=target.password,
        dbname=target.database,
    ) as raw:
        raw.execute("CREATE TABLE raw_voip (LIKE voip_sync_events INCLUDING DEFAULTS)")
        raw.execute("CREATE UNIQUE INDEX raw_voip_event ON raw_voip (service_id, event_id)")
        raw.execute("CREATE INDEX raw_voip_subject ON raw_voip (subject_id)")
        raw.execute("CREATE INDEX raw_voip_received ON raw_voip (received_at)")
        raw.commit()
        rows = raw.execute("SELECT * FROM voip_sync_events ORDER BY id").fetchall()
        columns = ", ".join(
            d.name for d in raw.execute("SELECT * FROM voip_sync_events LIMIT 0").description or ()
        )
        started = time.perf_counter()
        for first in range(0, len(rows), BATCH):
            with (
                raw.cursor() as cursor,
                cursor.copy(
                    f"COPY raw_voip ({columns}) FROM STDIN"  # noqa: S608 - our own column names
                ) as copy,
            ):
                for row in rows[first : first + BATCH]:
                    copy.write_row(row)
            raw.commit()
        return time.perf_counter() - started, len(rows)


def _subjects(ctx: Context, count: int) -> list[str]:
    pseudonyms = []
    with ctx.unit_of_work() as uow, uow.writing() as connection:
        for _ in range(count):
            opened = ctx.access.create(
                connection, SETUP, "voip_sync_telemetry", state=SubjectState.visitor()
            )
            pseudonyms.append(opened.pseudonym)
    ctx.access_log.flush()
    return pseudonyms


def _lines(pseudonyms: list[str], count: int, seed: int) -> Iterator[bytes]:
    rng = random.Random(seed)
    # a desk phone syncs from its office: one address and one model per person, and one
    # sync in twenty from somewhere else
    home = [(_IPS[i % len(_IPS)], _MODELS[i % len(_MODELS)]) for i in range(len(pseudonyms))]
    for n in range(count):
        who = n % len(pseudonyms)
        ip, model = home[who]
        event = {
            "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "subject": pseudonyms[who],
            "at": "2026-11-30T12:00:00Z",
            "ip": ip if n % 20 else rng.choice(_IPS),
            "device": {"model": model, "firmware": "96.86.0.70"},
            "network": "wifi" if who % 3 else "ethernet",
        }
        if n % 10 == 0:
            event["crash_log"] = _LOG
        yield json.dumps(event, separators=(",", ":")).encode()


def _ours(ctx: Context, key: str, batches: list[list[tuple[int, bytes | None]]]) -> float:
    postgres = ctx.engine.dialect.name == "postgresql"
    started = time.perf_counter()
    for number, batch in enumerate(batches):
        if postgres and number == 1:
            # what autovacuum does for a table that grew from empty: without statistics the
            # planner scans the whole table for each idempotency look-up (measured: 229
            # events/s at 100,000 events); counted in our time
            with ctx.engine.begin() as connection:
                connection.exec_driver_sql("ANALYZE voip_sync_events")
        uow = ctx.unit_of_work()
        with uow:
            service = ctx.telemetry.authenticate(uow, key)
            kind = ctx.telemetry.kind(service, "voip_sync")
            outcomes = ctx.telemetry.ingest(uow, service, kind, batch)
        if outcomes[-1].status.value != "stored":
            raise AssertionError(f"not stored: {outcomes[-1]}")
    ctx.access_log.flush()
    return time.perf_counter() - started


def _raw(database: str) -> tuple[float, int]:
    """The rows ours stored, inserted again by sqlite3's executemany into a twin table."""
    raw = sqlite3.connect(database, isolation_level=None)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("CREATE TABLE raw_voip AS SELECT * FROM voip_sync_events WHERE 0")
    raw.execute("CREATE UNIQUE INDEX raw_voip_event ON raw_voip (service_id, event_id)")
    raw.execute("CREATE INDEX raw_voip_subject ON raw_voip (subject_id)")
    raw.execute("CREATE INDEX raw_voip_received ON raw_voip (received_at)")
    rows = raw.execute("SELECT * FROM voip_sync_events ORDER BY id").fetchall()
    marks = ",".join("?" * len(rows[0]))
    statement = f"INSERT INTO raw_voip VALUES ({marks})"
    started = time.perf_counter()
    for first in range(0, len(rows), BATCH):
        raw.execute("BEGIN IMMEDIATE")
        raw.executemany(statement, rows[first : first + BATCH])
        raw.execute("COMMIT")
    elapsed = time.perf_counter() - started
    raw.close()
    return elapsed, len(rows)


def _http(ctx: Context, key: str, pseudonyms: list[str], count: int) -> float:
    from fastapi.testclient import TestClient

    from privaat.web.app import create_app

    bodies, lines = [], list(_lines(pseudonyms, count, seed=99))
    per_body = 1_000  # ~45 KiB gzipped: under the app's 64 KiB body limit
    for first in range(0, len(lines), per_body):
        bodies.append(gzip.compress(b"\n".join(lines[first : first + per_body]), 6))
    headers = {
        "Authorization": f"Bearer {key}",
        "Content-Type": "application/x-ndjson",
        "Content-Encoding": "gzip",
    }
    with TestClient(create_app(ctx)) as client:
        started = time.perf_counter()
        for body in bodies:
            response = client.post("/api/v1/telemetry/voip_sync", content=body, headers=headers)
            if response.status_code != 200:
                raise AssertionError(f"{response.status_code} {response.text[:200]}")
        return time.perf_counter() - started


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _current_rss_mb() -> float:
    """The resident set now (Linux /proc; the peak figure above cannot go down)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def stream_child(megabytes: float) -> None:
    """In a fresh process: set up, write a gzipped NDJSON file of ``megabytes`` (inflated),
    stream it through the ingest path and print the peak RSS before and after."""
    with tempfile.TemporaryDirectory(prefix="privaat-w3-stream-") as workdir:
        ctx = _context(workdir, MasterKey.generate().to_base64())
        pseudonyms = _subjects(ctx, 200)
        with ctx.unit_of_work() as uow:
            _info, key = ctx.telemetry.add_service(uow, "bench-stream", ["voip_sync"])
        path = Path(workdir) / "big.ndjson.gz"
        target, written, events = int(megabytes * 2**20), 0, 0
        with gzip.open(path, "wb", compresslevel=1) as file:
            for line in _lines(pseudonyms, 10**12, seed=7):
                file.write(line + b"\n")
                written += len(line) + 1
                events += 1
                if written >= target:
                    break
        before = _rss_mb()
        started = time.perf_counter()

        def chunks() -> Iterator[bytes]:
            with path.open("rb") as raw:
                while chunk := raw.read(1 << 20):
                    yield chunk

        stored = 0
        current = _current_rss_mb()
        highest = current
        batch: list[tuple[int, bytes | None]] = []
        for number, line in ndjson_lines(gunzip(chunks()), max_line=MAX_LINE):
            batch.append((number, line))
            if len(batch) == BATCH:
                stored += _ingest(ctx, key, batch)
                batch = []
                highest = max(highest, _current_rss_mb())
        if batch:
            stored += _ingest(ctx, key, batch)
        elapsed = time.perf_counter() - started
        print(
            json.dumps(
                {
                    "mb": written / 2**20,
                    "events": events,
                    "stored": stored,
                    "seconds": elapsed,
                    "rss_before_mb": before,
                    "rss_peak_mb": _rss_mb(),
                    "rss_start_mb": current,
                    "rss_stream_max_mb": highest,
                }
            )
        )
        ctx.close()


def _ingest(ctx: Context, key: str, batch: list[tuple[int, bytes | None]]) -> int:
    uow = ctx.unit_of_work()
    with uow:
        service = ctx.telemetry.authenticate(uow, key)
        outcomes = ctx.telemetry.ingest(
            uow, service, ctx.telemetry.kind(service, "voip_sync"), batch
        )
    return sum(o.status.value == "stored" for o in outcomes)


def _stream(megabytes: float) -> dict[str, float]:
    done = subprocess.run(  # noqa: S603 - this interpreter, this module, a number
        [sys.executable, "-m", "bench.telemetry_bench", "--stream-child", str(megabytes)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run(
    events: int,
    subjects_count: int = 1_000,
    stream_mb: float = 0,
    http: int = 0,
    database_url: str | None = None,
) -> list[str]:
    lines: list[str] = []
    postgres = database_url is not None and database_url.startswith("postgresql")
    url = _pg_fresh(database_url) if postgres and database_url else None
    with tempfile.TemporaryDirectory(prefix="privaat-w3-") as workdir:
        ctx = _context(workdir, MasterKey.generate().to_base64(), url)
        try:
            pseudonyms = _subjects(ctx, subjects_count)
            with ctx.unit_of_work() as uow:
                _info, key = ctx.telemetry.add_service(uow, "bench-sync", ["voip_sync"])
            prepared = list(_lines(pseudonyms, events, seed=1))
            batches = [
                [(n + 1, line) for n, line in enumerate(prepared[first : first + BATCH])]
                for first in range(0, len(prepared), BATCH)
            ]
            del prepared
            ours = _ours(ctx, key, batches)
            raw, rows = _raw_pg(url) if url else _raw(f"{workdir}/privaat.db")
            if rows != events:
                raise AssertionError(f"{rows} rows stored of {events}")
            ours_rate, raw_rate = events / ours, rows / raw
            baseline = "raw COPY" if url else "raw executemany"
            lines.append(
                f"W3 ingest on {'PostgreSQL' if url else 'SQLite'} ({events:,} events, "
                f"{subjects_count:,} subjects, batches of {BATCH:,}): "
                f"ours {ours_rate:,.0f} events/s, {baseline} {raw_rate:,.0f} rows/s, "
                f"ratio {ours / raw:.2f}x (targets >= {TARGET_RATE:,}/s, <= {TARGET_RATIO}x)"
            )
            if http:
                elapsed = _http(ctx, key, pseudonyms, http)
                lines.append(
                    f"W3 over HTTP ({http:,} events, gzipped NDJSON bodies of 1,000): "
                    f"{http / elapsed:,.0f} events/s"
                )
        finally:
            ctx.close()
            if url and database_url:
                _pg_drop(database_url)
    if stream_mb:
        small, large = _stream(stream_mb / 4), _stream(stream_mb)
        for figure in (small, large):
            lines.append(
                f"W3 stream {figure['mb']:,.0f} MB ({figure['events']:,.0f} events, "
                f"{figure['events'] / figure['seconds']:,.0f} events/s): RSS at the start "
                f"{figure['rss_start_mb']:.0f} MB, highest while streaming "
                f"{figure['rss_stream_max_mb']:.0f} MB "
                f"(process peak {figure['rss_peak_mb']:.0f} MB)"
            )
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--subjects", type=int, default=1_000)
    parser.add_argument("--http", type=int, default=0, help="events also posted over HTTP")
    parser.add_argument("--stream-mb", type=float, default=0, help="NDJSON file size to stream")
    parser.add_argument("--stream-child", type=float, default=None, help=argparse.SUPPRESS)
    parser.add_argument(
        "--database-url",
        default=None,
        help="PostgreSQL (postgresql+psycopg://...): the bench makes its own database beside it",
    )
    args = parser.parse_args(argv)
    if args.stream_child is not None:
        stream_child(args.stream_child)
        return
    print(f"machine: {machine()}")
    for line in run(args.events, args.subjects, args.stream_mb, args.http, args.database_url):
        print(line, flush=True)


if __name__ == "__main__":
    main()
