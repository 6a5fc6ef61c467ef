"""Issue 14: a withdrawal's propagation to the processor, and to the guard and the audience —
each beside a raw baseline measured in the same run.

Propagation: customers with a live ``marketing_email`` consent withdraw it one after another
through the real service call (``Consents.withdraw``: the ledger row, the suppression list,
the deliveries queued in the same transaction). A worker thread runs
``ProcessorNotices.deliver`` in a loop (as ``privaat processors deliver --follow`` does, polling
every 20 ms) against a real HTTP receiver on 127.0.0.1 that checks each signature and refuses
the first attempt of every ``--refuse-every``-th delivery with a 500 (so those are retried
after the back-off of 0.5-1 s). Measured per withdrawal: from just before the service call to
the moment the receiver has sent its signed acknowledgement of *both* changes it causes
(``suppressed`` and ``withdrawn``). Target: p99 ≤ 5 s. Baseline: a raw ``http.client`` POST
of the same body to the same receiver, timed to its acknowledgement.

Reflected: from just before the same call, how long until the guard refuses
``marketing_email`` for the person (``SubjectAccess.decide``) and until the person is out of
the marketing audience (``MarketingSelection.audience``, every 10th withdrawal: it walks
every candidate); target ≤ 1 s. Baseline: the raw SQL that reads the person's newest
``marketing_email`` ledger row on a held connection.

    python -m bench.propagation_bench --size 200 [--refuse-every 5]

``--size``: withdrawals timed (customers created). SQLite, a fresh file.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import json
import os
import re
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bench.accounts_bench import machine
from bench.pages_bench import percentiles
from privaat.bootstrap import Context, bootstrap
from privaat.domain.clock import SystemClock
from privaat.domain.marketing import parse_filters
from privaat.domain.principal import DataSubject, StaffMember, StaffRole
from privaat.policy.schema import Policy
from privaat.services.account_commands import AccountCreate
from privaat.services.consents import ConsentMethod, Evidence
from privaat.services.processor_notices import PROCESSORS_JOB
from privaat.settings import Mode, Settings

P99_TARGET_S = 5.0
REFLECTED_TARGET_S = 1.0
SETTING = "PRIVAAT_EMAIL_SERVICE_WEBHOOK_SECRET"
SECRET = "bench-webhook-secret-0123456789abcdef"  # noqa: S105  (the bench receiver's own)
MARKETER = StaffMember(staff_id=1, role=StaffRole.MARKETING)
EVIDENCE = Evidence(ip="145.97.0.1", user_agent="bench")
POLL_S = 0.02


@dataclass
class Receiver:
    """The mail service: verifies, refuses some first attempts, acknowledges, and notes when."""

    refuse_every: int
    seen: dict[str, int] = field(default_factory=dict)  # idempotency key → attempts
    acknowledged: dict[tuple[str, str], float] = field(default_factory=dict)  # (subject, change)
    forged: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    count: int = 0

    def handle(self, key: str, signature: str, body: bytes) -> tuple[int, bytes, str | None]:
        parts = dict(part.split("=", 1) for part in signature.split(","))
        mac = hmac.new(SECRET.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256)
        if not hmac.compare_digest(mac.hexdigest(), parts.get("v1", "")):
            with self.lock:
                self.forged += 1
            return 401, b"bad signature", None
        with self.lock:
            first = key not in self.seen
            if first:
                self.count += 1
            self.seen[key] = self.seen.get(key, 0) + 1
            # the baseline's POSTs (keys raw-N) are never refused: they time one round trip
            refuse = (
                first
                and not key.startswith("raw-")
                and self.refuse_every > 0
                and self.count % self.refuse_every == 0
            )
        if refuse:
            return 500, b"try again", None
        answer = json.dumps({"idempotency_key": key}).encode()
        stamp = str(int(time.time()))
        sig = hmac.new(SECRET.encode(), f"{stamp}.".encode() + answer, hashlib.sha256)
        event = json.loads(body)
        with self.lock:
            self.acknowledged.setdefault((event["subject"], event["change"]), time.time())
        return 200, answer, f"t={stamp},v1={sig.hexdigest()}"


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (the base's name)
            return

        def do_POST(self) -> None:  # noqa: N802  (http.server's hook name)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status, answer, signature = receiver.handle(
                self.headers.get("Idempotency-Key", ""),
                self.headers.get("X-Privaat-Signature", "t=0,v1="),
                body,
            )
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            if signature:
                self.send_header("X-Privaat-Signature", signature)
            self.end_headers()
            self.wfile.write(answer)

    return Handler


@contextmanager
def _serving(receiver: Receiver) -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def _told_at(policy: Policy, url: str) -> Policy:
    recipients = []
    for recipient in policy.recipients:
        notify = recipient.notify
        if recipient.id == "email_service" and notify and notify.webhook:
            webhook = notify.webhook.model_copy(update={"url": url})
            notify = notify.model_copy(update={"webhook": webhook})
            recipient = recipient.model_copy(update={"notify": notify})
        recipients.append(recipient)
    return policy.model_copy(update={"recipients": tuple(recipients)})


@contextmanager
def _worker(ctx: Context) -> Iterator[None]:
    """``privaat processors deliver --follow`` in a thread."""
    stop = threading.Event()

    def follow() -> None:
        with ctx.unit_of_work() as uow:
            while not stop.is_set():
                done = ctx.processors.deliver(uow)
                if not done.acknowledged and not done.failed:
                    time.sleep(POLL_S)

    thread = threading.Thread(target=follow, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)


def _customers(ctx: Context, size: int) -> list[tuple[int, str]]:
    """``size`` customers who ticked marketing e-mail at sign-up: (subject id, pseudonym)."""
    found: list[tuple[int, str]] = []
    for n in range(size):
        command = AccountCreate.model_validate(
            {
                "email": f"bench.{n}@example.nl",
                "password": "benchmark wachtwoord",
                "name": f"Bench {n}",
                "age_declaration": True,
                "consents": ("marketing_email",),
            }
        )
        with ctx.unit_of_work() as uow:
            subject_id = ctx.accounts.sign_up(uow, command).subject_id
        if subject_id is None:
            raise SystemExit("a fresh address was taken")
        with ctx.unit_of_work() as uow, uow.reading() as connection:
            opened = ctx.access.open(connection, PROCESSORS_JOB, subject_id, "rights_handling")
        found.append((subject_id, opened.pseudonym))
    _open_confirmation_links(ctx)
    return found


_CONFIRM_LINK = re.compile(r"/confirm/([\w.-]+)\?lang=")


def _open_confirmation_links(ctx: Context) -> None:
    """Each customer opens the double opt-in link mailed at sign-up (issue 14 item 5): only
    then is the marketing consent given, as in real life."""
    for _id, template, mail in ctx.outbox.pending():
        found = _CONFIRM_LINK.search(mail.body) if template == "confirm_consent" else None
        if found is not None:
            with ctx.unit_of_work() as uow:
                ctx.consents.confirm(uow, found.group(1), evidence=Evidence.none())


def _wait(predicate: Callable[[], bool], timeout: float) -> float | None:
    """Seconds until ``predicate()`` holds, or None after ``timeout``."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if predicate():
            return time.perf_counter() - started
        time.sleep(0.001)
    return None


