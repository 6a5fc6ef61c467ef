"""The outbox: mail is queued in the same transaction as the change it reports, then sent.

A message is stored encrypted under its subject's key, so the outbox holds no address or
text in clear and an erased subject's pending mail goes with it (the row cascades away with
the subject, and the key that could open it is shredded). Each message names the activity
it serves; delivery opens it through the enforcement seam as the ``outbox`` system job, so
every send passes the guard and is in the access log like any other read.

Delivery is at-least-once and safe for several workers on PostgreSQL: each message is
claimed with ``SELECT ... FOR UPDATE SKIP LOCKED`` in its own short transaction, sent, and
marked sent in that same transaction, so a second worker skips it while it is in flight and
no longer sees it afterwards. On SQLite (one writer at a time) run one worker. A message the
server refuses counts an attempt and stays pending; after ``MAX_ATTEMPTS`` it is given up
and the audit trail records that its holder was not reached.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from privaat.domain.clock import Clock
from privaat.domain.errors import AccessDenied
from privaat.domain.principal import SystemJob
from privaat.mail.transport import (
    MailDisconnected,
    MailRefused,
    MailSession,
    MailTransport,
    OutgoingMail,
    compose,
)
from privaat.services.subject_access import Opened, Operation, SubjectAccess
from privaat.store.audit import AuditTrail
from privaat.store.crypto import CryptoError
from privaat.store.key_errors import KeyStoreError
from privaat.store.tables import outbox, subjects
from privaat.store.unit_of_work import UnitOfWork

__all__ = ["MAX_ATTEMPTS", "DeliveryReport", "MailServerUnreachable", "Outbox", "queue"]

_FIELD = "outbox.message"
# a refused message is tried this often, then given up: a mailbox that does not exist will
# not appear by retrying, and a temporary refusal (4xx) has had several passes to clear
MAX_ATTEMPTS = 5
OUTBOX_JOB = SystemJob("outbox")
log = logging.getLogger("privaat.mail")


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What one pass did: messages the server accepted, refused, and refused for the last time."""

    sent: int
    failed: int
    given_up: int


class MailServerUnreachable(Exception):
    """The mail server could not be reached or dropped the connection; the message says which."""

    def __init__(self, message: str, report: DeliveryReport) -> None:
        super().__init__(message)
        self.report = report  # what the pass did before it stopped


def queue(
    connection: Connection, opened: Opened, *, template: str, mail: OutgoingMail, at: Any
) -> None:
    """Queue ``mail`` for the opened subject under its activity; sent only if the caller commits."""
    document = json.dumps({"to": mail.to, "subject": mail.subject, "body": mail.body})
    connection.execute(
        insert(outbox).values(
            subject_id=opened.subject_id,
            activity=opened.decision.activity,
            template=template,
            message_enc=opened.cipher.encrypt(_FIELD, document),
            created_at=at,
            attempts=0,
        )
    )


_PENDING = (
    select(
        outbox.c.id,
        outbox.c.activity,
        outbox.c.template,
        outbox.c.message_enc,
        outbox.c.attempts,
        outbox.c.subject_id,
        subjects.c.pseudonym,
    )
    .join(subjects, subjects.c.id == outbox.c.subject_id)
    .where(outbox.c.sent_at.is_(None), outbox.c.attempts < MAX_ATTEMPTS)
    .order_by(outbox.c.id)
)


@dataclass(frozen=True, slots=True)
class _Unusable:
    reason: str  # the message cannot be opened or sent as stored: counted like a refusal


