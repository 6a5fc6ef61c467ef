"""Account inactivity notices and audit-trail checkpoints (issue 13 item 1).

    inactivity_notices   P20, L52: one row per account that was told it is inactive: when the
                         notice went out, so it goes once and the closure follows after the
                         policy's grace period; a log-in, a live service or the holder's
                         answer (``kept_at``) afterwards withdraws it
    audit_checkpoints    L53: signed checkpoints of the audit chain (an entry's seq and hash),
                         the anchor ``audit verify`` starts from once older entries are pruned
                         (``privaat.store.audit_checkpoints``)

A checkpoint names no subject: it holds a seq, a SHA-256 hash, two times and an HMAC.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, String, Table

from privaat.domain.activities import ACCOUNT
from privaat.store.registry import ACCOUNT_CLOSURE, SubjectTable, Unlinked, personal, technical
from privaat.store.tables import UTC_TIME, _subject_fk, metadata

__all__ = ["audit_checkpoints", "inactivity_notices"]

_SEQ = BigInteger().with_variant(Integer(), "sqlite")

inactivity_notices = Table(
    "inactivity_notices",
    metadata,
    _subject_fk(primary_key=True),
    # when the pending notice was queued (the grace period runs from here); NULL once a
    # log-in, a live service or an answer withdrew it
    personal("noticed_at", UTC_TIME, nullable=True, activity=ACCOUNT, category=None),
    # the last sign of activity the notice was based on
    personal("last_active_at", UTC_TIME, nullable=True, activity=ACCOUNT, category=None),
    # when the holder answered a notice to keep the account: a sign of activity itself
    personal("kept_at", UTC_TIME, nullable=True, activity=ACCOUNT, category=None),
    info={"subject": SubjectTable("subject_id", clock=ACCOUNT_CLOSURE)},
)

audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    technical("seq", _SEQ, primary_key=True, autoincrement=False),  # the entry checkpointed
    technical("entry_hash", String(64), nullable=False),
    technical("entry_at", UTC_TIME, nullable=False),  # the entry's own time: what prune compares
    technical("made_at", UTC_TIME, nullable=False),
    technical("signature", String(64), nullable=False),  # HMAC-SHA256, hex
    info={"subject": Unlinked("a checkpoint holds a seq, a hash and times: no subject")},
)
