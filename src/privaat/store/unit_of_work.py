"""The unit of work: one connection per request or job, and real transactions on it.

A web request, a CLI command or a job opens one ``UnitOfWork``. Its connection is checked
out of the pool on first use and shared by everything the request does — the session
look-up of the auth dependency and the use case alike — so a request costs one checkout.

Use cases open transactions on it::

    uow.single_read()                    # no transaction: one statement (the session look-up)
    with uow.reading() as connection:    # BEGIN: the guard's reads and the data, one snapshot
        ...
    with uow.writing() as connection:    # BEGIN IMMEDIATE on SQLite: reads and writes, atomic
        ...                              # leaving the block commits; an exception rolls back

A writing transaction's audit entries (``store.audit``) are written as its last statements,
just before COMMIT, so the audit trail's lock is held for those and the commit only.

A transaction never nests inside another of the same unit of work: a use case is one
transaction, and the collaborators it calls inside it take its ``Connection``. Slow work
that needs no database (argon2 hashing) runs between transactions, never inside one, so no
lock is held while it runs.
"""

from __future__ import annotations

from contextlib import suppress
from types import TracebackType

from sqlalchemy import Connection, Engine, RootTransaction

from privaat.store.audit import AuditTrail
from privaat.store.db import WRITER

__all__ = ["TransactionOpen", "UnitOfWork", "is_writing"]

# Connection.info key: the transaction in progress writes (PostgreSQL locks rows it reads)
_WRITING = "privaat_writing"


class TransactionOpen(RuntimeError):
    """A transaction was opened while another one of the same unit of work was still open."""


def is_writing(connection: Connection) -> bool:
    """Whether ``connection`` is inside a ``UnitOfWork.writing()`` transaction."""
    return bool(connection.info.get(_WRITING, False))


class UnitOfWork:
    """One lazily checked-out connection and the transactions of one request or job."""

    __slots__ = ("_connection", "_engine", "_writer")

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._connection: Connection | None = None
        self._writer = False  # the WRITER option the connection carries now

    @property
    def engine(self) -> Engine:
        return self._engine

    def _connect(self) -> Connection:
        if self._connection is None:
            self._connection = self._engine.connect()
        return self._connection

    def single_read(self) -> Connection:
        """The connection, for one single-statement read outside a transaction (one statement
        is atomic by itself): the session look-up every request makes before its use case."""
        connection = self._connect()
        if connection.in_transaction() and is_writing(connection):
            raise TransactionOpen("a single read inside a writing transaction: use its connection")
        return connection

    def reading(self) -> _Transaction:
        """A read-only transaction: one consistent snapshot, committed (ended) on leaving."""
        return _Transaction(self, write=False)

    def writing(self) -> _Transaction:
        """A writing transaction: committed when the block ends, rolled back on any exception."""
        return _Transaction(self, write=True)

    def _begin(self, write: bool) -> tuple[Connection, RootTransaction]:
        connection = self._connect()
        if connection.in_transaction():
            raise TransactionOpen(
                "a transaction of this unit of work is already open: pass its connection to "
                "the collaborator instead of opening another"
            )
        if write is not self._writer:  # setting options costs ~20 µs: only on a change
            connection.execution_options(**{WRITER: write})
            self._writer = write
        transaction = connection.begin()
        if write:
            connection.info[_WRITING] = True
            AuditTrail.defer(connection)  # its audit entries are written just before COMMIT
        return connection, transaction

    def close(self) -> None:
        """Return the connection to the pool (rolling back anything left open)."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None
            self._writer = False

    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.close()


class _Transaction:
    """One transaction of a unit of work (a class, not a generator: this runs per request)."""

    __slots__ = ("_connection", "_info", "_transaction", "_uow", "_write")

    def __init__(self, uow: UnitOfWork, *, write: bool) -> None:
        self._uow, self._write = uow, write

    def __enter__(self) -> Connection:
        self._connection, self._transaction = self._uow._begin(self._write)
        # kept now: once the server is gone mid-commit the connection is invalid and reading
        # its .info raises, which would hide the OperationalError (a 503) behind a 500
        self._info = self._connection.info
        return self._connection

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None:
                if self._write:
                    self._flush_audit()
                self._transaction.commit()
            else:
                self._transaction.rollback()
        finally:
            if self._write:
                self._info[_WRITING] = False
                AuditTrail.discard(self._info)

    def _flush_audit(self) -> None:
        # the audit entries last, so the chain's lock is held only for them and the commit
        try:
            AuditTrail.flush(self._connection)
        except BaseException:
            # the flush's own error is the one to report (a lost server: OperationalError, a
            # 503), not one of the rollback on a connection that may be gone with it
            with suppress(Exception):
                self._transaction.rollback()
            raise
