"""The outbox: mail is queued in the same transaction as the change it reports, then sent.

A message is stored encrypted under its subject's key, so the outbox holds no address or
text in clear and an erased subject's pending mail goes with it (the row cascades away with
the subject, and the key that could open it is shredded). Each message names the activity
it serves; delivery opens it through the enforcement seam as the ``outbox`` system job, so
every send passes the guard and is in the access log like any other read.

Delivery is at-least-once and safe for several workers on PostgreSQL: each message is
claimed with ``SELECT ... FOR UPDATE SKIP LOCKED`` in its own short transaction, sent, and
marked sent in that same transaction, so a second worker skips it while it is in flight and
no longer sees it afterwards. On SQLite (one writer at a time) run one worker.

At-least-once, not exactly-once, and no outbox can do better over SMTP: if the process dies
after the server answered 250 to DATA but before ``sent_at`` committed, the server has the
message and the outbox does not know it, so the next pass sends it again (a process dying
before the 250 loses nothing either: the server discards an unfinished DATA and the claim
rolls back). What makes the second copy harmless is its Message-ID: the same at every
attempt (``message_id``), so a receiver that deduplicates on it keeps one
(tests/integration/test_crash_outbox.py).

Retries follow RFC 5321 §4.5.4.1 (retry for days, not passes):

    accepted ───────────────────────────▶ sent
    5xx (permanent, §4.2.1) ────────────▶ given up now, audited
    4xx / dropped connection ───────────▶ attempt counted, next try after a back-off that
                                          doubles (5 min, 10, 20 … at most 6 h); given up
                                          only once the message is ``give_up_after`` old
    the first messages of a pass all get
    the same 4xx (the server, not them) ▶ the pass stops; nothing is counted
    cannot be opened (key gone, guard) ─▶ given up now, audited
    stopped by the gate (suppressed) ───▶ given up now, audited (LEGAL L11)
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, insert, or_, select, update

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

__all__ = [
    "FIRST_RETRY",
    "GIVE_UP_AFTER",
    "SERVER_WIDE_STREAK",
    "DeliveryGate",
    "DeliveryReport",
    "MailServerUnreachable",
    "Outbox",
    "back_off",
    "message_id",
    "queue",
]

_FIELD = "outbox.message"
GIVE_UP_AFTER = timedelta(hours=72)  # RFC 5321 §4.5.4.1: "at least 4-5 days" for relays
FIRST_RETRY = timedelta(minutes=5)
LAST_RETRY_GAP = timedelta(hours=6)
# this many first messages of a pass refused with one 4xx code: the server is the problem
SERVER_WIDE_STREAK = 3
OUTBOX_JOB = SystemJob("outbox")
log = logging.getLogger("privaat.mail")


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What one pass did: accepted, refused (will be retried), and given up for good."""

    sent: int
    failed: int
    given_up: int
    # set when the pass stopped because the server refused every message the same way
    stopped: str | None = None


class DeliveryGate(Protocol):
    """A last check right before a message goes to the server (e.g. the suppression list)."""

    def stops(
        self, connection: Connection, subject_id: int | None, activity: str, to: str
    ) -> str | None:
        """Why this message must not go out after all, or None to send it."""
        ...


class MailServerUnreachable(Exception):
    """The mail server could not be reached or dropped the connection; the message says which."""

    def __init__(self, message: str, report: DeliveryReport) -> None:
        super().__init__(message)
        self.report = report  # what the pass did before it stopped


def queue(
    connection: Connection, opened: Opened, *, template: str, mail: OutgoingMail, at: datetime
) -> int:
    """Queue ``mail`` for the opened subject under its activity; sent only if the caller
    commits. Returns the message's id."""
    fields: dict[str, Any] = {"to": mail.to, "subject": mail.subject, "body": mail.body}
    if mail.headers:  # a campaign's own header fields and HTML; a notice stores neither
        fields["headers"] = [list(pair) for pair in mail.headers]
    if mail.html is not None:
        fields["html"] = mail.html
    document = json.dumps(fields)
    message_id: int = connection.execute(
        insert(outbox)
        .values(
            subject_id=opened.subject_id,
            activity=opened.decision.activity,
            template=template,
            message_enc=opened.cipher.encrypt(_FIELD, document),
            created_at=at,
            attempts=0,
        )
        .returning(outbox.c.id)
    ).scalar_one()
    return message_id


