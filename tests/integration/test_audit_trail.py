"""The hash-chained audit trail: appending, verifying, and catching every kind of tampering."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Connection, Engine, delete, func, select, update

from privaat.store import audit
from privaat.store.audit import GENESIS_HASH, AuditTrail, DetailValue, entry_hash
from privaat.store.tables import audit_log

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
