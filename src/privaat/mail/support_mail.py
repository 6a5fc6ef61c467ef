"""A mail to the support address, read as a support case (issue 12 item 2; P5, LEGAL L5).

    raw bytes ──email.message_from_bytes(policy=default)──▶ EmailMessage
        │  From exactly as written (no lower-casing, no IDNA: linking compares it as given)
        │  Subject, the person's own words (``intake.own_words``, as for the privacy mailbox)
        │  the first attached text file (``.log``, ``.txt`` or ``text/*``): an event log
        ▼
    IncomingSupportMail(sender, sender_name, subject, text, log)

No I/O: the SMTP listener hands the bytes in, ``SupportDesk.file_mail`` stores what comes out.
"""

from __future__ import annotations

from dataclasses import dataclass
from email import message_from_bytes
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import default

from privaat.mail.intake import read_request_mail
from privaat.services.support_desk import LogFile

__all__ = ["IncomingSupportMail", "read_support_mail"]

_LOG_SUFFIXES = (".log", ".txt")


@dataclass(frozen=True, slots=True)
class IncomingSupportMail:
    """What a mail to the support address says, ready to become a case or a message."""

    sender: str | None  # the From addr-spec as written, None when missing or unreadable
    sender_name: str
    subject: str
    text: str
    log: LogFile | None


def read_support_mail(raw: bytes) -> IncomingSupportMail:
    """Parse a mail as received (all of its bytes) into a case's fields."""
    request = read_request_mail(raw)  # subject and own words, as the privacy mailbox reads them
    message = message_from_bytes(raw, policy=default)
    assert isinstance(message, EmailMessage)  # noqa: S101  (policy=default makes one)
    sender, name = _sender(message)
    return IncomingSupportMail(
        sender=sender,
        sender_name=name or request.sender_name,
        subject=request.subject,
        text=request.text,
        log=_log(message),
    )


def _sender(message: EmailMessage) -> tuple[str | None, str]:
    try:
        header = message.get("From")
        addresses: tuple[Address, ...] = getattr(header, "addresses", ())
    except (ValueError, IndexError, TypeError):
        return None, ""
    for address in addresses:
        if address.username and address.domain:
            return address.addr_spec, address.display_name
    return None, ""


def _log(message: EmailMessage) -> LogFile | None:
    for part in message.iter_attachments():
        name = part.get_filename() or ""
        if not (name.lower().endswith(_LOG_SUFFIXES) or part.get_content_maintype() == "text"):
            continue
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            return LogFile(name or "log.txt", payload)
    return None
