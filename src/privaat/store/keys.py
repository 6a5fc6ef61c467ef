"""The master key's source, the per-subject data keys and system keys it wraps, and rotation.

Every subject has a random data key, stored only wrapped by the master key
(``subject_keys``); deleting that row is crypto-shredding: every copy of the subject's
ciphertext, in backups, replicas and logs alike, becomes unreadable (GDPR art. 17,
LEGAL L64). The blind-index key is a system key (``system_keys``), wrapped the same way.

Errors::

    KeyStoreError
    ├── MasterKeyConfigError      the configured master key cannot be used (message says why)
    │   ├── MasterKeyMissing      none configured where one is required, or its file is gone
    │   └── MasterKeyFileInsecure the key file is open to group or others (production)
    ├── SubjectKeyMissing         the subject's key is gone: shredded, or never created
    ├── WrongMasterKey            a key row is wrapped by another master key than ours
    └── KeyRotationError          rotation refused; nothing was changed

Caching: unwrapped subject ciphers are kept in a bounded LRU per ``KeyStore``, keyed by
subject id and checked against the pseudonym, so a reused SQLite rowid never meets a stale
key. ``shred`` evicts in this process only: other processes may hold the cipher in memory
until they restart, but the subject's rows are deleted with the key, so there is nothing
left for it to open.
"""

from __future__ import annotations

import os
import stat
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    bindparam,
    delete,
    event,
    func,
    insert,
    select,
    union,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.dml import Insert

from privaat.settings import Mode, Settings
from privaat.store.crypto import (
    BlindIndex,
    CryptoError,
    KeyUnwrapError,
    MasterKey,
    SubjectCipher,
    new_data_key,
)
from privaat.store.tables import subject_keys, subjects, system_keys

__all__ = [
    "BLIND_INDEX_KEY",
    "DEMO_KEY_FILE_NAME",
    "KeyRotationError",
    "KeyStore",
    "KeyStoreError",
    "MasterKeyConfigError",
    "MasterKeyFileInsecure",
    "MasterKeyMissing",
    "RotationReport",
    "SubjectKeyMissing",
    "WrongMasterKey",
    "load_master_key",
    "read_master_key_file",
    "rotate_master_key",
    "write_master_key_file",
]

BLIND_INDEX_KEY = "blind_index"
DEMO_KEY_FILE_NAME = "master.key"
DEFAULT_CACHE_SIZE = 10_000
ROTATION_BATCH = 1_000


class KeyStoreError(Exception):
    """A key could not be loaded, found or rotated; the message says what to do."""


class MasterKeyConfigError(KeyStoreError):
    """The configured master key cannot be used."""


class MasterKeyMissing(MasterKeyConfigError):
    """No master key where one is required."""


class MasterKeyFileInsecure(MasterKeyConfigError):
    """The master key file can be read or written by group or others."""


class SubjectKeyMissing(KeyStoreError, LookupError):
    """The subject's data key is gone (shredded) or was never created."""


class WrongMasterKey(KeyStoreError):
    """A key row is wrapped by a master key other than the one this process runs with."""


class KeyRotationError(KeyStoreError):
    """Rotation refused before or while re-wrapping; the caller's transaction must roll back."""


# wrap contexts: a wrapped key only opens for the subject or system key it was made for,
# and a subject's pseudonym can never collide with a system key's name
def _subject_context(pseudonym: str) -> bytes:
    return b"subject:" + pseudonym.encode()


def _system_context(name: str) -> bytes:
    return b"system:" + name.encode()


# --- the master key's source ---------------------------------------------------------------


