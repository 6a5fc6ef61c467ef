"""An outbox delivery killed mid-message (issue 16 item 3; P3, P10, RFC 5321 §6.1): ``privaat mail
deliver`` runs as a real subprocess against a real SMTP server (aiosmtpd on loopback), and the
server itself sends the SIGKILL while it holds the second message's DATA answer, so the kill
lands while the sender is inside that message's claiming transaction (checked: the database's
write lock is held then). Then ``privaat mail deliver`` runs again.

The guarantee is at-least-once with a stable identity, and the tests state it exactly:

- killed before the server took the message (it never says 250): nothing is lost and nothing
  goes twice; the claim rolled back, the next run sends it, every message arrives once.
- killed after the server took it (its 250 was on the way, ``sent_at`` not yet committed): the
  next run sends it again. No outbox can avoid that over SMTP; the second copy carries the same
  Message-ID as the first, so a receiver deduplicating on Message-ID keeps one. Every other
  message arrives exactly once, and none is lost.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email import policy as email_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, select, text
from tests.integration.test_outbox_smtp import SENDER, change_password, create_account, free_port

from privaat.bootstrap import Context, bootstrap
from privaat.settings import Settings
from privaat.store.tables import outbox

PEOPLE = ("ann@example.nl", "bob@example.nl", "cas@example.nl")


def writing_elsewhere(engine: Engine) -> bool:
    """True while another connection holds an open transaction that writes."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        probe = sqlite3.connect(str(url.database), timeout=0)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.rollback()
            return False
        except sqlite3.OperationalError:  # "database is locked"
            return True
        finally:
            probe.close()
    with engine.connect() as connection:
        writing = connection.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
            )
        ).scalar()
    return bool(writing)


@dataclass
class KillingServer:
    """An aiosmtpd handler that, at the ``kill_at``-th DATA, kills the sending process while
    it waits for the answer: after keeping the message (``taken``) or before (not)."""

    engine: Engine
    kill_at: int | None = None
    taken: bool = False
    sender_pid: int | None = None
    received: list[tuple[str, str]] = field(default_factory=list)  # (to, Message-ID)
    inside_a_transaction: bool | None = None
    data_seen: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.data_seen += 1
        message = message_from_bytes(envelope.original_content, policy=email_policy.default)
        kept = (str(message["To"]), str(message["Message-ID"]))
        if self.kill_at is None or self.data_seen != self.kill_at:
            self.received.append(kept)
            return "250 Message accepted for delivery"
        self.inside_a_transaction = writing_elsewhere(self.engine)
        if self.taken:  # RFC 5321 §6.1: the server has taken responsibility for it
            self.received.append(kept)
        assert self.sender_pid is not None
        os.kill(self.sender_pid, signal.SIGKILL)
        # the answer is never read: the sender is dead
        return "250 Message accepted for delivery" if self.taken else "451 4.3.0 Try again"


@pytest.fixture
def live(settings: Settings, engine: Engine) -> Iterator[Context]:
    """A context on the real clock (the subprocess has no other), three notices queued."""
    context = bootstrap(settings, engine=engine, run_migrations=False)
    for email in PEOPLE:
        change_password(context, create_account(context, email, "nl"))
    yield context
    context.access_log.flush()


def deliver(
    context: Context, port: int, handler: KillingServer
) -> subprocess.CompletedProcess[str]:
    environment = dict(os.environ)
    environment.update(
        PRIVAAT_DATABASE_URL=context.settings.database_url,
        PRIVAAT_MODE="test",
        PRIVAAT_VAR_DIR=str(Path(context.settings.var_dir)),
        PRIVAAT_MAIL_FROM=SENDER,
        PRIVAAT_SMTP_HOST="127.0.0.1",
        PRIVAAT_SMTP_PORT=str(port),
    )
    command = [sys.executable, "-m", "privaat", "mail", "deliver"]
    process = subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
        command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    handler.sender_pid = process.pid
    output, _ = process.communicate(timeout=60)
    return subprocess.CompletedProcess(command, process.returncode, output)


def pending(context: Context) -> list[str]:
    with context.engine.connect() as connection:
        rows = connection.execute(
            select(outbox.c.id).where(outbox.c.sent_at.is_(None)).order_by(outbox.c.id)
        ).all()
    return [str(row.id) for row in rows]


@pytest.mark.parametrize("taken", [False, True], ids=["before-250", "after-250"])
def test_P3_a_delivery_killed_mid_message_loses_none_and_repeats_only_what_the_server_took(
    live: Context, engine: Engine, taken: bool
) -> None:
    handler, port = KillingServer(engine, kill_at=2, taken=taken), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        killed = deliver(live, port, handler)
        assert killed.returncode == -signal.SIGKILL, killed.stdout
        assert handler.inside_a_transaction is True, "the kill came inside the claim"
        # the first message was marked sent; the one in flight and the third were not
        assert len(pending(live)) == 2
        assert [to for to, _id in handler.received] == list(PEOPLE[: 2 if taken else 1])
        # the dead process's transaction is gone once its connection is (PostgreSQL's backend
        # sees the socket close; SQLite's lock went with the process)
        deadline = time.monotonic() + 10
        while writing_elsewhere(engine) and time.monotonic() < deadline:
            time.sleep(0.02)
        handler.kill_at = None
        again = deliver(live, port, handler)
        assert again.returncode == 0, again.stdout
        assert "sent 2, failed 0" in again.stdout
    finally:
        controller.stop()
    assert pending(live) == []
    recipients = [to for to, _id in handler.received]
    assert set(recipients) == set(PEOPLE), "no message lost"
    if not taken:
        assert sorted(recipients) == sorted(PEOPLE), "each exactly once"
    else:
        # the message the server took before the kill went again: inherent to SMTP ...
        assert sorted(recipients) == sorted([*PEOPLE, PEOPLE[1]])
        # ... with the same Message-ID both times, so the receiver can keep one
        ids = {to: {i for t, i in handler.received if t == to} for to in PEOPLE}
        assert all(len(one) == 1 for one in ids.values()), ids
        assert len(set().union(*ids.values())) == len(PEOPLE)
