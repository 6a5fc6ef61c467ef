"""The hash-chained audit trail: appending, verifying, and catching every kind of tampering."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Connection, Engine, delete, func, select, update

from privaat.store import audit
from privaat.store.audit import GENESIS_HASH, AuditTrail, DetailValue, entry_hash
from privaat.store.audit_checkpoints import AuditCheckpoints
from privaat.store.crypto import MasterKey
from privaat.store.key_store import KeyStore
from privaat.store.tables import audit_log
from privaat.store.unit_of_work import UnitOfWork

T0 = datetime(2026, 11, 26, 9, 30, 0, 123456, tzinfo=UTC)
PSEUDONYM = "3f2a9c0e5b7d41e6a8c2f0b9d3e7a1c4"


def _append(conn: Connection, n: int, **detail: DetailValue) -> None:
    AuditTrail.append(
        conn,
        at=T0 + timedelta(seconds=n),
        actor="staff:7" if n % 2 else "self",
        action=f"test.action{n}",
        subject_pseudonym=PSEUDONYM if n % 3 else None,
        detail={"activity": "account", "n": n, "ok": True, "note": None, **detail},
    )


def _trail(engine: Engine, entries: int) -> None:
    with engine.begin() as conn:
        for n in range(1, entries + 1):
            _append(conn, n)


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(audit_log)).scalar_one()


def test_public_api_names_exist() -> None:
    assert all(hasattr(audit, name) for name in audit.__all__)


def test_l53_appended_entries_form_a_chain_from_the_genesis_hash(engine: Engine) -> None:
    with engine.begin() as conn:
        first = AuditTrail.append(
            conn, at=T0, actor="self", action="account.created",
            subject_pseudonym=PSEUDONYM, detail={"activity": "account"},
        )  # fmt: skip
        second = AuditTrail.append(
            conn, at=T0, actor="dpo", action="request.opened",
            subject_pseudonym=None, detail={"kind": "access"},
        )  # fmt: skip
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == GENESIS_HASH == "0" * 64
    assert second.prev_hash == first.hash != second.hash
    with engine.connect() as conn:
        stored = list(AuditTrail.entries(conn))
        verdict = AuditTrail.verify(conn)
    assert stored == [first, second]
    assert (verdict.ok, verdict.entries_checked, verdict.first_broken_seq) == (True, 2, None)


def test_an_empty_trail_is_intact(engine: Engine) -> None:
    with engine.connect() as conn:
        verdict = AuditTrail.verify(conn)
        assert AuditTrail.head(conn) is None
    assert (verdict.ok, verdict.entries_checked) == (True, 0)


def test_times_are_stored_and_hashed_as_utc(engine: Engine) -> None:
    amsterdam_winter = timezone(timedelta(hours=1))
    with engine.begin() as conn:
        entry = AuditTrail.append(
            conn, at=datetime(2026, 11, 26, 10, 30, 0, 5, tzinfo=amsterdam_winter),
            actor="self", action="x", subject_pseudonym=None, detail={},
        )  # fmt: skip
    with engine.connect() as conn:
        (stored,) = AuditTrail.entries(conn)
        assert AuditTrail.verify(conn).ok
    assert entry.at == stored.at == datetime(2026, 11, 26, 9, 30, 0, 5, tzinfo=UTC)
    assert stored.at.tzinfo == UTC


def test_head_gives_the_newest_entry_to_record_elsewhere(engine: Engine) -> None:
    _trail(engine, 3)
    with engine.connect() as conn:
        entries = list(AuditTrail.entries(conn))
        assert AuditTrail.head(conn) == (3, entries[-1].hash)


def _edit_actor(conn: Connection) -> None:
    conn.execute(update(audit_log).where(audit_log.c.seq == 3).values(actor="someone-else"))


def _edit_detail(conn: Connection) -> None:
    conn.execute(
        update(audit_log).where(audit_log.c.seq == 3).values(detail='{"activity":"marketing"}')
    )


def _edit_time(conn: Connection) -> None:
    conn.execute(update(audit_log).where(audit_log.c.seq == 3).values(at=T0 - timedelta(days=1)))


def _edit_and_rehash(conn: Connection) -> None:
    """Edit entry 3 and give it a matching hash: entry 4 no longer links to it."""
    row = conn.execute(select(audit_log).where(audit_log.c.seq == 3)).one()
    forged = entry_hash(
        prev_hash=row.prev_hash, seq=3, at=row.at, actor="forger", action=row.action,
        subject_pseudonym=row.subject_pseudonym, detail={"activity": "account"},
    )  # fmt: skip
    conn.execute(
        update(audit_log)
        .where(audit_log.c.seq == 3)
        .values(actor="forger", detail='{"activity":"account"}', hash=forged)
    )


def _delete_entry(conn: Connection) -> None:
    conn.execute(delete(audit_log).where(audit_log.c.seq == 3))


def _delete_first(conn: Connection) -> None:
    conn.execute(delete(audit_log).where(audit_log.c.seq == 1))


def _delete_first_and_renumber(conn: Connection) -> None:
    """Cut off the head and renumber the rest from 1, as a careful attacker would."""
    conn.execute(delete(audit_log).where(audit_log.c.seq == 1))
    for seq in range(2, 7):
        conn.execute(update(audit_log).where(audit_log.c.seq == seq).values(seq=seq - 1))


def _swap_seq(conn: Connection) -> None:
    """Reorder entries 2 and 3 by swapping their sequence numbers."""
    conn.execute(update(audit_log).where(audit_log.c.seq == 2).values(seq=-2))
    conn.execute(update(audit_log).where(audit_log.c.seq == 3).values(seq=2))
    conn.execute(update(audit_log).where(audit_log.c.seq == -2).values(seq=3))


def _swap_contents(conn: Connection) -> None:
    """Reorder entries 2 and 3 by swapping everything but their sequence numbers."""
    rows = {row.seq: row._asdict() for row in conn.execute(select(audit_log)).all()}
    for seq, other in ((2, 3), (3, 2)):
        values = {k: v for k, v in rows[other].items() if k != "seq"}
        conn.execute(update(audit_log).where(audit_log.c.seq == seq).values(**values))


def _bad_json(conn: Connection) -> None:
    conn.execute(update(audit_log).where(audit_log.c.seq == 5).values(detail="{not json"))


@pytest.mark.parametrize(
    ("tamper", "broken_at", "reason"),
    [
        pytest.param(_edit_actor, 3, "does not match its hash", id="edited-actor"),
        pytest.param(_edit_detail, 3, "does not match its hash", id="edited-detail"),
        pytest.param(_edit_time, 3, "does not match its hash", id="edited-time"),
        pytest.param(_edit_and_rehash, 4, "does not link to entry 3", id="edited-and-rehashed"),
        pytest.param(_delete_entry, 3, "entry 3 is missing", id="deleted-entry"),
        pytest.param(_swap_seq, 2, "does not match its hash", id="reordered-by-seq"),
        pytest.param(_swap_contents, 2, "does not match its hash", id="reordered-contents"),
        pytest.param(_delete_first, 1, "head was cut off", id="deleted-first-entry"),
        pytest.param(_delete_first_and_renumber, 1, "does not match", id="head-cut-renumbered"),
        pytest.param(_bad_json, 5, "unreadable entry", id="unreadable-detail"),
    ],
)
def test_l53_verification_finds_the_first_tampered_entry(
    engine: Engine, tamper: Callable[[Connection], None], broken_at: int, reason: str
) -> None:
    _trail(engine, 6)
    with engine.begin() as conn:
        tamper(conn)
    with engine.connect() as conn:
        verdict = AuditTrail.verify(conn, chunk=2)  # breaks found across chunk boundaries too
    assert not verdict.ok
    assert verdict.first_broken_seq == broken_at
    assert verdict.entries_checked == broken_at - 1
    assert reason in verdict.reason


def test_l53_first_entry_not_starting_from_genesis_is_a_cut_head(engine: Engine) -> None:
    _trail(engine, 3)
    with engine.begin() as conn:
        conn.execute(update(audit_log).where(audit_log.c.seq == 1).values(prev_hash="f" * 64))
    with engine.connect() as conn:
        verdict = AuditTrail.verify(conn)
    # prev_hash is inside the hash: the recomputation fails before the link check
    assert (verdict.ok, verdict.first_broken_seq) == (False, 1)


def test_verification_streams_long_trails_in_chunks(engine: Engine) -> None:
    _trail(engine, 23)
    with engine.connect() as conn:
        verdict = AuditTrail.verify(conn, chunk=5)
    assert (verdict.ok, verdict.entries_checked) == (True, 23)


@pytest.mark.parametrize(
    "key",
    [
        pytest.param("email", id="email"),
        pytest.param("customerEmail", id="camel-case"),
        pytest.param("e_mail", id="e_mail"),
        pytest.param("new_email_address", id="email-address"),
        pytest.param("name", id="name"),
        pytest.param("display_name", id="display-name"),
        pytest.param("phone", id="phone"),
        pytest.param("phone_number", id="phone-number"),
        pytest.param("address", id="address"),
        pytest.param("ip", id="ip"),
        pytest.param("ip_address", id="ip-address"),
        pytest.param("IPAddress", id="ip-acronym"),
        pytest.param("street", id="street"),
        pytest.param("birth_date", id="birth-date"),
    ],
)
def test_l53_detail_keys_naming_personal_data_are_refused(engine: Engine, key: str) -> None:
    with engine.begin() as conn, pytest.raises(ValueError, match="pseudonym only"):
        AuditTrail.append(
            conn, at=T0, actor="self", action="x", subject_pseudonym=PSEUDONYM,
            detail={key: "x"},
        )  # fmt: skip
    assert _count(engine) == 0


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("jan.jansen@example.nl", id="email"),
        pytest.param("changed to Jan@Example.nl", id="email-in-text"),
        pytest.param("145.97.0.1", id="ipv4"),
        pytest.param("2001:db8::1", id="ipv6"),
    ],
)
def test_l53_detail_values_shaped_like_personal_data_are_refused(
    engine: Engine, value: str
) -> None:
    with engine.begin() as conn, pytest.raises(ValueError, match="e-mail or IP"):
        AuditTrail.append(
            conn, at=T0, actor="self", action="x", subject_pseudonym=None,
            detail={"ground": value},
        )  # fmt: skip
    assert _count(engine) == 0


@pytest.mark.parametrize(
    "detail",
    [
        pytest.param({"activity": "account", "fields": "email,name"}, id="field-names-as-value"),
        pytest.param({"ground": "art. 17(1)(a)", "rows": 12, "held": False}, id="mixed-types"),
        pytest.param({"template": "security_notice", "version": None}, id="none"),
    ],
)
def test_detail_without_personal_data_is_accepted(
    engine: Engine, detail: dict[str, DetailValue]
) -> None:
    with engine.begin() as conn:
        entry = AuditTrail.append(
            conn, at=T0, actor="self", action="x", subject_pseudonym=PSEUDONYM, detail=detail
        )
    assert dict(entry.detail) == detail


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        pytest.param({"at": datetime(2026, 1, 1)}, "timezone-aware", id="naive-time"),  # noqa: DTZ001
        pytest.param({"actor": ""}, "actor must be a non-empty", id="empty-actor"),
        pytest.param({"actor": "a" * 65}, "longer than 64", id="long-actor"),
        pytest.param({"action": " "}, "action must be a non-empty", id="blank-action"),
        pytest.param({"subject_pseudonym": "p" * 33}, "longer than 32", id="long-pseudonym"),
        pytest.param({"detail": {"ratio": 0.5}}, "not float", id="float-value"),
        pytest.param({"detail": {"nested": {"a": 1}}}, "not dict", id="nested-value"),
    ],
)
def test_malformed_entries_are_refused_with_a_clear_error(
    engine: Engine, fields: dict[str, object], message: str
) -> None:
    arguments: dict[str, object] = {
        "at": T0,
        "actor": "self",
        "action": "x",
        "subject_pseudonym": None,
        "detail": {},
        **fields,
    }
    with engine.begin() as conn, pytest.raises(ValueError, match=message):
        AuditTrail.append(conn, **arguments)  # type: ignore[arg-type]  # malformed on purpose
    assert _count(engine) == 0


def test_a_rolled_back_append_leaves_no_gap(engine: Engine) -> None:
    _trail(engine, 2)
    with engine.connect() as conn:
        with conn.begin() as transaction:
            _append(conn, 3)
            transaction.rollback()
    _trail(engine, 1)
    with engine.connect() as conn:
        verdict = AuditTrail.verify(conn)
        seqs = [entry.seq for entry in AuditTrail.entries(conn)]
    assert verdict.ok and seqs == [1, 2, 3]


def test_l53_concurrent_appenders_never_fork_the_chain(engine: Engine) -> None:
    writers, per_writer = 4, 15
    errors: list[BaseException] = []
    start = threading.Barrier(writers)

    def write(writer: int) -> None:
        try:
            start.wait()
            for n in range(per_writer):
                with engine.begin() as conn:
                    _append(conn, writer * 100 + n, writer=writer)
        except BaseException as error:  # reported below, in the test's own thread
            errors.append(error)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with engine.connect() as conn:
        verdict = AuditTrail.verify(conn)
    assert (verdict.ok, verdict.entries_checked) == (True, writers * per_writer)


# --- issue 16 item 5: the chain written at the end of the transaction ---------------------------


def _seqs_by_writer(engine: Engine) -> dict[int, list[int]]:
    with engine.connect() as conn:
        found: dict[int, list[int]] = {}
        for entry in AuditTrail.entries(conn):
            writer = entry.detail.get("writer")
            if isinstance(writer, int):
                found.setdefault(writer, []).append(entry.seq)
    return found


def test_issue16_5_an_append_in_a_writing_unit_of_work_is_written_just_before_commit(
    engine: Engine,
) -> None:
    """Inside UnitOfWork.writing the entry is checked at once, written as the transaction's
    last statements and committed with it: not visible to others before the commit, in the
    chain in the order appended after it (L53)."""
    with UnitOfWork(engine) as uow, uow.writing() as conn:
        assert AuditTrail.append(
            conn, at=T0, actor="self", action="test.first", subject_pseudonym=PSEUDONYM,
            detail={"n": 1},
        ) is None  # fmt: skip
        _append(conn, 2)
        assert _count(engine) == 0  # nothing written yet, not even uncommitted
    with engine.connect() as conn:
        entries = list(AuditTrail.entries(conn))
        verdict = AuditTrail.verify(conn)
    assert [(e.seq, e.action) for e in entries] == [(1, "test.first"), (2, "test.action2")]
    assert entries[1].prev_hash == entries[0].hash and verdict.ok


def test_issue16_5_a_bad_entry_is_refused_at_the_call_not_at_the_commit(engine: Engine) -> None:
    with (
        pytest.raises(ValueError, match="names personal data"),
        UnitOfWork(engine) as uow,
        uow.writing() as conn,
    ):
        _append(conn, 1)
        _append(conn, 2, email="x")
    assert _count(engine) == 0  # the whole transaction rolled back, the first entry with it


def test_issue16_5_a_rolled_back_writing_unit_of_work_writes_nothing_and_leaves_no_gap(
    engine: Engine,
) -> None:
    _trail(engine, 2)
    with pytest.raises(RuntimeError), UnitOfWork(engine) as uow, uow.writing() as conn:
        _append(conn, 3)
        raise RuntimeError("the use case failed after its append")
    with UnitOfWork(engine) as uow:
        with uow.writing() as conn:
            _append(conn, 4)
        with uow.reading() as conn:
            verdict = AuditTrail.verify(conn)
            actions = [entry.action for entry in AuditTrail.entries(conn)]
    assert verdict.ok and actions == ["test.action1", "test.action2", "test.action4"]


def test_issue16_5_a_transaction_reading_the_trail_sees_its_own_entries(engine: Engine) -> None:
    """head, entries and verify on the writing connection write its buffer first, so code
    that reads the head after appending in the same transaction sees what it appended."""
    _trail(engine, 1)
    with UnitOfWork(engine) as uow, uow.writing() as conn:
        _append(conn, 2)
        assert AuditTrail.head(conn) is not None
        assert AuditTrail.head(conn)[0] == 2  # type: ignore[index]
        _append(conn, 3)
        assert [entry.seq for entry in AuditTrail.entries(conn)] == [1, 2, 3]
        _append(conn, 4)
        assert AuditTrail.verify(conn).entries_checked == 4
    with engine.connect() as conn:
        assert (AuditTrail.verify(conn).ok, AuditTrail.head(conn)[0]) == (True, 4)  # type: ignore[index]


def test_issue16_5_an_append_inside_a_rolled_back_savepoint_is_taken_back_with_it(
    engine: Engine,
) -> None:
    with UnitOfWork(engine) as uow, uow.writing() as conn:
        _append(conn, 1)
        savepoint = conn.begin_nested()
        _append(conn, 2)
        savepoint.rollback()
        _append(conn, 3)
    with engine.connect() as conn:
        verdict = AuditTrail.verify(conn)
        actions = [entry.action for entry in AuditTrail.entries(conn)]
    assert verdict.ok and actions == ["test.action1", "test.action3"]


def test_issue16_5_a_checkpoint_in_the_appending_transaction_signs_the_newest_entry(
    engine: Engine,
) -> None:
    checkpoints = AuditCheckpoints(KeyStore(MasterKey.generate()))
    with UnitOfWork(engine) as uow, uow.writing() as conn:
        _append(conn, 1)
        _append(conn, 2)
        made = checkpoints.make(conn, at=T0)
    assert made.seq == 2
    with engine.connect() as conn:
        assert checkpoints.verify(conn).ok


@pytest.mark.database("postgresql")
def test_issue16_5_writing_transactions_do_not_wait_for_each_others_audit_lock(
    engine: Engine,
) -> None:
    """W8: a writing transaction that has appended and is still working holds no audit lock,
    so another one appends and commits meanwhile; both entries end up in one intact chain,
    numbered in commit order. Before, the second waited for the first's commit (here it would
    time out: the first waits for the second)."""
    appended, second_done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with UnitOfWork(engine) as uow, uow.writing() as conn:
                _append(conn, 1, writer=1)
                appended.set()
                if not second_done.wait(timeout=20):
                    raise AssertionError("the second transaction waited for the first's lock")
                _append(conn, 2, writer=1)
        except BaseException as error:  # reported below, in the test's own thread
            errors.append(error)

    thread = threading.Thread(target=first)
    thread.start()
    assert appended.wait(timeout=20)
    with UnitOfWork(engine) as uow, uow.writing() as conn:
        _append(conn, 3, writer=2)
    second_done.set()
    thread.join()
    assert errors == []
    assert _seqs_by_writer(engine) == {2: [1], 1: [2, 3]}
    with engine.connect() as conn:
        assert AuditTrail.verify(conn).ok


def test_issue16_5_concurrent_writing_units_of_work_never_fork_or_interleave_the_chain(
    engine: Engine,
) -> None:
    """Many writers, several entries per transaction and work between them: one chain, no
    fork, no gap, every transaction's entries side by side in the order appended (L53)."""
    writers, transactions, per_transaction = 4, 6, 3
    errors: list[BaseException] = []
    start = threading.Barrier(writers)

    def write(writer: int) -> None:
        try:
            start.wait()
            for t in range(transactions):
                with UnitOfWork(engine) as uow, uow.writing() as conn:
                    for n in range(per_transaction):
                        _append(conn, writer * 1000 + t * 10 + n, writer=writer)
                        conn.execute(select(func.count()).select_from(audit_log))
        except BaseException as error:  # reported below, in the test's own thread
            errors.append(error)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with engine.connect() as conn:
        verdict = AuditTrail.verify(conn)
        entries = list(AuditTrail.entries(conn))
    assert (verdict.ok, verdict.entries_checked) == (True, writers * transactions * per_transaction)
    for first in range(0, len(entries), per_transaction):
        group = entries[first : first + per_transaction]
        numbers = [int(entry.action.removeprefix("test.action")) for entry in group]
        assert numbers == list(range(numbers[0], numbers[0] + per_transaction)), numbers


def test_issue16_5_a_buffer_left_by_an_ended_transaction_never_swallows_a_later_append(
    engine: Engine,
) -> None:
    """The buffer belongs to the transaction that began it: on a connection back from the
    pool a later bare transaction writes its append at once, as outside a unit of work."""
    with engine.connect() as conn:
        with conn.begin():
            AuditTrail.defer(conn)  # and never flushed nor discarded
        with conn.begin():
            entry = AuditTrail.append(
                conn, at=T0, actor="self", action="test.later", subject_pseudonym=None,
                detail={},
            )  # fmt: skip
    assert entry is not None and entry.seq == 1
    assert _count(engine) == 1
