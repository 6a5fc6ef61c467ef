"""W8, HTTP load on the hot endpoints (issue 16 item 5), bounded, on loopback, against real
``privaat serve`` processes; and the audit trail's appends/s under concurrency on PostgreSQL.

    python -m bench.load_bench --people 40 --requests 400 --concurrency 8
    python -m bench.load_bench --people 5 --requests 40 --concurrency 4 --processes 1  # small
    python -m bench.load_bench --database-url postgresql+psycopg://postgres@127.0.0.1/hbench_load

    people   ── signed up through ``ctx.accounts.sign_up`` and logged in through
                ``ctx.sessions.log_in`` (as the other benches do), a telemetry service key
                from ``ctx.telemetry.add_service``
    servers  ── SQLite: one ``privaat serve``; PostgreSQL: ``--processes`` (e.g. 1,2,4)
                ``privaat serve`` processes on their own ports, the client spreading requests
                round-robin over them (no balancer in between), and ``--job-workers``
                processes of ``privaat processors deliver --follow`` (the long-running job
                worker; the consent changes give it notices to claim) beside them
    load     ── httpx's AsyncClient, ``--concurrency`` requests in flight, ``--requests`` of
                each endpoint in turn: log-in (POST /api/v1/session), consent change
                (POST and DELETE /api/v1/consents/email_engagement, alternating), telemetry
                batch (POST /api/v1/telemetry/voip_sync, 20 lines), banner script
                (GET /consent/banner.js), account read (GET /api/v1/account); every answer
                must be its 2xx, anything else counts as an error and is printed
    baseline ── the same client against a FastAPI hello-world (GET /healthz), same
                concurrency, same run
    lock     ── (PostgreSQL) while each endpoint runs, pg_stat_activity sampled every 10 ms:
                of the busy backends, the share waiting on an advisory lock (the audit
                trail's; nothing else here takes one)
    audit    ── (PostgreSQL) ``--audit-threads`` threads appending to the audit trail, each
                append its own transaction (the advisory lock held to commit), beside the
                same threads doing a raw single-row INSERT + COMMIT into a table of the same
                shape without the lock; then the same threads running audited writing
                transactions (``UnitOfWork.writing``: the append, then ``--audit-work``
                single-row INSERTs) beside the same transactions without the append

Each figure is a request's wall time seen by the client (queueing in the client included
once ``--concurrency`` exceeds what the servers take), p50/p99, and requests/s over the
endpoint's whole run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx2 as httpx
import psycopg
from sqlalchemy import Connection, select, text
from sqlalchemy.engine import make_url

from bench.accounts_bench import machine
from bench.footprint_bench import HELLO, spawned
from bench.rights_bench import _free_port
from privaat.bootstrap import Context, bootstrap
from privaat.domain.clock import SystemClock
from privaat.domain.principal import DataSubject, StaffMember, StaffRole
from privaat.domain.subject_requests import Action, RequestKind
from privaat.services.account_commands import AccountCreate
from privaat.services.subject_requests import RequestChannel
from privaat.settings import Mode, Settings
from privaat.store.audit import AuditTrail
from privaat.store.tables import subjects
from privaat.store.unit_of_work import UnitOfWork
from privaat.web.deps import SESSION_COOKIE
from privaat.web.pages.csrf import COOKIE as CSRF_COOKIE

OFFICER = StaffMember(1, StaffRole.PRIVACY_OFFICER)
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

PASSWORD = "load bench wachtwoord"  # noqa: S105  (the bench's own people)
ACTIVITY = "email_engagement"
BATCH_LINES = 20
P50_CONSENT_TARGET_MS = 3.0


@dataclass(frozen=True, slots=True)
class Person:
    email: str
    pseudonym: str
    session: str
    subject_id: int = 0


@dataclass(frozen=True)
class DownloadForm:
    """One person's answer link as the page gives it: the token, and the CSRF cookie and
    field its form carries (one GET each, before the load)."""

    token: str
    cookie: str
    csrf: str


@dataclass
class Figures:
    label: str
    seconds: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    wall: float = 0.0
    lock_wait: str = ""  # PostgreSQL: share of busy backends waiting on the audit lock

    def line(self, base: Figures | None) -> str:
        done = len(self.seconds)
        if not done:
            return f"| {self.label} | — | — | — | {len(self.errors)} | | |"
        ordered = sorted(self.seconds)
        p50 = statistics.median(ordered) * 1000
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
        rate = done / self.wall
        ratio = f"{base.rate / rate:.1f}x" if base is not None and base.seconds else ""
        return (
            f"| {self.label} | {rate:,.0f}/s | {p50:.1f} ms | {p99:.1f} ms "
            f"| {len(self.errors)} | {ratio} | {self.lock_wait} |"
        )

    @property
    def rate(self) -> float:
        return len(self.seconds) / self.wall if self.wall else 0.0


# --- the people -----------------------------------------------------------------------------


def make_people(ctx: Context, count: int) -> list[Person]:
    people = []
    for n in range(count):
        email = f"load.{n}.{os.getpid()}@example.nl"
        command = AccountCreate.model_validate(
            {
                "email": email,
                "password": PASSWORD,
                "name": f"Last Persoon {n}",
                "street": "Oudegracht 1",
                "postal_code": "3511 AA",
                "city": "Utrecht",
                "age_declaration": True,
            }
        )
        with ctx.unit_of_work() as uow:
            outcome = ctx.accounts.sign_up(uow, command, user_agent="load-bench")
        with ctx.unit_of_work() as uow:
            session = ctx.sessions.log_in(
                uow, email=email, password=PASSWORD, ip="127.0.0.1", user_agent="load-bench"
            )
        with ctx.engine.connect() as connection:
            pseudonym = connection.execute(
                select(subjects.c.pseudonym).where(subjects.c.id == outcome.subject_id)
            ).scalar_one()
        people.append(Person(email, pseudonym, session.token, outcome.subject_id or 0))
    return people


def answered(ctx: Context, people: list[Person]) -> list[str]:
    """Each person's access request answered as the privacy officer answers it (the ZIP
    sealed and stored), and the download token its mail carries."""
    for person in people:
        with ctx.unit_of_work() as uow:
            row, _new = ctx.requests.file_for(
                uow, DataSubject(person.subject_id), RequestKind.ACCESS, channel=RequestChannel.API
            )
            ctx.requests.act(uow, OFFICER, row.reference, Action.START)
            ctx.answers.answer(uow, OFFICER, row.reference)
    marker = "/requests/download?token="
    return [
        mail.body.split(marker, 1)[1].split()[0]
        for _id, _template, mail in ctx.outbox.pending()
        if marker in mail.body
    ]


async def download_forms(base: str, tokens: list[str]) -> list[DownloadForm]:
    forms = []
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        for token in tokens:
            page = await client.get("/requests/download", params={"token": token})
            found = _CSRF.search(page.text)
            nonce = page.cookies.get(CSRF_COOKIE) or client.cookies.get(CSRF_COOKIE)
            if found is None or nonce is None:
                raise RuntimeError(f"no download form: {page.status_code} {page.text[:200]}")
            forms.append(DownloadForm(token, f"{CSRF_COOKIE}={nonce}", found.group(1)))
            client.cookies.clear()
    return forms


def service_key(ctx: Context) -> str:
    with ctx.unit_of_work() as uow:
        _info, key = ctx.telemetry.add_service(uow, "load-bench", ["voip_sync"])
    return key


def _batch(pseudonym: str) -> bytes:
    return b"\n".join(
        json.dumps(
            {
                "event_id": str(uuid.uuid4()),
                "subject": pseudonym,
                "at": "2026-11-30T12:00:00Z",
                "ip": "145.97.12.34",
                "device": {"model": "Yealink T54W", "firmware": "96.86.0.70"},
                "network": "wifi",
            },
            separators=(",", ":"),
        ).encode()
        for _ in range(BATCH_LINES)
    )


# --- the load -------------------------------------------------------------------------------

Call = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


async def drive(
    label: str, bases: list[str], call: Call, requests: int, concurrency: int, ok: set[int]
) -> Figures:
    """``requests`` calls with ``concurrency`` in flight, round-robin over ``bases``."""
    figures = Figures(label)
    clients = [
        httpx.AsyncClient(
            base_url=base,
            timeout=60,
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
        )
        for base in bases
    ]
    counter = iter(range(requests))

    async def worker() -> None:
        for n in counter:
            client = clients[n % len(clients)]
            began = time.perf_counter()
            try:
                response = await call(client, n)
            except httpx.HTTPError as error:
                figures.errors.append(f"{type(error).__name__}: {error}")
                continue
            spent = time.perf_counter() - began
            if response.status_code in ok:
                figures.seconds.append(spent)
            else:
                figures.errors.append(f"{response.status_code} {response.text[:200]}")

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    figures.wall = time.perf_counter() - began
    for client in clients:
        await client.aclose()
    return figures


def calls(
    people: list[Person], key: str, downloads: list[DownloadForm]
) -> list[tuple[str, Call, set[int]]]:
    def cookie(n: int) -> dict[str, str]:
        return {"cookie": f"{SESSION_COOKIE}={people[n % len(people)].session}"}

    async def log_in(client: httpx.AsyncClient, n: int) -> httpx.Response:
        person = people[n % len(people)]
        return await client.post(
            "/api/v1/session", json={"email": person.email, "password": PASSWORD}
        )

    async def consent(client: httpx.AsyncClient, n: int) -> httpx.Response:
        # each person alternates give, withdraw, give, ...: every request is a change
        method = "POST" if (n // len(people)) % 2 == 0 else "DELETE"
        return await client.request(method, f"/api/v1/consents/{ACTIVITY}", headers=cookie(n))

    async def telemetry(client: httpx.AsyncClient, n: int) -> httpx.Response:
        return await client.post(
            "/api/v1/telemetry/voip_sync",
            content=_batch(people[n % len(people)].pseudonym),
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/x-ndjson"},
        )

    async def banner(client: httpx.AsyncClient, n: int) -> httpx.Response:
        return await client.get("/consent/banner.js")

    async def account(client: httpx.AsyncClient, n: int) -> httpx.Response:
        return await client.get("/api/v1/account", headers=cookie(n))

    async def download(client: httpx.AsyncClient, n: int) -> httpx.Response:
        form = downloads[n % len(downloads)]
        return await client.post(
            "/requests/download",
            data={"csrf_token": form.csrf, "token": form.token},
            headers={"cookie": form.cookie},
        )

    return [
        ("log-in (POST /api/v1/session)", log_in, {204}),
        (f"consent change (POST/DELETE /api/v1/consents/{ACTIVITY})", consent, {200}),
        (
            f"telemetry batch of {BATCH_LINES} (POST /api/v1/telemetry/voip_sync)",
            telemetry,
            {200, 201, 202, 207},
        ),  # fmt: skip
        ("banner script (GET /consent/banner.js)", banner, {200}),
        ("account read (GET /api/v1/account)", account, {200}),
        ("export download (POST /requests/download, the access answer's ZIP)", download, {200}),
    ]


# --- the servers ----------------------------------------------------------------------------


def _privaat(*args: str) -> list[str]:
    script = Path(sys.executable).with_name("privaat")
    launcher = [str(script)] if script.exists() else [sys.executable, "-m", "privaat"]
    return [*launcher, *args]


def _env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "PRIVAAT_MODE": settings.mode.value,
        "PRIVAAT_DATABASE_URL": settings.database_url,
        "PRIVAAT_VAR_DIR": str(settings.var_dir),
    }


@contextmanager
def servers(settings: Settings, count: int) -> Iterator[list[str]]:
    with ExitStack() as stack:
        bases = []
        for _ in range(count):
            port = _free_port()
            env = _env(settings) | {"PRIVAAT_BASE_URL": f"http://127.0.0.1:{port}"}
            command = _privaat("serve", "--host", "127.0.0.1", "--port", str(port))
            stack.enter_context(spawned(command, env, port))
            bases.append(f"http://127.0.0.1:{port}")
        yield bases


@contextmanager
def job_workers(settings: Settings, count: int) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``count`` processes of ``privaat processors deliver --follow``, the long-running worker
    (it claims due processor notices with SKIP LOCKED; every consent change makes some)."""
    with ExitStack() as stack:
        processes = []
        for _ in range(count):
            process = subprocess.Popen(  # noqa: S603  (our own command)
                _privaat("processors", "deliver", "--follow", "--interval", "0.5"),
                env=_env(settings),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            stack.callback(_stop, process)
            processes.append(process)
        yield processes
        for process in processes:
            if process.poll() is not None:
                message = process.stderr.read().decode()[-300:] if process.stderr else ""
                print(f"ERRORS: a job worker ended early: {message}", flush=True)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=30)
    if process.stderr is not None:
        process.stderr.close()


