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

Concurrency: the chain is written under one lock, taken before the head is read, so
appenders from any number of processes queue instead of forking the chain: on PostgreSQL
``pg_advisory_xact_lock`` (held to commit; the head is read by a later statement, which
READ COMMITTED, PostgreSQL's default, lets see the previous appender's commit); on SQLite
the database write lock, which a no-op UPDATE takes. The ``seq`` primary key is the
backstop: a fork can never be stored, only refused.

The lock is held from the write of the entries to the commit, so *when* a transaction
writes them decides how long others wait. Inside ``UnitOfWork.writing()`` (every service's
writing transaction) ``append`` checks its arguments at once — a bad entry raises at the
call, nothing is written — and keeps the entry in the transaction's own buffer
(``Connection.info``); the unit of work writes the buffer (``flush``: lock, head, every
entry in the order appended, numbered and linked) as the transaction's last statements,
just before COMMIT. The lock is then held for those few statements and the commit, not for
the rest of the transaction (the consent listeners, the ledger, the access log), so writing
transactions run their work side by side and queue only for the flush and commit. A
transaction that rolls back drops its buffer: nothing was written, so nothing leaves a gap.
Reading the trail (``head``, ``entries``, ``verify``) on a connection whose buffer holds
entries writes them first, so a transaction sees its own entries; so does an append inside
a savepoint (``begin_nested``), which is written at once, so the savepoint's rollback takes
it back with it. Outside a unit of work (a bare ``engine.begin()``) ``append`` writes at
once and returns the stored entry, as it always did.

What this changes and what it does not: every entry is still in one chain, numbered without
a gap and linked to the one before, written in the same transaction as the change it
records (both commit or neither does), so ``verify`` finds an edited, deleted, inserted or
reordered entry exactly as before, on SQLite and PostgreSQL alike. What moved is the order:
entries are numbered in the order their transactions *commit* (reach the flush), not in the
order ``append`` was called across transactions; an entry's ``at`` is its caller's clock,
as before, and within one transaction the entries keep their order. What is still one
point of serialisation, and has to be for one chain: the flush and the commit (its WAL
flush) of every audited transaction, one after another — entry n + 1 links to entry n's
hash, so n must have committed before n + 1 is written, or a rollback of n would leave
n + 1 linked to nothing. Audited writes therefore top out near one connection's commit
rate; ``docs/scaling.md`` gives the figures and the next step (several chains).
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
from typing import Any, TypeAlias

from sqlalchemy import Connection, Engine, bindparam, event, insert, select, text, update

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
# Connection.info key: the entries of the open transaction not yet written (see the docstring)
_PENDING = "privaat_audit_pending"

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
class _Pending:
    """An entry checked and waiting for its transaction's flush: no seq or hash yet."""

    at: datetime
    actor: str
    action: str
    subject_pseudonym: str | None
    detail: Mapping[str, DetailValue]


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
    ) -> AuditEntry | None:
        """Add an entry after the current head; concurrent appenders queue, never fork.

        Inside ``UnitOfWork.writing()`` the entry is checked now and written just before the
        commit (None is returned: its seq and hash exist only then; ``flush`` writes the
        buffer earlier and returns the stored entries). Elsewhere it is written now and the
        stored entry returned."""
        if at.tzinfo is None:
            raise ValueError("audit time must be timezone-aware (UTC)")
        _check_text("actor", actor, 64)
        _check_text("action", action, 64)
        if subject_pseudonym is not None:
            _check_text("subject pseudonym", subject_pseudonym, 32)
        _check_detail(detail)
        entry = _Pending(_utc(at), actor, action, subject_pseudonym, MappingProxyType(dict(detail)))
        pending = _buffer(conn)
        if pending is not None and not conn.in_nested_transaction():
            pending.append(entry)
            return None
        # inside a savepoint the entry is written now, so the savepoint's rollback takes it
        # back; what the transaction appended before it was written when it began (below)
        return cls._write(conn, [entry])[0]

    @classmethod
    def defer(cls, conn: Connection) -> None:
        """Keep this transaction's appends until ``flush`` (``UnitOfWork.writing`` calls it
        when the transaction begins)."""
        conn.info[_PENDING] = (conn.get_transaction(), [])

    @classmethod
    def flush(cls, conn: Connection) -> list[AuditEntry]:
        """Write the buffered entries now (lock, head, in the order appended); the unit of work
        calls it just before COMMIT. Later appends of the transaction are buffered again."""
        pending = _buffer(conn)
        if not pending:
            return []
        written = cls._write(conn, pending)
        pending.clear()  # only once written: a failed write rolls the transaction back
        return written

    @staticmethod
    def discard(info: dict[Any, Any]) -> None:
        """Forget the buffer of the connection whose ``info`` this is: its transaction ended
        (committed after its flush, or rolled back, which takes its entries with it)."""
        info.pop(_PENDING, None)

    @classmethod
    def _write(cls, conn: Connection, entries: list[_Pending]) -> list[AuditEntry]:
        cls._lock_head(conn)
        head = conn.execute(_SELECT_HEAD).first()
        seq, prev_hash = (1, GENESIS_HASH) if head is None else (head.seq + 1, head.hash)
        rows, written = [], []
        for entry in entries:
            digest = entry_hash(
                prev_hash=prev_hash,
                seq=seq,
                at=entry.at,
                actor=entry.actor,
                action=entry.action,
                subject_pseudonym=entry.subject_pseudonym,
                detail=entry.detail,
            )
            rows.append(
                {
                    "seq": seq,
                    "at": entry.at,
                    "actor": entry.actor,
                    "action": entry.action,
                    "subject_pseudonym": entry.subject_pseudonym,
                    "detail": _canonical_detail(entry.detail),
                    "prev_hash": prev_hash,
                    "hash": digest,
                }
            )
            written.append(
                AuditEntry(
                    seq,
                    entry.at,
                    entry.actor,
                    entry.action,
                    entry.subject_pseudonym,
                    entry.detail,
                    prev_hash,
                    digest,
                )
            )
            seq, prev_hash = seq + 1, digest
        conn.execute(_INSERT, rows)
        return written

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
        cls.flush(conn)
        row = conn.execute(_SELECT_HEAD).first()
        return None if row is None else (row.seq, row.hash)

    @classmethod
    def entries(
        cls, conn: Connection, *, after_seq: int = 0, chunk: int = VERIFY_CHUNK
    ) -> Iterator[AuditEntry]:
        """Every entry after ``after_seq`` in order, read ``chunk`` rows at a time."""
        if chunk < 1:
            raise ValueError("chunk must be at least 1")
        cls.flush(conn)
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


def _buffer(conn: Connection) -> list[_Pending] | None:
    # the buffer of the transaction open on ``conn``, if ``defer`` began one for it: a buffer
    # left behind by an earlier transaction (a connection back from the pool) is not used
    state = conn.info.get(_PENDING)
    if state is None or state[0] is not conn.get_transaction():
        return None
    return state[1]  # type: ignore[no-any-return]


@event.listens_for(Engine, "savepoint")
def _flush_before_savepoint(conn: Connection, _name: str | None) -> None:
    # a savepoint's rollback must take back only what was appended inside it: entries
    # buffered before it are written before the SAVEPOINT statement (this event runs first)
    AuditTrail.flush(conn)


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