def _refused(ctx: Context, subject_id: int) -> bool:
    with ctx.unit_of_work() as uow, uow.reading() as connection:
        decision = ctx.access.decide(connection, PROCESSORS_JOB, subject_id, "marketing_email")
    return not decision.allowed


def _left_audience(ctx: Context, subject_id: int) -> bool:
    return subject_id not in _audience(ctx)


def _audience(ctx: Context) -> set[int]:
    with ctx.unit_of_work() as uow:
        return set(ctx.marketing.audience(uow, MARKETER, parse_filters(()), preview=0).subject_ids)


def _raw_posts(port: int, bodies: list[bytes]) -> list[float]:
    """The baseline: the same body POSTed with http.client, timed to the 2xx answer."""
    times: list[float] = []
    for n, body in enumerate(bodies):
        stamp = str(int(time.time()))
        mac = hmac.new(SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
        began = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request(
            "POST",
            "/privaat/events",
            body=body,
            headers={
                "Content-Type": "application/json",
                "Idempotency-Key": f"raw-{n}",
                "X-Privaat-Signature": f"t={stamp},v1={mac}",
            },
        )
        response = connection.getresponse()
        response.read()
        connection.close()
        if response.status != 200:
            raise SystemExit(f"the raw POST was answered {response.status}")
        times.append(time.perf_counter() - began)
    return times


def _raw_newest(connection: sqlite3.Connection, subject_id: int) -> float:
    """The baseline: the person's newest marketing_email row, on a held connection."""
    began = time.perf_counter()
    connection.execute(
        "SELECT given FROM consent_events WHERE subject_id = ? AND activity = ?"
        " ORDER BY id DESC LIMIT 1",
        (subject_id, "marketing_email"),
    ).fetchone()
    return time.perf_counter() - began


def run(size: int, refuse_every: int = 5) -> list[str]:
    """The figures as printed lines."""
    receiver = Receiver(refuse_every=0)  # the sign-ups' gives are not timed: nothing refused
    previous = os.environ.get(SETTING)
    os.environ[SETTING] = SECRET
    try:
        with (
            tempfile.TemporaryDirectory(prefix="privaat-propagation-") as workdir,
            _serving(receiver) as port,
        ):
            database = f"{workdir}/privaat.db"
            settings = Settings(
                mode=Mode.TEST, database_url=f"sqlite:///{database}", var_dir=f"{workdir}/var"
            )
            shipped = bootstrap(settings, clock=SystemClock())
            shipped.close()
            ctx = bootstrap(
                settings,
                clock=SystemClock(),
                record_policy_version=False,  # the shipped text is the recorded one
                policy=_told_at(shipped.policy, f"http://127.0.0.1:{port}/privaat/events"),
            )
            try:
                return _measure(ctx, database, receiver, port, size, refuse_every)
            finally:
                ctx.close()
    finally:
        if previous is None:
            os.environ.pop(SETTING, None)
        else:
            os.environ[SETTING] = previous


def _measure(
    ctx: Context, database: str, receiver: Receiver, port: int, size: int, refuse_every: int
) -> list[str]:
    people = _customers(ctx, size)
    started: dict[str, float] = {}
    guard_s: list[float] = []
    audience_s: list[float] = []
    raw_read_s: list[float] = []
    missed = 0
    with _worker(ctx):
        _wait(lambda: len(receiver.acknowledged) >= size, 60.0)  # the gives, delivered
        receiver.refuse_every = refuse_every
        in_audience = _audience(ctx)
        if not all(subject_id in in_audience for subject_id, _ in people):
            raise SystemExit("a customer with a live opt-in is not in the audience")
        raw_reader = sqlite3.connect(database, check_same_thread=False)
        for n, (subject_id, pseudonym) in enumerate(people):
            started[pseudonym] = time.time()
            began = time.perf_counter()
            with ctx.unit_of_work() as uow:
                ctx.consents.withdraw(
                    uow,
                    DataSubject(subject_id),
                    subject_id,
                    "marketing_email",
                    method=ConsentMethod.PRIVACY_CENTRE,
                    evidence=EVIDENCE,
                )
            back = time.perf_counter() - began
            guard = _wait(partial(_refused, ctx, subject_id), REFLECTED_TARGET_S)
            if guard is None:
                missed += 1
            else:
                guard_s.append(back + guard)
            if n % 10 == 0:  # the audience walks every candidate: a sample of them
                gone = _wait(partial(_left_audience, ctx, subject_id), REFLECTED_TARGET_S)
                if gone is None:
                    missed += 1
                else:
                    audience_s.append(time.perf_counter() - began)
            raw_read_s.append(_raw_newest(raw_reader, subject_id))
            time.sleep(0.02)  # withdrawals arrive at ~25/s, not as one burst
        raw_reader.close()
        _wait(
            lambda: all(
                (p, c) in receiver.acknowledged
                for p in started
                for c in ("withdrawn", "suppressed")
            ),
            60.0,
        )
    latencies = [
        max(receiver.acknowledged[(p, "withdrawn")], receiver.acknowledged[(p, "suppressed")])
        - began_at
        for p, began_at in started.items()
        if (p, "withdrawn") in receiver.acknowledged and (p, "suppressed") in receiver.acknowledged
    ]
    lost = len(started) - len(latencies)
    retried = sum(1 for attempts in receiver.seen.values() if attempts > 1)
    sample = json.dumps(
        {
            "event_id": "0" * 36,
            "type": "privaat.withdrawn",
            "controller": ctx.policy.controller.name,
            "activity": "marketing_email",
            "change": "withdrawn",
            "subject": people[0][1],
            "email": "bench.0@example.nl",
            "occurred_at": "2026-12-03T10:00:00Z",
        },
        sort_keys=True,
        separators=(",", ":"),
    ).encode()
    raw = _raw_posts(port, [sample] * max(size, 20))
    nan = (float("nan"), float("nan"))
    p50, p99 = percentiles(latencies) if len(latencies) > 1 else nan
    r50, r99 = percentiles(raw)
    g50, g99 = percentiles(guard_s) if len(guard_s) > 1 else nan
    a50, a99 = percentiles(audience_s) if len(audience_s) > 1 else nan
    b50, _ = percentiles(raw_read_s)
    verdict = "✔" if p99 <= P99_TARGET_S * 1000 and not lost else "✘"
    reflected = "✔" if not missed and max(g99, a99) <= REFLECTED_TARGET_S * 1000 else "✘"
    return [
        f"propagation: {size:,} withdrawals on SQLite through Consents.withdraw, a worker "
        f"polling every {POLL_S * 1000:.0f} ms, the first attempt of 1 in {refuse_every} "
        f"deliveries refused (500): {retried} deliveries retried, {receiver.forged} bad "
        f"signatures, {lost} not acknowledged",
        f"withdrawal → processor's acknowledgement (both changes): p50 {p50:,.0f} ms, p99 "
        f"{p99:,.0f} ms | raw POST of the same body p50 {r50:.2f} ms, p99 {r99:.2f} ms | "
        f"ratio p50 {p50 / r50:,.0f}x | target p99 ≤ {P99_TARGET_S:g} s {verdict}",
        f"withdrawal → guard refuses marketing_email: p50 {g50:.2f} ms, p99 {g99:.2f} ms; "
        f"→ out of the audience ({len(audience_s)} sampled): p50 {a50:.1f} ms, p99 "
        f"{a99:.1f} ms | raw newest-consent SQL p50 {b50:.3f} ms | ratio guard p50 "
        f"{g50 / b50:,.0f}x | target ≤ {REFLECTED_TARGET_S:g} s {reflected}",
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=200, help="withdrawals to time")
    parser.add_argument(
        "--refuse-every", type=int, default=5, help="refuse the first attempt of every Nth"
    )
    args = parser.parse_args(argv)
    print(f"machine: {machine()}")
    for line in run(args.size, args.refuse_every):
        print(line, flush=True)


if __name__ == "__main__":
    main()
