"""Backups that keep erasure true (issue 16 item 7; LEGAL L52, L64).

    privaat backup create DIR     the data database, consistent, to DIR: SQLite through the
                                  online backup API, PostgreSQL through pg_dump (custom
                                  format); a manifest beside it (its SHA-256, the schema
                                  revision, how many erasures the list held then). Both written
                                  under temporary names and renamed: never half a file; a full
                                  disk is StorageFull, with nothing left behind
    privaat backup restore FILE   the file's SHA-256 checked first (a damaged backup changes
                                  nothing), the data restored (SQLite: the backup API into
                                  the live file; PostgreSQL: the dump replayed by psql, one
                                  transaction over an emptied schema), then the
                                  list of erasures replayed: every listed pseudonym the
                                  restored data still holds is erased again, before anyone
                                  can read it
    privaat backup check [--fix]  a listed pseudonym still present (an erasure whose commit
                                  failed after its record) is reported; --fix erases it

The list of erasures (``store.erasure_ledger``) is not in the backup and is never restored:
it only grows. What is still open (the issue's item 7): the subject keys live in the same
database as the data, so a backup file read together with the master key still opens a
person erased after it was made; the replay makes a restored copy safe, not the file itself.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.engine import make_url

from privaat.domain.clock import Clock
from privaat.domain.principal import SystemJob
from privaat.services.erasure import Erasure, ErasureWaits
from privaat.services.errors import Conflict, InvalidField, StorageFull, no_space
from privaat.store.erasure_ledger import ErasureLedger
from privaat.store.tables import subjects
from privaat.store.unit_of_work import UnitOfWork

__all__ = ["BackupFile", "Backups", "Replayed"]

REPLAY = SystemJob("restore-replay")
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class BackupFile:
    path: Path
    sha256: str
    size: int
    manifest: Path


@dataclass(frozen=True, slots=True)
class Replayed:
    """After a restore or a check: the listed pseudonyms found again, and what became of them."""

    listed: int
    found: tuple[str, ...]
    erased: int
    waiting: tuple[str, ...]  # a legal hold in the restored data keeps them (art. 17(3)(e))


class Backups:
    def __init__(
        self, *, engine: Engine, ledger: ErasureLedger, erasure: Erasure, clock: Clock
    ) -> None:
        self._engine, self._ledger, self._erasure, self._clock = engine, ledger, erasure, clock

    def close(self) -> None:
        self._ledger.close()

    @property
    def _backend(self) -> str:
        return self._engine.dialect.name

    def create(self, directory: Path) -> BackupFile:
        """A consistent copy of the data database in ``directory``."""
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise InvalidField("directory", f"{directory}: {error.strerror}") from None
        now = self._clock.now()
        stamp = now.strftime("%Y%m%dT%H%M%SZ")
        suffix = "sqlite" if self._backend == "sqlite" else "dump"
        target = directory / f"privaat-data-{stamp}.{suffix}"
        manifest = target.with_suffix(target.suffix + ".json")
        written: list[Path] = []
        try:
            handle, temporary = tempfile.mkstemp(dir=directory, prefix=".privaat-data-")
            os.close(handle)
            written.append(Path(temporary))
            if self._backend == "sqlite":
                self._sqlite_copy(Path(temporary))
            else:
                _run(["pg_dump", "--format=custom", f"--file={temporary}", self._libpq()])
            os.chmod(temporary, 0o600)
            digest, size = _sha256(Path(temporary))
            # the manifest under a temporary name too: both complete before either is renamed
            handle, draft = tempfile.mkstemp(dir=directory, prefix=".privaat-manifest-")
            os.close(handle)
            written.append(Path(draft))
            Path(draft).write_text(self._manifest_text(now, digest, size), encoding="utf-8")
            os.chmod(draft, 0o644)
            os.replace(temporary, target)
            written[0] = target
            os.replace(draft, manifest)
        except BaseException as error:
            for path in written:
                path.unlink(missing_ok=True)
            if no_space(error) or (isinstance(error, Conflict) and _NO_SPACE_WORDS in str(error)):
                raise StorageFull(f"the backup in {directory}") from None
            if isinstance(error, OSError | sqlite3.Error):
                raise Conflict(f"cannot write the backup in {directory}: {error}") from None
            raise
        return BackupFile(target, digest, size, manifest)

    def _manifest_text(self, now: datetime, digest: str, size: int) -> str:
        return (
            json.dumps(
                {
                    "kind": "privaat data backup",
                    "database": self._backend,
                    "created_at": now.isoformat(),
                    "sha256": digest,
                    "bytes": size,
                    "schema_revision": self._revision(),
                    "erasures_listed": len(self._ledger.pseudonyms()),
                    "keys": "in this file (the key store is not separate yet): restore only "
                    "with `privaat backup restore`, which replays the list of erasures",
                },
                indent=2,
            )
            + "\n"
        )

    def restore(self, uow: UnitOfWork, file: Path) -> Replayed:
        """The data as in ``file``, then every erasure since replayed; a file that does not
        match its manifest, or is of another database, changes nothing."""
        manifest = _manifest(file)
        if manifest.get("database") != self._backend:
            raise InvalidField(
                "file",
                f"{file.name} is a {manifest.get('database')} backup, this database "
                f"is {self._backend}",
            )
        digest, _size = _sha256(file)
        if digest != manifest.get("sha256"):
            raise InvalidField(
                "file",
                f"{file.name} does not match its manifest (SHA-256): damaged or "
                "changed; nothing was restored",
            )
        self._engine.dispose()  # no pooled connection keeps a view of the old data
        if self._backend == "sqlite":
            self._sqlite_restore(file)
        else:
            self._pg_restore(file)
        self._engine.dispose()
        return self.replay(uow)

    def replay(self, uow: UnitOfWork, *, fix: bool = True) -> Replayed:
        """Erase again every listed pseudonym the data still holds (``fix`` False: report)."""
        listed = self._ledger.pseudonyms()
        with uow.reading() as connection:
            present = {
                row.pseudonym: row.id
                for row in connection.execute(
                    select(subjects.c.id, subjects.c.pseudonym).where(
                        subjects.c.erased_at.is_(None)
                    )
                )
            }
        found = tuple(p for p in listed if p in present)
        erased, waiting = 0, []
        for pseudonym in found if fix else ():
            try:
                self._erasure.erase(
                    uow,
                    REPLAY,
                    present[pseudonym],
                    ground="erased before; replayed after a restore",
                )
            except ErasureWaits:
                waiting.append(pseudonym)
                continue
            erased += 1
        return Replayed(len(listed), found, erased, tuple(waiting))

    # --- the two backends ------------------------------------------------------------

    def _sqlite_path(self) -> Path:
        database = make_url(str(self._engine.url)).database
        if not database or database == ":memory:":
            raise Conflict("an in-memory database has nothing to back up")
        return Path(database)

    def _sqlite_copy(self, target: Path) -> None:
        source = sqlite3.connect(self._sqlite_path())
        try:
            destination = sqlite3.connect(target)
            try:
                source.backup(destination)
            finally:
                destination.close()
        finally:
            source.close()

    def _sqlite_restore(self, file: Path) -> None:
        source = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
        try:
            destination = sqlite3.connect(self._sqlite_path())
            try:
                source.backup(destination)
            finally:
                destination.close()
        finally:
            source.close()

    def _pg_restore(self, file: Path) -> None:
        """The schema emptied and the dump replayed in one transaction (psql
        --single-transaction): a dump that fails half-way leaves the database as it was.
        pg_restore --clean cannot drop the partitions' inherited constraints, so the public
        schema is dropped whole first, inside the same transaction."""
        with tempfile.TemporaryDirectory() as work:
            script, prelude = Path(work) / "restore.sql", Path(work) / "prelude.sql"
            _run(["pg_restore", "--no-owner", "--no-privileges", f"--file={script}", str(file)])
            prelude.write_text("DROP SCHEMA public CASCADE;\nCREATE SCHEMA public;\n")
            _run(
                [
                    "psql",
                    "--no-psqlrc",
                    "--quiet",
                    "--single-transaction",
                    "-v",
                    "ON_ERROR_STOP=1",
                    f"--dbname={self._libpq()}",
                    "-f",
                    str(prelude),
                    "-f",
                    str(script),
                ]
            )

    def _libpq(self) -> str:
        url = make_url(str(self._engine.url)).set(drivername="postgresql")
        return url.render_as_string(hide_password=False)

    def _revision(self) -> str | None:
        with self._engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return None  # a database made without migrations: no revision
            value = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        return None if value is None else str(value)


# what pg_dump says when its output file cannot grow (strerror of ENOSPC)
_NO_SPACE_WORDS = "No space left on device"


def _run(command: list[str]) -> None:
    if shutil.which(command[0]) is None:
        raise Conflict(f"{command[0]} is not installed (Debian: postgresql-client)")
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        first = (done.stderr or done.stdout).strip().splitlines()
        raise Conflict(f"{command[0]} failed: {first[0] if first else done.returncode}")


def _sha256(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _manifest(file: Path) -> dict[str, Any]:
    manifest = file.with_suffix(file.suffix + ".json")
    try:
        loaded = json.loads(manifest.read_text(encoding="utf-8"))
    except OSError:
        raise InvalidField("file", f"{file.name} has no manifest ({manifest.name})") from None
    except ValueError:
        raise InvalidField("file", f"{manifest.name} is not JSON") from None
    if not isinstance(loaded, dict) or loaded.get("kind") != "privaat data backup":
        raise InvalidField("file", f"{manifest.name} is not a privaat backup manifest")
    if not file.is_file():
        raise InvalidField("file", f"{file} is not a readable file")
    return loaded