class LockSampler:
    """Samples pg_stat_activity every 10 ms while an endpoint runs: of the backends busy on
    the bench's database, the share waiting for an advisory lock (the audit trail's)."""

    def __init__(self, url: str | None) -> None:
        self.url = url
        self.busy = self.waiting = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> LockSampler:
        if self.url is not None:
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        assert self.url is not None
        parsed = make_url(self.url)
        dsn = parsed.set(drivername="postgresql").render_as_string(False)
        query = (
            "SELECT count(*) FILTER (WHERE state = 'active'),"
            " count(*) FILTER (WHERE wait_event_type = 'Lock' AND wait_event = 'advisory')"
            " FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"
        )
        with psycopg.connect(dsn, autocommit=True) as connection:
            while not self._stop.wait(0.01):
                row = connection.execute(query, (parsed.database,)).fetchone()
                if row is not None:
                    self.busy += row[0]
                    self.waiting += row[1]

    @property
    def share(self) -> str:
        return f"{self.waiting / self.busy:.0%}" if self.busy else "—"


async def load(
    bases: list[str],
    people: list[Person],
    key: str,
    tokens: list[str],
    requests: int,
    concurrency: int,
    postgres_url: str | None,
) -> list[Figures]:
    results = []
    downloads = await download_forms(bases[0], tokens)
    for label, call, ok in calls(people, key, downloads):
        await drive(label, bases, call, min(requests, 20), concurrency, ok)  # warm
        with LockSampler(postgres_url) as sampler:
            figures = await drive(label, bases, call, requests, concurrency, ok)
        figures.lock_wait = sampler.share
        results.append(figures)
    # W8's latency target is the consent change's own p50, not one queued behind 7 others
    label, call, ok = calls(people, key, downloads)[1]
    alone = await drive(label + ", one in flight", bases, call, requests, 1, ok)
    alone.label += f" (target p50 ≤ {P50_CONSENT_TARGET_MS:g} ms)"
    results.append(alone)
    return results


