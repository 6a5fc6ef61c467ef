"""Data keys in the database: creation, caching, crypto-shredding, the blind-index key, rotation."""

from __future__ import annotations

import secrets
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import Connection, Engine, event, insert, select, update

from privaat.settings import Mode, Settings
from privaat.store import key_errors, key_rotation, key_store, master_key
from privaat.store.crypto import KeyUnwrapError, MasterKey
from privaat.store.key_errors import (
    KeyRotationError,
    MasterKeyConfigError,
    MasterKeyFileInsecure,
    MasterKeyMissing,
    SubjectKeyMissing,
    WrongMasterKey,
)
from privaat.store.key_rotation import rotate_master_key
from privaat.store.key_store import BLIND_INDEX_KEY, KeyStore
from privaat.store.master_key import load_master_key, read_master_key_file, write_master_key_file
from privaat.store.tables import preferences, subject_keys, subjects, system_keys

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
DOCUMENT = "preferences.document"


def _new_subject(conn: Connection) -> tuple[int, str]:
    pseudonym = secrets.token_hex(16)
    result = conn.execute(insert(subjects).values(pseudonym=pseudonym, created_at=NOW))
    assert result.inserted_primary_key is not None
    return int(result.inserted_primary_key[0]), pseudonym


def _subject_with_data(conn: Connection, store: KeyStore, text: str) -> tuple[int, str]:
    """A subject with a data key and one encrypted column (their preferences document)."""
    subject_id, pseudonym = _new_subject(conn)
    cipher = store.create_subject_key(conn, subject_id, pseudonym)
    conn.execute(
        insert(preferences).values(
            subject_id=subject_id, document_enc=cipher.encrypt(DOCUMENT, text), updated_at=NOW
        )
    )
    return subject_id, pseudonym


def _document(conn: Connection, subject_id: int) -> bytes:
    return bytes(
        conn.execute(
            select(preferences.c.document_enc).where(preferences.c.subject_id == subject_id)
        ).scalar_one()
    )


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[str]]:
    """Every SQL statement the engine sends, to show what a cache saves."""
    sent: list[str] = []

    def record(*args: object) -> None:
        sent.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", record)
    yield sent
    event.remove(engine, "before_cursor_execute", record)


@pytest.mark.parametrize("module", [key_errors, key_rotation, key_store, master_key])
def test_public_api_names_exist(module: object) -> None:
    assert all(hasattr(module, name) for name in module.__all__)  # type: ignore[attr-defined]


# --- the master key's source ---------------------------------------------------------------


def _settings(tmp_path: Path, mode: Mode, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "mode": mode,
        "master_key": None,
        "master_key_file": None,
        "var_dir": tmp_path / "var",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]  # keyword values of mixed types


def test_l76_production_refuses_to_start_without_a_master_key(tmp_path: Path) -> None:
    with pytest.raises(MasterKeyMissing, match="PRIVAAT_MASTER_KEY_FILE"):
        load_master_key(_settings(tmp_path, Mode.PRODUCTION))
    assert not (tmp_path / "var").exists()


@pytest.mark.parametrize("mode", [Mode.DEMO, Mode.TEST], ids=str)
def test_demo_and_test_mode_make_their_own_private_master_key_once(
    tmp_path: Path, mode: Mode
) -> None:
    settings = _settings(tmp_path, mode)
    first = load_master_key(settings)
    path = tmp_path / "var" / "master.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_master_key(settings).id == first.id
    assert MasterKey.from_base64(path.read_text()).id == first.id


def test_demo_mode_uses_an_existing_key_file_without_changing_its_permissions(
    tmp_path: Path,
) -> None:
    key = MasterKey.generate()
    path = tmp_path / "var" / "master.key"
    write_master_key_file(path, key)
    path.chmod(0o640)
    assert load_master_key(_settings(tmp_path, Mode.DEMO)).id == key.id
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_master_key_from_the_environment_value(tmp_path: Path) -> None:
    key = MasterKey.generate()
    settings = _settings(tmp_path, Mode.PRODUCTION, master_key=SecretStr(key.to_base64()))
    assert load_master_key(settings).id == key.id


