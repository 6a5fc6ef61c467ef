"""The outbox: mail is queued in the same transaction as the change it reports, then sent.

A message is stored encrypted under its subject's key, so the outbox holds no address or
text in clear and an erased subject's pending mail goes with it (the row cascades away with
the subject, and the key that could open it is shredded).

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
import smtplib
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from privaat.domain.clock import Clock
from privaat.store.audit import AuditTrail
from privaat.store.crypto import CryptoError, SubjectCipher
from privaat.store.keys import KeyStore, KeyStoreError
from privaat.store.tables import outbox, subjects

__all__ = [
    "MAX_ATTEMPTS",
    "DeliveryReport",
    "MailServer",
    "MailServerUnreachable",
    "OutgoingMail",
    "deliver",
    "pending",
    "queue",
]

_FIELD = "outbox.message"
# a refused message is tried this often, then given up: a mailbox that does not exist will
# not appear by retrying, and a temporary refusal (4xx) has had several passes to clear
MAX_ATTEMPTS = 5
_CLOSING = 421  # RFC 5321 §3.8: the server is shutting the connection down
log = logging.getLogger("privaat.mail")


@dataclass(frozen=True, slots=True)
class OutgoingMail:
    to: str
    subject: str
    body: str


@dataclass(frozen=True, slots=True)
class MailServer:
    """Where and as whom mail is sent: an SMTP relay (RFC 5321) and the From address."""

    host: str
    port: int
    sender: str
    timeout_seconds: float = 30.0


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What one pass did: messages the server accepted, refused, and refused for the last time."""

    sent: int
    failed: int
    given_up: int


class MailServerUnreachable(Exception):
    """The SMTP server could not be reached or dropped the connection; the message says which."""

    def __init__(self, message: str, report: DeliveryReport) -> None:
        super().__init__(message)
        self.report = report  # what the pass did before it stopped


def queue(
    connection: Connection,
    *,
    subject_id: int,
    cipher: SubjectCipher,
    activity: str,
    template: str,
    mail: OutgoingMail,
    at: datetime,
) -> None:
    """Queue ``mail`` for ``subject_id``; it is sent only if the surrounding transaction commits."""
    document = json.dumps({"to": mail.to, "subject": mail.subject, "body": mail.body})
    connection.execute(
        insert(outbox).values(
            subject_id=subject_id,
            activity=activity,
            template=template,
            message_enc=cipher.encrypt(_FIELD, document),
            created_at=at,
            attempts=0,
        )
    )


