"""Alembic environment: runs against the engine handed over by ``privaat.store.db.migrate``.

On SQLite, a batch migration rebuilds a table (create a copy, move the rows, drop, rename).
With foreign keys enforced, dropping a parent table deletes its children first (``ON DELETE
CASCADE``), so the rebuild of ``subjects`` would erase every account. Foreign keys are
therefore off while migrating (SQLite ignores the pragma inside a transaction, so it is set
before the transaction begins), and ``PRAGMA foreign_key_check`` must find nothing before the
migration commits.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from privaat.store.tables import metadata

engine = context.config.attributes["engine"]


def _pragma(connection: Connection, statement: str) -> None:
    # on the driver: through SQLAlchemy the statement would begin a transaction first
    connection.connection.driver_connection.execute(statement)  # type: ignore[union-attr]


with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        _pragma(connection, "PRAGMA foreign_keys=OFF")
    try:
        with connection.begin():
            context.configure(
                connection=connection,
                target_metadata=metadata,
                render_as_batch=sqlite,
                compare_type=True,
            )
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the migration left rows without their parent: {broken}")
    finally:
        if sqlite:
            _pragma(connection, "PRAGMA foreign_keys=ON")
