"""The one audit-chain module: an append-only, hash-chained trail that names subjects by pseudonym.

Each entry's hash covers the previous entry's hash and its own content::

    hash(n) = SHA-256( prev_hash(n) || canonical JSON {seq, at, actor, action, subject, detail} )
    prev_hash(1) = 64 zeros;  prev_hash(n) = hash(n - 1)

so editing, deleting, reordering or cutting off the head of the trail breaks the chain where
it happened, and ``verify`` says where (GDPR art. 5(2) accountability, art. 32(1)(b)
integrity; LEGAL L53 append-only security logs). What a chain alone cannot show is the
loss of its newest entries: an operator who records the head (``head``) elsewhere, e.g. in
the DPO's weekly report, can detect that too.

Retention (L53): the trail is a security log with the policy's ``security_logging``
retention. Its oldest entries are pruned only up to a signed checkpoint of an entry's hash
(``privaat.store.audit_checkpoints``, ``privaat audit checkpoint`` / ``audit prune``); a
pruned trail is verified from that checkpoint (``verify_from``), its signature first, so it
stays as verifiable as a whole one (docs/retention-audit.md).

The trail holds no personal data in clear (art. 5(1)(c)): subjects appear by pseudonym, and
``append`` refuses detail keys named after personal data and values shaped like an e-mail
or IP address.

Concurrency: ``append`` runs in the caller's transaction and takes a lock before it reads
the head, so appenders from any number of processes queue instead of forking the chain:
on PostgreSQL ``pg_advisory_xact_lock`` (held to commit; the head is read by a later
statement, which READ COMMITTED, PostgreSQL's default, lets see the previous appender's
commit); on SQLite the database write lock, which a no-op UPDATE takes. The ``seq``
primary key is the backstop: a fork can never be stored, only refused.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TypeAlias

from sqlalchemy import Connection, bindparam, insert, select, text, update

from privaat.store.tables import audit_log

__all__ = [
    "GENESIS_HASH",
    "AuditEntry",
    "AuditTrail",
    "ChainVerdict",
    "DetailValue",
    "entry_hash",
]

DetailValue: TypeAlias = str | int | bool | None

GENESIS_HASH = "0" * 64
VERIFY_CHUNK = 5_000
# pg_advisory_xact_lock takes a bigint: the ASCII of "privaudt", fixed for all releases
_POSTGRES_LOCK_ID = int.from_bytes(b"privaudt", "big")

# detail keys that name personal data; a key is split into words ("customerEmail",
# "ip_address" -> customer/email, ip/address) and refused if any word is on this list
# or its words run together spell "email" ("e_mail", "emailAddress")
_PERSONAL_WORDS = frozenset(
    {
        "address",
        "birth",
        "birthdate",
        "city",
        "email",
        "iban",
        "ip",
        "ipv4",
        "ipv6",
        "mobile",
        "name",
        "password",
        "phone",
        "postcode",
        "postal",
        "street",
        "surname",
        "telephone",
        "vat",
        "zip",
    }
)
_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_EMAIL_SHAPE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True)
class AuditEntry:
    """One link of the chain, as stored."""

    seq: int
    at: datetime
    actor: str
    action: str
    subject_pseudonym: str | None
    detail: Mapping[str, DetailValue]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class ChainVerdict:
    """The outcome of ``verify``: intact, or the first entry where the chain breaks and why."""

    ok: bool
    entries_checked: int  # entries found intact before the break (all of them when ok)
    first_broken_seq: int | None
    reason: str


def _utc(at: datetime) -> datetime:
    # SQLite gives the stored UTC moment back without its zone; PostgreSQL in its session zone
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _canonical_detail(detail: Mapping[str, DetailValue]) -> str:
    return json.dumps(dict(detail), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(
    *,
    prev_hash: str,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    subject_pseudonym: str | None,
    detail: Mapping[str, DetailValue],
) -> str:
    """The hash that links an entry to ``prev_hash``; the one definition ``verify`` rechecks."""
    body = json.dumps(
        {
            "seq": seq,
            "at": _utc(at).isoformat(timespec="microseconds"),
            "actor": actor,
            "action": action,
            "subject": subject_pseudonym,
            "detail": dict(detail),
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def _check_text(name: str, value: str, limit: int) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"audit {name} must be a non-empty string")
    if len(value) > limit:
        raise ValueError(f"audit {name} is longer than {limit} characters: {value[:20]!r}…")


def _check_detail(detail: Mapping[str, DetailValue]) -> None:
    for key, value in detail.items():
        if not isinstance(key, str) or not key:
            raise ValueError(f"audit detail keys must be non-empty strings, got {key!r}")
        words = [word.lower() for word in _WORD.findall(key)]
        if not _PERSONAL_WORDS.isdisjoint(words) or "email" in "".join(words):
            raise ValueError(
                f"audit detail key {key!r} names personal data: the audit trail refers to "
                "people by pseudonym only (art. 5(1)(c))"
            )
        if value is not None and not isinstance(value, str | int | bool):
            raise ValueError(
                f"audit detail {key!r} must be a string, integer, boolean or None, "
                f"not {type(value).__name__}"
            )
        if isinstance(value, str) and _looks_personal(value):
            raise ValueError(
                f"audit detail {key!r} holds what looks like an e-mail or IP address: "
                "the audit trail refers to people by pseudonym only (art. 5(1)(c))"
            )


def _looks_personal(value: str) -> bool:
    if _EMAIL_SHAPE.search(value):
        return True
    try:
        ipaddress.ip_address(value.strip())
    except ValueError:
        return False
    return True


class AuditTrail:
    """Appends to and verifies the hash chain in ``audit_log``, inside the caller's transaction."""

    # Stateless: the chain lives in the database, so ``AuditTrail.append(conn, ...)`` and an
    # instance's ``append`` are the same call.

    @classmethod
    def append(
        cls,
        conn: Connection,
        *,
        at: datetime,
        actor: str,
        action: str,
        subject_pseudonym: str | None,
        detail: Mapping[str, DetailValue],
    ) -> AuditEntry:
        """Add an entry after the current head; concurrent appenders queue, never fork."""
        if at.tzinfo is None:
            raise ValueError("audit time must be timezone-aware (UTC)")
        _check_text("actor", actor, 64)
        _check_text("action", action, 64)
        if subject_pseudonym is not None:
            _check_text("subject pseudonym", subject_pseudonym, 32)
        _check_detail(detail)
        at = _utc(at)
        cls._lock_head(conn)
        head = conn.execute(_SELECT_HEAD).first()
        seq, prev_hash = (1, GENESIS_HASH) if head is None else (head.seq + 1, head.hash)
        frozen = MappingProxyType(dict(detail))
        digest = entry_hash(
            prev_hash=prev_hash,
            seq=seq,
            at=at,
            actor=actor,
            action=action,
            subject_pseudonym=subject_pseudonym,
            detail=frozen,
        )
        conn.execute(
            _INSERT,
            {
                "seq": seq,
                "at": at,
                "actor": actor,
                "action": action,
                "subject_pseudonym": subject_pseudonym,
                "detail": _canonical_detail(frozen),
                "prev_hash": prev_hash,
                "hash": digest,
            },
        )
        return AuditEntry(seq, at, actor, action, subject_pseudonym, frozen, prev_hash, digest)

    @staticmethod
    def _lock_head(conn: Connection) -> None:
        # Two appenders that read the same head would both write seq n+1: the primary key
        # stops the fork, but one of them would fail. So each takes the write lock first
        # and reads the head under it.
        if conn.dialect.name == "postgresql":
            # held until the caller's transaction ends, so the head we read stays the head
            conn.execute(_TAKE_POSTGRES_LOCK, {"lock": _POSTGRES_LOCK_ID})
        elif conn.dialect.name == "sqlite":
            # SQLite has one writer at a time: a write that changes nothing takes the
            # database write lock (waiting busy_timeout for it), and it holds to commit
            conn.execute(_TAKE_SQLITE_WRITE_LOCK)

    @classmethod
    def head(cls, conn: Connection) -> tuple[int, str] | None:
        """The newest entry's seq and hash, to record outside the database; None when empty."""
        row = conn.execute(_SELECT_HEAD).first()
        return None if row is None else (row.seq, row.hash)

    @classmethod
    def entries(
        cls, conn: Connection, *, after_seq: int = 0, chunk: int = VERIFY_CHUNK
    ) -> Iterator[AuditEntry]:
        """Every entry after ``after_seq`` in order, read ``chunk`` rows at a time."""
        if chunk < 1:
            raise ValueError("chunk must be at least 1")
        while rows := conn.execute(_SELECT_PAGE, {"after": after_seq, "chunk": chunk}).all():
            for row in rows:
                yield AuditEntry(
                    seq=row.seq,
                    at=_utc(row.at),
                    actor=row.actor,
                    action=row.action,
                    subject_pseudonym=row.subject_pseudonym,
                    detail=MappingProxyType(json.loads(row.detail)),
                    prev_hash=row.prev_hash,
                    hash=row.hash,
                )
            after_seq = rows[-1].seq

    @classmethod
    def verify(cls, conn: Connection, *, chunk: int = VERIFY_CHUNK) -> ChainVerdict:
        """Recompute the whole chain from the first entry, streaming; stop at the first break."""
        expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
        try:
            for entry in cls.entries(conn, chunk=chunk):
                reason = _break_in(entry, expected_seq, prev_hash)
                if reason is not None:
                    return ChainVerdict(False, checked, min(entry.seq, expected_seq), reason)
                expected_seq, prev_hash, checked = entry.seq + 1, entry.hash, checked + 1
        except (ValueError, TypeError) as error:  # unparseable detail JSON
            return ChainVerdict(False, checked, expected_seq, f"unreadable entry: {error}")
        return ChainVerdict(True, checked, None, "intact")

    @classmethod
    def verify_from(
        cls, conn: Connection, *, seq: int, hash: str, chunk: int = VERIFY_CHUNK
    ) -> ChainVerdict:
        """Recompute the chain after a trusted anchor: the entry ``seq`` had ``hash``.

        The first entry checked must be ``seq + 1`` and link to ``hash``: what the entries up
        to ``seq`` were, pruned or not, no longer matters. ``store.audit_checkpoints`` checks
        the anchor's signature before it calls this; ``verify`` is the same from the genesis.
        """
        expected_seq, prev_hash, checked = seq + 1, hash, 0
        try:
            for entry in cls.entries(conn, after_seq=seq, chunk=chunk):
                reason = _break_in(entry, expected_seq, prev_hash, anchor=seq)
                if reason is not None:
                    return ChainVerdict(False, checked, min(entry.seq, expected_seq), reason)
                expected_seq, prev_hash, checked = entry.seq + 1, entry.hash, checked + 1
        except (ValueError, TypeError) as error:  # unparseable detail JSON
            return ChainVerdict(False, checked, expected_seq, f"unreadable entry: {error}")
        return ChainVerdict(True, checked, None, "intact")


