"""The peer's shape (BENCHMARKS.md, "The peer to beat"): 100,000 customers, each with 1
account, 3 orders and 10 events; an access request from filing to a downloadable export,
and an erasure, end to end over HTTP against ``privaat serve`` on loopback, p50 — beside the
peer's 0.35 s and 0.62 s, and a person with 5,010 events erased beside its 14.1 s.

    python -m bench.peer_bench --customers 100000 --samples 15
    python -m bench.peer_bench --customers 300 --samples 2 --big 300   # what CI runs

    population ── bench.audience_bench.populate (accounts, consents, preferences) and, per
                  customer, 3 web shop orders and 10 VoIP device-sync events:
                  bulk-loaded rows (ciphertext-sized random blobs, real keys and
                  indexes), so the tables hold the peer's counts
    one person ── signed up through ``ctx.accounts.sign_up``, 3 orders through
                  ``ctx.shop.check_out`` (lines, fraud score, mail), 10 events through
                  ``ctx.telemetry`` (the ingestion path): the rows the services write
    access      ── over HTTP, as the people do it: the signed-in customer files the request
                  (POST /requests/new), the privacy officer starts and answers it
                  (POST /console/requests/{ref}/act, /answer: collection, ZIP, sealed,
                  mailed), the customer downloads the ZIP (POST /requests/download)
    erasure     ── the customer files it, the officer starts it and erases
                  (POST /console/requests/{ref}/erase: every table, keys destroyed,
                  held rows kept, the receipt)

Each figure is the wall time of those HTTP calls (the server's work and the loopback round
trips), not of the harness's set-up (sessions, CSRF tokens, finding the mailed link). The
peer's figures were measured by its makers' harness on a machine of this kind; its access
figure includes its task worker, ours the officer's two clicks.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2 as httpx
import pyotp
from sqlalchemy import Table, func, select

from bench.accounts_bench import machine
from bench.audience_bench import populate
from bench.rights_bench import _free_port, _server
from privaat.bootstrap import Context, bootstrap
from privaat.domain.clock import SystemClock
from privaat.domain.principal import DataSubject, StaffRole
from privaat.services.account_commands import AccountCreate
from privaat.services.shop import CheckoutCommand
from privaat.settings import Mode, Settings
from privaat.store.tables import metadata, subjects
from privaat.store.tables_requests import subject_requests
from privaat.web.console.access import STAFF_COOKIE
from privaat.web.deps import SESSION_COOKIE

PEER_ACCESS_S = 0.35
PEER_ERASURE_S = 0.62
PEER_BIG_ERASURE_S = 14.1
ORDERS_EACH, EVENTS_EACH = 3, 10
BATCH = 20_000
PASSWORD = "correct horse battery"  # noqa: S105  (the bench's own people)
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_LINK = re.compile(r"/requests/download\?token=([A-Za-z0-9_\-]+)")
_numbers = iter(range(1, 10**9))


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


# --- the population ---------------------------------------------------------------------------


def _filler(table: Table, rng: random.Random, at: str) -> dict[str, Any]:
    """A value for every column of ``table`` the caller does not set: blobs the size of a
    short ciphertext, times, small numbers, short strings (the shape, not the meaning)."""
    values: dict[str, Any] = {}
    for column in table.c:
        if column.primary_key and column.autoincrement is not False:
            continue
        python = None
        try:
            python = column.type.python_type
        except NotImplementedError:
            python = None
        if python is bytes:
            values[column.name] = os.urandom(48)
        elif python is datetime:
            values[column.name] = at
        elif python is bool:
            values[column.name] = False
        elif python is int:
            values[column.name] = rng.randint(1, 9_000)
        else:
            length = getattr(column.type, "length", None) or 16
            values[column.name] = os.urandom(max(1, min(length, 32) // 2)).hex()[:length]
    return values


def _bulk(raw: sqlite3.Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    names = list(rows[0])
    marks = ", ".join("?" for _ in names)
    raw.executemany(
        f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({marks})",  # noqa: S608
        [tuple(row[name] for name in names) for row in rows],
    )


def populate_shape(ctx: Context, database: str, customers: int, seed: int = 5) -> None:
    """``customers`` accounts (audience_bench), then 3 orders and 10 events for each."""
    populate(ctx, database, customers)
    tables = metadata.tables
    orders, events = tables["shop_orders"], tables["voip_sync_events"]
    services = tables["telemetry_services"]
    rng = random.Random(seed)
    at = _stamp(datetime.now(UTC) - timedelta(days=20))
    raw = sqlite3.connect(database, isolation_level=None)
    raw.execute("PRAGMA synchronous=OFF")  # loading only; the timed runs use the defaults
    raw.execute("BEGIN")
    service = _filler(services, rng, at) | {"name": "bench-load", "kinds": "voip_sync"}
    _bulk(raw, services, [service])
    service_id = raw.execute("SELECT max(id) FROM telemetry_services").fetchone()[0]
    raw.execute("COMMIT")
    order_columns = _order_overrides(orders)
    for first in range(1, customers + 1, BATCH):
        raw.execute("BEGIN")
        order_rows, event_rows = [], []
        for sid in range(first, min(first + BATCH, customers + 1)):
            for n in range(ORDERS_EACH):
                row = _filler(orders, rng, at) | {"subject_id": sid}
                row.update({k: v(sid, n) for k, v in order_columns.items()})
                order_rows.append(row)
            for _n in range(EVENTS_EACH):
                row = _filler(events, rng, at) | {"subject_id": sid, "service_id": service_id}
                row["event_id"] = os.urandom(16).hex()
                event_rows.append(row)
        _bulk(raw, orders, order_rows)
        _bulk(raw, events, event_rows)
        raw.execute("COMMIT")
    raw.execute("ANALYZE")
    raw.close()


def _order_overrides(orders: Table) -> dict[str, Any]:
    """Columns of an order that must be unique or of a known vocabulary."""
    overrides: dict[str, Any] = {}
    if "reference" in orders.c:
        overrides["reference"] = lambda sid, n: f"B{sid:07d}{n}"
    for name, value in (("status", "paid"), ("payment_provider", "sisow")):
        if name in orders.c:
            overrides[name] = lambda _sid, _n, value=value: value
    return overrides


# --- one person, through the services -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Person:
    subject_id: int
    email: str


def make_person(ctx: Context, events: int) -> Person:
    """A customer signed up, with 3 orders and ``events`` device-sync events, as the services
    write them."""
    n = next(_numbers)
    email = f"peer.person{n}.{os.getpid()}@example.nl"
    command = AccountCreate.model_validate(
        {
            "email": email,
            "password": PASSWORD,
            "name": f"Peer Persoon {n}",
            "street": "Oudegracht 1",
            "postal_code": "3511 AA",
            "city": "Utrecht",
            "age_declaration": True,
        }
    )
    with ctx.unit_of_work() as uow:
        outcome = ctx.accounts.sign_up(uow, command, user_agent="Firefox")
    assert outcome.subject_id is not None
    person = Person(outcome.subject_id, email)
    give_orders(ctx, person, ORDERS_EACH)
    give_events(ctx, person, events)
    return person


def give_orders(ctx: Context, person: Person, count: int) -> None:
    """``count`` web shop orders, placed through the checkout's service (its fraud score too)."""
    for n in range(count):
        command = CheckoutCommand.model_validate(
            {
                "lines": {"headset-usb": 1 + n},
                "name": "Peer Persoon",
                "street": "Oudegracht 1",
                "postal_code": "3511 AA",
                "city": "Utrecht",
                "email": person.email,
                "provider": "sisow",
            }
        )
        with ctx.unit_of_work() as uow:
            ctx.shop.check_out(uow, command, buyer=DataSubject(person.subject_id), ip="145.97.1.2")


