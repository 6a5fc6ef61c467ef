"""What an access answer must not hand over: other people's data (GDPR art. 15(4); LEGAL L62).

The one place the rule lives; ``services.subject_export`` applies it to every value it hands
over, so the ZIP, its JSON and CSV, and the original files are redacted alike.

    column                      rule           what the person gets
    *.actor (access_log,        ACTOR          ``staff:<role>`` for ``staff:<id>:<role>``: who
      audit_log)                               acted, by role, never which employee (the
                                               activity stays in its own column)
    request_mails.raw  (.eml)   MAIL           the mail, still a parseable message: every address
                                               header (To, Cc, Bcc, Reply-To, Resent-*, …) keeps
                                               the person's own addresses and the privacy
                                               mailbox; any other address, with its display name,
                                               becomes ``redacted@redacted.invalid`` (RFC 2606);
                                               addresses in other headers and in the text and
                                               HTML parts likewise
    subject_requests.details    FREE_TEXT      the request's fields with other addresses redacted

Message-ID, In-Reply-To and References are identifiers, not people's addresses, and stay.
What no rule can find: a name of someone else in the person's own words, or their data
inside an attachment (a PDF); the privacy officer reviews a mail with attachments.
Pure: no I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from email import message_from_bytes
from email.header import Header, decode_header, make_header
from email.message import Message
from email.policy import compat32
from email.utils import formataddr, getaddresses
from enum import StrEnum
from typing import Any

__all__ = [
    "PLACEHOLDER",
    "Rule",
    "redact_actor",
    "redact_addresses",
    "redact_free_text",
    "redact_mail",
    "rule_for",
]

PLACEHOLDER = "redacted@redacted.invalid"  # RFC 2606: .invalid never resolves


class Rule(StrEnum):
    ACTOR = "actor"
    MAIL = "mail"
    FREE_TEXT = "free_text"


_BY_COLUMN = {
    "request_mails.raw_enc": Rule.MAIL,
    "subject_requests.details_enc": Rule.FREE_TEXT,
}
# headers whose value is a list of mailboxes (RFC 5322 §3.6.2-3.6.6, RFC 3798, common MTAs)
_ADDRESS_HEADERS = frozenset(
    {
        "from",
        "sender",
        "reply-to",
        "to",
        "cc",
        "bcc",
        "resent-from",
        "resent-sender",
        "resent-to",
        "resent-cc",
        "resent-bcc",
        "disposition-notification-to",
        "return-receipt-to",
        "mail-followup-to",
        "mail-reply-to",
    }
)
# identifiers shaped like addresses that name no one (RFC 5322 §3.6.4)
_IDENTIFIERS = frozenset({"message-id", "in-reply-to", "references", "content-id"})
_ADDRESS = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+"
)


def rule_for(table: str, column: str) -> Rule | None:
    """The redaction rule for ``table.column``, or None when it holds only the person's data."""
    if column == "actor":
        return Rule.ACTOR
    return _BY_COLUMN.get(f"{table}.{column}")


def redact_actor(actor: str) -> str:
    """``staff:<id>:<role>`` → ``staff:<role>``: the role that acted, not the employee."""
    if not actor.startswith("staff:"):
        return actor  # the person ("self"), a system job, a business customer (a controller)
    parts = actor.split(":")
    return f"staff:{parts[2]}" if len(parts) >= 3 and parts[2] else "staff"


def _kept(keep: Iterable[str]) -> frozenset[str]:
    return frozenset(address.strip().lower() for address in keep if address)


def redact_addresses(text: str, keep: Iterable[str]) -> str:
    """``text`` with every e-mail address not in ``keep`` replaced by the placeholder."""
    kept = _kept(keep)
    return _ADDRESS.sub(lambda m: m.group(0) if m.group(0).lower() in kept else PLACEHOLDER, text)