_PENDING = (
    select(
        outbox.c.id,
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


def _open(connection: Connection, keys: KeyStore, row: Any) -> OutgoingMail:
    cipher = keys.cipher(connection, row.subject_id, row.pseudonym)
    return OutgoingMail(**json.loads(cipher.decrypt(_FIELD, row.message_enc)))


def pending(connection: Connection, keys: KeyStore) -> list[tuple[int, str, OutgoingMail]]:
    """Messages still to be tried, as (id, template, mail), decrypted; given-up ones excluded."""
    rows = connection.execute(_PENDING).all()
    return [(row.id, row.template, _open(connection, keys, row)) for row in rows]


def deliver(engine: Engine, keys: KeyStore, server: MailServer, *, clock: Clock) -> DeliveryReport:
    """Send every pending message once; each is marked sent only after the server accepted it.

    Raises ``MailServerUnreachable`` when the server cannot be reached (nothing is counted
    against the messages then) or drops the connection mid-pass (the message in flight
    counts an attempt; those already accepted stay marked sent).
    """
    try:
        smtp = smtplib.SMTP(
            server.host,
            server.port,
            # EHLO names the sending domain: the default (getfqdn) may wait on DNS
            local_hostname=server.sender.rpartition("@")[2] or "localhost",
            timeout=server.timeout_seconds,
        )
    except (OSError, smtplib.SMTPException) as error:
        raise MailServerUnreachable(
            f"cannot reach the SMTP server {server.host}:{server.port}: {_reason(error)}",
            DeliveryReport(0, 0, 0),
        ) from error
    sent = failed = given_up = 0
    after = 0  # messages are taken in id order, each at most once per pass
    dropped: _Disconnected | None = None
    with smtp:
        while dropped is None:
            with engine.begin() as connection:
                row = connection.execute(
                    _PENDING.where(outbox.c.id > after)
                    .limit(1)
                    .with_for_update(of=outbox, skip_locked=True)
                ).first()
                if row is None:
                    break
                after = row.id
                outcome = _send_one(connection, keys, smtp, server, row, clock)
                if outcome is None:
                    sent += 1
                    continue
                failed += 1
                if row.attempts + 1 >= MAX_ATTEMPTS:
                    given_up += 1
                    _record_given_up(connection, row, outcome, clock)
                if isinstance(outcome, _Disconnected):
                    dropped = outcome  # raised below, once the attempt is committed
    report = DeliveryReport(sent, failed, given_up)
    if dropped is not None:
        raise MailServerUnreachable(
            f"the SMTP server {server.host}:{server.port} dropped the connection: {dropped.reason}",
            report,
        )
    return report


@dataclass(frozen=True, slots=True)
class _Refused:
    code: int | None  # the SMTP reply code (RFC 5321 §4.2), None when the message was unusable
    reason: str


@dataclass(frozen=True, slots=True)
class _Disconnected:
    reason: str


def _send_one(
    connection: Connection,
    keys: KeyStore,
    smtp: smtplib.SMTP,
    server: MailServer,
    row: Any,
    clock: Clock,
) -> _Refused | _Disconnected | None:
    """Send the claimed message and record the outcome in the claiming transaction."""
    outcome: _Refused | _Disconnected | None = None
    try:
        smtp.send_message(_compose(_open(connection, keys, row), server, clock))
    except smtplib.SMTPRecipientsRefused as error:
        code = next(iter(error.recipients.values()))[0] if error.recipients else None
        outcome = _Refused(code, "recipient refused")
    except smtplib.SMTPServerDisconnected as error:
        outcome = _Disconnected(_reason(error))
    except smtplib.SMTPResponseException as error:
        outcome = _Refused(error.smtp_code, "message refused")
    except smtplib.SMTPException as error:  # e.g. an address the server cannot take (SMTPUTF8)
        outcome = _Refused(None, type(error).__name__)
    except OSError as error:
        outcome = _Disconnected(_reason(error))
    except (KeyStoreError, CryptoError, ValueError) as error:
        # the message cannot be opened or is not a valid mail: retrying will not help much,
        # but it is counted like a refusal so it is given up rather than lost silently
        outcome = _Refused(None, type(error).__name__)
    if isinstance(outcome, _Refused) and outcome.code == _CLOSING:
        # smtplib has closed the connection: the next message would fail through no fault
        # of its own, so the pass stops here
        outcome = _Disconnected(f"{_CLOSING} service not available, closing the connection")
    values: dict[str, Any] = {"attempts": outbox.c.attempts + 1}
    if outcome is None:
        values["sent_at"] = clock.now()
    else:
        # the template and reply code only: a server's reply text may quote the address
        log.warning(
            "outbox message %s (%s) not sent, attempt %s: %s",
            row.id,
            row.template,
            row.attempts + 1,
            outcome,
        )
    connection.execute(update(outbox).where(outbox.c.id == row.id).values(**values))
    return outcome


def _compose(mail: OutgoingMail, server: MailServer, clock: Clock) -> EmailMessage:
    message = EmailMessage()
    message["From"] = server.sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(clock.now())
    message["Message-ID"] = make_msgid(domain=server.sender.rpartition("@")[2] or None)
    # RFC 3834 §5: a notice the system sends by itself; auto-responders must not answer it
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.body)  # plain text only: no images, no tracking (LEGAL L4)
    return message


def _record_given_up(
    connection: Connection, row: Any, outcome: _Refused | _Disconnected, clock: Clock
) -> None:
    # accountability (GDPR art. 5(2)): a security notice that never reached its holder
    AuditTrail.append(
        connection,
        at=clock.now(),
        actor="system",
        action="mail.given_up",
        subject_pseudonym=row.pseudonym,
        detail={
            "template": row.template,
            "attempts": row.attempts + 1,
            "reply_code": outcome.code if isinstance(outcome, _Refused) else None,
        },
    )


def _reason(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        text = error.smtp_error
        said = text.decode(errors="replace") if isinstance(text, bytes) else text
        return f"{error.smtp_code} {said}"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__
