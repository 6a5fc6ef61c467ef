"""Processors are told (issue 14 item 2; LEGAL L11, P4, P11): each consent, objection and
suppression change reaches the mail service as a signed webhook, retried until it answers
with a signed acknowledgement.

The receiver is a real HTTP server on 127.0.0.1 (``http.server`` in a thread). It checks the
signature with its own few lines of HMAC (not privaat's), applies each change once per
``Idempotency-Key``, and answers as each test scripts it: 500, a hang, a forged or a
mismatched acknowledgement, or a true one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from tests.factories import confirm_consents, customer
from tests.integration.test_console_roles import staff_session
from typer.testing import CliRunner

from privaat.bootstrap import Context, bootstrap
from privaat.domain.clock import Clock, FixedClock, SystemClock
from privaat.domain.principal import DataSubject, StaffRole
from privaat.policy.schema import Policy
from privaat.services.consents import ConsentMethod, Evidence
from privaat.settings import Settings
from privaat.store.tables import audit_log, consent_decisions, consent_events, subjects
from privaat.store.tables_processor_deliveries import (
    processor_deliveries,
    processor_delivery_attempts,
)
from privaat.web.app import create_app
from privaat.web.console.access import STAFF_COOKIE

SECRET = "a-webhook-secret-of-32-characters"
SETTING = "PRIVAAT_EMAIL_SERVICE_WEBHOOK_SECRET"
EVIDENCE = Evidence(ip="145.97.0.9", user_agent="Firefox")


@dataclass
class Receiver:
    """The mail service's endpoint: what it received, what it applied, how it answers."""

    secret: bytes
    clock: Clock  # the receiver's own clock, for the replay window
    script: list[str] = field(default_factory=list)  # one answer per request, then "ack"
    received: list[dict[str, Any]] = field(default_factory=list)
    applied: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> the change
    lock: threading.Lock = field(default_factory=threading.Lock)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/privaat/events"

    def verifies(self, header: str, body: bytes) -> bool:
        parts = dict(part.split("=", 1) for part in header.split(","))
        stamp = int(parts["t"])
        if abs(int(self.clock.now().timestamp()) - stamp) > 300:
            return False  # outside the replay window
        mac = hmac.new(self.secret, f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(mac, parts["v1"])

    def answer(self, key: str, *, signed_with: bytes | None = None) -> tuple[bytes, str]:
        body = json.dumps({"idempotency_key": key}).encode()
        stamp = int(self.clock.now().timestamp())
        mac = hmac.new(signed_with or self.secret, f"{stamp}.".encode() + body, hashlib.sha256)
        return body, f"t={stamp},v1={mac.hexdigest()}"


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (the base's name)
            return

        def do_POST(self) -> None:  # noqa: N802  (http.server's hook name)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            key = self.headers["Idempotency-Key"]
            signed = receiver.verifies(self.headers["X-Privaat-Signature"], body)
            with receiver.lock:
                receiver.received.append(
                    {"key": key, "body": body, "signed": signed, "headers": dict(self.headers)}
                )
                how = receiver.script.pop(0) if receiver.script else "ack"
            if how == "refuse" or not signed:
                self._send(500, b"busy", None)
                return
            if how == "hang":
                time.sleep(1.5)  # longer than the sender's timeout
            with receiver.lock:  # the effect: once per idempotency key, however often sent
                receiver.applied.setdefault(key, json.loads(body))
            if how == "forge":
                answer, _ = receiver.answer(key)
                self._send(200, answer, "t=1,v1=" + "0" * 64)
            elif how == "other_key":
                answer, signature = receiver.answer("not-" + key)
                self._send(200, answer, signature)
            elif how == "wrong_secret":
                answer, signature = receiver.answer(
                    key, signed_with=b"another secret, 32 bytes long"
                )
                self._send(200, answer, signature)
            elif how == "bare":
                self._send(200, b"OK", None)
            else:
                answer, signature = receiver.answer(key)
                self._send(200, answer, signature)

        def _send(self, status: int, body: bytes, signature: str | None) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                if signature:
                    self.send_header("X-Privaat-Signature", signature)
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the sender gave up waiting (the hang)

    return Handler


@pytest.fixture
def receiver(clock: FixedClock) -> Iterator[Receiver]:
    found = Receiver(secret=SECRET.encode(), clock=clock)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(found))
    server.daemon_threads = True
    found.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield found
    server.shutdown()
    server.server_close()


def told_at(policy: Policy, url: str) -> Policy:
    """The shipped policy with the mail service's webhook at ``url`` (the test receiver)."""
    recipients = tuple(
        r.model_copy(
            update={
                "notify": r.notify.model_copy(
                    update={"webhook": r.notify.webhook.model_copy(update={"url": url})}
                )
            }  # type: ignore[union-attr]
        )
        if r.id == "email_service"
        else r
        for r in policy.recipients
    )
    return policy.model_copy(update={"recipients": recipients})


@pytest.fixture
def told(
    settings: Settings,
    engine: Engine,
    clock: FixedClock,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Context]:
    """A Context whose mail service's webhook is the receiver, its secret in the environment."""
    monkeypatch.setenv(SETTING, SECRET)
    shipped = bootstrap(settings, clock=clock, engine=engine, run_migrations=False)
    ctx = bootstrap(
        settings,
        clock=clock,
        engine=engine,
        run_migrations=False,
        policy=told_at(shipped.policy, receiver.url),
    )
    ctx.processors._timeout = 0.5  # noqa: SLF001  (a hang is found out in half a second)
    yield ctx
    ctx.access_log.flush()


def _withdraw(context: Context, subject_id: int, activity: str = "marketing_email") -> None:
    with context.unit_of_work() as uow:
        context.consents.withdraw(
            uow,
            DataSubject(subject_id),
            subject_id,
            activity,
            method=ConsentMethod.PRIVACY_CENTRE,
            evidence=EVIDENCE,
        )


def _give(context: Context, subject_id: int, activity: str = "marketing_email") -> None:
    with context.unit_of_work() as uow:
        context.consents.give(
            uow,
            DataSubject(subject_id),
            subject_id,
            activity,
            lang="nl",
            method=ConsentMethod.PRIVACY_CENTRE,
            evidence=EVIDENCE,
        )
    confirm_consents(context)  # a double opt-in (issue 14 item 5): the link opened


def _rows(context: Context) -> list[Any]:
    with context.engine.connect() as connection:
        return list(
            connection.execute(select(processor_deliveries).order_by(processor_deliveries.c.id))
        )


def _pseudonym(context: Context, subject_id: int) -> str:
    with context.engine.connect() as connection:
        found: str = connection.execute(
            select(subjects.c.pseudonym).where(subjects.c.id == subject_id)
        ).scalar_one()
    return found


def _pass(context: Context) -> tuple[int, int]:
    with context.unit_of_work() as uow:
        done = context.processors.deliver(uow)
    return done.acknowledged, done.failed


def _opted_out(told: Context, clock: FixedClock) -> tuple[Any, list[Any]]:
    """A customer who gave marketing consent and withdrew it a minute later."""
    person = customer(told, email="anna@example.nl")
    _give(told, person.subject_id)
    clock.advance(timedelta(minutes=1))
    _withdraw(told, person.subject_id)
    return person, _rows(told)


# --- queued with the change ----------------------------------------------------------------


def test_l11_a_withdrawal_queues_the_change_and_the_suppression_for_the_mail_service(
    told: Context, clock: FixedClock
) -> None:
    person, rows = _opted_out(told, clock)
    # the give; then the suppression the withdrawal causes (the suppression list listens to
    # the ledger first, L11) and the withdrawal itself, both in the withdrawal's transaction
    assert [(r.recipient, r.channel, r.activity, r.change, r.state) for r in rows] == [
        ("email_service", "webhook", "marketing_email", "given", "pending"),
        ("email_service", "webhook", "marketing_email", "suppressed", "pending"),
        ("email_service", "webhook", "marketing_email", "withdrawn", "pending"),
    ]
    assert all(r.subject_id == person.subject_id and r.attempts == 0 for r in rows)
    # the body holds the address (the mail service must stop mailing it), sealed at rest
    assert all(b"anna@example.nl" not in r.body_enc for r in rows)


def test_l11_the_change_and_its_delivery_are_one_transaction(
    told: Context, clock: FixedClock
) -> None:
    person = customer(told, email="bram@example.nl")

    def fails_after(*_: object) -> None:
        raise RuntimeError("the disk is full")

    told.consents.on_change(fails_after)  # a later listener of the same transaction fails
    with pytest.raises(RuntimeError):
        _give(told, person.subject_id)
    with told.engine.connect() as connection:
        # the give (the double opt-in's confirmation) went with the failed transaction; its
        # request, an earlier transaction, tells no processor and decides nothing
        ledger = connection.execute(
            select(func.count()).select_from(consent_events).where(consent_decisions())
        ).scalar()
    assert ledger == 0
    assert _rows(told) == []


def test_p4_an_objection_to_direct_marketing_reaches_every_direct_marketing_activity(
    told: Context,
) -> None:
    person = customer(told, email="cor@example.nl")
    with told.unit_of_work() as uow:
        told.objections.object(
            uow, DataSubject(person.subject_id), person.subject_id, "marketing_selection"
        )
    # art. 21(3): one objection for all direct marketing; the mail service serves two of them
    assert sorted((r.activity, r.change) for r in _rows(told)) == [
        ("email_engagement", "objected"),
        ("marketing_email", "objected"),
    ]


# --- delivered, signed, acknowledged ---------------------------------------------------------


def test_l11_each_change_reaches_the_receiver_signed_with_a_stable_key_and_is_acknowledged(
    told: Context, clock: FixedClock, receiver: Receiver
) -> None:
    person, rows = _opted_out(told, clock)
    assert _pass(told) == (3, 0)
    assert [r["signed"] for r in receiver.received] == [True, True, True]
    assert [r["key"] for r in receiver.received] == [r.event_id for r in rows]
    withdrawal = json.loads(receiver.received[2]["body"])
    assert withdrawal == {
        "event_id": rows[2].event_id,
        "type": "privaat.withdrawn",
        "controller": told.policy.controller.name,
        "activity": "marketing_email",
        "change": "withdrawn",
        "subject": _pseudonym(told, person.subject_id),
        "email": "anna@example.nl",
        "occurred_at": "2026-11-26T09:31:00Z",
    }
    assert receiver.received[1]["headers"]["Content-Type"] == "application/json"
    after = _rows(told)
    assert [(r.state, r.attempts, r.last_error) for r in after] == [("acknowledged", 1, None)] * 3
    assert all(r.acknowledged_at == clock.now() for r in after)
    assert _pass(told) == (0, 0)  # nothing is sent twice
    assert len(receiver.received) == 3
    # art. 5(2): each acknowledgement in the hash-chained audit trail, by pseudonym only
    with told.engine.connect() as connection:
        entries = connection.execute(
            select(audit_log.c.actor, audit_log.c.subject_pseudonym, audit_log.c.detail)
            .where(audit_log.c.action == "processor.acknowledged")
            .order_by(audit_log.c.seq)
        ).all()
    assert [(e.actor, e.subject_pseudonym) for e in entries] == [
        ("system:processors", _pseudonym(told, person.subject_id))
    ] * 3
    assert [json.loads(e.detail) if isinstance(e.detail, str) else e.detail for e in entries][
        2
    ] == {
        "recipient": "email_service",
        "activity": "marketing_email",
        "change": "withdrawn",
        "event_id": rows[2].event_id,
    }


def test_l11_refused_attempts_are_retried_with_back_off_and_the_same_key(
    told: Context, clock: FixedClock, receiver: Receiver
) -> None:
    person = customer(told, email="dirk@example.nl")
    _give(told, person.subject_id)
    receiver.script = ["refuse", "refuse"]
    assert _pass(told) == (0, 1)
    (row,) = _rows(told)
    assert (row.state, row.attempts, row.last_error) == ("failing", 1, "HTTP 500")
    # 1 s with jitter in [0.5, 1): not before half a second, not after one
    wait = row.next_attempt_at - clock.now()
    assert timedelta(seconds=0.5) <= wait < timedelta(seconds=1)
    assert _pass(told) == (0, 0)  # not due yet: nothing is sent
    clock.advance(timedelta(seconds=1))
    assert _pass(told) == (0, 1)
    (row,) = _rows(told)
    wait = row.next_attempt_at - clock.now()
    assert timedelta(seconds=1) <= wait < timedelta(seconds=2)  # doubled
    clock.advance(timedelta(seconds=2))
    assert _pass(told) == (1, 0)
    (row,) = _rows(told)
    assert (row.state, row.attempts, row.last_error) == ("acknowledged", 3, None)
    assert {r["key"] for r in receiver.received} == {row.event_id}
    assert len(receiver.received) == 3
    assert list(receiver.applied) == [row.event_id]
    with told.engine.connect() as connection:
        attempts = connection.execute(
            select(
                processor_delivery_attempts.c.status, processor_delivery_attempts.c.acknowledged
            ).order_by(processor_delivery_attempts.c.id)
        ).all()
    assert [tuple(a) for a in attempts] == [(500, False), (500, False), (200, True)]


def test_l11_a_hanging_receiver_times_out_and_the_retry_is_applied_once(
    told: Context, clock: FixedClock, receiver: Receiver
) -> None:
    person = customer(told, email="els@example.nl")
    _give(told, person.subject_id)
    receiver.script = ["hang"]
    started = time.monotonic()
    assert _pass(told) == (0, 1)
    assert time.monotonic() - started < 1.4  # the sender stopped waiting at its timeout
    (row,) = _rows(told)
    assert (row.state, row.last_error) == ("failing", "no answer within 0.5 s")
    clock.advance(timedelta(seconds=1))
    time.sleep(1.2)  # the hung request finishes on the receiver's side meanwhile
    assert _pass(told) == (1, 0)
    assert [r["key"] for r in receiver.received] == [row.event_id, row.event_id]
    assert list(receiver.applied) == [row.event_id]  # the change took effect once


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        pytest.param(
            "forge",
            "the acknowledgement's signature does not verify (forged or stale)",
            id="forged-signature",
        ),
        pytest.param(
            "wrong_secret",
            "the acknowledgement's signature does not verify (forged or stale)",
            id="signed-with-another-secret",
        ),
        pytest.param(
            "other_key", "the acknowledgement names another idempotency key", id="other-key"
        ),
        pytest.param("bare", "HTTP 200 without an acknowledgement (no JSON body)", id="bare-200"),
    ],
)
def test_l11_a_forged_or_mismatched_acknowledgement_is_no_acknowledgement(
    told: Context, clock: FixedClock, receiver: Receiver, answer: str, error: str
) -> None:
    person = customer(told, email="fenna@example.nl")
    _give(told, person.subject_id)
    receiver.script = [answer]
    assert _pass(told) == (0, 1)
    (row,) = _rows(told)
    assert (row.state, row.last_error) == ("failing", error)
    clock.advance(timedelta(seconds=1))
    assert _pass(told) == (1, 0)
    assert len(receiver.received) == 2
    assert len(receiver.applied) <= 1  # received twice, applied at most once


