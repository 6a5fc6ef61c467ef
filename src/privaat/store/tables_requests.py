"""Data-subject requests (issue 11; GDPR art. 12-22): the queue and the mails that started them.

A request belongs to a subject: the account holder it names, or a subject known only from
the request (``SubjectAccess.create``), so the answer, the hold and the erasure rules are
the same for both. Requests are the proof that a right was honoured (art. 5(2)): erasure
keeps them, restricted, for the rights handling's retention, so what is personal in them is
under the subject's hold key (``details_enc``, ``raw_enc``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from privaat.domain.activities import RIGHTS
from privaat.store.registry import ErasureMode, SubjectTable, personal, technical
from privaat.store.tables import UTC_TIME, SubjectRef, metadata

__all__ = [
    "held",
    "of_a_request",
    "request_answers",
    "request_duplicates",
    "request_mails",
    "request_reminders",
    "subject_requests",
]

_HOLD = ErasureMode.HOLD
_KEY = BigInteger().with_variant(Integer(), "sqlite")


def held(name: str, type_: Any, *, nullable: bool, category: str | None) -> Column[Any]:
    return personal(
        name, type_, nullable=nullable, activity=RIGHTS, category=category, erasure=_HOLD
    )


def _as_file(column: Column[Any], extension: str) -> Column[Any]:
    # an export hands this value over as the original file it is (issue 11 item 4)
    column.info["file"] = extension
    return column


def of_a_request() -> tuple[Column[Any], ...]:
    # a row of one request, and (for the registry) of its subject
    return (
        technical("id", _KEY, primary_key=True, autoincrement=True),
        technical(
            "request_id",
            _KEY,
            ForeignKey("subject_requests.id", ondelete="CASCADE"),
            nullable=False,
        ),
        _subject_column(),
    )


def _subject_column() -> Column[Any]:
    return technical(
        "subject_id", SubjectRef, ForeignKey("subjects.id", ondelete="CASCADE"), nullable=False
    )


subject_requests = Table(
    "subject_requests",
    metadata,
    technical("id", _KEY, primary_key=True, autoincrement=True),
    # what the requester quotes back; random, says nothing about them
    technical("reference", String(16), nullable=False, unique=True),
    _subject_column(),
    *(
        held(name, type_, nullable=nullable, category=category)
        for name, type_, nullable, category in (
            ("kind", String(16), False, "rights_requests"),  # domain.subject_requests.RequestKind
            ("status", String(16), False, "rights_requests"),  # RequestStatus
            ("channel", String(16), False, "rights_requests"),  # web, api, email, staff, opendsr
            ("received_at", UTC_TIME, False, None),
            # the local date of receipt and the due date (domain.deadlines; recomputed on
            # every change, stored so the queue sorts in SQL)
            ("received_on", Date(), False, None),
            ("due_on", Date(), False, None),
            ("extended_months", Integer(), False, None),
            # a keyed hash of the requester's address: a second mail of the same kind is
            # linked to the open request, not doubled, with or without an account
            ("requester_bidx", LargeBinary(32), False, "email_address"),
            # JSON under the hold key: address, name, the mail's subject and own words, the
            # classifier's evidence, reasons of an extension or refusal
            ("details_enc", LargeBinary(), False, "rights_requests"),
            ("closed_at", UTC_TIME, True, None),
            # when it entered its status or took its last step (NULL: received_at; issue
            # 15 item 7): the request watchdog counts each status's dwell from it
            ("status_since", UTC_TIME, True, None),
            # issue 15 item 8 (art. 12(5)): domain.request_repeats.Repetition when the
            # request was filed flagged (repeat, excessive; NULL: new), and the JSON list of
            # the earlier references the flag rests on
            ("repetition", String(16), True, "rights_requests"),
            ("repeat_of", Text(), True, "rights_requests"),
        )
    ),
    Index("ix_subject_requests_queue", "status", "due_on"),
    Index("ix_subject_requests_requester", "requester_bidx", "kind"),
    Index("ix_subject_requests_subject", "subject_id"),
    info={"subject": SubjectTable("subject_id", clock="received_at", hold=RIGHTS)},
)

# Each mail as received, all of its bytes (encrypted): stored before the SMTP server says
# 250, so nothing is lost if the process dies after it (issue 11 item 1)
request_mails = Table(
    "request_mails",
    metadata,
    *of_a_request(),
    held("received_at", UTC_TIME, nullable=False, category=None),
    held("size", Integer(), nullable=False, category=None),
    _as_file(held("raw_enc", LargeBinary(), nullable=False, category="rights_requests"), "eml"),
    Index("ix_request_mails_request", "request_id"),
    info={"subject": SubjectTable("subject_id", clock="received_at", hold=RIGHTS)},
)

# The answer to an access or portability request, kept for its download (L61): the ZIP under
# the data key (erasure shreds it), reached only by a one-person link whose hash is stored
request_answers = Table(
    "request_answers",
    metadata,
    *of_a_request(),
    technical("token_hash", LargeBinary(32), nullable=False, unique=True),
    # what the completion receipt in the audit trail names (the file's SHA-256)
    technical("sha256", String(64), nullable=False),
    _as_file(
        personal(
            "file_enc", LargeBinary(), nullable=False, activity=RIGHTS, category="rights_requests"
        ),
        "zip",
    ),
    personal("created_at", UTC_TIME, nullable=False, activity=RIGHTS, category=None),
    personal("expires_at", UTC_TIME, nullable=False, activity=RIGHTS, category=None),
    personal("downloaded_at", UTC_TIME, nullable=True, activity=RIGHTS, category=None),
    Index("ix_request_answers_subject", "subject_id"),
    info={"subject": SubjectTable("subject_id", clock="expires_at")},
)

# The reminders the privacy officer was sent about a request's due date (issue 11 item 3): one
# of each kind per due date (an extension moves it, and earns a new one), however often the
# job runs
request_reminders = Table(
    "request_reminders",
    metadata,
    *of_a_request(),
    technical("reminder", String(16), nullable=False),  # services.request_reminders.Reminder
    # kept with the request through an erasure: the proof it was watched (art. 5(2))
    held("due_on", Date(), nullable=False, category=None),
    held("sent_at", UTC_TIME, nullable=False, category=None),
    UniqueConstraint("request_id", "reminder", "due_on", name="uq_request_reminders_once"),
    Index("ix_request_reminders_subject", "subject_id"),
    info={"subject": SubjectTable("subject_id", clock="sent_at", hold=RIGHTS)},
)

# Every later arrival that joined an open request of the same kind instead of opening a
# second one (issue 15 item 8): by which channel, when; the officer sees them on the page
request_duplicates = Table(
    "request_duplicates",
    metadata,
    *of_a_request(),
    held("channel", String(16), nullable=False, category="rights_requests"),
    held("at", UTC_TIME, nullable=False, category=None),
    Index("ix_request_duplicates_request", "request_id"),
    Index("ix_request_duplicates_subject", "subject_id"),
    info={"subject": SubjectTable("subject_id", clock="at", hold=RIGHTS)},
)