_PENDING = (
    select(
        outbox.c.id,
        outbox.c.activity,
        outbox.c.template,
        outbox.c.message_enc,
        outbox.c.attempts,
        outbox.c.created_at,
        outbox.c.subject_id,
        subjects.c.pseudonym,
    )
    .join(subjects, subjects.c.id == outbox.c.subject_id)
    .where(outbox.c.sent_at.is_(None), outbox.c.given_up_at.is_(None))
    .order_by(outbox.c.id)
)


def message_id(row_id: int, message_enc: bytes, sender: str) -> str:
    """The Message-ID of an outbox message, the same at every attempt (RFC 5322 §3.6.4).

    Made of the row's id and a digest of its sealed text (random per message, so two
    installations or a restored database never reuse one for another message); it tells
    nothing about the person. A message sent again after a crash between the server's 250
    and the commit of ``sent_at`` carries the id it had the first time."""
    digest = hashlib.sha256(message_enc).hexdigest()[:24]
    return f"<outbox.{row_id}.{digest}@{sender.rpartition('@')[2] or 'privaat.invalid'}>"


def back_off(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed try: 5 min, doubling, at most 6 h."""
    doubled: timedelta = FIRST_RETRY * (2 ** max(attempts - 1, 0))
    return min(doubled, LAST_RETRY_GAP)


@dataclass(frozen=True, slots=True)
class _Unusable:
    reason: str  # the message cannot be opened or sent as stored: given up, audited


_Outcome = MailRefused | MailDisconnected | _Unusable


def _permanent(outcome: _Outcome) -> bool:
    # RFC 5321 §4.2.1: 5yz is a permanent negative reply; what cannot be opened never will be
    if isinstance(outcome, _Unusable):
        return True
    return isinstance(outcome, MailRefused) and outcome.code is not None and outcome.code >= 500


class Outbox:
    """Opens queued messages through the seam and hands them to a mail transport."""

    def __init__(
        self,
        *,
        engine: Engine,
        access: SubjectAccess,
        clock: Clock,
        give_up_after: timedelta = GIVE_UP_AFTER,
        gate: DeliveryGate | None = None,
    ) -> None:
        self._engine, self._access, self._clock = engine, access, clock
        self._give_up_after = give_up_after
        self._gate = gate

    def pending(self) -> list[tuple[int, str, OutgoingMail]]:
        """Messages not yet sent or given up, as (id, template, mail), opened under the guard."""
        with UnitOfWork(self._engine) as uow, uow.reading() as connection:
            rows = connection.execute(_PENDING).all()
            return [(row.id, row.template, self._open(connection, row)) for row in rows]

    def deliver(self, transport: MailTransport) -> DeliveryReport:
        """Send every message that is due once; each is marked sent only after the server took it.

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
        # 4xx refusals before any success: held back until we know whether they are the
        # messages' or the server's (then they are not counted at all)
        held_back: list[tuple[Any, MailRefused]] = []
        now = self._clock.now()
        due = _PENDING.where(
            or_(outbox.c.next_attempt_at.is_(None), outbox.c.next_attempt_at <= now)
        )
        with UnitOfWork(self._engine) as uow:
            while dropped is None:
                with uow.writing() as connection:
                    row = connection.execute(
                        due.where(outbox.c.id > after)
                        .limit(1)
                        .with_for_update(of=outbox, skip_locked=True)
                    ).first()
                    if row is None:
                        break
                    after = row.id
                    outcome = self._send_one(connection, session, sender, row)
                    if outcome is None:
                        sent += 1
                    elif isinstance(outcome, MailRefused) and _held_back(
                        outcome, sent + failed + given_up, held_back
                    ):
                        held_back.append((row, outcome))
                        if len(held_back) >= SERVER_WIDE_STREAK:
                            stopped = f"the server refused every message with {outcome.code}"
                            log.warning("outbox pass stopped, nothing counted: %s", stopped)
                            return DeliveryReport(sent, failed, given_up, stopped), None
                        continue
                    else:
                        gone = self._record_failure(connection, row, outcome)
                        failed, given_up = failed + 1, given_up + gone
                        if isinstance(outcome, MailDisconnected):
                            dropped = outcome  # the pass stops once this attempt is committed
                    # a success or another outcome: the held-back refusals were the messages'
                    for held_row, refusal in held_back:
                        gone = self._record_failure(connection, held_row, refusal)
                        failed, given_up = failed + 1, given_up + gone
                    held_back.clear()
            if held_back:  # fewer than a streak, and nothing else happened: count them
                with uow.writing() as connection:
                    for held_row, refusal in held_back:
                        gone = self._record_failure(connection, held_row, refusal)
                        failed, given_up = failed + 1, given_up + gone
        return DeliveryReport(sent, failed, given_up), dropped

    def _open(self, connection: Connection, row: Any) -> OutgoingMail:
        opened = self._access.open(
            connection, OUTBOX_JOB, row.subject_id, row.activity, operation=Operation.SEND
        )
        fields = json.loads(opened.cipher.decrypt(_FIELD, row.message_enc))
        headers = tuple((str(name), str(value)) for name, value in fields.pop("headers", ()))
        return OutgoingMail(**fields, headers=headers)

    def _send_one(
        self, connection: Connection, session: MailSession, sender: str, row: Any
    ) -> _Outcome | None:
        """Send the claimed message; marks it sent in the claiming transaction if accepted."""
        try:
            mail = self._open(connection, row)
            # LEGAL L11: a withdrawal or suppression that landed after queuing still stops it
            stopped = self._gate and self._gate.stops(
                connection, row.subject_id, row.activity, mail.to
            )
            if stopped:
                return _Unusable(stopped)
            identity = message_id(row.id, row.message_enc, sender)
            session.send(compose(mail, sender, self._clock.now(), message_id=identity))
        except (MailRefused, MailDisconnected) as error:
            return error
        except AccessDenied as error:
            # the guard no longer allows the activity (e.g. the subject restricted it since)
            return _Unusable(f"not allowed: {error.decision.reason}")
        except (KeyStoreError, CryptoError, ValueError) as error:
            # the message cannot be opened or is not a valid mail: retrying will not help
            return _Unusable(type(error).__name__)
        connection.execute(
            update(outbox)
            .where(outbox.c.id == row.id)
            .values(attempts=outbox.c.attempts + 1, sent_at=self._clock.now())
        )
        return None

    def _record_failure(self, connection: Connection, row: Any, outcome: _Outcome) -> int:
        """Count the attempt; give the message up when it is permanent or too old. 1 if given up."""
        now = self._clock.now()
        attempts = row.attempts + 1
        too_old = now - row.created_at >= self._give_up_after
        give_up = _permanent(outcome) or too_old
        values: dict[str, Any] = {"attempts": attempts}
        if give_up:
            values["given_up_at"] = now
        else:
            values["next_attempt_at"] = now + back_off(attempts)
        # the template and reply code only: a server's reply text may quote the address
        log.warning(
            "outbox message %s (%s) not sent, attempt %s: %s%s",
            row.id,
            row.template,
            attempts,
            _describe(outcome),
            ", given up" if give_up else "",
        )
        connection.execute(update(outbox).where(outbox.c.id == row.id).values(**values))
        if give_up:
            # accountability (GDPR art. 5(2)): a notice that never reached its holder
            AuditTrail.append(
                connection,
                at=now,
                actor=OUTBOX_JOB.actor,
                action="mail.given_up",
                subject_pseudonym=row.pseudonym,
                detail={
                    "template": row.template,
                    "attempts": attempts,
                    "reply_code": outcome.code if isinstance(outcome, MailRefused) else None,
                },
            )
        return int(give_up)


def _held_back(refusal: MailRefused, recorded: int, held: list[tuple[Any, MailRefused]]) -> bool:
    """A 4xx refusal while the pass has seen nothing but the same 4xx: hold it back."""
    if _permanent(refusal) or recorded:
        return False
    return all(other.code == refusal.code for _row, other in held)


def _describe(outcome: _Outcome) -> str:
    if isinstance(outcome, MailRefused):
        return f"refused {outcome.code}: {outcome.reason}"
    return outcome.reason