def test_invalid_master_key_value_names_the_setting(tmp_path: Path) -> None:
    settings = _settings(tmp_path, Mode.PRODUCTION, master_key=SecretStr("not-a-key"))
    with pytest.raises(MasterKeyConfigError, match="PRIVAAT_MASTER_KEY: .*base64"):
        load_master_key(settings)


def test_l76_production_reads_a_private_key_file(tmp_path: Path) -> None:
    key, path = MasterKey.generate(), tmp_path / "keys" / "master.key"
    write_master_key_file(path, key)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_master_key(_settings(tmp_path, Mode.PRODUCTION, master_key_file=path)).id == key.id


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660], ids=oct)
def test_l76_production_refuses_a_key_file_open_to_group_or_others(
    tmp_path: Path, mode: int
) -> None:
    path = tmp_path / "master.key"
    write_master_key_file(path, MasterKey.generate())
    path.chmod(mode)
    with pytest.raises(MasterKeyFileInsecure, match="chmod 600"):
        load_master_key(_settings(tmp_path, Mode.PRODUCTION, master_key_file=path))
    assert stat.S_IMODE(path.stat().st_mode) == mode


@pytest.mark.parametrize("mode", [Mode.DEMO, Mode.PRODUCTION], ids=str)
def test_a_configured_key_file_that_is_missing_is_never_replaced_by_a_new_key(
    tmp_path: Path, mode: Mode
) -> None:
    path = tmp_path / "gone.key"
    with pytest.raises(MasterKeyMissing, match="does not exist"):
        load_master_key(_settings(tmp_path, mode, master_key_file=path))
    assert not path.exists() and not (tmp_path / "var").exists()


def test_both_key_settings_at_once_are_refused(tmp_path: Path) -> None:
    key, path = MasterKey.generate(), tmp_path / "master.key"
    write_master_key_file(path, key)
    settings = _settings(
        tmp_path, Mode.DEMO, master_key=SecretStr(key.to_base64()), master_key_file=path
    )
    with pytest.raises(MasterKeyConfigError, match="not both"):
        load_master_key(settings)


def test_key_file_with_garbage_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    path.write_text("garbage\n")
    path.chmod(0o600)
    with pytest.raises(MasterKeyConfigError, match=f"{path}.*base64"):
        read_master_key_file(path, require_private=True)


def test_demo_mode_without_create_does_not_make_a_key(tmp_path: Path) -> None:
    with pytest.raises(MasterKeyMissing):
        load_master_key(_settings(tmp_path, Mode.DEMO), create=False)
    assert not (tmp_path / "var" / "master.key").exists()


def test_a_master_key_file_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    write_master_key_file(path, MasterKey.generate())
    before = path.read_bytes()
    with pytest.raises(FileExistsError):
        write_master_key_file(path, MasterKey.generate())
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["master.key"]  # no temporary left behind


# --- subject keys --------------------------------------------------------------------------


def test_l76_subject_key_is_stored_wrapped_and_opens_in_another_process(engine: Engine) -> None:
    master = MasterKey.generate()
    with engine.begin() as conn:
        subject_id, pseudonym = _subject_with_data(conn, KeyStore(master), "nieuwsbrief: ja")
    with engine.begin() as conn:
        row = conn.execute(select(subject_keys)).one()
        fresh = KeyStore(master)  # nothing cached: unwraps from the table
        cipher = fresh.open_subject_key(conn, subject_id, pseudonym)
        assert cipher.decrypt(DOCUMENT, _document(conn, subject_id)) == "nieuwsbrief: ja"
    assert row.master_key_id == master.id
    assert len(row.wrapped_key) == 1 + 12 + 32 + 16


def test_l76_a_wrapped_key_copied_to_another_subject_does_not_open(engine: Engine) -> None:
    master = MasterKey.generate()
    store = KeyStore(master)
    with engine.begin() as conn:
        alice_id, _ = _subject_with_data(conn, store, "alice")
        bob_id, bob = _new_subject(conn)
        alice_wrapped = conn.execute(
            select(subject_keys.c.wrapped_key).where(subject_keys.c.subject_id == alice_id)
        ).scalar_one()
        conn.execute(
            insert(subject_keys).values(
                subject_id=bob_id, master_key_id=master.id, wrapped_key=alice_wrapped
            )
        )
    with engine.begin() as conn, pytest.raises(KeyUnwrapError):
        KeyStore(master).open_subject_key(conn, bob_id, bob)


