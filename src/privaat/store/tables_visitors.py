"""The visitors tables (issue 10), on the shared metadata of ``privaat.store.tables``.

A website visitor who makes a choice in the cookie banner becomes a subject without an
account: a ``subjects`` row with its own key, so the consent ledger, receipts, erasure and
access requests treat them as they treat a customer. The visitor cookie holds a random
token; only its SHA-256 is stored (as the session tokens), so the table cannot give the
cookie back.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Index, LargeBinary, String, Table

from privaat.store.registry import SubjectTable, personal, technical
from privaat.store.tables import UTC_TIME, _subject_fk, metadata

__all__ = ["ESSENTIAL_COOKIES", "visitors"]

ESSENTIAL_COOKIES = "essential_cookies"  # the visitor cookie is strictly necessary (L42)

visitors = Table(
    "visitors",
    metadata,
    # SHA-256 of the visitor cookie's random token: the look-up key, never the token itself
    technical("token_hash", LargeBinary(32), primary_key=True),
    _subject_fk(),
    personal("created_at", UTC_TIME, nullable=False, activity=ESSENTIAL_COOKIES, category=None),
    # when the visitor last chose, the vendors shown then (a hash of the banner's recipients:
    # another list asks again, L42) and whether the choice came from Global Privacy Control
    personal("chosen_at", UTC_TIME, nullable=False, activity=ESSENTIAL_COOKIES, category=None),
    personal(
        "vendors_sha256",
        String(64),
        nullable=False,
        activity=ESSENTIAL_COOKIES,
        category="privacy_choices",
    ),
    personal(
        "gpc", Boolean, nullable=False, activity=ESSENTIAL_COOKIES, category="privacy_choices"
    ),
    Index("ix_visitors_subject_id", "subject_id"),
    info={"subject": SubjectTable("subject_id", clock="chosen_at")},
)
