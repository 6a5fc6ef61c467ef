"""The list of erasures, kept apart from the data (issue 16 item 7; GDPR art. 17, LEGAL L52,
L64): pseudonyms only, so a restored backup never brings an erased person back.

    Erasure.erase ── records the pseudonym here (its own database, committed) just before
                     the erasure's own transaction commits
    privaat restore ── after the data comes back from a backup, every pseudonym listed here
                       that the restored data still holds is erased again (``replay``)
    privaat backup check ── a pseudonym listed here whose data is still present (the
                            erasure's commit failed after the record) is reported, and
                            ``--fix`` finishes that erasure

One table, created on first use: ``erasures(pseudonym, erased_at)``. It lives in its own
database (``PRIVAAT_ERASURE_LEDGER_URL``, default ``<var_dir>/erasures.db``), is never part
of a data backup and never restored from one: it only grows, and every copy of the data
older than an erasure is made safe by it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, Engine, MetaData, String, Table, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from privaat.store.db import make_engine

__all__ = ["ErasureLedger"]

_metadata = MetaData()
erasures = Table(
    "erasures",
    _metadata,
    Column("pseudonym", String(64), primary_key=True),
    Column("erased_at", DateTime(timezone=True), nullable=False),
)


class ErasureLedger:
    """The pseudonyms of every erased person, in a database of its own."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: Engine | None = None

    def _ready(self) -> Engine:
        if self._engine is None:
            # store.db's engine: a SQLite file is created private (0600) with its directory
            engine = make_engine(self.url)
            _metadata.create_all(engine)
            self._engine = engine
        return self._engine

    def record(self, pseudonym: str, at: datetime) -> None:
        """Add the pseudonym (again: nothing changes), committed before this returns."""
        engine = self._ready()
        dialect = sqlite_insert if engine.dialect.name == "sqlite" else pg_insert
        statement = dialect(erasures).values(pseudonym=pseudonym, erased_at=at)
        with engine.begin() as connection:
            connection.execute(statement.on_conflict_do_nothing(index_elements=["pseudonym"]))

    def pseudonyms(self) -> list[str]:
        with self._ready().connect() as connection:
            return list(
                connection.execute(select(erasures.c.pseudonym).order_by(erasures.c.erased_at))
                .scalars()
                .all()
            )

    def __contains__(self, pseudonym: object) -> bool:
        with self._ready().connect() as connection:
            found = connection.execute(
                select(erasures.c.pseudonym).where(erasures.c.pseudonym == pseudonym)
            ).first()
        return found is not None

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