def test_open_wrapped_subject_key_opens_a_key_read_with_the_data(engine: Engine) -> None:
    master = MasterKey.generate()
    with engine.begin() as conn:
        subject_id, pseudonym = _subject_with_data(conn, KeyStore(master), "één query")
    with engine.begin() as conn:
        row = conn.execute(
            select(preferences.c.document_enc, subject_keys.c.wrapped_key)
            .join(subject_keys, subject_keys.c.subject_id == preferences.c.subject_id)
            .where(preferences.c.subject_id == subject_id)
        ).one()
    cipher = KeyStore(master).open_wrapped_subject_key(subject_id, pseudonym, row.wrapped_key)
    assert cipher.decrypt(DOCUMENT, row.document_enc) == "één query"


def test_open_wrapped_subject_key_without_a_key_says_the_key_is_missing() -> None:
    with pytest.raises(SubjectKeyMissing, match="subject 7"):
        KeyStore(MasterKey.generate()).open_wrapped_subject_key(7, "p" * 32, None)


def test_hot_reads_reuse_the_unwrapped_key_without_a_query(
    engine: Engine, statements: list[str]
) -> None:
    store = KeyStore(MasterKey.generate())
    with engine.begin() as conn:
        subject_id, pseudonym = _subject_with_data(conn, store, "x")
    store.evict(subject_id)
    with engine.begin() as conn:
        statements.clear()
        first = store.open_subject_key(conn, subject_id, pseudonym)
        assert len(statements) == 1
        assert store.open_subject_key(conn, subject_id, pseudonym) is first
        assert len(statements) == 1


def test_the_cipher_cache_is_bounded_and_drops_the_least_recently_used(
    engine: Engine, statements: list[str]
) -> None:
    store = KeyStore(MasterKey.generate(), cache_size=2)
    with engine.begin() as conn:
        a, b, c = (_subject_with_data(conn, store, str(n)) for n in range(3))
    assert store.cached_subjects() == 2
    with engine.begin() as conn:
        store.open_subject_key(
            conn, *b
        )  # b is now the most recently used, c is cached, a was dropped
        store.open_subject_key(conn, *c)
        statements.clear()
        store.open_subject_key(conn, *a)  # a comes back from the table and pushes b out
        assert len(statements) == 1
        store.open_subject_key(conn, *c)
        assert len(statements) == 1
        store.open_subject_key(conn, *b)
        assert len(statements) == 2


def test_a_cached_key_is_not_handed_out_for_another_pseudonym(engine: Engine) -> None:
    store = KeyStore(MasterKey.generate())
    with engine.begin() as conn:
        subject_id, pseudonym = _subject_with_data(conn, store, "x")
        assert store.open_subject_key(conn, subject_id, pseudonym) is not None
        with pytest.raises(KeyUnwrapError):
            store.open_subject_key(conn, subject_id, "someone-else")


def test_a_key_wrapped_by_another_master_key_says_so(engine: Engine) -> None:
    old, new = MasterKey.generate(), MasterKey.generate()
    with engine.begin() as conn:
        subject_id, pseudonym = _subject_with_data(conn, KeyStore(old), "x")
    with engine.begin() as conn, pytest.raises(WrongMasterKey, match=f"{old.id}.*{new.id}"):
        KeyStore(new).open_subject_key(conn, subject_id, pseudonym)


def test_l64_shredding_destroys_the_key_and_evicts_it(engine: Engine) -> None:
    master = MasterKey.generate()
    store = KeyStore(master)
    with engine.begin() as conn:
        subject_id, pseudonym = _subject_with_data(conn, store, "geheim")
        ciphertext_copy = _document(conn, subject_id)  # e.g. what a backup still holds
        assert store.open_subject_key(conn, subject_id, pseudonym) is not None
    with engine.begin() as conn:
        assert store.shred(conn, subject_id) is True
    assert store.cached_subjects() == 0
    with engine.begin() as conn:
        remaining = conn.execute(
            select(subject_keys).where(subject_keys.c.subject_id == subject_id)
        ).all()
        with pytest.raises(SubjectKeyMissing):
            store.open_subject_key(conn, subject_id, pseudonym)
        with pytest.raises(SubjectKeyMissing):
            KeyStore(master).open_subject_key(conn, subject_id, pseudonym)
    assert remaining == []
    assert b"geheim" not in ciphertext_copy


