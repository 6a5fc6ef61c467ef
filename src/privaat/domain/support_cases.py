"""A support case's words and rules (issue 12 item 2; P5, P7, LEGAL L5), pure: no I/O.

    channel     email · phone · web · in_person
    status      open ──close──▶ closed ──a message from the person──▶ open (TRANSITIONS)
    linked_by   verified_email (L5: the account's verified address, exactly) · signed_in ·
                none (an unknown sender, a lookalike or unverified address)

Linking compares addresses up to ASCII upper/lower case only (``same_address``): the mailbox
is the same, as at log-in, but no Unicode folding or IDNA mapping can make a lookalike equal
(Python's ``lower()`` turns the KELVIN SIGN into ``k``; IDNA turns a fullwidth ``ｆ`` into
``f``). The retention clock is the closing (support_desk: P1Y after closing).
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

__all__ = [
    "MAX_LOG_BYTES",
    "MAX_QUESTION",
    "MAX_TITLE",
    "TRANSITIONS",
    "CaseStatus",
    "Channel",
    "ContactBy",
    "EventKind",
    "LinkedBy",
    "PurchaseDateInvalid",
    "SerialInvalid",
    "canonical_serial",
    "check_purchase_date",
    "find_reference",
    "is_reference",
    "latest_today",
    "mail_line",
    "mail_text",
    "new_reference",
    "same_address",
    "status_after",
]

MAX_TITLE = 200
MAX_QUESTION = 10_000
MAX_LOG_BYTES = 1024 * 1024  # a log file's text: a 10 MB dump is refused
EARLIEST_PURCHASE = date(1990, 1, 1)
_SERIAL = re.compile(r"^[A-Z0-9](?:[A-Z0-9]|-(?=[A-Z0-9])){3,31}$")
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L, U: read out on the phone
_REFERENCE = re.compile(r"\bSC-[2-9A-HJKMNP-TV-Z]{8}\b")
# what a mail may carry that a form refuses: dropped from mail, never stored (a card number
# is still refused by the text rule)
_MAIL_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


class Channel(StrEnum):
    """How the case reached the desk (P7: e-mail, phone, online or in person)."""

    EMAIL = "email"
    PHONE = "phone"
    WEB = "web"
    IN_PERSON = "in_person"


class CaseStatus(StrEnum):
    """Where a case stands; only ``TRANSITIONS`` moves it."""

    OPEN = "open"  # being handled; no retention clock runs
    CLOSED = "closed"  # dealt with; kept one year from closing, then swept


class ContactBy(StrEnum):
    """How the person wants to be contacted about the case."""

    EMAIL = "email"
    PHONE = "phone"


class LinkedBy(StrEnum):
    """How a case was linked to an account (L5); no value: not linked."""

    VERIFIED_EMAIL = "verified_email"  # the account's verified address, exactly
    SIGNED_IN = "signed_in"  # filed in the privacy centre by the signed-in customer


class EventKind(StrEnum):
    """What happened on a case."""

    NOTE = "note"  # staff only: never shown to the person in the centre (it is in the export)
    REPLY = "reply"  # staff to the person
    MESSAGE = "message"  # from the person (the question's follow-up, a reply mail)
    LOG = "log"  # an attached log file, scrubbed
    CLOSED = "closed"  # the case was closed
    REOPENED = "reopened"  # a message on a closed case opened it again


# (status, event) → the status after it; an event not listed leaves the status as it is
TRANSITIONS: Mapping[tuple[CaseStatus, EventKind], CaseStatus] = MappingProxyType(
    {
        (CaseStatus.OPEN, EventKind.CLOSED): CaseStatus.CLOSED,
        (CaseStatus.CLOSED, EventKind.MESSAGE): CaseStatus.OPEN,  # the person writes again
    }
)


def status_after(status: CaseStatus, event: EventKind) -> CaseStatus:
    """The case's status once ``event`` happened."""
    return TRANSITIONS.get((status, event), status)


class SerialInvalid(ValueError):
    """Not a serial number of the shape printed on Flexibelt's devices."""

    def __init__(self) -> None:
        super().__init__(
            "a serial number is 4 to 32 letters and digits, optionally with single hyphens "
            "(like FX-2024-00123)"
        )


class PurchaseDateInvalid(ValueError):
    """A purchase date in the future or before 1990."""


def same_address(given: str, stored: str) -> bool:
    """Whether two e-mail addresses are the same mailbox for linking (L5): equal up to ASCII
    upper/lower case only, so no Unicode folding can make a lookalike equal."""
    return given.strip().translate(_ASCII_LOWER) == stored.strip().translate(_ASCII_LOWER)


def find_reference(text: str) -> str | None:
    """The first case reference ("SC-…") in ``text`` (a reply mail's subject), if any."""
    found = _REFERENCE.search(text.upper())
    return found.group(0) if found else None


def is_reference(text: str) -> bool:
    """Whether ``text`` is exactly a case reference."""
    return _REFERENCE.fullmatch(text) is not None


def new_reference() -> str:
    """A new case reference: 40 random bits, no look-alike characters ("SC-7KQ2M9XD")."""
    return "SC-" + "".join(secrets.choice(_ALPHABET) for _ in range(8))


def canonical_serial(value: str) -> str:
    """A product serial number in canonical form (upper case, e.g. ``FX-2024-00123``)."""
    serial = unicodedata.normalize("NFKC", value).strip().upper()
    if not serial.isascii() or not _SERIAL.fullmatch(serial):
        raise SerialInvalid()
    return serial


def check_purchase_date(value: date | None, today: date) -> date | None:
    """The purchase date, when it is not after ``today`` nor before 1990."""
    if value is None:
        return None
    if value > today:
        raise PurchaseDateInvalid("the purchase date cannot be in the future")
    if value < EARLIEST_PURCHASE:
        raise PurchaseDateInvalid("the purchase date is before 1990")
    return value


def latest_today(now: datetime) -> date:
    """Today's date where it is latest on Earth (UTC+14): a purchase "today" anywhere is not
    in the future."""
    return (now + timedelta(hours=14)).date()


def mail_line(text: str) -> str:
    """A mail header's text on one line, without invisible controls, at most MAX_TITLE long."""
    return " ".join(_MAIL_CONTROLS.sub("", text).split())[:MAX_TITLE]


def mail_text(text: str) -> str:
    """A mail's own words without invisible controls, at most MAX_QUESTION long."""
    cleaned = _MAIL_CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return cleaned.strip()[:MAX_QUESTION]
