"""Outbound mail transports, one protocol with two implementations (like httpx's transports).

    MailTransport.connect() ─▶ MailSession.send(EmailMessage)
    ├── SmtpTransport      a real relay over SMTP (RFC 5321), one connection per pass
    └── InMemoryTransport  keeps what it was given; tests script refusals and drops

Errors a session raises::

    MailTransportError
    ├── MailRefused       the server refused this message (reply code, RFC 5321 §4.2)
    └── MailDisconnected  the server cannot be reached or dropped the connection
"""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Protocol

__all__ = [
    "InMemoryTransport",
    "MailDisconnected",
    "MailRefused",
    "MailSession",
    "MailTransport",
    "MailTransportError",
    "OutgoingMail",
    "SmtpTransport",
    "compose",
]

_CLOSING = 421  # RFC 5321 §3.8: the server is shutting the connection down


@dataclass(frozen=True, slots=True)
class OutgoingMail:
    """A message before it is composed: plain text, and for a campaign its own header fields
    (``List-Unsubscribe``, RFC 2369/8058) and an HTML alternative; a notice has neither."""

    to: str
    subject: str
    body: str
    headers: tuple[tuple[str, str], ...] = ()
    html: str | None = None


class MailTransportError(Exception):
    """A message was not handed over; the message says why, without any address."""


class MailRefused(MailTransportError):
    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(f"{code or 'unusable'}: {reason}")
        self.code, self.reason = code, reason


class MailDisconnected(MailTransportError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MailSession(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Hand ``message`` over; MailRefused or MailDisconnected when it was not taken."""
        ...


class MailTransport(Protocol):
    @property
    def sender(self) -> str:
        """The From address of every message."""
        ...

    def connect(self) -> AbstractContextManager[MailSession]:
        """One session for a pass; MailDisconnected when the server cannot be reached."""
        ...


def compose(
    mail: OutgoingMail, sender: str, at: datetime, *, message_id: str | None = None
) -> EmailMessage:
    """The message as sent: plain text, dated, marked auto-generated.

    ``message_id`` (RFC 5322 §3.6.4) is the message's identity across attempts: the outbox
    passes one that stays the same when a message is sent again, so a receiver that
    deduplicates on Message-ID sees one message (see services/outbox.py); without one a
    fresh id is made."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(at)
    message["Message-ID"] = message_id or make_msgid(domain=sender.rpartition("@")[2] or None)
    # RFC 3834 §5: a notice the system sends by itself; auto-responders must not answer it
    message["Auto-Submitted"] = "auto-generated"
    for name, value in mail.headers:
        message[name] = value
    # a notice is plain text only: no images, no tracking (LEGAL L4); a campaign may add an
    # HTML alternative (multipart/alternative, RFC 2046 §5.1.4), the plain text first
    message.set_content(mail.body)
    if mail.html is not None:
        message.add_alternative(mail.html, subtype="html")
    return message


@dataclass(frozen=True, slots=True)
class SmtpTransport:
    """An SMTP relay (RFC 5321) and the From address."""

    host: str
    port: int
    sender: str
    timeout_seconds: float = 30.0

    @contextmanager
    def connect(self) -> Iterator[MailSession]:
        try:
            smtp = smtplib.SMTP(
                self.host,
                self.port,
                # EHLO names the sending domain: the default (getfqdn) may wait on DNS
                local_hostname=self.sender.rpartition("@")[2] or "localhost",
                timeout=self.timeout_seconds,
            )
        except (OSError, smtplib.SMTPException) as error:
            raise MailDisconnected(
                f"cannot reach the SMTP server {self.host}:{self.port}: {_reason(error)}"
            ) from error
        with smtp:
            yield _SmtpSession(smtp)


@dataclass(slots=True)
class _SmtpSession:
    smtp: smtplib.SMTP

    def send(self, message: EmailMessage) -> None:
        try:
            self.smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            code = next(iter(error.recipients.values()))[0] if error.recipients else None
            raise _refused_or_closing(code, "recipient refused") from None
        except smtplib.SMTPServerDisconnected as error:
            raise MailDisconnected(_reason(error)) from None
        except smtplib.SMTPResponseException as error:
            raise _refused_or_closing(error.smtp_code, "message refused") from None
        except smtplib.SMTPException as error:  # e.g. an address it cannot take (SMTPUTF8)
            raise MailRefused(None, type(error).__name__) from None
        except OSError as error:
            raise MailDisconnected(_reason(error)) from None


def _refused_or_closing(code: int | None, reason: str) -> MailTransportError:
    if code == _CLOSING:
        # smtplib has closed the connection: the next message would fail through no fault
        # of its own, so the pass must stop here
        return MailDisconnected(f"{_CLOSING} service not available, closing the connection")
    return MailRefused(code, reason)


@dataclass
class InMemoryTransport:
    """Keeps every message it accepts; ``refuse`` maps an address to a reply code."""

    sender: str = "privacy@localhost"
    sent: list[EmailMessage] = field(default_factory=list)
    refuse: dict[str, int] = field(default_factory=dict)
    reachable: bool = True

    @contextmanager
    def connect(self) -> Iterator[MailSession]:
        if not self.reachable:
            raise MailDisconnected("the in-memory server is switched off")
        yield self

    def send(self, message: EmailMessage) -> None:
        code = self.refuse.get(str(message["To"]).lower())
        if code is not None:
            raise _refused_or_closing(code, "recipient refused")
        self.sent.append(message)


def _reason(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        text = error.smtp_error
        said = text.decode(errors="replace") if isinstance(text, bytes) else text
        return f"{error.smtp_code} {said}"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__
