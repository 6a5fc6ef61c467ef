"""Signed checkpoints of the audit chain and pruning to them (LEGAL L53, art. 5(1)(e), 32).

The trail is real (SQLite, or PostgreSQL when configured); the expected seqs, counts and
reasons are written out by hand from the entries each test makes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, delete, func, select, update

from privaat.store.audit import AuditTrail
from privaat.store.audit_checkpoints import (
    CHECKPOINT_KEY,
    AuditCheckpoints,
    NoCheckpoint,
    checkpoints_exist,
)
from privaat.store.crypto import MasterKey
from privaat.store.key_rotation import rotate_master_key
from privaat.store.key_store import KeyStore
from privaat.store.tables import audit_log, system_keys
from privaat.store.tables_lifecycle import audit_checkpoints
from privaat.store.unit_of_work import UnitOfWork

JAN = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
JUNE = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
BEFORE = datetime(2026, 5, 26, tzinfo=UTC)  # six months before NOW, the security log's P6M


def _append(engine: Engine, at: datetime, n: int) -> None:
    with engine.begin() as conn:
        for i in range(n):
            AuditTrail.append(
                conn, at=at + timedelta(minutes=i), actor="system:test", action="test.event",
                subject_pseudonym=None, detail={"i": i},
            )  # fmt: skip


@pytest.fixture
def checkpoints() -> AuditCheckpoints:
    return AuditCheckpoints(KeyStore(MasterKey.generate()))


def _pruned_trail(engine: Engine, checkpoints: AuditCheckpoints) -> None:
    """Entries 1-5 in January, checkpoint of 5, entries 6-8 in June; prune before 26 May."""
    _append(engine, JAN, 5)
    with engine.begin() as conn:
        made = checkpoints.make(conn, at=JAN + timedelta(hours=1))
    assert made.seq == 5
    _append(engine, JUNE, 3)
    with UnitOfWork(engine) as uow:
        outcome = checkpoints.prune(uow, before=BEFORE, at=NOW, actor="system:test")
    assert (outcome.deleted, outcome.first_kept_seq) == (4, 5)


def _seqs(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(select(audit_log.c.seq).order_by(audit_log.c.seq)).scalars())


def test_l53_a_checkpoint_signs_the_head_with_a_key_the_master_key_wraps(
    engine: Engine, checkpoints: AuditCheckpoints
) -> None:
    _append(engine, JAN, 3)
    with engine.begin() as conn:
        made = checkpoints.make(conn, at=NOW)
        again = checkpoints.make(conn, at=NOW + timedelta(days=1))  # the head has not moved
        head = AuditTrail.head(conn)
    assert head is not None
    assert (made.seq, made.entry_hash) == head
    assert again == made
    assert len(made.signature) == 64  # HMAC-SHA256, hex
    with engine.connect() as conn:
        names = set(conn.execute(select(system_keys.c.name)).scalars())
        assert checkpoints_exist(conn)
    assert CHECKPOINT_KEY in names


def test_a_checkpoint_of_an_empty_trail_is_refused(
    engine: Engine, checkpoints: AuditCheckpoints
) -> None:
    with engine.begin() as conn, pytest.raises(ValueError, match="audit trail is empty"):
        checkpoints.make(conn, at=NOW)


def test_l53_prune_then_verify_passes_from_the_checkpoint(
    engine: Engine, checkpoints: AuditCheckpoints
) -> None:
    _pruned_trail(engine, checkpoints)
    # 1-4 gone; 5 (the checkpoint's entry) kept; 6-8; 9 is the prune's own entry
    assert _seqs(engine) == [5, 6, 7, 8, 9]
    with engine.connect() as conn:
        verdict = checkpoints.verify(conn)
        pruned = list(AuditTrail.entries(conn, after_seq=8))
        plain = AuditTrail.verify(conn)  # without the checkpoint it looks cut off
    assert (verdict.ok, verdict.entries_checked) == (True, 5)
    assert pruned[0].action == "audit.pruned"
    assert dict(pruned[0].detail) == {"entries": 4, "first_kept_seq": 5, "before": "2026-05-26"}
    assert not plain.ok


def test_l53_pruning_without_a_checkpoint_is_refused_and_deletes_nothing(
    engine: Engine, checkpoints: AuditCheckpoints
) -> None:
    _append(engine, JAN, 4)
    with (
        UnitOfWork(engine) as uow,
        pytest.raises(NoCheckpoint, match="no signed checkpoint older than 2026-05-26"),
    ):
        checkpoints.prune(uow, before=BEFORE, at=NOW, actor="system:test")
    assert _seqs(engine) == [1, 2, 3, 4]


def test_l53_a_checkpoint_newer_than_the_retention_does_not_allow_pruning(
    engine: Engine, checkpoints: AuditCheckpoints
) -> None:
    _append(engine, JAN, 2)
    _append(engine, JUNE, 2)
    with engine.begin() as conn:
        checkpoints.make(conn, at=JUNE)  # of entry 4, a June entry: still within retention
    with UnitOfWork(engine) as uow, pytest.raises(NoCheckpoint):
        checkpoints.prune(uow, before=BEFORE, at=NOW, actor="system:test")
    assert _seqs(engine) == [1, 2, 3, 4]


def test_nothing_older_than_the_cutoff_prunes_nothing(
    engine: Engine, checkpoints: AuditCheckpoints
) -> None:
    _append(engine, JUNE, 2)
    with UnitOfWork(engine) as uow:
        outcome = checkpoints.prune(uow, before=BEFORE, at=NOW, actor="system:test")
    assert (outcome.deleted, _seqs(engine)) == (0, [1, 2])


def test_l53_an_edited_kept_entry_is_detected(
    engine: Engine, checkpoints: AuditCheckpoints
) -> None:
    _pruned_trail(engine, checkpoints)
    with engine.begin() as conn:
        conn.execute(update(audit_log).where(audit_log.c.seq == 7).values(actor="intruder"))
    with engine.connect() as conn:
        verdict = checkpoints.verify(conn)
    assert (verdict.ok, verdict.first_broken_seq) == (False, 7)
    assert "does not match its hash" in verdict.reason


def test_l53_an_edited_checkpointed_entry_is_detected(
    engine: Engine, checkpoints: AuditCheckpoints
) -> None:
    _pruned_trail(engine, checkpoints)
    with engine.begin() as conn:
        conn.execute(update(audit_log).where(audit_log.c.seq == 5).values(action="other"))
    with engine.connect() as conn:
        verdict = checkpoints.verify(conn)
    assert (verdict.ok, verdict.first_broken_seq) == (False, 5)


def test_l53_a_changed_checkpoint_hash_is_detected(
    engine: Engine, checkpoints: AuditCheckpoints
) -> None:
    _pruned_trail(engine, checkpoints)
    # the forger rewrites entry 5 and its hash, and points the checkpoint at the new hash
    with engine.begin() as conn:
        conn.execute(update(audit_checkpoints).values(entry_hash="ab" * 32))
    with engine.connect() as conn:
        verdict = checkpoints.verify(conn)
    assert (verdict.ok, verdict.first_broken_seq) == (False, 5)
    assert "not validly signed" in verdict.reason


def test_l53_a_changed_signature_is_detected(engine: Engine, checkpoints: AuditCheckpoints) -> None:
    _pruned_trail(engine, checkpoints)
    with engine.begin() as conn:
        conn.execute(update(audit_checkpoints).values(signature="00" * 32))
    with engine.connect() as conn:
        verdict = checkpoints.verify(conn)
    assert (verdict.ok, verdict.first_broken_seq) == (False, 5)
    assert "not validly signed" in verdict.reason


def test_l53_a_checkpoint_signed_under_another_key_is_detected(
    engine: Engine, checkpoints: AuditCheckpoints
) -> None:
    _pruned_trail(engine, checkpoints)
    # someone with the database but not the master key makes their own checkpoint key
    with engine.begin() as conn:
        conn.execute(delete(system_keys).where(system_keys.c.name == CHECKPOINT_KEY))
    forger = AuditCheckpoints(KeyStore(MasterKey.generate()))
    with engine.begin() as conn:
        forged = forger.make(conn, at=NOW)  # signs the head under the forger's key
    assert forged.seq == 9
    with engine.connect() as conn:
        verdict = checkpoints.verify(conn)  # the operator's key
    assert not verdict.ok


def test_l53_deleting_an_entry_after_the_checkpoint_is_detected(
    engine: Engine, checkpoints: AuditCheckpoints
) -> None:
    _pruned_trail(engine, checkpoints)
    with engine.begin() as conn:
        conn.execute(delete(audit_log).where(audit_log.c.seq == 6))
    with engine.connect() as conn:
        verdict = checkpoints.verify(conn)
    assert (verdict.ok, verdict.first_broken_seq) == (False, 6)
    assert "entry 6 is missing" in verdict.reason


def test_l53_deleting_the_checkpointed_entry_is_detected(
    engine: Engine, checkpoints: AuditCheckpoints
) -> None:
    _pruned_trail(engine, checkpoints)
    with engine.begin() as conn:
        conn.execute(delete(audit_log).where(audit_log.c.seq == 5))
    with engine.connect() as conn:
        verdict = checkpoints.verify(conn)
    assert (verdict.ok, verdict.first_broken_seq) == (False, 6)
    assert "no checkpoint of it or a later entry is stored" in verdict.reason


def test_l53_deleting_the_checkpoint_is_detected(
    engine: Engine, checkpoints: AuditCheckpoints
) -> None:
    _pruned_trail(engine, checkpoints)
    with engine.begin() as conn:
        conn.execute(delete(audit_checkpoints))
    with engine.connect() as conn:
        verdict = checkpoints.verify(conn)
    assert (verdict.ok, verdict.first_broken_seq) == (False, 5)


def test_l53_a_broken_trail_is_not_pruned(engine: Engine, checkpoints: AuditCheckpoints) -> None:
    _append(engine, JAN, 5)
    with engine.begin() as conn:
        checkpoints.make(conn, at=JAN)
        conn.execute(update(audit_log).where(audit_log.c.seq == 2).values(actor="intruder"))
    with UnitOfWork(engine) as uow, pytest.raises(NoCheckpoint, match="does not verify"):
        checkpoints.prune(uow, before=BEFORE, at=NOW, actor="system:test")
    assert _seqs(engine) == [1, 2, 3, 4, 5]


def test_l53_a_second_prune_starts_from_the_newer_checkpoint(
    engine: Engine, checkpoints: AuditCheckpoints
) -> None:
    _pruned_trail(engine, checkpoints)  # kept: 5-9, checkpoint of 5
    with engine.begin() as conn:
        checkpoints.make(conn, at=NOW)  # of entry 9, the prune's entry (26 November)
    with UnitOfWork(engine) as uow:
        outcome = checkpoints.prune(
            uow, before=datetime(2026, 12, 1, tzinfo=UTC), at=NOW, actor="system:test"
        )
    assert (outcome.deleted, outcome.first_kept_seq) == (4, 9)
    assert _seqs(engine) == [9, 10]
    with engine.connect() as conn:
        verdict = checkpoints.verify(conn)
        left = conn.execute(select(func.count()).select_from(audit_checkpoints)).scalar_one()
    assert (verdict.ok, verdict.entries_checked, left) == (True, 2, 1)


def test_l53_checkpoints_stay_valid_after_master_key_rotation(engine: Engine) -> None:
    old, new = MasterKey.generate(), MasterKey.generate()
    before_rotation = AuditCheckpoints(KeyStore(old))
    _pruned_trail(engine, before_rotation)
    with engine.begin() as conn:
        rotate_master_key(conn, old, new)
    with engine.connect() as conn:
        verdict = AuditCheckpoints(KeyStore(new)).verify(conn)
    assert verdict.ok


def test_l53_a_prune_in_small_batches_deletes_the_same_and_still_verifies(
    engine: Engine, checkpoints: AuditCheckpoints
) -> None:
    _append(engine, JAN, 12)
    with engine.begin() as conn:
        checkpoints.make(conn, at=JAN)  # of entry 12
    with UnitOfWork(engine) as uow:
        outcome = checkpoints.prune(uow, before=BEFORE, at=NOW, actor="system:test", batch=5)
    assert (outcome.deleted, _seqs(engine)) == (11, [12, 13])
    with engine.connect() as conn:
        assert checkpoints.verify(conn).ok


def test_l53_a_prune_stopped_midway_still_verifies_and_the_next_one_finishes(
    engine: Engine, checkpoints: AuditCheckpoints
) -> None:
    _append(engine, JAN, 10)
    with engine.begin() as conn:
        checkpoints.make(conn, at=JAN)  # of entry 10
        # what a prune killed after its first batch leaves: the oldest entries gone
        conn.execute(delete(audit_log).where(audit_log.c.seq < 4))
    with engine.connect() as conn:
        verdict = checkpoints.verify(conn)
    assert (verdict.ok, verdict.entries_checked) == (True, 7)  # entries 4-10
    with UnitOfWork(engine) as uow:
        outcome = checkpoints.prune(uow, before=BEFORE, at=NOW, actor="system:test")
    assert (outcome.deleted, _seqs(engine)) == (6, [10, 11])


def test_l53_an_edited_entry_before_the_checkpoint_of_a_half_pruned_trail_is_detected(
    engine: Engine, checkpoints: AuditCheckpoints
) -> None:
    _append(engine, JAN, 10)
    with engine.begin() as conn:
        checkpoints.make(conn, at=JAN)
        conn.execute(delete(audit_log).where(audit_log.c.seq < 4))
        conn.execute(update(audit_log).where(audit_log.c.seq == 6).values(actor="intruder"))
    with engine.connect() as conn:
        verdict = checkpoints.verify(conn)
    assert (verdict.ok, verdict.first_broken_seq) == (False, 6)