def _break_in(
    entry: AuditEntry, expected_seq: int, prev_hash: str, *, anchor: int = 0
) -> str | None:
    if entry.seq != expected_seq:
        if anchor and expected_seq == anchor + 1:
            return f"entry {expected_seq}, the first after the checkpoint, is missing"
        if expected_seq == 1:
            return f"the trail starts at entry {entry.seq}: its head was cut off"
        return f"entry {expected_seq} is missing (the next entry is {entry.seq})"
    recomputed = entry_hash(
        prev_hash=entry.prev_hash,
        seq=entry.seq,
        at=entry.at,
        actor=entry.actor,
        action=entry.action,
        subject_pseudonym=entry.subject_pseudonym,
        detail=entry.detail,
    )
    if recomputed != entry.hash:
        return "its content does not match its hash (edited or moved)"
    if entry.prev_hash != prev_hash:
        if anchor and expected_seq == anchor + 1:
            return f"it does not link to the checkpoint of entry {anchor}"
        if expected_seq == 1:
            return "the first entry does not start from the genesis hash: its head was cut off"
        return f"it does not link to entry {expected_seq - 1} (an entry was replaced or removed)"
    return None


_INSERT = insert(audit_log)
_SELECT_HEAD = select(audit_log.c.seq, audit_log.c.hash).order_by(audit_log.c.seq.desc()).limit(1)
_SELECT_PAGE = (
    select(audit_log)
    .where(audit_log.c.seq > bindparam("after"))
    .order_by(audit_log.c.seq)
    .limit(bindparam("chunk"))
)
_TAKE_POSTGRES_LOCK = text("SELECT pg_advisory_xact_lock(:lock)")
_TAKE_SQLITE_WRITE_LOCK = update(audit_log).where(audit_log.c.seq == -1).values(seq=audit_log.c.seq)