def test_l11_a_delivery_without_its_secret_stays_failing_and_names_the_setting(
    told: Context, clock: FixedClock, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SETTING)
    person = customer(told, email="gert@example.nl")
    _give(told, person.subject_id)
    for _ in range(5):
        assert _pass(told) == (0, 1)
        clock.advance(timedelta(hours=1))
    (row,) = _rows(told)
    assert (row.state, row.attempts) == ("failing", 5)
    assert row.last_error == (f"the setting {SETTING} is not set or shorter than 16 bytes")
    assert receiver.received == []  # nothing unsigned ever left
    monkeypatch.setenv(SETTING, SECRET)
    assert _pass(told) == (1, 0)  # never given up: it goes once the secret is there


def test_l11_failures_are_listed_by_the_cli_and_on_the_console(
    told: Context, clock: FixedClock, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = customer(told, email="hanna@example.nl")
    _give(told, person.subject_id)
    receiver.script = ["refuse"]
    _pass(told)
    pseudonym = _pseudonym(told, person.subject_id)
    with TestClient(create_app(told), client=("145.97.0.1", 50000)) as browser:
        browser.cookies.set(STAFF_COOKIE, staff_session(told, clock, StaffRole.PRIVACY_OFFICER))
        page = browser.get("/console/processors")
        assert page.status_code == 200
        assert 'href="/console/processors"' in page.text  # in the menu
        assert "HTTP 500" in page.text and pseudonym[:8] in page.text
        assert "hanna@example.nl" not in page.text
        assert 'id="processors-failing"' in page.text
        browser.cookies.set(STAFF_COOKIE, staff_session(told, clock, StaffRole.MARKETING))
        assert browser.get("/console/processors").status_code == 403


def test_l11_processors_list_shows_the_failing_delivery_with_its_error(
    told: Context,
    clock: FixedClock,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    tmp_path: Any,
) -> None:
    person = customer(told, email="ivo@example.nl")
    _give(told, person.subject_id)
    receiver.script = ["refuse"]
    _pass(told)
    monkeypatch.setenv("PRIVAAT_DATABASE_URL", database_url)
    monkeypatch.setenv("PRIVAAT_MODE", "test")
    monkeypatch.setenv("PRIVAAT_VAR_DIR", str(told.settings.var_dir))
    result = CliRunner().invoke(app_(), ["processors", "list", "--failing", "--json"])
    assert result.exit_code == 0, result.output
    (line,) = result.output.strip().splitlines()
    shown = json.loads(line)
    assert (shown["state"], shown["attempts"], shown["last_error"]) == ("failing", 1, "HTTP 500")
    assert shown["subject"] == _pseudonym(told, person.subject_id)
    assert "ivo@example.nl" not in result.output
    plain = CliRunner().invoke(app_(), ["processors", "list"])
    assert "failing" in plain.output and "HTTP 500" in plain.output
    # Google Analytics is a processor of a consent activity without a notify block
    assert "not told by privaat (no notify block): google_analytics (website_analytics)" in (
        plain.output
    )


def app_() -> Any:
    from privaat.cli import app

    return app


def test_l11_a_fresh_opt_in_after_a_withdrawal_lifts_the_suppression_at_the_processor(
    told: Context, clock: FixedClock
) -> None:
    person, _ = _opted_out(told, clock)
    clock.advance(timedelta(days=1))
    _give(told, person.subject_id)
    assert [r.change for r in _rows(told)] == [
        "given",
        "suppressed",
        "withdrawn",
        "lifted",
        "given",
    ]


def test_l11_two_workers_at_once_post_each_delivery_once(
    told: Context, clock: FixedClock, receiver: Receiver
) -> None:
    for n in range(6):
        person = customer(told, email=f"worker{n}@example.nl")
        _give(told, person.subject_id)
    results: list[tuple[int, int]] = []
    workers = [threading.Thread(target=lambda: results.append(_pass(told))) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sum(acknowledged for acknowledged, _ in results) == 6
    keys = [r["key"] for r in receiver.received]
    assert sorted(keys) == sorted({r.event_id for r in _rows(told)})  # each exactly once


def test_l11_in_production_plain_http_is_refused_and_the_delivery_kept(
    told: Context, receiver: Receiver
) -> None:
    from privaat.settings import Mode

    told.processors._mode = Mode.PRODUCTION  # noqa: SLF001  (the same policy, in production)
    person = customer(told, email="lars@example.nl")
    _give(told, person.subject_id)
    assert _pass(told) == (0, 1)
    (row,) = _rows(told)
    assert (row.state, row.last_error) == (
        "failing",
        "the URL may not be called: must be an https URL",
    )
    assert receiver.received == []


def test_l11_cli_deliver_exits_1_while_failing_and_0_once_acknowledged(
    told: Context,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    tmp_path: Any,
) -> None:
    from privaat.settings import default_policy_file

    shipped = default_policy_file().read_text(encoding="utf-8")
    policy_file = tmp_path / "policy.yaml"  # the shipped policy, its webhook at the receiver
    policy_file.write_text(
        shipped.replace("https://hooks.e-maildienst.example/privaat/v1/events", receiver.url),
        encoding="utf-8",
    )
    person = customer(told, email="mia@example.nl")
    _give(told, person.subject_id)
    receiver.clock = SystemClock()  # the command signs with the real time
    receiver.script = ["refuse"]
    monkeypatch.setenv("PRIVAAT_DATABASE_URL", database_url)
    monkeypatch.setenv("PRIVAAT_MODE", "test")
    monkeypatch.setenv("PRIVAAT_VAR_DIR", str(told.settings.var_dir))
    monkeypatch.setenv("PRIVAAT_POLICY_FILE", str(policy_file))
    failing = CliRunner().invoke(app_(), ["processors", "deliver"])
    assert failing.exit_code == 1, failing.output
    assert failing.output.strip() == "acknowledged 0, failed attempts 1, failing now 1"
    time.sleep(1.0)  # the back-off after the first failure: at most one second
    done = CliRunner().invoke(app_(), ["processors", "deliver"])
    assert done.exit_code == 0, done.output
    assert done.output.strip() == "acknowledged 1, failed attempts 0, failing now 0"
    assert [r["signed"] for r in receiver.received] == [True, True]
    assert len(receiver.applied) == 1


def test_l11_erasure_takes_the_deliveries_and_their_attempts_and_the_export_opens_them(
    told: Context, clock: FixedClock, receiver: Receiver
) -> None:
    from privaat.domain.principal import StaffMember
    from privaat.services.subject_export import SubjectExport

    person, rows = _opted_out(told, clock)
    receiver.script = ["refuse"]
    _pass(told)
    export = SubjectExport(access=told.access, clock=clock)
    with told.unit_of_work() as uow:
        data = export.collect(uow, DataSubject(person.subject_id), person.subject_id)
    exported = next(part for part in data.parts if part.table == "processor_deliveries")
    bodies = [json.loads(row["body"]) for row in exported.rows]
    assert [b["change"] for b in bodies] == ["given", "suppressed", "withdrawn"]
    assert {b["email"] for b in bodies} == {"anna@example.nl"}  # in clear, for the person
    officer = StaffMember(staff_id=1, role=StaffRole.PRIVACY_OFFICER)
    with told.unit_of_work() as uow:
        told.erasure.erase(uow, officer, person.subject_id, ground="art. 17(1)(a)")
    with told.engine.connect() as connection:
        left = connection.execute(select(func.count()).select_from(processor_deliveries)).scalar()
        tried = connection.execute(
            select(func.count()).select_from(processor_delivery_attempts)
        ).scalar()
    assert (left, tried) == (0, 0)


def test_l11_art18_under_a_restriction_the_withdrawal_still_reaches_the_processor(
    told: Context, clock: FixedClock, receiver: Receiver
) -> None:
    from sqlalchemy import update

    person = customer(told, email="noor@example.nl")
    _give(told, person.subject_id)
    with told.engine.begin() as connection:  # art. 18: processing of the person restricted
        connection.execute(
            update(subjects).where(subjects.c.id == person.subject_id).values(restricted=True)
        )
    _withdraw(told, person.subject_id)  # the withdrawal itself is never refused (art. 7(3))
    with told.engine.connect() as connection:
        withdrawn = connection.execute(
            select(func.count())
            .select_from(consent_events)
            .where(consent_events.c.given.is_(False), consent_decisions())
        ).scalar()
    assert withdrawn == 1
    # rights handling goes on during a restriction (art. 18(2)): the processor is told
    assert [(r.change, r.state) for r in _rows(told)] == [
        ("given", "pending"),
        ("suppressed", "pending"),
        ("withdrawn", "pending"),
    ]
    assert _pass(told) == (3, 0)
    assert [json.loads(r["body"])["change"] for r in receiver.received] == [
        "given",
        "suppressed",
        "withdrawn",
    ]


def test_l11_cli_deliver_follow_keeps_delivering_until_interrupted(
    told: Context, receiver: Receiver, database_url: str, tmp_path: Any
) -> None:
    import os
    import signal
    import subprocess
    import sys

    from privaat.settings import default_policy_file

    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(
        default_policy_file()
        .read_text(encoding="utf-8")
        .replace("https://hooks.e-maildienst.example/privaat/v1/events", receiver.url),
        encoding="utf-8",
    )
    receiver.clock = SystemClock()
    receiver.script = ["refuse"]  # the first attempt fails; --follow retries it after ≤ 1 s
    person = customer(told, email="olaf@example.nl")
    _give(told, person.subject_id)
    env = os.environ | {
        "PRIVAAT_DATABASE_URL": database_url,
        "PRIVAAT_MODE": "test",
        "PRIVAAT_VAR_DIR": str(told.settings.var_dir),
        "PRIVAAT_POLICY_FILE": str(policy_file),
        SETTING: SECRET,
    }
    worker = subprocess.Popen(  # noqa: S603  (our own command, fixed arguments)
        [sys.executable, "-m", "privaat", "processors", "deliver", "--follow", "--interval", "0.1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while not receiver.applied and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)  # the acknowledgement recorded
    finally:
        worker.send_signal(signal.SIGINT)
        out, err = worker.communicate(timeout=20)
    assert worker.returncode == 0, err
    assert out.strip() == "acknowledged 1, failed attempts 1, failing now 0"
    assert "Traceback" not in err
    assert len(receiver.received) == 2 and len(receiver.applied) == 1


def test_p11_withdrawing_engagement_tracking_tells_the_mail_service_that_measures_it(
    told: Context, clock: FixedClock, receiver: Receiver
) -> None:
    person = customer(told, email="pim@example.nl")
    _give(told, person.subject_id, "email_engagement")
    clock.advance(timedelta(minutes=1))
    _withdraw(told, person.subject_id, "email_engagement")
    # no suppression: the person may still get marketing mail, only untracked (L18)
    assert [(r.activity, r.change) for r in _rows(told)] == [
        ("email_engagement", "given"),
        ("email_engagement", "withdrawn"),
    ]
    assert _pass(told) == (2, 0)
    told_of = json.loads(receiver.received[1]["body"])
    assert (told_of["activity"], told_of["change"]) == ("email_engagement", "withdrawn")


def test_l11_art18_a_contested_address_still_reaches_the_processor_that_must_stop_mailing_it(
    told: Context, clock: FixedClock, receiver: Receiver
) -> None:
    from tests.integration.test_request_rights_rectification import OFFICER, started

    from privaat.domain.subject_requests import RequestKind

    person, reference = started(told, RequestKind.RESTRICTION)
    _give(told, person.subject_id)
    with told.unit_of_work() as uow:
        told.rights.restrict(uow, OFFICER, reference, categories=["email_address"])
    _withdraw(told, person.subject_id)
    assert _pass(told) == (3, 0)
    withdrawal = json.loads(receiver.received[2]["body"])
    # rights handling goes on under a restriction (art. 18(2)): the mail service still gets
    # the address it must stop mailing
    assert (withdrawal["change"], withdrawal["email"]) == ("withdrawn", person.email)