def test_shredding_a_subject_without_a_key_reports_it(engine: Engine) -> None:
    with engine.begin() as conn:
        subject_id, _ = _new_subject(conn)
        assert KeyStore(MasterKey.generate()).shred(conn, subject_id) is False


def test_a_rolled_back_shred_leaves_the_key_usable(engine: Engine) -> None:
    store = KeyStore(MasterKey.generate())
    with engine.begin() as conn:
        subject_id, pseudonym = _subject_with_data(conn, store, "nog hier")
    with engine.connect() as conn:
        with conn.begin() as transaction:
            store.shred(conn, subject_id)
            transaction.rollback()
        with conn.begin():
            cipher = store.open_subject_key(conn, subject_id, pseudonym)
            assert cipher.decrypt(DOCUMENT, _document(conn, subject_id)) == "nog hier"


# --- the blind-index key -------------------------------------------------------------------


def test_p2_blind_index_key_is_made_once_and_shared_by_every_process(engine: Engine) -> None:
    master = MasterKey.generate()
    with engine.begin() as conn:
        first = KeyStore(master).blind_index(conn).email("jan@example.nl")
    with engine.begin() as conn:
        second = KeyStore(master).blind_index(conn).email("jan@example.nl")
        rows = conn.execute(select(system_keys)).all()
    assert first == second
    assert [(row.name, row.master_key_id) for row in rows] == [(BLIND_INDEX_KEY, master.id)]


def test_blind_index_is_cached_after_its_key_is_committed(
    engine: Engine, statements: list[str]
) -> None:
    store = KeyStore(MasterKey.generate())
    with engine.begin() as conn:
        store.blind_index(conn)
    with engine.begin() as conn:
        statements.clear()
        index = store.blind_index(conn)
        assert store.blind_index(conn) is index
    assert statements == []


def test_a_blind_index_key_made_in_a_rolled_back_transaction_is_not_kept(engine: Engine) -> None:
    store = KeyStore(MasterKey.generate())
    with engine.connect() as conn:
        with conn.begin() as transaction:
            lost = store.blind_index(conn).email("jan@example.nl")
            transaction.rollback()
        with conn.begin():
            kept = store.blind_index(conn).email("jan@example.nl")
    with engine.begin() as conn:
        elsewhere = KeyStore(store.master).blind_index(conn).email("jan@example.nl")
    assert lost != kept
    assert kept == elsewhere


# --- rotation ------------------------------------------------------------------------------


def _snapshot(engine: Engine) -> dict[int, bytes]:
    with engine.connect() as conn:
        rows = conn.execute(select(preferences.c.subject_id, preferences.c.document_enc)).all()
    return {row.subject_id: bytes(row.document_enc) for row in rows}


