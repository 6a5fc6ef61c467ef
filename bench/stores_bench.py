"""Issue 15: access and erasure for one person spanning three stores (privaat + an external
PostgreSQL billing database + the HTTP webmail API on loopback), and masking held invoices.

    python -m bench.stores_bench --customers 10000 --runs 30 --held 10000
    python -m bench.stores_bench --customers 200 --runs 3 --held 500      # what CI runs

    population ── billing: N other customers with 3 invoices each (PostgreSQL database
                  ``privaat_bench_billing`` on the server of --database-url, else a SQLite
                  file); webmail: N other mailboxes, each with an alias
    one person ── per run a new account (``ctx.accounts.sign_up``), a billing customer with
                  three invoices, a mailbox with an alias, and a request started
    figures    ── p50 over the runs:
                  stores access    ExternalStores.parts, consumed (the connectors: every
                                   table, identity first, references after, rows checked)
                                   vs raw: psycopg SELECTs of the customer and its invoices
                                   + http.client GETs of the mailbox and its aliases
                  stores erasure   ExternalStores.erase (find, mask held rows, delete the
                                   rest, verify, one transaction; HTTP deletes, re-read)
                                   vs raw: the same DELETE/UPDATEs in one transaction + the
                                   HTTP DELETEs
                  access answer    ctx.answers.answer end to end (privaat's own tables, the
                                   two stores, ZIP, sealed, stored, mailed link)
                  erasure request  ctx.rights.erase end to end (stores, privaat, receipt,
                                   certificate signed, letters queued)
                  masking          held invoice rows masked per second: one customer with
                                   --held invoices under the tax hold, erased, vs one raw
                                   UPDATE of the same rows to constants

Targets (issue 15): the stores' access and erasure ≤ 3x the raw calls; masking ≥ 10,000
held rows a second.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from http.client import HTTPConnection
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from sqlalchemy import create_engine, delete, insert, select, text, update
from sqlalchemy.engine import Engine, make_url

from bench.accounts_bench import machine
from privaat.bootstrap import Context, bootstrap
from privaat.demo.external_stores import (
    DEMO_STORES_FILE,
    WEBMAIL_TOKEN,
    Webmail,
    billing_customers,
    billing_invoices,
    billing_metadata,
    start_webmail,
)
from privaat.domain.principal import StaffMember, StaffRole
from privaat.domain.subject_requests import Action, RequestKind
from privaat.services.account_commands import AccountCreate
from privaat.services.connectors import Identity
from privaat.services.subject_requests import RequestChannel
from privaat.settings import Mode, Settings

OFFICER = StaffMember(staff_id=7, role=StaffRole.PRIVACY_OFFICER)
TARGET_RATIO = 3.0
MASK_TARGET = 10_000
_numbers = iter(range(1, 10**9))


def _billing_url(database_url: str | None, workdir: Path) -> str:
    if database_url and database_url.startswith("postgresql"):
        server = make_url(database_url)
        admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("DROP DATABASE IF EXISTS privaat_bench_billing"))
            connection.execute(text("CREATE DATABASE privaat_bench_billing"))
        admin.dispose()
        return server.set(database="privaat_bench_billing").render_as_string(hide_password=False)
    return f"sqlite:///{workdir / 'billing.db'}"


def _populate(billing: Engine, webmail: Webmail, customers: int) -> None:
    billing_metadata.create_all(billing)
    with billing.begin() as connection:
        for start in range(0, customers, 1000):
            rows = [
                {
                    "email": f"other{n}@voorbeeld.nl",
                    "name": f"Klant {n}",
                    "phone": None,
                    "iban": "NL91ABNA0417164300",
                }
                for n in range(start, min(customers, start + 1000))
            ]
            ids = (
                connection.execute(
                    insert(billing_customers).returning(billing_customers.c.id), rows
                )
                .scalars()
                .all()
            )
            invoices = [
                {
                    "customer_id": i,
                    "issued_on": date(2025 - k, 1, 15),
                    "amount_cents": 1000 + k,
                    "name": "Klant",
                    "iban": "NL91ABNA0417164300",
                    "description": "Hosting",
                }
                for i in ids
                for k in range(3)
            ]
            connection.execute(insert(billing_invoices), invoices)
    for n in range(customers):
        webmail.add(f"other{n}@voorbeeld.nl", f"Klant {n}", aliases=[f"o{n}@voorbeeld.nl"])


def _person(
    ctx: Context,
    billing: Engine,
    webmail: Webmail,
    kind: RequestKind,
    *,
    invoices: int = 3,
    distinct: bool = False,
) -> tuple[str, str]:
    n = next(_numbers)
    email = f"bench{n}-{os.getpid()}@voorbeeld.nl"
    command = AccountCreate.model_validate(
        {
            "email": email,
            "name": "Bram Visser",
            "password": "lang-genoeg-wachtwoord",
            "age_declaration": True,
            "language": "nl",
        }
    )
    with ctx.unit_of_work() as uow:
        outcome = ctx.accounts.sign_up(uow, command)
        assert outcome.subject_id is not None
        row, _ = ctx.requests.file_for(
            uow, _principal(outcome.subject_id), kind, channel=RequestChannel.API
        )
        ctx.requests.act(uow, OFFICER, row.reference, Action.START)
    with billing.begin() as connection:
        customer = connection.execute(
            insert(billing_customers)
            .values(email=email, name="Bram Visser", iban="NL91ABNA0417164300")
            .returning(billing_customers.c.id)
        ).scalar_one()
        connection.execute(
            insert(billing_invoices),
            [
                {
                    "customer_id": customer,
                    "issued_on": date(2026 - k % 5, 1, 15),
                    "amount_cents": 1995,
                    "name": f"Bram Visser {k}" if distinct else "Bram Visser",
                    "iban": _iban(k) if distinct else "NL91ABNA0417164300",
                    "description": "VoIP",
                }
                for k in range(invoices)
            ],
        )
    webmail.add(email, "Bram Visser", aliases=[f"b{n}@voorbeeld.nl"])
    return email, row.reference


def _iban(number: int) -> str:
    from stdnum import iban

    body = f"ABNA{number:010d}"
    return "NL" + iban.calc_check_digits("NL00" + body) + body


def _principal(subject_id: int) -> Any:
    from privaat.domain.principal import DataSubject

    return DataSubject(subject_id)


def _ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


@contextmanager
def _timer(into: list[float]) -> Iterator[None]:
    start = time.perf_counter()
    yield
    into.append(time.perf_counter() - start)


def _http(webmail: Webmail, method: str, path: str) -> Any:
    parts = urlsplit(webmail.origin)
    connection = HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=5)
    try:
        connection.request(method, path, headers={"Authorization": f"Bearer {WEBMAIL_TOKEN}"})
        body = connection.getresponse().read()
    finally:
        connection.close()
    return json.loads(body) if body else None


def _raw_access(billing: Engine, webmail: Webmail, email: str) -> int:
    with billing.connect() as connection:
        customers = connection.execute(
            select(billing_customers).where(billing_customers.c.email == email)
        ).all()
        ids = [c.id for c in customers]
        invoices = connection.execute(
            select(billing_invoices).where(billing_invoices.c.customer_id.in_(ids))
        ).all()
    boxes = _http(webmail, "GET", f"/api/mailboxes?address={quote(email)}")["mailboxes"]
    aliases = [_http(webmail, "GET", f"/api/mailboxes/{b['id']}/aliases") for b in boxes]
    return len(customers) + len(invoices) + len(boxes) + len(aliases)


def _raw_erase(billing: Engine, webmail: Webmail, email: str) -> None:
    with billing.begin() as connection:
        [customer] = (
            connection.execute(
                select(billing_customers.c.id).where(billing_customers.c.email == email)
            )
            .scalars()
            .all()
        )
        connection.execute(
            delete(billing_invoices).where(
                billing_invoices.c.customer_id == customer,
                billing_invoices.c.issued_on < date(2019, 1, 1),
            )
        )
        connection.execute(
            update(billing_invoices)
            .where(billing_invoices.c.customer_id == customer)
            .values(name="h:x", iban="NL00MASK0000000000")
        )
        connection.execute(
            update(billing_customers)
            .where(billing_customers.c.id == customer)
            .values(email="h:x", name="h:x", phone=None, iban="NL00MASK0000000000")
        )
    boxes = _http(webmail, "GET", f"/api/mailboxes?address={quote(email)}")["mailboxes"]
    for box in boxes:
        for alias in _http(webmail, "GET", f"/api/mailboxes/{box['id']}/aliases")["aliases"]:
            _http(webmail, "DELETE", f"/api/aliases/{alias['id']}")
        _http(webmail, "DELETE", f"/api/mailboxes/{box['id']}")


def run(
    customers: int,
    runs: int,
    held: int,
    database_url: str | None = None,
    *,
    emit: Callable[[str], None] = print,
) -> list[str]:
    lines: list[str] = []

    def say(line: str) -> None:
        lines.append(line)
        emit(line)

    say(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as workdir:
        work = Path(workdir)
        billing_url = _billing_url(database_url, work)
        billing = create_engine(billing_url)
        webmail = start_webmail()
        try:
            _populate(billing, webmail, customers)
            os.environ["PRIVAAT_DEMO_BILLING_URL"] = billing_url
            os.environ["PRIVAAT_DEMO_WEBMAIL_URL"] = webmail.origin
            settings = Settings(
                mode=Mode.TEST,
                database_url=f"sqlite:///{work / 'privaat.db'}",
                var_dir=work / "var",
                stores_file=DEMO_STORES_FILE,
            )
            ctx = bootstrap(settings)
            try:
                say(
                    f"billing: {make_url(billing_url).get_backend_name()}, {customers} other "
                    f"customers with 3 invoices each; webmail: {customers} other mailboxes"
                )
                lines += _figures(ctx, billing, webmail, runs, held, say)
            finally:
                ctx.close()
        finally:
            webmail.stop()
            billing.dispose()
    return lines


def _figures(
    ctx: Context,
    billing: Engine,
    webmail: Webmail,
    runs: int,
    held: int,
    say: Callable[[str], None],
) -> list[str]:
    ours_read: list[float] = []
    raw_read: list[float] = []
    answers: list[float] = []
    for _ in range(runs):
        email, reference = _person(ctx, billing, webmail, RequestKind.ACCESS)
        identity = Identity({"email": frozenset({email})})
        with _timer(ours_read):
            for part in ctx.stores.parts(identity):
                for _row in part.rows:
                    pass
        with _timer(raw_read):
            _raw_access(billing, webmail, email)
        with ctx.unit_of_work() as uow, _timer(answers):
            ctx.answers.answer(uow, OFFICER, reference)
    ours_erase: list[float] = []
    raw_erase: list[float] = []
    requests: list[float] = []
    with ctx.unit_of_work() as uow, uow.writing() as connection:
        index = ctx.keys.blind_index(connection)

    def keyed(text: str) -> bytes:
        return index.value("mask", text)

    today = ctx.clock.now().date()
    for _ in range(runs):
        email, _reference = _person(ctx, billing, webmail, RequestKind.ERASURE)
        with _timer(ours_erase):
            list(
                ctx.stores.erase(Identity({"email": frozenset({email})}), keyed=keyed, today=today)
            )
        email, _reference = _person(ctx, billing, webmail, RequestKind.ERASURE)
        with _timer(raw_erase):
            _raw_erase(billing, webmail, email)
        _email, reference = _person(ctx, billing, webmail, RequestKind.ERASURE)
        with ctx.unit_of_work() as uow, _timer(requests):
            ctx.rights.erase(uow, OFFICER, reference)
    rows = []
    for name, ours, raw in (
        ("stores access (billing + webmail)", ours_read, raw_read),
        ("stores erasure (billing + webmail)", ours_erase, raw_erase),
    ):
        ratio = _ms(ours) / _ms(raw)
        verdict = "met" if ratio <= TARGET_RATIO else "MISSED"
        rows.append(
            f"{name}: p50 {_ms(ours):.2f} ms vs raw {_ms(raw):.2f} ms = {ratio:.2f}x "
            f"(target <= {TARGET_RATIO:g}x: {verdict})"
        )
    rows.append(f"access answer end to end (privaat + 2 stores, ZIP): p50 {_ms(answers):.1f} ms")
    rows.append(
        f"erasure request end to end (2 stores + privaat + certificate): p50 {_ms(requests):.1f} ms"
    )
    rows.append(_masking(ctx, billing, webmail, held, keyed, today, distinct=False))
    rows.append(_masking(ctx, billing, webmail, held, keyed, today, distinct=True))
    for row in rows:
        say(row)
    return []


def _masking(
    ctx: Context,
    billing: Engine,
    webmail: Webmail,
    held: int,
    keyed: Callable[[str], bytes],
    today: date,
    *,
    distinct: bool,
) -> str:
    email, _ = _person(ctx, billing, webmail, RequestKind.ERASURE, invoices=held, distinct=distinct)
    start = time.perf_counter()
    [_, *rest] = list(
        ctx.stores.erase(Identity({"email": frozenset({email})}), keyed=keyed, today=today)
    )
    ours = time.perf_counter() - start
    other, _ = _person(ctx, billing, webmail, RequestKind.ERASURE, invoices=held, distinct=distinct)
    with billing.begin() as connection:
        customer = connection.execute(
            select(billing_customers.c.id).where(billing_customers.c.email == other)
        ).scalar_one()
        start = time.perf_counter()
        connection.execute(
            update(billing_invoices)
            .where(billing_invoices.c.customer_id == customer)
            .values(name="h:x", iban="NL00MASK0000000000")
        )
        raw = time.perf_counter() - start
    rate, raw_rate = held / ours, held / raw
    verdict = "met" if rate >= MASK_TARGET else "MISSED"
    values = "each its own name and IBAN" if distinct else "one name and IBAN"
    return (
        f"masking {held} held invoice rows, {values} "
        f"(find, mask each field, verify): {rate:,.0f} rows/s "
        f"vs one raw UPDATE to constants {raw_rate:,.0f} rows/s = {raw_rate / rate:.1f}x slower "
        f"(target >= {MASK_TARGET:,} rows/s: {verdict})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000, help="other customers")
    parser.add_argument("--runs", type=int, default=30, help="people per figure")
    parser.add_argument("--held", type=int, default=10_000, help="held invoices to mask")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("PRIVAAT_TEST_DATABASE_URL"),
        help="a PostgreSQL URL: billing is a database of its own on that server",
    )
    args = parser.parse_args()
    run(args.customers, args.runs, args.held, args.database_url)


if __name__ == "__main__":
    main()