async def hello(requests: int, concurrency: int) -> Figures:
    port = _free_port()

    async def health(client: httpx.AsyncClient, n: int) -> httpx.Response:
        return await client.get("/healthz")

    with spawned([sys.executable, "-c", HELLO, str(port)], dict(os.environ), port):
        bases = [f"http://127.0.0.1:{port}"]
        await drive("warm", bases, health, 50, concurrency, {200})
        return await drive(
            "baseline: FastAPI hello-world, 1 process (GET /healthz)",
            bases,
            health,
            requests,
            concurrency,
            {200},
        )


# --- the audit trail under concurrency ----------------------------------------------------------


def audit_appends(
    ctx: Context, threads: int, seconds: float, work: int
) -> tuple[float, float, float, float]:
    """Appends/s with ``threads`` appenders, each append its own transaction, and the raw
    baseline; then audited writing transactions/s (``UnitOfWork.writing``: the append, then
    ``work`` more single-row INSERTs, as a consent change's ledger row and listeners follow
    its append) against the same transactions without the append."""
    with ctx.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS bench_raw_audit"))
        connection.execute(
            text(
                "CREATE TABLE bench_raw_audit (seq bigserial PRIMARY KEY, at timestamptz,"
                " actor text, action text, subject_pseudonym text, detail text,"
                " prev_hash bytea, hash bytea)"
            )
        )
    raw_sql = text(
        "INSERT INTO bench_raw_audit (at, actor, action, subject_pseudonym, detail, prev_hash,"
        " hash) VALUES (now(), 'job:load_bench', 'bench.append', NULL, :d,"
        " :h, :h)"
    )

    def append(connection: Connection) -> None:
        AuditTrail.append(
            connection,
            at=datetime.now(UTC),
            actor="job:load_bench",
            action="bench.append",
            subject_pseudonym=None,
            detail={"n": 1},
        )

    def raw_insert(connection: Connection) -> None:
        connection.execute(raw_sql, {"h": os.urandom(32), "d": '{"n":1}'})

    def ours() -> None:
        with ctx.engine.begin() as connection:
            append(connection)

    def raw() -> None:
        with ctx.engine.begin() as connection:
            raw_insert(connection)

    def audited() -> None:
        with UnitOfWork(ctx.engine) as uow, uow.writing() as connection:
            append(connection)
            for _ in range(work):
                raw_insert(connection)

    def unaudited() -> None:
        with UnitOfWork(ctx.engine) as uow, uow.writing() as connection:
            for _ in range(work + 1):
                raw_insert(connection)

    rates = []
    for job in (ours, raw, audited, unaudited):
        done = [0] * threads
        stop = time.perf_counter() + seconds

        def run(
            n: int,
            job: Callable[[], None] = job,
            done: list[int] = done,
            stop: float = stop,
        ) -> None:
            while time.perf_counter() < stop:
                job()
                done[n] += 1

        workers = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
        began = time.perf_counter()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        rates.append(sum(done) / (time.perf_counter() - began))
    with ctx.engine.begin() as connection:
        connection.execute(text("DROP TABLE bench_raw_audit"))
        verdict = AuditTrail.verify(connection)
    if not verdict.ok:
        raise SystemExit(f"the audit trail does not verify after the run: {verdict.reason}")
    return rates[0], rates[1], rates[2], rates[3]