def write_master_key_file(path: Path, key: MasterKey) -> None:
    """Write ``key`` to a new file only its owner can read (0600); an existing file is kept."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # mkstemp creates the file 0600; linking it into place is atomic and fails on an
    # existing name, so no reader ever sees a half-written key and no key is overwritten
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".master-key-")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as file:
            file.write(key.to_base64() + "\n")
            file.flush()
            os.fsync(file.fileno())
        os.link(temporary, path)
    finally:
        os.unlink(temporary)


def read_master_key_file(path: Path, *, require_private: bool) -> MasterKey:
    """Read a key file; with ``require_private``, refuse one open to group or others."""
    try:
        mode = path.stat().st_mode
        if not stat.S_ISREG(mode):
            raise MasterKeyConfigError(f"master key file {path} is not a regular file")
        if require_private and os.name == "posix" and mode & 0o077:
            raise MasterKeyFileInsecure(
                f"master key file {path} is accessible to group or others "
                f"(mode {stat.S_IMODE(mode):04o}); run `chmod 600 {path}`"
            )
        text = path.read_text(encoding="ascii")
    except FileNotFoundError as error:
        raise MasterKeyMissing(f"master key file {path} does not exist") from error
    except (OSError, UnicodeDecodeError) as error:
        raise MasterKeyConfigError(f"cannot read master key file {path}: {error}") from error
    try:
        return MasterKey.from_base64(text)
    except CryptoError as error:
        raise MasterKeyConfigError(f"master key file {path}: {error}") from error


def load_master_key(settings: Settings, *, create: bool = True) -> MasterKey:
    """The configured master key; in demo and test mode, ``var_dir/master.key`` made on demand."""
    if settings.master_key is not None and settings.master_key_file is not None:
        raise MasterKeyConfigError(
            "set PRIVAAT_MASTER_KEY or PRIVAAT_MASTER_KEY_FILE, not both: which one wraps the "
            "data keys would otherwise depend on precedence rules nobody remembers"
        )
    production = settings.mode is Mode.PRODUCTION
    if settings.master_key is not None:
        try:
            return MasterKey.from_base64(settings.master_key.get_secret_value())
        except CryptoError as error:
            raise MasterKeyConfigError(f"PRIVAAT_MASTER_KEY: {error}") from error
    if settings.master_key_file is not None:
        # a configured file that is missing is an error in every mode: making a new key
        # would silently leave all existing data unreadable
        return read_master_key_file(settings.master_key_file, require_private=production)
    if production:
        raise MasterKeyMissing(
            "production mode needs a master key: set PRIVAAT_MASTER_KEY_FILE to a file made "
            "with `privaat keys generate --output FILE` (or PRIVAAT_MASTER_KEY to its base64)"
        )
    path = settings.var_dir / DEMO_KEY_FILE_NAME
    if create and not path.exists():
        try:
            write_master_key_file(path, MasterKey.generate())
        except FileExistsError:
            pass  # another process made it first: use theirs
        except OSError as error:
            raise MasterKeyConfigError(f"cannot create master key file {path}: {error}") from error
    return read_master_key_file(path, require_private=False)


# --- data keys -----------------------------------------------------------------------------

_SELECT_SUBJECT_KEY = select(subject_keys.c.master_key_id, subject_keys.c.wrapped_key).where(
    subject_keys.c.subject_id == bindparam("subject_id")
)
_INSERT_SUBJECT_KEY = insert(subject_keys)
_SELECT_SYSTEM_KEY = select(system_keys.c.master_key_id, system_keys.c.wrapped_key).where(
    system_keys.c.name == bindparam("name")
)


class KeyStore:
    """Opens, creates and destroys data keys under one master key, caching what it opened."""

    def __init__(self, master: MasterKey, *, cache_size: int = DEFAULT_CACHE_SIZE) -> None:
        if cache_size < 1:
            raise ValueError("cache_size must be at least 1")
        self.master = master
        self._cache_size = cache_size
        self._ciphers: OrderedDict[int, tuple[str, SubjectCipher]] = OrderedDict()
        self._lock = threading.Lock()  # sync routes run in a thread pool
        self._blind_index: BlindIndex | None = None
        self._blind_index_pending: bytes | None = None  # created, not yet known committed

    def create_subject_key(
        self, conn: Connection, subject_id: int, pseudonym: str
    ) -> SubjectCipher:
        """Give a new subject a random data key, stored wrapped; returns its cipher."""
        row, cipher = self.new_subject_key(subject_id, pseudonym)
        conn.execute(_INSERT_SUBJECT_KEY, row)
        return cipher

    def new_subject_key(
        self, subject_id: int, pseudonym: str
    ) -> tuple[dict[str, object], SubjectCipher]:
        """A fresh data key as a ``subject_keys`` row (for bulk inserts) and its cipher."""
        data_key = new_data_key()
        row: dict[str, object] = {
            "subject_id": subject_id,
            "master_key_id": self.master.id,
            "wrapped_key": self.master.wrap(data_key, context=_subject_context(pseudonym)),
        }
        return row, self._remember(subject_id, pseudonym, SubjectCipher(data_key))

    def cipher(self, conn: Connection, subject_id: int, pseudonym: str) -> SubjectCipher:
        """The subject's cipher, from the cache or unwrapped from ``subject_keys``."""
        cached = self._cached(subject_id, pseudonym)
        if cached is not None:
            return cached
        row = conn.execute(_SELECT_SUBJECT_KEY, {"subject_id": subject_id}).first()
        if row is None:
            raise SubjectKeyMissing(f"subject {subject_id} has no data key (erased?)")
        if row.master_key_id != self.master.id:
            raise WrongMasterKey(
                f"subject {subject_id}'s key is wrapped by master key {row.master_key_id}, "
                f"this process runs with {self.master.id}: restart it with the rotated key"
            )
        return self.cipher_from_wrapped(subject_id, pseudonym, row.wrapped_key)

    def cipher_from_wrapped(
        self, subject_id: int, pseudonym: str, wrapped: bytes | None
    ) -> SubjectCipher:
        """The subject's cipher from a wrapped key the caller read with its data (one query).

        ``wrapped`` None (an outer join found no key) raises ``SubjectKeyMissing``.
        """
        cached = self._cached(subject_id, pseudonym)
        if cached is not None:
            return cached
        if wrapped is None:
            raise SubjectKeyMissing(f"subject {subject_id} has no data key (erased?)")
        data_key = self.master.unwrap(wrapped, context=_subject_context(pseudonym))
        return self._remember(subject_id, pseudonym, SubjectCipher(data_key))

    def shred(self, conn: Connection, subject_id: int) -> bool:
        """Destroy the subject's data key (crypto-shredding); True if there was one."""
        self.evict(subject_id)
        result = conn.execute(delete(subject_keys).where(subject_keys.c.subject_id == subject_id))
        return result.rowcount > 0

    def evict(self, subject_id: int) -> None:
        """Forget the subject's cipher in this process."""
        with self._lock:
            self._ciphers.pop(subject_id, None)

    def cached_subjects(self) -> int:
        """How many subject ciphers this process holds in memory."""
        return len(self._ciphers)

    def _cached(self, subject_id: int, pseudonym: str) -> SubjectCipher | None:
        with self._lock:
            entry = self._ciphers.get(subject_id)
            if entry is None or entry[0] != pseudonym:
                return None
            self._ciphers.move_to_end(subject_id)
            return entry[1]

    def _remember(self, subject_id: int, pseudonym: str, cipher: SubjectCipher) -> SubjectCipher:
        with self._lock:
            self._ciphers[subject_id] = (pseudonym, cipher)
            self._ciphers.move_to_end(subject_id)
            while len(self._ciphers) > self._cache_size:
                self._ciphers.popitem(last=False)
        return cipher

    # --- the blind-index key ---------------------------------------------------------------

    def blind_index(self, conn: Connection) -> BlindIndex:
        """The blind index under the system's index key, created on first use."""
        if self._blind_index is not None:
            return self._blind_index
        row = conn.execute(_SELECT_SYSTEM_KEY, {"name": BLIND_INDEX_KEY}).first()
        created: bytes | None = None
        if row is None:
            created = self.master.wrap(new_data_key(), context=_system_context(BLIND_INDEX_KEY))
            # two processes may create it at once: the first committed row wins for both
            conn.execute(
                _insert_ignoring_duplicates(conn).values(
                    name=BLIND_INDEX_KEY, master_key_id=self.master.id, wrapped_key=created
                )
            )
            row = conn.execute(_SELECT_SYSTEM_KEY, {"name": BLIND_INDEX_KEY}).one()
        if row.master_key_id != self.master.id:
            raise WrongMasterKey(
                f"the blind-index key is wrapped by master key {row.master_key_id}, "
                f"this process runs with {self.master.id}: restart it with the rotated key"
            )
        index = BlindIndex(
            self.master.unwrap(row.wrapped_key, context=_system_context(BLIND_INDEX_KEY))
        )
        if row.wrapped_key in (created, self._blind_index_pending):
            # our own insert, not yet committed: caching a key that is then rolled back
            # would hash every later e-mail under a key no other process ever sees
            self._cache_blind_index_on_commit(conn, index, row.wrapped_key)
        else:
            self._blind_index = index
        return index

    def _cache_blind_index_on_commit(
        self, conn: Connection, index: BlindIndex, wrapped: bytes
    ) -> None:
        self._blind_index_pending = wrapped
        settled = False

        def on_commit(_conn: Connection) -> None:
            nonlocal settled
            if not settled:
                settled = True
                self._blind_index, self._blind_index_pending = index, None

        def on_rollback(_conn: Connection, *_args: Any) -> None:
            # a rolled-back savepoint may have held the insert: stay on the safe side
            nonlocal settled
            if not settled:
                settled = True
                self._blind_index_pending = None

        event.listen(conn, "commit", on_commit)
        event.listen(conn, "rollback", on_rollback)
        event.listen(conn, "rollback_savepoint", on_rollback)


