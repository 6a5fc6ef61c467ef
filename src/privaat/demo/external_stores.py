"""The demo's stores outside privaat (issue 15 item 1): Flexibelt's billing database and its
webmail system's API, so a person's access and erasure span three stores.

    billing   a SQL database (a SQLite file beside privaat's own, or any SQLAlchemy URL):
              customers (e-mail address, name, phone, IBAN) and their invoices (date,
              amount, name and IBAN as invoiced), the invoices under the 7-year tax hold
    webmail   an HTTP/JSON API on loopback (``http.server`` in a daemon thread):
              GET    /api/mailboxes?address=A          {"mailboxes": [...]}
              GET    /api/mailboxes/{id}/aliases       {"aliases": [...]}
              DELETE /api/mailboxes/{id}, /api/aliases/{id}
              a bearer token is required (the stores file sends it)

``policies/stores-demo.yaml`` declares both, reading their addresses from
``PRIVAAT_DEMO_BILLING_URL`` and ``PRIVAAT_DEMO_WEBMAIL_URL``. The webmail stand-in can be
made to misbehave (``delay``, ``wrong_person``, ``fail_status``) for the tests of a store
that times out, answers for someone else, or refuses.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import (
    Column,
    Date,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    insert,
)

__all__ = [
    "DEMO_STORES_FILE",
    "WEBMAIL_TOKEN",
    "Webmail",
    "billing_metadata",
    "seed_billing",
    "start_demo_stores",
    "start_webmail",
]

DEMO_STORES_FILE = Path(__file__).resolve().parent / "stores-demo.yaml"
WEBMAIL_TOKEN = "demo-webmail-token"  # noqa: S105  (the demo stand-in's published token)

billing_metadata = MetaData()
billing_customers = Table(
    "customers",
    billing_metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(320), nullable=False),
    Column("name", String(200)),
    Column("phone", String(40)),
    Column("iban", String(42)),
)
billing_invoices = Table(
    "invoices",
    billing_metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False),
    Column("issued_on", Date, nullable=False),
    Column("amount_cents", Integer, nullable=False),
    Column("name", String(200)),
    Column("iban", String(42)),
    Column("description", String(200)),
)


def seed_billing(url: str, people: Iterable[Mapping[str, Any]], *, today: date) -> int:
    """Create the billing tables and, when empty, a customer with three invoices per person
    (one of them eight years old: its tax hold has ended)."""
    engine = create_engine(url)
    try:
        billing_metadata.create_all(engine)
        with engine.begin() as connection:
            if connection.execute(billing_customers.select().limit(1)).first():
                return 0
            seeded = 0
            for number, person in enumerate(people, start=1):
                seeded = number
                iban = person.get("iban") or _demo_iban(number)
                customer = connection.execute(
                    insert(billing_customers)
                    .values(
                        email=person["email"],
                        name=person.get("name"),
                        phone=person.get("phone"),
                        iban=iban,
                    )
                    .returning(billing_customers.c.id)
                ).scalar_one()
                for years_ago, cents, what in (
                    (0, 1995, "VoIP"),
                    (2, 4750, "Hosting"),
                    (8, 1200, "Webmail"),
                ):
                    connection.execute(
                        insert(billing_invoices).values(
                            customer_id=customer,
                            issued_on=date(today.year - years_ago, 1, 15),
                            amount_cents=cents,
                            name=person.get("name"),
                            iban=iban,
                            description=what,
                        )
                    )
            return seeded
    finally:
        engine.dispose()


def _demo_iban(number: int) -> str:
    from stdnum import iban

    body = f"INGB{number:010d}"
    return "NL" + iban.calc_check_digits("NL00" + body) + body


@dataclass
class Webmail:
    """The webmail system's stand-in: its mailboxes and aliases, in memory."""

    server: ThreadingHTTPServer | None = None
    mailboxes: dict[int, dict[str, Any]] = field(default_factory=dict)
    aliases: dict[int, dict[str, Any]] = field(default_factory=dict)
    delay: float = 0.0  # seconds before each answer (a store that times out)
    wrong_person: bool = False  # every look-up answers with someone else's mailbox too
    fail_status: int | None = None  # every request answered with this status
    fail_deletes: int | None = None  # every DELETE answered with this status
    calls: list[str] = field(default_factory=list)
    _ids: Iterator[int] = field(default_factory=lambda: count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def origin(self) -> str:
        if self.server is None:
            raise RuntimeError("the webmail stand-in is not running")
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def add(self, address: str, name: str, aliases: Iterable[str] = ()) -> int:
        with self._lock:
            mailbox = next(self._ids)
            self.mailboxes[mailbox] = {
                "id": mailbox,
                "address": address,
                "display_name": name,
                "quota_mb": 2048,
            }
            for alias in aliases:
                alias_id = next(self._ids)
                self.aliases[alias_id] = {"id": alias_id, "mailbox_id": mailbox, "alias": alias}
        return mailbox

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def answer(self, method: str, target: str, token: str | None) -> tuple[int, Any]:
        self.calls.append(f"{method} {target}")
        if self.delay:
            time.sleep(self.delay)
        if self.fail_status is not None:
            return self.fail_status, {"error": "unavailable"}
        if method == "DELETE" and self.fail_deletes is not None:
            return self.fail_deletes, {"error": "unavailable"}
        if token != f"Bearer {WEBMAIL_TOKEN}":
            return 401, {"error": "a bearer token is required"}
        parts = urlsplit(target)
        with self._lock:
            if method == "GET" and parts.path == "/api/mailboxes":
                wanted = parse_qs(parts.query).get("address", [""])[0].lower()
                found = [m for m in self.mailboxes.values() if m["address"].lower() == wanted]
                if self.wrong_person and self.mailboxes:
                    found = found + [m for m in self.mailboxes.values() if m not in found][:1]
                return 200, {"mailboxes": found}
            if match := re.fullmatch(r"/api/mailboxes/(\d+)/aliases", parts.path):
                owner = int(match.group(1))
                found = [a for a in self.aliases.values() if a["mailbox_id"] == owner]
                return 200, {"aliases": found}
            if method == "DELETE" and (match := re.fullmatch(r"/api/mailboxes/(\d+)", parts.path)):
                gone = self.mailboxes.pop(int(match.group(1)), None)
                return (204, None) if gone else (404, {"error": "no such mailbox"})
            if method == "DELETE" and (match := re.fullmatch(r"/api/aliases/(\d+)", parts.path)):
                gone = self.aliases.pop(int(match.group(1)), None)
                return (204, None) if gone else (404, {"error": "no such alias"})
        return 404, {"error": "not found"}


def start_webmail(host: str = "127.0.0.1", port: int = 0) -> Webmail:
    """The webmail stand-in, serving in a daemon thread."""
    webmail = Webmail()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            status, body = webmail.answer(
                self.command, self.path, self.headers.get("Authorization")
            )
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_DELETE = _serve  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            """Quiet: the demo's log is privaat's."""

    webmail.server = ThreadingHTTPServer((host, port), Handler)
    webmail.server.daemon_threads = True
    threading.Thread(target=webmail.server.serve_forever, daemon=True).start()
    return webmail


def start_demo_stores(
    var_dir: Path, people: Iterable[Mapping[str, Any]], *, today: date, host: str = "127.0.0.1"
) -> tuple[Webmail, dict[str, str]]:
    """The demo's billing file (seeded once, in ``var_dir``) and webmail stand-in (seeded at
    each start with the billing customers not erased), and the variables the stores file
    reads."""
    var_dir.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{var_dir / 'billing-demo.db'}"
    seed_billing(url, people, today=today)
    webmail = start_webmail(host)
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            for row in connection.execute(billing_customers.select()).mappings():
                address = str(row["email"])
                if "@" in address:  # an erased customer's address is masked (h:…)
                    local = address.split("@")[0]
                    webmail.add(
                        address, str(row["name"] or ""), aliases=[f"{local}.alias@example.nl"]
                    )
    finally:
        engine.dispose()
    environ = {"PRIVAAT_DEMO_BILLING_URL": url, "PRIVAAT_DEMO_WEBMAIL_URL": webmail.origin}
    return webmail, environ
