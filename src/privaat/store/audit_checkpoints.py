"""Signed checkpoints of the audit chain, and pruning the trail's oldest entries (LEGAL L53).

The audit trail is a security log: the policy keeps it for ``security_logging``'s retention
(six months for Flexibelt), not for ever (art. 5(1)(e)). Deleting its oldest entries would
leave a chain that no longer starts at the genesis hash, indistinguishable from one whose
head was cut off. A checkpoint closes that gap:

    checkpoint = (seq, hash of entry seq, time of entry seq, made_at)
    signature  = HMAC-SHA256(K, canonical JSON of the checkpoint)

``K`` is derived (HKDF-SHA256, its own ``info``) from the system key ``audit-checkpoint``,
a random data key kept in ``system_keys`` wrapped by the master key like every other key:
a copy of the database alone cannot forge a checkpoint, and ``keys rotate`` re-wraps the
key without invalidating any signature.

- ``make`` signs the current head.
- ``prune(before)`` deletes the entries before the newest checkpoint whose entry is older
  than ``before``, and nothing without one; the checkpointed entry stays. It deletes the
  oldest first, in batches of their own transactions, so a prune stopped midway leaves a
  trail that still verifies and the next one finishes. The older checkpoints go too; the
  prune itself is appended to the trail (how many entries, the first kept seq).
- ``verify`` starts from the genesis when entry 1 is still there. Otherwise the kept trail
  must reach a signed checkpoint (the oldest at or after its first entry): the signature
  first, then every hash from the first kept entry on, recomputed and linked
  (``AuditTrail.verify_from``), and the checkpointed entry must carry the signed hash. Every
  checkpoint is checked so (its signature, and the hash its entry has). So an edited kept entry, a
  checkpoint whose hash or signature was changed, and an entry deleted after the
  checkpoint all show; what a signed checkpoint cannot show is the loss of the newest
  entries (see ``store.audit``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.hmac import HMAC
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Connection, delete, func, insert, select

from privaat.store.audit import AuditTrail, ChainVerdict
from privaat.store.crypto import KEY_BYTES
from privaat.store.key_errors import WrongMasterKey
from privaat.store.key_store import KeyStore, system_context
from privaat.store.tables import audit_log, system_keys
from privaat.store.tables_lifecycle import audit_checkpoints
from privaat.store.unit_of_work import UnitOfWork

__all__ = [
    "CHECKPOINT_KEY",
    "AuditCheckpoints",
    "Checkpoint",
    "NoCheckpoint",
    "PruneOutcome",
    "checkpoints_exist",
]

CHECKPOINT_KEY = "audit-checkpoint"  # the system key's name in system_keys
_HKDF_INFO = b"privaat/audit-checkpoint/v1"
PRUNE_BATCH = 5_000  # entries deleted per transaction: appenders wait one batch at most


class NoCheckpoint(Exception):
    """Pruning was refused: no signed checkpoint lies where the prune would end."""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    seq: int
    entry_hash: str
    entry_at: datetime
    made_at: datetime
    signature: str


@dataclass(frozen=True, slots=True)
class PruneOutcome:
    deleted: int  # audit entries deleted
    first_kept_seq: int  # the checkpointed entry the kept chain now starts at (0: empty)


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _message(seq: int, entry_hash: str, entry_at: datetime, made_at: datetime) -> bytes:
    return json.dumps(
        {
            "seq": seq,
            "hash": entry_hash,
            "entry_at": _utc(entry_at).isoformat(timespec="microseconds"),
            "made_at": _utc(made_at).isoformat(timespec="microseconds"),
        },
        sort_keys=True,
        separators=(",", ":"),
    ).encode()


def checkpoints_exist(conn: Connection) -> bool:
    """Whether any checkpoint is stored (then verifying needs the master key)."""
    return conn.execute(select(func.count()).select_from(audit_checkpoints)).scalar_one() > 0


class AuditCheckpoints:
    """Makes, checks and prunes to signed checkpoints, inside the caller's transaction."""

    def __init__(self, keys: KeyStore) -> None:
        self._keys = keys
        self._signing_key: bytes | None = None

    # --- the signing key ---------------------------------------------------------------------

    def _key(self, conn: Connection) -> bytes:
        if self._signing_key is not None:
            return self._signing_key
        self._keys.system_cipher(conn, CHECKPOINT_KEY)  # creates the system key on first use
        row = conn.execute(
            select(system_keys.c.master_key_id, system_keys.c.wrapped_key).where(
                system_keys.c.name == CHECKPOINT_KEY
            )
        ).one()
        master = self._keys.master
        if row.master_key_id != master.id:  # system_cipher refuses this first; kept for clarity
            raise WrongMasterKey(f"the checkpoint key is wrapped by master key {row.master_key_id}")
        data_key = master.unwrap(row.wrapped_key, context=system_context(CHECKPOINT_KEY))
        # domain separation: the HMAC key is never the AES key system_cipher would use
        self._signing_key = HKDF(
            algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=_HKDF_INFO
        ).derive(data_key)
        return self._signing_key

    def _sign(self, conn: Connection, message: bytes) -> str:
        mac = HMAC(self._key(conn), hashes.SHA256())
        mac.update(message)
        return mac.finalize().hex()

    def signature_valid(self, conn: Connection, checkpoint: Checkpoint) -> bool:
        """Whether the checkpoint's signature is ours, compared in constant time."""
        try:
            signature = bytes.fromhex(checkpoint.signature)
        except ValueError:
            return False
        mac = HMAC(self._key(conn), hashes.SHA256())
        mac.update(
            _message(checkpoint.seq, checkpoint.entry_hash, checkpoint.entry_at, checkpoint.made_at)
        )
        try:
            mac.verify(signature)
        except InvalidSignature:
            return False
        return True

    # --- make, list ----------------------------------------------------------------------------

    def make(self, conn: Connection, *, at: datetime) -> Checkpoint:
        """Sign the current head of the trail; ValueError on an empty trail."""
        AuditTrail.flush(conn)  # this transaction's own entries first: the head is the newest
        AuditTrail._lock_head(conn)  # no append slips in between reading and signing the head
        row = conn.execute(
            select(audit_log.c.seq, audit_log.c.hash, audit_log.c.at)
            .order_by(audit_log.c.seq.desc())
            .limit(1)
        ).first()
        if row is None:
            raise ValueError("the audit trail is empty: there is no entry to checkpoint")
        existing = self._checkpoint(conn, row.seq)
        if existing is not None:
            return existing  # the head has not moved since the last checkpoint
        made_at = _utc(at)
        checkpoint = Checkpoint(
            seq=row.seq,
            entry_hash=row.hash,
            entry_at=_utc(row.at),
            made_at=made_at,
            signature=self._sign(conn, _message(row.seq, row.hash, row.at, made_at)),
        )
        conn.execute(
            insert(audit_checkpoints).values(
                seq=checkpoint.seq,
                entry_hash=checkpoint.entry_hash,
                entry_at=checkpoint.entry_at,
                made_at=checkpoint.made_at,
                signature=checkpoint.signature,
            )
        )
        return checkpoint

    @staticmethod
    def _from_row(row: object) -> Checkpoint:
        return Checkpoint(
            seq=row.seq,  # type: ignore[attr-defined]
            entry_hash=row.entry_hash,  # type: ignore[attr-defined]
            entry_at=_utc(row.entry_at),  # type: ignore[attr-defined]
            made_at=_utc(row.made_at),  # type: ignore[attr-defined]
            signature=row.signature,  # type: ignore[attr-defined]
        )

    def _checkpoint(self, conn: Connection, seq: int) -> Checkpoint | None:
        row = conn.execute(select(audit_checkpoints).where(audit_checkpoints.c.seq == seq)).first()
        return None if row is None else self._from_row(row)

    def all(self, conn: Connection) -> list[Checkpoint]:
        """Every stored checkpoint, oldest first."""
        rows = conn.execute(select(audit_checkpoints).order_by(audit_checkpoints.c.seq)).all()
        return [self._from_row(row) for row in rows]

    # --- prune ---------------------------------------------------------------------------------

    def prune(
        self,
        uow: UnitOfWork,
        *,
        before: datetime,
        at: datetime,
        actor: str,
        batch: int = PRUNE_BATCH,
    ) -> PruneOutcome:
        """Delete the entries before the newest valid checkpoint older than ``before``.

        Refuses (NoCheckpoint, nothing deleted) when entries are older than ``before`` but no
        signed checkpoint is, or when the trail does not verify: pruning must never turn a
        broken trail into one that looks whole. The chain is verified in a reading
        transaction; the deletes go oldest first, ``batch`` entries per transaction, so
        appenders wait at most one batch, and a prune stopped midway leaves a trail that
        still verifies (its first entry links on to the checkpoint) and that the next prune
        finishes.
        """
        if batch < 1:
            raise ValueError("batch must be at least 1")
        before = _utc(before)
        with uow.reading() as conn:
            first = conn.execute(select(func.min(audit_log.c.seq))).scalar_one_or_none()
            oldest_at = conn.execute(select(func.min(audit_log.c.at))).scalar_one_or_none()
            if first is None or oldest_at is None or _utc(oldest_at) >= before:
                return PruneOutcome(deleted=0, first_kept_seq=first or 0)
            candidates = [c for c in self.all(conn) if c.entry_at < before and c.seq >= first]
            if not candidates:
                raise NoCheckpoint(
                    f"no signed checkpoint older than {before.date().isoformat()}: the trail "
                    "can only be pruned up to one (run `privaat audit checkpoint` first, then "
                    "prune once the checkpoint is older than the retention); nothing was "
                    "deleted"
                )
            anchor = candidates[-1]
            if anchor.seq == first:  # pruned up to it already: nothing older has a checkpoint
                return PruneOutcome(deleted=0, first_kept_seq=first)
            verdict = self.verify(conn)
            if not verdict.ok:
                raise NoCheckpoint(
                    f"the audit trail does not verify (entry {verdict.first_broken_seq}: "
                    f"{verdict.reason}): pruning it would hide the break; nothing was deleted"
                )
        # the checkpointed entry stays (the next append links to the head as before), and
        # the oldest go first: what is left always starts on a chain that reaches the anchor
        deleted, start = 0, first
        while start < anchor.seq:
            end = min(start + batch, anchor.seq)
            with uow.writing() as conn:
                deleted += conn.execute(
                    delete(audit_log).where(audit_log.c.seq >= start, audit_log.c.seq < end)
                ).rowcount
            start = end
        with uow.writing() as conn:
            conn.execute(delete(audit_checkpoints).where(audit_checkpoints.c.seq < anchor.seq))
            AuditTrail.append(
                conn,
                at=at,
                actor=actor,
                action="audit.pruned",
                subject_pseudonym=None,
                detail={
                    "entries": deleted,
                    "first_kept_seq": anchor.seq,
                    "before": before.date().isoformat(),
                },
            )
        return PruneOutcome(deleted=deleted, first_kept_seq=anchor.seq)

    # --- verify --------------------------------------------------------------------------------

    def verify(self, conn: Connection) -> ChainVerdict:
        """The chain from the genesis or from its anchoring checkpoint, and every checkpoint."""
        first = conn.execute(select(func.min(audit_log.c.seq))).scalar_one_or_none()
        checkpoints = self.all(conn)
        if first is None or first == 1:
            verdict = AuditTrail.verify(conn)
        else:
            verdict = self._verify_pruned(conn, first, checkpoints)
        if not verdict.ok:
            return verdict
        # every checkpoint must be ours and name the hash its entry has
        kept = dict(
            conn.execute(
                select(audit_log.c.seq, audit_log.c.hash).where(
                    audit_log.c.seq.in_([c.seq for c in checkpoints])
                )
            ).all()
        )
        for checkpoint in checkpoints:
            if not self.signature_valid(conn, checkpoint):
                return ChainVerdict(
                    False,
                    verdict.entries_checked,
                    checkpoint.seq,
                    f"the checkpoint of entry {checkpoint.seq} is not validly signed "
                    "(its hash, time or signature was changed)",
                )
            if kept.get(checkpoint.seq) != checkpoint.entry_hash:
                return ChainVerdict(
                    False,
                    verdict.entries_checked,
                    checkpoint.seq,
                    f"the checkpoint of entry {checkpoint.seq} names another hash than the "
                    "entry has (the entry or the checkpoint was changed, or the entry deleted)",
                )
        return verdict

    def _verify_pruned(
        self, conn: Connection, first: int, checkpoints: list[Checkpoint]
    ) -> ChainVerdict:
        # the kept trail must reach a signed checkpoint: the oldest one at or after its first
        # entry. Every hash from that entry on is recomputed and linked, and the checkpoint's
        # entry must carry the signed hash, so no kept entry up to it can change unnoticed
        anchor = next((c for c in checkpoints if c.seq >= first), None)
        if anchor is None:
            return ChainVerdict(
                False,
                0,
                first,
                f"the trail starts at entry {first} and no checkpoint of it or a later entry "
                "is stored: entries were deleted without one",
            )
        if not self.signature_valid(conn, anchor):
            return ChainVerdict(
                False,
                0,
                anchor.seq,
                f"the checkpoint of entry {anchor.seq}, which the kept trail starts from, is "
                "not validly signed (its hash, time or signature was changed)",
            )
        entry = next(AuditTrail.entries(conn, after_seq=first - 1, chunk=1))
        # the first kept entry's own prev_hash starts the walk: its hash covers it
        return AuditTrail.verify_from(conn, seq=first - 1, hash=entry.prev_hash)
