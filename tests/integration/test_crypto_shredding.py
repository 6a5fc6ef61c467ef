"""Erasure is crypto-shredding (issue 3 item 2, L64): no plaintext on disk, copies unreadable."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import make_url

from privaat.bootstrap import Context
from privaat.domain.principal import StaffMember, StaffRole
from privaat.store.crypto import DecryptionError
from privaat.store.key_errors import SubjectKeyMissing
from privaat.store.key_store import KeyStore
from privaat.store.tables import accounts, subject_keys, subjects

DISTINCT = {
    "email": "zebulon.quartermaine@example.nl",
    "name": "Zebulon Quartermaine",
    "street": "Xylofoonlaan 937",
    "postal_code": "9999 ZZ",
    "city": "Quelderhoven",
    "phone": "+31687654321",
    "vat_number": "NL004495445B01",
}
PLAINTEXTS = [v for k, v in DISTINCT.items() if k != "vat_number"] + ["Quartermaine"]


def _database_bytes(context: Context) -> bytes:
    """Everything the database holds on disk: the SQLite file and its WAL, or a pg_dump."""
    url = make_url(context.settings.database_url)
    if url.get_backend_name() == "sqlite":
        path = Path(str(url.database))
        files = [path, path.with_name(path.name + "-wal")]
        return b"".join(f.read_bytes() for f in files if f.exists())
    dump = subprocess.run(
        [
            "pg_dump",
            "-h",
            url.host or "127.0.0.1",
            "-U",
            url.username or "postgres",
            url.database or "",
        ],
        check=True,
        capture_output=True,
    )
    return dump.stdout


def test_l64_erasure_leaves_no_plaintext_and_the_copy_cannot_be_decrypted(
    client: TestClient, context: Context, tmp_path: Path
) -> None:
    response = client.post(
        "/api/v1/accounts",
        json={**DISTINCT, "password": "zebra zebra zebra", "age_declaration": True},
    )
    assert response.status_code == 202
    with context.engine.connect() as connection:
        subject_id, pseudonym = connection.execute(
            select(subjects.c.id, subjects.c.pseudonym)
        ).one()
        copied_row = connection.execute(select(accounts)).mappings().one()  # what a backup holds
    # the copy decrypts before erasure: the test below is not vacuous
    live = KeyStore(context.keys.master)
    with context.engine.connect() as connection:
        assert (
            live.open_subject_key(connection, subject_id, pseudonym).decrypt(
                "accounts.name", copied_row["name_enc"]
            )
            == (DISTINCT["name"])
        )
    url = make_url(context.settings.database_url)
    if url.get_backend_name() == "sqlite":
        with context.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(FULL)")
        copy = tmp_path / "before-erasure.db"
        shutil.copyfile(str(url.database), copy)

    officer = StaffMember(1, StaffRole.PRIVACY_OFFICER)
    with context.unit_of_work() as uow:
        context.erasure.erase(uow, officer, subject_id, ground="art. 17(1)(a)")
    context.access_log.flush()

    # (a) none of the subject's values is anywhere in the live database files or dump
    on_disk = _database_bytes(context)
    for value in PLAINTEXTS:
        assert value.encode() not in on_disk, value
    # (b) the copy taken before erasure cannot be decrypted with the live key store
    fresh_store = KeyStore(context.keys.master)  # no cache: only what the database holds
    with context.engine.connect() as connection:
        assert (
            connection.execute(
                select(subject_keys).where(subject_keys.c.subject_id == subject_id)
            ).first()
            is None
        )
        with pytest.raises(SubjectKeyMissing):
            fresh_store.open_subject_key(connection, subject_id, pseudonym)
        with pytest.raises(SubjectKeyMissing):
            context.keys.open_subject_key(connection, subject_id, pseudonym)
    if url.get_backend_name() == "sqlite":
        with sqlite3.connect(copy) as old:
            old_name = old.execute("SELECT name_enc FROM accounts").fetchone()[0]
        assert old_name == copied_row["name_enc"]
        # another subject's key (the only kind the live store still has) cannot open it either
        other = client.post(
            "/api/v1/accounts",
            json={
                **DISTINCT,
                "email": "x@example.nl",
                "password": "zebra zebra zebra",
                "age_declaration": True,
            },
        )
        assert other.status_code == 202
        with context.engine.connect() as connection:
            other_id, other_pseudonym = connection.execute(
                select(subjects.c.id, subjects.c.pseudonym)
            ).one()
            with pytest.raises(DecryptionError):
                fresh_store.open_subject_key(connection, other_id, other_pseudonym).decrypt(
                    "accounts.name", old_name
                )