# --- the run --------------------------------------------------------------------------------


def _fresh_postgres(url: str) -> None:
    """Drop and create the database of ``url`` (the bench's own, never a shared one)."""
    parsed = make_url(url)
    name = parsed.database
    if name in {None, "postgres", "test", "test_gw0", "test_gw1"}:
        raise SystemExit(f"refusing to recreate database {name!r}: give the bench its own")
    admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def run(args: argparse.Namespace) -> list[str]:
    lines: list[str] = []

    def say(line: str) -> None:
        lines.append(line)
        print(line, flush=True)

    postgres = args.database_url is not None
    with tempfile.TemporaryDirectory(prefix="privaat-load-bench-") as workdir:
        url = args.database_url or f"sqlite:///{workdir}/privaat.db"
        if postgres:
            _fresh_postgres(url)
        settings = Settings(mode=Mode.TEST, database_url=url, var_dir=f"{workdir}/var")
        ctx = bootstrap(settings, clock=SystemClock())
        try:
            people = make_people(ctx, args.people)
            key = service_key(ctx)
            tokens = answered(ctx, people)
            base = asyncio.run(hello(args.requests, args.concurrency))
            counts = [] if args.skip_http else args.processes if postgres else [1]
            for count in counts:
                workers = args.job_workers if postgres else 0
                with servers(settings, count) as bases, job_workers(settings, workers):
                    results = asyncio.run(
                        load(
                            bases,
                            people,
                            key,
                            tokens,
                            args.requests,
                            args.concurrency,
                            url if postgres else None,
                        )
                    )
                database = "PostgreSQL" if postgres else "SQLite"
                say(
                    f"{database}, {count} app process(es), {workers} job worker(s) "
                    f"(processors deliver --follow), {args.people} people, {args.requests} "
                    f"requests an endpoint, {args.concurrency} in flight"
                )
                say(
                    "| endpoint | throughput | p50 | p99 | errors | hello-world / ours "
                    "| busy backends waiting on the audit lock |"
                )
                say("|---|---|---|---|---|---|---|")
                for figures in results:
                    say(figures.line(base))
                say(base.line(None))
                errors = [e for figures in results for e in figures.errors]
                say(f"errors: {len(errors)}" + (f" — first: {errors[0]}" if errors else ""))
            if postgres and args.audit_threads:
                ours, raw, audited, unaudited = audit_appends(
                    ctx, args.audit_threads, args.audit_seconds, args.audit_work
                )
                say(
                    f"audit trail appends, {args.audit_threads} threads, one transaction each: "
                    f"{ours:,.0f}/s | raw INSERT+COMMIT without the lock {raw:,.0f}/s | "
                    f"ratio {raw / ours:.1f}x"
                )
                say(
                    f"audited writing transactions (the append + {args.audit_work} INSERTs), "
                    f"{args.audit_threads} threads: {audited:,.0f}/s | the same without the "
                    f"append {unaudited:,.0f}/s | ratio {unaudited / audited:.1f}x"
                )
        finally:
            ctx.close()
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=40, help="accounts logged in")
    parser.add_argument("--requests", type=int, default=400, help="timed requests an endpoint")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight")
    parser.add_argument("--database-url", default=None, help="PostgreSQL (recreated!)")
    parser.add_argument(
        "--processes",
        type=lambda value: [int(n) for n in value.split(",")],
        default=[2],
        help="app processes on PostgreSQL, a comma-separated list of runs (e.g. 1,2,4)",
    )
    parser.add_argument("--job-workers", type=int, default=2, help="workers (PostgreSQL)")
    parser.add_argument("--audit-threads", type=int, default=8, help="0: no audit figure")
    parser.add_argument("--audit-seconds", type=float, default=5.0)
    parser.add_argument(
        "--audit-work", type=int, default=5, help="INSERTs after the append in a transaction"
    )
    parser.add_argument(
        "--skip-http", action="store_true", help="PostgreSQL: only the audit figures"
    )
    args = parser.parse_args(argv)
    print(f"machine: {machine()}, load average {os.getloadavg()[0]:.1f}", flush=True)
    run(args)


if __name__ == "__main__":
    main()
