"""Backups that keep erasure true (issue 16 item 7; LEGAL L52, L64): the restore drill.
After an erasure, restoring a data backup made before it does not bring the person back:
the list of erasures (pseudonyms only, a database of its own) is replayed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from tests.factories import customer

from privaat.bootstrap import Context
from privaat.domain.principal import SystemJob
from privaat.services.errors import InvalidField
from privaat.store.tables import accounts, subject_keys, subjects

OPERATOR = SystemJob("operator")


def _pseudonym(context: Context, subject_id: int) -> str:
    with context.engine.connect() as connection:
        return str(
            connection.execute(
                select(subjects.c.pseudonym).where(subjects.c.id == subject_id)
            ).scalar_one()
        )


def _present(context: Context, pseudonym: str) -> bool:
    with context.engine.connect() as connection:
        row = connection.execute(
            select(subjects.c.id).where(
                subjects.c.pseudonym == pseudonym, subjects.c.erased_at.is_(None)
            )
        ).first()
        if row is None:
            return False
        key = connection.execute(
            select(subject_keys.c.subject_id).where(subject_keys.c.subject_id == row.id)
        ).first()
    return key is not None


def test_L64_a_restored_backup_does_not_bring_an_erased_person_back(
    context: Context, tmp_path: Path
) -> None:
    anna = customer(context, name="Anna Smit")
    bram = customer(context, name="Bram Visser")
    anna_p, bram_p = _pseudonym(context, anna.subject_id), _pseudonym(context, bram.subject_id)
    backup = context.backups.create(tmp_path / "backups")
    manifest = json.loads(backup.manifest.read_text())
    assert manifest["sha256"] == backup.sha256 and manifest["erasures_listed"] == 0
    assert backup.path.stat().st_mode & 0o777 == 0o600
    with context.unit_of_work() as uow:
        context.erasure.erase(uow, OPERATOR, anna.subject_id, ground="art. 17 request")
    assert not _present(context, anna_p) and anna_p in context.backups._ledger  # noqa: SLF001
    # the backup holds Anna, key and all; the restore brings the data back, the replay
    # erases her again before anyone reads it
    with context.unit_of_work() as uow:
        replayed = context.backups.restore(uow, backup.path)
    assert (replayed.listed, replayed.found, replayed.erased) == (1, (anna_p,), 1)
    assert not _present(context, anna_p)
    assert _present(context, bram_p)  # everyone else is back as they were
    with context.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(accounts)).scalar() == 1
    with context.unit_of_work() as uow:  # Bram can still be read through the seam
        profile = context.accounts.read_profile(uow, bram.principal, bram.subject_id)
    assert profile.name == "Bram Visser"
    # a check afterwards finds nothing to finish
    with context.unit_of_work() as uow:
        assert context.backups.replay(uow, fix=False).found == ()


def test_a_damaged_or_foreign_backup_restores_nothing(context: Context, tmp_path: Path) -> None:
    person = customer(context)
    backup = context.backups.create(tmp_path)
    with backup.path.open("r+b") as file:  # one byte changed
        file.seek(100)
        byte = file.read(1)
        file.seek(100)
        file.write(bytes([byte[0] ^ 0xFF]))
    with context.unit_of_work() as uow, pytest.raises(InvalidField, match="does not match"):
        context.backups.restore(uow, backup.path)
    lonely = tmp_path / "other.sqlite"
    lonely.write_bytes(b"not a backup")
    with context.unit_of_work() as uow, pytest.raises(InvalidField, match="no manifest"):
        context.backups.restore(uow, lonely)
    assert _present(context, _pseudonym(context, person.subject_id))


def test_an_erasure_whose_commit_failed_after_its_record_is_found_and_finished(
    context: Context,
) -> None:
    person = customer(context)
    pseudonym = _pseudonym(context, person.subject_id)
    # the record is made, the erasure's own commit never happens (a crash between them)
    context.backups._ledger.record(pseudonym, context.clock.now())  # noqa: SLF001
    with context.unit_of_work() as uow:
        found = context.backups.replay(uow, fix=False)
    assert found.found == (pseudonym,) and found.erased == 0 and _present(context, pseudonym)
    with context.unit_of_work() as uow:
        fixed = context.backups.replay(uow, fix=True)
    assert fixed.erased == 1 and not _present(context, pseudonym)


def test_the_backup_commands_print_no_personal_data(
    monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from privaat.bootstrap import bootstrap
    from privaat.cli import app
    from privaat.settings import Settings
    from privaat.store.crypto import MasterKey
    from privaat.store.master_key import write_master_key_file

    key_file = tmp_path / "master.key"
    write_master_key_file(key_file, MasterKey.generate())
    for name, value in {
        "PRIVAAT_DATABASE_URL": database_url,
        "PRIVAAT_MODE": "production",
        "PRIVAAT_VAR_DIR": str(tmp_path / "var"),
        "PRIVAAT_MASTER_KEY_FILE": str(key_file),
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("PRIVAAT_MASTER_KEY", raising=False)
    context = bootstrap(Settings(), run_migrations=False)
    try:
        person = customer(context, email="cli.backup@voorbeeld.nl")
        pseudonym = _pseudonym(context, person.subject_id)
    finally:
        context.close()
    runner = CliRunner()
    made = runner.invoke(app, ["backup", "create", str(tmp_path / "b")])
    assert made.exit_code == 0 and "sha256" in made.output, made.output
    [file] = [p for p in (tmp_path / "b").iterdir() if not p.name.endswith(".json")]
    context = bootstrap(Settings(), run_migrations=False)
    try:
        with context.unit_of_work() as uow:
            context.erasure.erase(uow, OPERATOR, person.subject_id, ground="test")
    finally:
        context.close()
    restored = runner.invoke(app, ["backup", "restore", str(file)])
    assert restored.exit_code == 0, restored.output
    assert "1 still present in the data, 1 erased again" in restored.output
    assert "cli.backup" not in restored.output and pseudonym not in restored.output
    checked = runner.invoke(app, ["backup", "check"])
    assert checked.exit_code == 0 and "0 still present" in checked.output
    missing = runner.invoke(app, ["backup", "restore", str(tmp_path / "nothing.sqlite")])
    assert missing.exit_code == 1 and "no manifest" in missing.output
