"""The operator commands: ``keys generate``, ``keys rotate`` and ``audit verify``."""

from __future__ import annotations

import secrets
import stat
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select, update
from typer.testing import CliRunner, Result

from privaat.cli import app
from privaat.store.audit import AuditTrail
from privaat.store.crypto import MasterKey
from privaat.store.key_store import KeyStore
from privaat.store.master_key import read_master_key_file, write_master_key_file
from privaat.store.tables import audit_log, subject_keys, subjects, system_keys

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
runner = CliRunner()


def _run(*arguments: str) -> Result:
    result = runner.invoke(app, list(arguments))
    # a clear message, never a traceback: the only exception may be the exit itself
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def current_key(
    monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path
) -> tuple[MasterKey, Path]:
    """The environment an operator's shell would have: database, mode and key file."""
    key, path = MasterKey.generate(), tmp_path / "current.key"
    write_master_key_file(path, key)
    monkeypatch.setenv("PRIVAAT_DATABASE_URL", database_url)
    monkeypatch.setenv("PRIVAAT_MODE", "production")
    monkeypatch.setenv("PRIVAAT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("PRIVAAT_MASTER_KEY_FILE", str(path))
    monkeypatch.delenv("PRIVAAT_MASTER_KEY", raising=False)
    return key, path


def _key_ids(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return {
            *conn.execute(select(subject_keys.c.master_key_id)).scalars(),
            *conn.execute(select(system_keys.c.master_key_id)).scalars(),
        }


# --- keys generate -------------------------------------------------------------------------


def test_keys_generate_writes_a_private_master_key_file(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "new.key"
    result = _run("keys", "generate", "--output", str(path))
    assert result.exit_code == 0
    key = read_master_key_file(path, require_private=True)
    assert f"wrote master key {key.id}" in result.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_keys_generate_never_overwrites_a_file(tmp_path: Path) -> None:
    path = tmp_path / "existing.key"
    path.write_text("precious\n")
    result = _run("keys", "generate", "--output", str(path))
    assert result.exit_code == 1
    assert "already exists" in result.stderr
    assert path.read_text() == "precious\n"


# --- keys rotate ---------------------------------------------------------------------------


def _seed(engine: Engine, master: MasterKey, people: int) -> list[tuple[int, str, bytes]]:
    store, seeded = KeyStore(master), []
    with engine.begin() as conn:
        for n in range(people):
            pseudonym = secrets.token_hex(16)
            key = conn.execute(insert(subjects).values(pseudonym=pseudonym, created_at=NOW))
            assert key.inserted_primary_key is not None
            subject_id = int(key.inserted_primary_key[0])
            cipher = store.create_subject_key(conn, subject_id, pseudonym)
            seeded.append((subject_id, pseudonym, cipher.encrypt("t.f", f"value {n}")))
        store.blind_index(conn)
    return seeded


def test_l76_keys_rotate_rewraps_every_key_and_tells_what_to_do_next(
    engine: Engine, current_key: tuple[MasterKey, Path], tmp_path: Path
) -> None:
    old, _ = current_key
    seeded = _seed(engine, old, 3)
    new_path = tmp_path / "next.key"
    assert _run("keys", "generate", "--output", str(new_path)).exit_code == 0
    new = read_master_key_file(new_path, require_private=True)

    result = _run("keys", "rotate", "--new-key-file", str(new_path))

    assert result.exit_code == 0, result.output
    assert f"rotated master key {old.id} -> {new.id}" in result.output
    assert "subject keys re-wrapped: 3" in result.output
    assert "system keys re-wrapped:  1" in result.output
    assert f"PRIVAAT_MASTER_KEY_FILE at {new_path}" in result.output
    assert _key_ids(engine) == {new.id}
    with engine.begin() as conn:
        for n, (subject_id, pseudonym, blob) in enumerate(seeded):
            assert KeyStore(new).open_subject_key(conn, subject_id, pseudonym).decrypt(
                "t.f", blob
            ) == (f"value {n}")


def test_keys_rotate_with_an_explicit_old_key_file(
    engine: Engine,
    current_key: tuple[MasterKey, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old, old_path = current_key
    monkeypatch.delenv("PRIVAAT_MASTER_KEY_FILE")
    _seed(engine, old, 1)
    new_path = tmp_path / "next.key"
    write_master_key_file(new_path, new := MasterKey.generate())
    result = _run(
        "keys", "rotate", "--new-key-file", str(new_path), "--old-key-file", str(old_path)
    )
    assert result.exit_code == 0, result.output
    assert _key_ids(engine) == {new.id}


def test_keys_rotate_with_the_wrong_old_key_changes_nothing(
    engine: Engine, current_key: tuple[MasterKey, Path], tmp_path: Path
) -> None:
    old, _ = current_key
    _seed(engine, old, 2)
    wrong, new = tmp_path / "wrong.key", tmp_path / "next.key"
    write_master_key_file(wrong, MasterKey.generate())
    write_master_key_file(new, MasterKey.generate())
    result = _run("keys", "rotate", "--new-key-file", str(new), "--old-key-file", str(wrong))
    assert result.exit_code == 1
    assert "rotation refused, nothing changed" in result.stderr
    assert _key_ids(engine) == {old.id}


def _no_file(path: Path) -> None:
    pass


def _garbage(path: Path) -> None:
    path.write_text("nonsense\n")
    path.chmod(0o600)


def _readable_by_others(path: Path) -> None:
    write_master_key_file(path, MasterKey.generate())
    path.chmod(0o644)


@pytest.mark.parametrize(
    ("prepare", "message"),
    [
        pytest.param(_no_file, "does not exist", id="missing-file"),
        pytest.param(_garbage, "must be 32 bytes", id="garbage"),
        pytest.param(_readable_by_others, "chmod 600", id="readable-by-others"),
    ],
)
def test_keys_rotate_refuses_an_unusable_new_key_file(
    engine: Engine,
    current_key: tuple[MasterKey, Path],
    tmp_path: Path,
    prepare: Callable[[Path], None],
    message: str,
) -> None:
    old, _ = current_key
    _seed(engine, old, 1)
    path = tmp_path / "next.key"
    prepare(path)
    result = _run("keys", "rotate", "--new-key-file", str(path))
    assert result.exit_code == 1
    assert message in result.stderr
    assert _key_ids(engine) == {old.id}


# --- audit verify --------------------------------------------------------------------------


def _audit(engine: Engine, entries: int) -> None:
    with engine.begin() as conn:
        for n in range(entries):
            AuditTrail.append(
                conn, at=NOW, actor="self", action="test", subject_pseudonym=None,
                detail={"n": n},
            )  # fmt: skip


def test_l53_audit_verify_reports_an_intact_trail(
    engine: Engine, current_key: tuple[MasterKey, Path]
) -> None:
    _audit(engine, 3)
    result = _run("audit", "verify")
    assert result.exit_code == 0
    assert "audit trail intact: 3 entries" in result.output
    assert "head: entry 3, hash " in result.output


def test_audit_verify_on_an_empty_trail(
    engine: Engine, current_key: tuple[MasterKey, Path]
) -> None:
    result = _run("audit", "verify")
    assert (result.exit_code, result.output.strip()) == (0, "audit trail intact: 0 entries")


def test_l53_audit_verify_names_the_first_broken_entry(
    engine: Engine, current_key: tuple[MasterKey, Path]
) -> None:
    _audit(engine, 4)
    with engine.begin() as conn:
        conn.execute(update(audit_log).where(audit_log.c.seq == 2).values(actor="intruder"))
    result = _run("audit", "verify")
    assert result.exit_code == 1
    assert "audit trail broken at entry 2: " in result.output


def test_audit_verify_on_a_database_without_the_schema_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRIVAAT_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    result = _run("audit", "verify")
    assert result.exit_code == 2
    assert "cannot read the audit trail" in result.stderr


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(["audit", "verify"], id="audit-verify"),
        pytest.param(["keys", "rotate", "--new-key-file", "x.key"], id="keys-rotate"),
    ],
)
def test_invalid_settings_give_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.setenv("PRIVAAT_MODE", "chaos")
    result = _run(*command)
    assert result.exit_code in (1, 2)
    assert "invalid PRIVAAT_ settings" in result.stderr