def _insert_ignoring_duplicates(conn: Connection) -> Insert:
    if conn.dialect.name == "postgresql":
        return pg_insert(system_keys).on_conflict_do_nothing(index_elements=["name"])
    if conn.dialect.name == "sqlite":
        return sqlite_insert(system_keys).on_conflict_do_nothing(index_elements=["name"])
    return insert(system_keys)


# --- rotation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RotationReport:
    """What a master key rotation re-wrapped, and what was already on the new key."""

    old_key_id: str
    new_key_id: str
    subject_keys_rewrapped: int
    system_keys_rewrapped: int
    already_on_new_key: int


def rotate_master_key(
    conn: Connection, old: MasterKey, new: MasterKey, *, batch_size: int = ROTATION_BATCH
) -> RotationReport:
    """Re-wrap every subject and system key from ``old`` to ``new``; no data column is touched.

    Run it in one transaction: a failure leaves every key on the old master key. Rows
    already on ``new`` are skipped, so a rerun after a crash finishes the job.
    """
    if old.id == new.id:
        raise KeyRotationError(f"the new master key is the current one ({old.id})")
    foreign = _foreign_master_key_ids(conn, {old.id, new.id})
    if foreign:
        raise KeyRotationError(
            f"keys wrapped by master key(s) {', '.join(sorted(foreign))} are neither the old "
            f"({old.id}) nor the new ({new.id}) key: is --old-key-file the key in use?"
        )
    already = sum(
        conn.execute(
            select(func.count()).select_from(table).where(table.c.master_key_id == new.id)
        ).scalar_one()
        for table in (subject_keys, system_keys)
    )
    return RotationReport(
        old_key_id=old.id,
        new_key_id=new.id,
        subject_keys_rewrapped=_rewrap_subject_keys(conn, old, new, batch_size),
        system_keys_rewrapped=_rewrap_system_keys(conn, old, new),
        already_on_new_key=already,
    )