class Outbox:
    """Opens queued messages through the seam and hands them to a mail transport."""

    def __init__(self, *, engine: Engine, access: SubjectAccess, clock: Clock) -> None:
        self._engine, self._access, self._clock = engine, access, clock

    def pending(self) -> list[tuple[int, str, OutgoingMail]]:
        """Messages still to be tried, as (id, template, mail), opened under the guard."""
        with UnitOfWork(self._engine) as uow, uow.reading() as connection:
            rows = connection.execute(_PENDING).all()
            return [(row.id, row.template, self._open(connection, row)) for row in rows]

    def deliver(self, transport: MailTransport) -> DeliveryReport:
        """Send every pending message once; each is marked sent only after the server took it.

        Raises ``MailServerUnreachable`` when the server cannot be reached (nothing is counted
        against the messages then) or drops the connection mid-pass (the message in flight
        counts an attempt; those already accepted stay marked sent).
        """
        try:
            with transport.connect() as session:
                report, dropped = self._pass(session, transport.sender)
        except MailDisconnected as error:  # connect() itself: nothing was tried
            raise MailServerUnreachable(str(error), DeliveryReport(0, 0, 0)) from error
        if dropped is not None:
            raise MailServerUnreachable(
                f"the mail server dropped the connection: {dropped.reason}", report
            )
        return report

    def _pass(
        self, session: MailSession, sender: str
    ) -> tuple[DeliveryReport, MailDisconnected | None]:
        sent = failed = given_up = 0
        after = 0  # messages are taken in id order, each at most once per pass
        dropped: MailDisconnected | None = None
        with UnitOfWork(self._engine) as uow:
            while dropped is None:
                with uow.writing() as connection:
                    row = connection.execute(
                        _PENDING.where(outbox.c.id > after)
                        .limit(1)
                        .with_for_update(of=outbox, skip_locked=True)
                    ).first()
                    if row is None:
                        break
                    after = row.id
                    outcome = self._send_one(connection, session, sender, row)
                    if outcome is None:
                        sent += 1
                        continue
                    failed += 1
                    if row.attempts + 1 >= MAX_ATTEMPTS:
                        given_up += 1
                        self._record_given_up(connection, row, outcome)
                    if isinstance(outcome, MailDisconnected):
                        dropped = outcome  # the pass stops once this attempt is committed
        return DeliveryReport(sent, failed, given_up), dropped

    def _open(self, connection: Connection, row: Any) -> OutgoingMail:
        opened = self._access.open(
            connection, OUTBOX_JOB, row.subject_id, row.activity, operation=Operation.SEND
        )
        return OutgoingMail(**json.loads(opened.cipher.decrypt(_FIELD, row.message_enc)))

    def _send_one(
        self, connection: Connection, session: MailSession, sender: str, row: Any
    ) -> MailRefused | MailDisconnected | _Unusable | None:
        """Send the claimed message and record the outcome in the claiming transaction."""
        outcome: MailRefused | MailDisconnected | _Unusable | None = None
        try:
            session.send(compose(self._open(connection, row), sender, self._clock.now()))
        except (MailRefused, MailDisconnected) as error:
            outcome = error
        except AccessDenied as error:
            # the guard no longer allows the activity (e.g. the subject restricted it since)
            outcome = _Unusable(f"not allowed: {error.decision.reason}")
        except (KeyStoreError, CryptoError, ValueError) as error:
            # the message cannot be opened or is not a valid mail: retrying will not help much,
            # but it is counted like a refusal so it is given up rather than lost silently
            outcome = _Unusable(type(error).__name__)
        values: dict[str, Any] = {"attempts": outbox.c.attempts + 1}
        if outcome is None:
            values["sent_at"] = self._clock.now()
        else:
            # the template and reply code only: a server's reply text may quote the address
            log.warning(
                "outbox message %s (%s) not sent, attempt %s: %s",
                row.id,
                row.template,
                row.attempts + 1,
                _describe(outcome),
            )
        connection.execute(update(outbox).where(outbox.c.id == row.id).values(**values))
        return outcome

    def _record_given_up(
        self, connection: Connection, row: Any, outcome: MailRefused | MailDisconnected | _Unusable
    ) -> None:
        # accountability (GDPR art. 5(2)): a notice that never reached its holder
        AuditTrail.append(
            connection,
            at=self._clock.now(),
            actor=OUTBOX_JOB.actor,
            action="mail.given_up",
            subject_pseudonym=row.pseudonym,
            detail={
                "template": row.template,
                "attempts": row.attempts + 1,
                "reply_code": outcome.code if isinstance(outcome, MailRefused) else None,
            },
        )


def _describe(outcome: MailRefused | MailDisconnected | _Unusable) -> str:
    if isinstance(outcome, MailRefused):
        return f"refused {outcome.code}: {outcome.reason}"
    return outcome.reason
