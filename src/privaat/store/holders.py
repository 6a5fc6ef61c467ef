"""Holders: per table of the registry, the one place that counts, exports, erases and sweeps
a subject's rows. Export, erasure and retention walk these; none of them lists tables by hand.

Holders work on stored rows (ciphertext included); opening what they return is the
enforcement seam's job.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, delete, func, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.sql.elements import ColumnElement

from privaat.store.registry import (
    ACCOUNT_CLOSURE,
    ErasureMode,
    SubjectTable,
    personal_columns,
    subject_tables,
)
from privaat.store.tables import accounts, metadata

__all__ = ["SubjectRef", "SubjectRows", "holders"]

SWEEP_BATCH = 5_000  # rows per transaction: a concurrent writer never waits long (W7)


@dataclass(frozen=True, slots=True)
class SubjectRef:
    """A subject as tables name it: by id (foreign keys) or by pseudonym (the logs)."""

    id: int
    pseudonym: str


class SubjectRows:
    """The holder of one table whose rows belong to subjects."""

    def __init__(self, table: Table, spec: SubjectTable) -> None:
        self.table, self.spec = table, spec
        self._subject = table.c[spec.subject_column]
        # in a held table the rows stay; the columns erasure does not keep are emptied
        self._cleared = [
            column.name
            for column, role in personal_columns(table)
            if role.erasure is not ErasureMode.HOLD
        ]

    @property
    def held(self) -> bool:
        """Whether erasure keeps this table's rows (for their hold's retention)."""
        return self.spec.hold is not None

    @property
    def cleared_columns(self) -> list[str]:
        return list(self._cleared)

    def of(self, subject: SubjectRef) -> ColumnElement[bool]:
        return self._subject == (subject.pseudonym if self.spec.by_pseudonym else subject.id)

    def count(self, connection: Connection, subject: SubjectRef) -> int:
        counted: int = connection.execute(
            select(func.count()).select_from(self.table).where(self.of(subject))
        ).scalar_one()
        return counted

    def rows(self, connection: Connection, subject: SubjectRef) -> list[RowMapping]:
        """Every stored row of the subject, as stored (for an access export)."""
        return list(connection.execute(select(self.table).where(self.of(subject))).mappings())

    def erase(self, connection: Connection, subject: SubjectRef) -> int:
        """Delete the subject's rows, or in a held table empty what is not held; rows deleted."""
        if not self.held:
            return connection.execute(delete(self.table).where(self.of(subject))).rowcount
        if self._cleared:
            connection.execute(
                update(self.table).where(self.of(subject)).values(dict.fromkeys(self._cleared))
            )
        return 0

    def sweep(
        self,
        connection: Connection,
        *,
        before: datetime,
        subject: SubjectRef | None = None,
        batch: int = SWEEP_BATCH,
    ) -> int:
        """Delete up to ``batch`` rows whose retention clock started before ``before``."""
        expired = self._expired(before)
        if subject is not None:
            expired = expired & self.of(subject)
        keys = list(self.table.primary_key.columns)
        if len(keys) != 1:  # no single key to page by: one statement (small tables only)
            return connection.execute(delete(self.table).where(expired)).rowcount
        chosen = select(keys[0]).where(expired).limit(batch).scalar_subquery()
        return connection.execute(delete(self.table).where(keys[0].in_(chosen))).rowcount

    def _expired(self, before: datetime) -> ColumnElement[bool]:
        if self.spec.clock == ACCOUNT_CLOSURE:
            closed = select(accounts.c.subject_id).where(accounts.c.closed_at < before)
            if self.spec.by_pseudonym:
                raise ValueError(f"{self.table.name}: account closure needs a subject_id table")
            return self._subject.in_(closed)
        clock: ColumnElement[Any] = self.table.c[self.spec.clock]
        return clock < before


def holders() -> Iterator[SubjectRows]:
    """A holder for every subject table, children before parents (the order erasure takes)."""
    for table, spec in reversed(list(subject_tables(metadata))):
        yield SubjectRows(table, spec)