def redact_free_text(document: str, keep: Iterable[str]) -> str:
    """A JSON document (a request's fields) with other addresses redacted in every string; a
    value that is not JSON is redacted as text."""
    kept = _kept(keep)
    try:
        value = json.loads(document)
    except ValueError:
        return redact_addresses(document, kept)
    redacted = _walk(value, kept)
    return document if redacted == value else json.dumps(redacted, ensure_ascii=False)


def _walk(value: Any, kept: frozenset[str]) -> Any:
    if isinstance(value, str):
        return redact_addresses(value, kept)
    if isinstance(value, list):
        return [_walk(item, kept) for item in value]
    if isinstance(value, dict):
        return {key: _walk(item, kept) for key, item in value.items()}
    return value


def redact_mail(raw: bytes, keep: Iterable[str]) -> bytes:
    """The mail as received with other people's addresses taken out, still a parseable
    message; the very same bytes when there is nothing to take out.

    Parsed by the standard library (``email``, the compat32 policy: its headers are the
    strings as received, so an untouched header is written back as it came, and parsing
    costs a third of the ``default`` policy's header objects)."""
    kept = _kept(keep)
    if not _may_hold_others(raw, kept):
        return raw
    message = message_from_bytes(raw, policy=compat32)
    changed = _redact_headers(message, kept)
    for part in message.walk():
        if part.get_content_maintype() == "text" and not part.is_multipart():
            changed |= _redact_part(part, kept)
    if not changed:
        return raw
    return message.as_bytes(policy=compat32)


def _may_hold_others(raw: bytes, kept: frozenset[str]) -> bool:
    """False only when every address in the bytes is kept and nothing is encoded (base64,
    quoted-printable or an RFC 2047 word could hide one): then there is nothing to parse."""
    text = raw.decode("latin-1")  # byte for byte: addresses are ASCII
    if any(match.group(0).lower() not in kept for match in _ADDRESS.finditer(text)):
        return True
    lowered = text.lower()
    return "=?" in text or "base64" in lowered or "quoted-printable" in lowered


def _redact_headers(message: Message, kept: frozenset[str]) -> bool:
    headers = list(message.items())
    redacted = [(name, _header_value(name, value, kept)) for name, value in headers]
    if all(new is None for _name, new in redacted):
        return False
    # every header again in its place: delete them all, add them back in the order received
    for name in {name.lower() for name, _value in headers}:
        del message[name]
    for (name, value), (_same, new) in zip(headers, redacted, strict=True):
        message[name] = value if new is None else new
    return True


def _header_value(name: str, value: Any, kept: frozenset[str]) -> str | None:
    """The redacted value of one header, or None when it stays as it is."""
    lowered = name.lower()
    text = str(value)
    if lowered in _IDENTIFIERS:
        return None
    if lowered in _ADDRESS_HEADERS:
        pairs = getaddresses([text])
        if all(address.lower() in kept for _name, address in pairs if address):
            return None
        chosen = [
            formataddr((_decoded(display), address), charset="utf-8")
            for display, address in pairs
            if address and address.lower() in kept
        ]
        return ", ".join([*chosen, PLACEHOLDER])
    readable = _decoded(text) if "=?" in text else text
    new = redact_addresses(readable, kept)
    if new == readable:
        return None
    return new if new.isascii() else Header(new, "utf-8").encode()


def _decoded(text: str) -> str:
    """An RFC 2047 header value as text (``=?utf-8?q?…?=`` words decoded)."""
    try:
        return str(make_header(decode_header(text)))
    except (LookupError, UnicodeError, ValueError):  # an unknown or lying charset
        return text


def _redact_part(part: Message, kept: frozenset[str]) -> bool:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return False
    charset = part.get_content_charset() or "utf-8"
    try:
        content = payload.decode(charset, "replace")
    except LookupError:  # an unknown charset: read as UTF-8, as the intake does
        content = payload.decode("utf-8", "replace")
    new = redact_addresses(content, kept)
    if new == content:
        return False
    # written back as UTF-8 under a transfer encoding the new text is sure to fit
    del part["Content-Transfer-Encoding"]
    part.set_payload(new, charset="utf-8")
    return True