_service_key: dict[int, str] = {}


def give_events(ctx: Context, person: Person, count: int) -> None:
    """``count`` VoIP device-sync events, through the ingestion path in batches of 5,000."""
    if id(ctx) not in _service_key:
        with ctx.unit_of_work() as uow:
            _info, key = ctx.telemetry.add_service(uow, "peer-bench", ["voip_sync"])
        _service_key[id(ctx)] = key
    with ctx.engine.connect() as connection:
        pseudonym = connection.execute(
            select(subjects.c.pseudonym).where(subjects.c.id == person.subject_id)
        ).scalar_one()
    lines = [
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
        for _ in range(count)
    ]
    for first in range(0, count, 5_000):
        batch = [(n + 1, line) for n, line in enumerate(lines[first : first + 5_000])]
        with ctx.unit_of_work() as uow:
            service = ctx.telemetry.authenticate(uow, _service_key[id(ctx)])
            kind = ctx.telemetry.kind(service, "voip_sync")
            outcomes = ctx.telemetry.ingest(uow, service, kind, batch)
        assert all(o.status.value == "stored" for o in outcomes), outcomes[:3]


# --- HTTP -----------------------------------------------------------------------------------


def _token(client: httpx.Client, path: str) -> str:
    found = _CSRF.search(client.get(path).text)
    assert found, f"no form on {path}"
    return found.group(1)


