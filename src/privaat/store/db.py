"""The database engine: SQLite (embedded default, WAL) or PostgreSQL, migrated by Alembic.

Transactions are real on both. pysqlite does not emit ``BEGIN`` until the first write, so a
use case's reads would run outside the transaction that then writes; SQLAlchemy documents
the fix ("Serializable isolation / Savepoints / Transactional DDL" in its SQLite dialect
notes): turn off the driver's own transaction handling and emit ``BEGIN`` from the engine's
``begin`` event. A connection marked as a writer (``WRITER`` execution option, set by the unit
of work) begins with ``BEGIN IMMEDIATE`` instead, taking SQLite's write lock up front as
datasette does: a reader that later writes could otherwise fail with ``SQLITE_BUSY`` when
another writer committed in between, which ``busy_timeout`` cannot wait out.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# execution option: this connection's next transaction will write (BEGIN IMMEDIATE on SQLite)
WRITER = "privaat_writer"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; on SQLite with WAL, foreign keys and secure deletion on."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **kwargs)
    if parsed.database and parsed.database != ":memory:" and not parsed.query.get("uri"):
        _create_private(Path(parsed.database))
    engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        # the engine, not pysqlite, decides when a transaction begins (see the module doc)
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        # erased rows are overwritten with zeros, not left in free pages (crypto-shredding
        # makes them unreadable anyway; this keeps even the ciphertext out of the file)
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(WRITER, False)
        # on the driver itself: a BEGIN costs no SQLAlchemy execution context (~40 µs)
        driver: Any = connection.connection.driver_connection
        driver.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _create_private(path: Path) -> None:
    """Create the database file 0600 before SQLite does; its -wal and -shm copy the mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: an existing file keeps its mode (serve refuses an open one in production)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema to ``revision`` (default: the newest)."""
    command.upgrade(alembic_config(engine), revision)