def _foreign_master_key_ids(conn: Connection, known: set[str]) -> set[str]:
    used = union(
        select(subject_keys.c.master_key_id).distinct(),
        select(system_keys.c.master_key_id).distinct(),
    )
    return {key_id for (key_id,) in conn.execute(used)} - known


def _rewrap(old: MasterKey, new: MasterKey, wrapped: bytes, context: bytes, what: str) -> bytes:
    try:
        return new.wrap(old.unwrap(wrapped, context=context), context=context)
    except KeyUnwrapError as error:
        raise KeyRotationError(f"{what} does not unwrap under the old key: {error}") from error


def _rewrap_subject_keys(conn: Connection, old: MasterKey, new: MasterKey, batch: int) -> int:
    page = (
        select(subject_keys.c.subject_id, subject_keys.c.wrapped_key, subjects.c.pseudonym)
        .join(subjects, subjects.c.id == subject_keys.c.subject_id)
        .where(
            subject_keys.c.master_key_id == old.id, subject_keys.c.subject_id > bindparam("after")
        )
        .order_by(subject_keys.c.subject_id)
        .limit(batch)
    )
    store = (
        update(subject_keys)
        .where(
            subject_keys.c.subject_id == bindparam("b_subject_id"),
            subject_keys.c.master_key_id == old.id,
        )
        .values(wrapped_key=bindparam("b_wrapped"), master_key_id=new.id)
    )
    done, after = 0, -1
    while rows := conn.execute(page, {"after": after}).all():
        conn.execute(
            store,
            [
                {
                    "b_subject_id": row.subject_id,
                    "b_wrapped": _rewrap(
                        old,
                        new,
                        row.wrapped_key,
                        _subject_context(row.pseudonym),
                        f"subject {row.subject_id}'s key",
                    ),
                }
                for row in rows
            ],
        )
        done += len(rows)
        after = rows[-1].subject_id
    return done


def _rewrap_system_keys(conn: Connection, old: MasterKey, new: MasterKey) -> int:
    # a handful of rows (the blind-index key): one read, one executemany
    rows = conn.execute(
        select(system_keys.c.name, system_keys.c.wrapped_key).where(
            system_keys.c.master_key_id == old.id
        )
    ).all()
    if rows:
        conn.execute(
            update(system_keys)
            .where(system_keys.c.name == bindparam("b_name"), system_keys.c.master_key_id == old.id)
            .values(wrapped_key=bindparam("b_wrapped"), master_key_id=new.id),
            [
                {
                    "b_name": row.name,
                    "b_wrapped": _rewrap(
                        old,
                        new,
                        row.wrapped_key,
                        _system_context(row.name),
                        f"system key {row.name}",
                    ),
                }
                for row in rows
            ],
        )
    return len(rows)