def _customer_client(base: str, ctx: Context, person: Person) -> httpx.Client:
    client = httpx.Client(base_url=base, follow_redirects=False, timeout=120)
    with ctx.unit_of_work() as uow:
        session = ctx.sessions.log_in(
            uow, email=person.email, password=PASSWORD, ip="127.0.0.1", user_agent="bench"
        )
    client.cookies.set(SESSION_COOKIE, session.token)
    return client


def _officer_client(base: str, ctx: Context) -> httpx.Client:
    email = f"officer{os.getpid()}@flexibelt.example"
    with ctx.unit_of_work() as uow:
        enrolment = ctx.staff.create(uow, email=email, role=str(StaffRole.PRIVACY_OFFICER))
        secret = ctx.staff.pending_enrolment(uow, enrolment.token).secret
        totp = pyotp.TOTP(secret)
        # enrolled with the step before this one (within the drift the service allows), so
        # the log-in's code is a newer step and no wait is needed
        earlier = totp.at(datetime.now(UTC) - timedelta(seconds=30))
        ctx.staff.enrol(uow, token=enrolment.token, password=PASSWORD, code=earlier)
    with ctx.unit_of_work() as uow:
        session = ctx.staff.log_in(uow, email=email, password=PASSWORD, code=totp.now(), ip="::1")
    client = httpx.Client(base_url=base, follow_redirects=False, timeout=120)
    client.cookies.set(STAFF_COOKIE, session.token)
    return client


def _newest_reference(ctx: Context, subject_id: int) -> str:
    with ctx.engine.connect() as connection:
        reference: str = connection.execute(
            select(subject_requests.c.reference)
            .where(subject_requests.c.subject_id == subject_id)
            .order_by(subject_requests.c.id.desc())
            .limit(1)
        ).scalar_one()
    return reference


def _mailed_token(ctx: Context, email: str) -> str:
    for _id, _template, mail in reversed(ctx.outbox.pending()):
        if mail.to == email:
            found = _LINK.search(mail.body)
            if found:
                return found.group(1)
    raise AssertionError("no download link mailed")


def _expect(response: httpx.Response, *codes: int) -> httpx.Response:
    if response.status_code not in codes:
        raise AssertionError(
            f"{response.request.url}: {response.status_code} {response.text[:300]}"
        )
    return response


def access_round(ctx: Context, base: str, officer: httpx.Client, person: Person) -> float:
    """Seconds of HTTP for one access request, filed to downloaded."""
    customer = _customer_client(base, ctx, person)
    form = _token(customer, "/requests/new")
    spent = 0.0
    began = time.perf_counter()
    _expect(
        customer.post(
            "/requests/new",
            data={"csrf_token": form, "type": "access", "details": "Welke gegevens hebt u?"},
        ),
        303,
    )
    spent += time.perf_counter() - began
    reference = _newest_reference(ctx, person.subject_id)
    page = f"/console/requests/{reference}"
    for path, data in ((f"{page}/act", {"action": "start"}), (f"{page}/answer", {})):
        token = _token(officer, page)
        began = time.perf_counter()
        _expect(officer.post(path, data={"csrf_token": token, **data}), 200, 303)
        spent += time.perf_counter() - began
    link = _mailed_token(ctx, person.email)
    token = _token(customer, f"/requests/download?token={link}")
    began = time.perf_counter()
    answer = _expect(
        customer.post("/requests/download", data={"csrf_token": token, "token": link}), 200
    )
    spent += time.perf_counter() - began
    assert answer.headers["content-type"] == "application/zip" and len(answer.content) > 1000
    customer.close()
    return spent