def _key_ids(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return {
            *conn.execute(select(subject_keys.c.master_key_id)).scalars(),
            *conn.execute(select(system_keys.c.master_key_id)).scalars(),
        }


@pytest.fixture
def populated(engine: Engine) -> tuple[MasterKey, list[tuple[int, str]], bytes]:
    """Five subjects with data and the blind-index key, all under one master key."""
    master = MasterKey.generate()
    store = KeyStore(master)
    with engine.begin() as conn:
        people = [_subject_with_data(conn, store, f"document {n}") for n in range(5)]
        email_index = store.blind_index(conn).email("jan@example.nl")
    return master, people, email_index


def test_l76_rotation_rewraps_every_key_and_leaves_data_columns_alone(
    engine: Engine, populated: tuple[MasterKey, list[tuple[int, str]], bytes]
) -> None:
    old, people, email_index = populated
    new = MasterKey.generate()
    before = _snapshot(engine)
    with engine.begin() as conn:
        report = rotate_master_key(conn, old, new, batch_size=2)
    assert (report.subject_keys_rewrapped, report.system_keys_rewrapped) == (5, 1)
    assert (report.old_key_id, report.new_key_id, report.already_on_new_key) == (
        old.id,
        new.id,
        0,
    )
    assert _key_ids(engine) == {new.id}
    assert _snapshot(engine) == before
    with engine.begin() as conn:
        store = KeyStore(new)
        for n, (subject_id, pseudonym) in enumerate(people):
            cipher = store.open_subject_key(conn, subject_id, pseudonym)
            assert cipher.decrypt(DOCUMENT, before[subject_id]) == f"document {n}"
        assert store.blind_index(conn).email("jan@example.nl") == email_index


def test_l76_after_rotation_the_old_master_key_opens_nothing(
    engine: Engine, populated: tuple[MasterKey, list[tuple[int, str]], bytes]
) -> None:
    old, people, _ = populated
    with engine.begin() as conn:
        rotate_master_key(conn, old, MasterKey.generate())
    subject_id, pseudonym = people[0]
    with engine.begin() as conn:
        wrapped = conn.execute(
            select(subject_keys.c.wrapped_key).where(subject_keys.c.subject_id == subject_id)
        ).scalar_one()
        with pytest.raises(WrongMasterKey):
            KeyStore(old).open_subject_key(conn, subject_id, pseudonym)
        with pytest.raises(WrongMasterKey):
            KeyStore(old).blind_index(conn)
    with pytest.raises(KeyUnwrapError):
        KeyStore(old).open_wrapped_subject_key(subject_id, pseudonym, wrapped)


def test_rotation_run_twice_skips_what_is_already_on_the_new_key(
    engine: Engine, populated: tuple[MasterKey, list[tuple[int, str]], bytes]
) -> None:
    old, _, _ = populated
    new = MasterKey.generate()
    with engine.begin() as conn:
        rotate_master_key(conn, old, new)
    # a process still on the old key signed someone up meanwhile
    with engine.begin() as conn:
        late_id, late = _subject_with_data(conn, KeyStore(old), "late")
    with engine.begin() as conn:
        report = rotate_master_key(conn, old, new)
    assert (report.subject_keys_rewrapped, report.system_keys_rewrapped) == (1, 0)
    assert report.already_on_new_key == 6
    with engine.begin() as conn:
        assert KeyStore(new).open_subject_key(conn, late_id, late).decrypt(
            DOCUMENT, _document(conn, late_id)
        ) == ("late")


def test_rotation_refuses_keys_wrapped_by_an_unknown_master_key(
    engine: Engine, populated: tuple[MasterKey, list[tuple[int, str]], bytes]
) -> None:
    old, _, _ = populated
    stranger, new = MasterKey.generate(), MasterKey.generate()
    with engine.begin() as conn:
        _subject_with_data(conn, KeyStore(stranger), "from elsewhere")
    before = _key_ids(engine)
    with engine.begin() as conn, pytest.raises(KeyRotationError, match=stranger.id):
        rotate_master_key(conn, old, new)
    assert _key_ids(engine) == before == {old.id, stranger.id}


def test_rotation_with_the_wrong_old_key_changes_nothing(
    engine: Engine, populated: tuple[MasterKey, list[tuple[int, str]], bytes]
) -> None:
    old, _, _ = populated
    with engine.begin() as conn, pytest.raises(KeyRotationError, match="old-key-file"):
        rotate_master_key(conn, MasterKey.generate(), MasterKey.generate())
    assert _key_ids(engine) == {old.id}


def test_rotation_to_the_same_key_is_refused(
    engine: Engine, populated: tuple[MasterKey, list[tuple[int, str]], bytes]
) -> None:
    old, _, _ = populated
    with engine.begin() as conn, pytest.raises(KeyRotationError, match="current one"):
        rotate_master_key(conn, old, MasterKey.from_base64(old.to_base64()))


def test_a_failing_rotation_rolls_back_every_key(
    engine: Engine, populated: tuple[MasterKey, list[tuple[int, str]], bytes]
) -> None:
    old, people, _ = populated
    # the last subject's key was tampered with: it will not unwrap, after others were re-wrapped
    victim_id = max(subject_id for subject_id, _ in people)
    with engine.begin() as conn:
        conn.execute(
            update(subject_keys)
            .where(subject_keys.c.subject_id == victim_id)
            .values(wrapped_key=old.wrap(b"\x00" * 32, context=b"subject:someone-else"))
        )
    # the exception leaves the transaction block, so the caller's transaction rolls back
    with pytest.raises(KeyRotationError, match=f"subject {victim_id}"), engine.begin() as conn:
        rotate_master_key(conn, old, MasterKey.generate(), batch_size=2)
    assert _key_ids(engine) == {old.id}
