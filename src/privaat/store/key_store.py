"""The per-subject data keys and the system keys, wrapped by the master key, and their cache.

Every subject has a random data key, stored only wrapped by the master key
(``subject_keys``); deleting that row is crypto-shredding: every copy of the subject's
ciphertext, in backups, replicas and logs alike, becomes unreadable (GDPR art. 17,
LEGAL L64). The blind-index key is a system key (``system_keys``), wrapped the same way.

Only the enforcement seam (``privaat.services.subject_access``) opens a subject's key: the
methods that hand out a ``SubjectCipher`` are called nowhere else, and a test holds every
module to that.

Caching: unwrapped subject ciphers are kept in a bounded LRU per ``KeyStore``, keyed by
subject id and checked against the pseudonym, so a reused SQLite rowid never meets a stale
key. ``shred`` evicts in this process only: other processes may hold the cipher in memory
until they restart, but the subject's rows are deleted with the key, so there is nothing
left for it to open.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from sqlalchemy import Connection, bindparam, delete, event, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.dml import Insert

from privaat.store.crypto import BlindIndex, MasterKey, SubjectCipher, new_data_key
from privaat.store.key_errors import SubjectKeyMissing, WrongMasterKey
from privaat.store.tables import hold_keys, subject_keys, system_keys

__all__ = ["BLIND_INDEX_KEY", "KeyStore", "hold_context", "subject_context", "system_context"]

BLIND_INDEX_KEY = "blind_index"
DEFAULT_CACHE_SIZE = 10_000
ROTATION_BATCH = 1_000


# wrap contexts: a wrapped key only opens for the subject or system key it was made for,
# and a subject's pseudonym can never collide with a system key's name
def subject_context(pseudonym: str) -> bytes:
    return b"subject:" + pseudonym.encode()


def system_context(name: str) -> bytes:
    return b"system:" + name.encode()


def hold_context(pseudonym: str) -> bytes:
    return b"hold:" + pseudonym.encode()


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
        self._system_ciphers: dict[str, SubjectCipher] = {}

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
            "wrapped_key": self.master.wrap(data_key, context=subject_context(pseudonym)),
        }
        return row, self._remember(subject_id, pseudonym, SubjectCipher(data_key))

    def open_subject_key(self, conn: Connection, subject_id: int, pseudonym: str) -> SubjectCipher:
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
        return self.open_wrapped_subject_key(subject_id, pseudonym, row.wrapped_key)

    def open_wrapped_subject_key(
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
        data_key = self.master.unwrap(wrapped, context=subject_context(pseudonym))
        return self._remember(subject_id, pseudonym, SubjectCipher(data_key))

    def shred(self, conn: Connection, subject_id: int) -> bool:
        """Destroy the subject's data key (crypto-shredding); True if there was one."""
        self.evict(subject_id)
        result = conn.execute(delete(subject_keys).where(subject_keys.c.subject_id == subject_id))
        return result.rowcount > 0

    # --- the hold key: what erasure keeps (registry HOLD columns) ----------------------------

    def open_hold_key(self, conn: Connection, subject_id: int, pseudonym: str) -> SubjectCipher:
        """The subject's hold key, created on first use; it survives ``shred`` of the data key."""
        row = conn.execute(
            select(hold_keys.c.master_key_id, hold_keys.c.wrapped_key).where(
                hold_keys.c.subject_id == subject_id
            )
        ).first()
        if row is None:
            data_key = new_data_key()
            conn.execute(
                insert(hold_keys).values(
                    subject_id=subject_id,
                    master_key_id=self.master.id,
                    wrapped_key=self.master.wrap(data_key, context=hold_context(pseudonym)),
                )
            )
            return SubjectCipher(data_key)
        if row.master_key_id != self.master.id:
            raise WrongMasterKey(
                f"subject {subject_id}'s hold key is wrapped by master key {row.master_key_id}, "
                f"this process runs with {self.master.id}: restart it with the rotated key"
            )
        return SubjectCipher(self.master.unwrap(row.wrapped_key, context=hold_context(pseudonym)))

    def shred_hold_key(self, conn: Connection, subject_id: int) -> bool:
        """Destroy the hold key once nothing held needs it; True if there was one."""
        result = conn.execute(delete(hold_keys).where(hold_keys.c.subject_id == subject_id))
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

    def system_cipher(self, conn: Connection, name: str) -> SubjectCipher:
        """A cipher under the system key ``name``, for the system's own secrets (e.g. the
        staff's TOTP seeds), created on first use; wrapped by the master key like every key,
        so rotation re-wraps it and a copy of the database alone cannot open it."""
        cached = self._system_ciphers.get(name)
        if cached is not None:
            return cached
        row = conn.execute(_SELECT_SYSTEM_KEY, {"name": name}).first()
        existed = row is not None
        if row is None:
            wrapped = self.master.wrap(new_data_key(), context=system_context(name))
            conn.execute(
                _insert_ignoring_duplicates(conn).values(
                    name=name, master_key_id=self.master.id, wrapped_key=wrapped
                )
            )
            row = conn.execute(_SELECT_SYSTEM_KEY, {"name": name}).one()
        if row.master_key_id != self.master.id:
            raise WrongMasterKey(
                f"the system key {name} is wrapped by master key {row.master_key_id}, "
                f"this process runs with {self.master.id}: restart it with the rotated key"
            )
        cipher = SubjectCipher(self.master.unwrap(row.wrapped_key, context=system_context(name)))
        if existed:  # one made in this transaction is cached only once it is known committed
            self._system_ciphers[name] = cipher
        return cipher

    @property
    def cached_blind_index(self) -> BlindIndex | None:
        """The blind index if this process has it already (then no connection is needed)."""
        return self._blind_index

    def blind_index(self, conn: Connection) -> BlindIndex:
        """The blind index under the system's index key, created on first use."""
        if self._blind_index is not None:
            return self._blind_index
        row = conn.execute(_SELECT_SYSTEM_KEY, {"name": BLIND_INDEX_KEY}).first()
        created: bytes | None = None
        if row is None:
            created = self.master.wrap(new_data_key(), context=system_context(BLIND_INDEX_KEY))
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
            self.master.unwrap(row.wrapped_key, context=system_context(BLIND_INDEX_KEY))
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
