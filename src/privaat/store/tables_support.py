"""The support desk's tables (issue 12 item 2, P5, P7, L5), on the shared metadata.

    support_cases           one case: its reference, channel, status, how (if at all) it is
                            linked to an account, the question and the contact details and
                            preference (ciphertext under the subject's data key)
    support_case_products   a product the case is about: serial number, purchase date
    support_case_events     what happened on a case: a note, a reply, a message of the
                            person, an attached log file's text (scrubbed, size-limited)

A case always names a subject: an unknown sender is a subject without an account (as a
website visitor), so the access export and the erasure reach them with no list kept by hand.
The retention clock is the case's closing (support_desk: P1Y after closing); the children
carry the case's ``closed_at`` too, so each table's sweep sees the same clock (an open case,
``closed_at`` NULL, is never swept).
"""

from __future__ import annotations

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
)

from privaat.store.registry import SubjectTable, personal, technical
from privaat.store.tables import UTC_TIME, _subject_fk, metadata

__all__ = ["support_case_events", "support_case_products", "support_cases"]

DESK = "support_desk"
LINKING = "support_linking"
_KEY = BigInteger().with_variant(Integer(), "sqlite")


def _case_fk() -> Column[int]:
    return technical(
        "case_id", _KEY, ForeignKey("support_cases.id", ondelete="CASCADE"), nullable=False
    )


def _closed_at() -> Column[object]:
    # the case's closing, copied onto its children: the retention clock of every row
    return personal("closed_at", UTC_TIME, nullable=True, activity=DESK, category=None)


support_cases = Table(
    "support_cases",
    metadata,
    technical("id", _KEY, primary_key=True, autoincrement=True),
    # what the person quotes back ("SC-…"); random, says nothing about them
    technical("reference", String(16), nullable=False, unique=True),
    _subject_fk(),
    # who filed it: "mail", "customer" or the staff member (``staff:<id>:<role>``; an
    # export shows the role only, render.redaction)
    technical("actor", String(64), nullable=False),
    personal("channel", String(16), nullable=False, activity=DESK, category="support_cases"),
    personal("status", String(16), nullable=False, activity=DESK, category="support_cases"),
    # L5: how the case was linked to the subject's account ("verified_email", "signed_in",
    # "staff"); NULL: not linked (an unknown sender, a lookalike or unverified address)
    personal("linked_by", String(16), nullable=True, activity=LINKING, category="support_cases"),
    personal("opened_at", UTC_TIME, nullable=False, activity=DESK, category=None),
    personal("closed_at", UTC_TIME, nullable=True, activity=DESK, category=None),
    personal("title_enc", LargeBinary, nullable=False, activity=DESK, category="support_cases"),
    personal("question_enc", LargeBinary, nullable=False, activity=DESK, category="support_cases"),
    # how the person wants to be contacted: email / phone / post
    personal("contact_by", String(16), nullable=False, activity=DESK, category="preferences"),
    personal("name_enc", LargeBinary, nullable=True, activity=DESK, category="name"),
    personal("email_enc", LargeBinary, nullable=True, activity=DESK, category="email_address"),
    personal("phone_enc", LargeBinary, nullable=True, activity=DESK, category="phone_number"),
    Index("ix_support_cases_subject_id", "subject_id"),
    Index("ix_support_cases_queue", "status", "opened_at"),
    info={"subject": SubjectTable("subject_id", clock="closed_at")},
)

support_case_products = Table(
    "support_case_products",
    metadata,
    technical("id", _KEY, primary_key=True, autoincrement=True),
    _case_fk(),
    _subject_fk(),
    personal(
        "serial_enc", LargeBinary, nullable=False, activity=DESK, category="products_and_services"
    ),
    personal("purchased_on", Date, nullable=True, activity=DESK, category="products_and_services"),
    _closed_at(),
    Index("ix_support_case_products_subject_id", "subject_id"),
    Index("ix_support_case_products_case_id", "case_id"),
    info={"subject": SubjectTable("subject_id", clock="closed_at")},
)

support_case_events = Table(
    "support_case_events",
    metadata,
    technical("id", _KEY, primary_key=True, autoincrement=True),
    _case_fk(),
    _subject_fk(),
    # note (staff only), reply (to the person), message (from the person), log (attached)
    personal("kind", String(16), nullable=False, activity=DESK, category="support_cases"),
    # "mail", "customer" or ``staff:<id>:<role>``
    technical("actor", String(64), nullable=False),
    personal("at", UTC_TIME, nullable=False, activity=DESK, category=None),
    personal("body_enc", LargeBinary, nullable=True, activity=DESK, category="support_cases"),
    # an attached log file: its name and its text, scrubbed (domain.telemetry_scrub)
    personal("log_name_enc", LargeBinary, nullable=True, activity=DESK, category="diagnostic_logs"),
    personal("log_enc", LargeBinary, nullable=True, activity=DESK, category="diagnostic_logs"),
    _closed_at(),
    Index("ix_support_case_events_subject_id", "subject_id"),
    Index("ix_support_case_events_case_id", "case_id", "at"),
    info={"subject": SubjectTable("subject_id", clock="closed_at")},
)
