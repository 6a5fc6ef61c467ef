"""The privacy mailbox killed around its ``250`` (issue 16 item 3; LEGAL L54, RFC 5321 §6.1):
``privaat mail serve`` runs as a real subprocess, a real SMTP client (``smtplib``) sends to it,
and the server gets SIGKILL; then it is started again.

- killed the moment the client has read ``250``: the request is there after the restart, with
  the reference the 250 named, its mail and its acknowledgement: a mail accepted is never lost
  (the 250 goes out only after the commit).
- killed while the mail's transaction is open, before any 250 (the test holds the lock the
  intake's audit entry needs, PostgreSQL's advisory lock or SQLite's write lock, and sees the
  intake wait for it): the client gets no 250, so, as every sending server does, it sends
  again; after the restart that one mail becomes one request, nothing of the killed
  transaction is left, no request twice.
"""

from __future__ import annotations

import os
import signal
import smtplib
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text

from privaat.store.audit import _POSTGRES_LOCK_ID
from privaat.store.db import make_engine
from privaat.store.tables import outbox
from privaat.store.tables_requests import request_mails, subject_requests

MAILBOX = "euprivacy@flexibelt.nl"  # the shipped policy's privacy_contact.email
MAIL = (
    b"From: Jan <jan@example.nl>\r\nTo: euprivacy@flexibelt.nl\r\nSubject: Inzageverzoek\r\n"
    b"Message-ID: <inzage-1@example.nl>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    b"Ik wil inzage in mijn gegevens.\r\n"
)


@pytest.fixture
def engine(shell: None, database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


class Server:
    """``privaat mail serve`` on a free loopback port, started (again) on demand."""

    def __init__(self) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "privaat", "mail", "serve", "--port", str(self.port)]
        self.process = subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
            command, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                assert self.process.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        assert self.process.wait(timeout=30) == -signal.SIGKILL

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)


@pytest.fixture
def server() -> Iterator[Server]:
    running = Server()
    yield running
    running.stop()


def _client(port: int) -> smtplib.SMTP:
    client = smtplib.SMTP("127.0.0.1", port, timeout=20)
    client.ehlo("mail.example.nl")
    client.mail("jan@example.nl")
    code, reply = client.rcpt(MAILBOX)
    assert code == 250, reply
    return client


def _counts(engine: Engine) -> tuple[int, int, int]:
    with engine.connect() as connection:
        return tuple(  # type: ignore[return-value]
            int(connection.execute(select(func.count()).select_from(table)).scalar_one())
            for table in (subject_requests, request_mails, outbox)
        )


def test_L54_a_mailbox_killed_right_after_its_250_has_the_request_after_the_restart(
    engine: Engine, server: Server
) -> None:
    server.start()
    client = _client(server.port)
    code, reply = client.data(MAIL)
    server.kill()  # the instant the client has the 250
    assert code == 250, reply
    client.close()
    reference = reply.decode().rsplit(" ", 1)[-1]
    server.start()
    with engine.connect() as connection:
        [row] = connection.execute(select(subject_requests)).all()
    assert row.reference == reference and row.kind == "access"
    requests, mails, letters = _counts(engine)
    assert (requests, mails) == (1, 1) and letters >= 1  # the acknowledgement is queued
    # and the restarted mailbox takes the next mail
    with _client(server.port) as again:
        assert again.data(MAIL.replace(b"inzage-1", b"inzage-2"))[0] == 250
    assert _counts(engine)[:2] == (1, 2)  # the same open request: the mail joins it


def _writing_elsewhere(engine: Engine) -> bool:
    with engine.connect() as connection:
        writing = connection.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
            )
        ).scalar()
    return bool(writing)


class HeldLock:
    """Holds the lock the intake's audit entry takes, so its transaction waits, open."""

    def __init__(self, engine: Engine, database_url: str) -> None:
        self.sqlite = database_url.startswith("sqlite")
        self.engine, self.url = engine, database_url
        self._held: Any = None

    def __enter__(self) -> HeldLock:
        if self.sqlite:
            self._held = sqlite3.connect(self.url.removeprefix("sqlite:///"), timeout=0)
            self._held.execute("BEGIN IMMEDIATE")
        else:
            self._held = self.engine.connect()
            self._held.execute(text("SELECT pg_advisory_lock(:id)"), {"id": _POSTGRES_LOCK_ID})
        return self

    def intake_waits(self) -> bool:
        """PostgreSQL: a backend of the mailbox waits for the lock, inside its transaction."""
        if self.sqlite:  # SQLite's waiter spins in busy_timeout, invisible from outside
            return True
        with self.engine.connect() as connection:
            waiting = connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event = 'advisory' AND backend_xid IS NOT NULL"
                )
            ).scalar()
        return bool(waiting)

    def __exit__(self, *_exc: object) -> None:
        if self.sqlite:
            self._held.rollback()
            self._held.close()
        else:
            self._held.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": _POSTGRES_LOCK_ID})
            self._held.close()


def test_L54_a_mailbox_killed_inside_the_transaction_keeps_nothing_and_files_the_resend_once(
    engine: Engine, database_url: str, server: Server
) -> None:
    server.start()
    client = _client(server.port)
    answer: list[object] = []
    with HeldLock(engine, database_url) as lock:

        def send() -> None:
            try:
                answer.append(client.data(MAIL))
            except smtplib.SMTPException as error:
                answer.append(error)

        sending = threading.Thread(target=send)
        sending.start()
        deadline = time.monotonic() + 4  # below SQLite's busy_timeout of 5 s
        time.sleep(0.5)
        while not lock.intake_waits():
            assert time.monotonic() < deadline, "the intake never waited for the lock"
            time.sleep(0.02)
        server.kill()
        sending.join(timeout=20)
    [outcome] = answer
    assert isinstance(outcome, smtplib.SMTPServerDisconnected), outcome  # no 250
    client.close()
    if not lock.sqlite:  # its backend ends once it sees the socket gone: let it
        deadline = time.monotonic() + 10
        while _writing_elsewhere(engine) and time.monotonic() < deadline:
            time.sleep(0.05)
    assert _counts(engine) == (0, 0, 0)  # the killed transaction left nothing
    server.start()
    with _client(server.port) as again:  # the sending server tries again, as RFC 5321 says
        code, reply = again.data(MAIL)
    assert code == 250, reply
    requests, mails, letters = _counts(engine)
    assert (requests, mails, letters) == (1, 1, 1)  # one request, one mail, one letter