def erasure_round(ctx: Context, base: str, officer: httpx.Client, person: Person) -> float:
    """Seconds of HTTP for one erasure request, filed to erased."""
    customer = _customer_client(base, ctx, person)
    form = _token(customer, "/requests/new")
    began = time.perf_counter()
    _expect(
        customer.post(
            "/requests/new",
            data={"csrf_token": form, "type": "erasure", "details": "Verwijder alles."},
        ),
        303,
    )
    spent = time.perf_counter() - began
    customer.close()
    reference = _newest_reference(ctx, person.subject_id)
    page = f"/console/requests/{reference}"
    for path, data in ((f"{page}/act", {"action": "start"}), (f"{page}/erase", {"confirm": "on"})):
        token = _token(officer, page)
        began = time.perf_counter()
        _expect(officer.post(path, data={"csrf_token": token, **data}), 200, 303)
        spent += time.perf_counter() - began
    with ctx.engine.connect() as connection:
        left = connection.execute(
            select(func.count())
            .select_from(metadata.tables["voip_sync_events"])
            .where(metadata.tables["voip_sync_events"].c.subject_id == person.subject_id)
        ).scalar()
    assert left == 0, "the erasure left events behind"
    return spent


# --- the run --------------------------------------------------------------------------------


@contextmanager
def _serving(settings: Settings, workdir: str) -> Iterator[str]:
    port = _free_port()
    env = {
        **os.environ,
        "PRIVAAT_MODE": settings.mode.value,
        "PRIVAAT_DATABASE_URL": settings.database_url,
        "PRIVAAT_VAR_DIR": str(settings.var_dir),
        "PRIVAAT_BASE_URL": f"http://127.0.0.1:{port}",
    }
    command = [sys.executable, "-m", "privaat", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with _server(command, env, port):
        yield f"http://127.0.0.1:{port}"


def _p50(samples: list[float]) -> float:
    return statistics.median(samples)


def run(customers: int, samples: int, big: int, emit: Any = print) -> list[str]:
    lines: list[str] = []

    def say(line: str) -> None:
        lines.append(line)
        emit(line)

    with tempfile.TemporaryDirectory(prefix="privaat-peer-bench-") as workdir:
        database = f"{workdir}/privaat.db"
        settings = Settings(
            mode=Mode.TEST, database_url=f"sqlite:///{database}", var_dir=f"{workdir}/var"
        )
        ctx = bootstrap(settings, clock=SystemClock())
        try:
            began = time.perf_counter()
            populate_shape(ctx, database, customers)
            with ctx.engine.connect() as connection:
                people = connection.execute(select(func.count()).select_from(subjects)).scalar()
                counts = {
                    name: connection.execute(
                        select(func.count()).select_from(metadata.tables[name])
                    ).scalar()
                    for name in ("shop_orders", "voip_sync_events")
                }
            say(
                f"peer shape: {people:,} subjects, {counts['shop_orders']:,} orders, "
                f"{counts['voip_sync_events']:,} events on SQLite "
                f"(loaded in {time.perf_counter() - began:.0f} s)"
            )
            people_a = [make_person(ctx, EVENTS_EACH) for _ in range(samples)]
            people_e = [make_person(ctx, EVENTS_EACH) for _ in range(samples)]
            big_person = make_person(ctx, big)
            with _serving(settings, workdir) as base:
                officer = _officer_client(base, ctx)
                access = [access_round(ctx, base, officer, p) for p in people_a]
                erasure = [erasure_round(ctx, base, officer, p) for p in people_e]
                big_erasure = erasure_round(ctx, base, officer, big_person)
                officer.close()
        finally:
            ctx.close()
    say("| figure | ours p50 | the peer | peer / ours |")
    say("|---|---|---|---|")
    for name, ours, peer in (
        (f"access request, filed → ZIP downloaded (of {samples})", _p50(access), PEER_ACCESS_S),
        (f"erasure request, filed → erased (of {samples})", _p50(erasure), PEER_ERASURE_S),
        (f"erasure of a person with {big:,} events (one run)", big_erasure, PEER_BIG_ERASURE_S),
    ):
        say(f"| {name} | {ours * 1000:.0f} ms | {peer * 1000:.0f} ms | {peer / ours:.1f}x |")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=15, help="people per figure")
    parser.add_argument("--big", type=int, default=5_010, help="events of the big erasure")
    args = parser.parse_args(argv)
    print(f"machine: {machine()}, SQLite {sqlite3.sqlite_version}", flush=True)
    run(args.customers, args.samples, args.big, emit=lambda line: print(line, flush=True))


if __name__ == "__main__":
    main()
