"""Holders: per table of the registry, the one place that counts, exports, erases and sweeps
a subject's rows. Export, erasure and retention walk these; none of them lists tables by hand.

Holders work on stored rows (ciphertext included); opening what they return is the
enforcement seam's job.

    holders()           one holder per subject table, children first, built once per process
    count_all(...)      every holder's count for one subject in ONE statement (erasure counts
                        before and after; a statement per table cost ~29 round trips each)
    holder.erase(...)   one set DELETE (or the UPDATE of a held table), never a row at a time

The per-subject statements are compiled once per dialect and run on the driver's cursor
(``Compiled``): SQLAlchemy's per-execution work is ~40 µs, more than the indexed read itself
(BENCHMARKS.md), and an erasure or export runs one per table.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, func, null, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement, ColumnElement

from privaat.store.registry import (
    ACCOUNT_CLOSURE,
    ErasureMode,
    SubjectTable,
    personal_columns,
    subject_tables,
)
from privaat.store.tables import accounts, metadata

__all__ = ["Compiled", "SubjectRef", "SubjectRows", "count_all", "holders"]

SWEEP_BATCH = 5_000  # rows per transaction: a concurrent writer never waits long (W7)


@dataclass(frozen=True, slots=True)
class SubjectRef:
    """A subject as tables name it: by id (foreign keys) or by pseudonym (the logs)."""

    id: int
    pseudonym: str


class Compiled:
    """A Core statement with one bind ``key``, compiled once per dialect and executed on the
    DB-API cursor of the caller's connection (same transaction), with SQLAlchemy's own bind
    and result processors for its column types."""

    def __init__(
        self, statement: ClauseElement, *, unprocessed: frozenset[int] = frozenset()
    ) -> None:
        self._statement = statement
        self._unprocessed = unprocessed  # result columns the caller converts itself
        self._by_dialect: dict[str, tuple[str, int | None, Any, tuple[Any, ...]]] = {}

    def _compiled(self, connection: Connection) -> tuple[str, int | None, Any, tuple[Any, ...]]:
        name = connection.dialect.name
        found = self._by_dialect.get(name)
        if found is None:
            dialect = connection.dialect
            compiled = self._statement.compile(dialect=dialect)
            if not isinstance(compiled, SQLCompiler):
                raise TypeError("a holder statement is a SELECT, DELETE or UPDATE")
            binds = compiled.binds
            names = list(compiled.positiontup or []) if compiled.positional else list(binds)
            if set(names) - {"key"}:
                raise ValueError(f"a holder statement binds only 'key', not {sorted(names)}")
            bind = binds["key"].type._cached_bind_processor(dialect) if "key" in binds else None
            columns = getattr(self._statement, "selected_columns", ())
            results = tuple(c.type._cached_result_processor(dialect, None) for c in columns)
            # positional drivers (SQLite's qmark) take the key once per place it is used
            places = len(names) if compiled.positional else None
            found = (compiled.string, places, bind, results)
            self._by_dialect[name] = found
        return found

    def _run(self, connection: Connection, key: object) -> Any:
        sql, places, bind, _results = self._compiled(connection)
        value = bind(key) if bind is not None else key
        parameters: Any = (value,) * places if places is not None else {"key": value}
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.execute(sql, parameters)
        return cursor

    def rows(
        self, connection: Connection, key: object, *, size: int = 1_000
    ) -> Iterator[tuple[Any, ...]]:
        """The result rows, processed, fetched ``size`` at a time (an export streams them)."""
        results = self._compiled(connection)[3]
        skip = self._unprocessed
        processors = [(i, p) for i, p in enumerate(results) if p is not None and i not in skip]
        cursor = self._run(connection, key)
        try:
            while batch := cursor.fetchmany(size):
                for row in batch:
                    if processors:
                        values = list(row)
                        for index, processor in processors:
                            if values[index] is not None:
                                values[index] = processor(values[index])
                        yield tuple(values)
                    else:
                        yield tuple(row)
        finally:
            cursor.close()

    def first(self, connection: Connection, key: object) -> tuple[Any, ...] | None:
        return next(iter(self.rows(connection, key, size=1)), None)

    def execute(self, connection: Connection, key: object) -> int:
        """Run a DELETE or UPDATE; the rows it touched."""
        cursor = self._run(connection, key)
        try:
            return int(cursor.rowcount)
        finally:
            cursor.close()


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
        mine = self._subject == bindparam("key")
        self.count_of = select(func.count()).select_from(table).where(mine)
        self._count = Compiled(self.count_of)
        if not self.held:
            self._erase: Compiled | None = Compiled(delete(table).where(mine))
        elif self._cleared:
            # NULL as a literal: a holder statement binds only the subject's key
            emptied = {name: null() for name in self._cleared}
            self._erase = Compiled(update(table).where(mine).values(emptied))
        else:
            self._erase = None  # held whole: erasure keeps every column (the logs)

    def key(self, subject: SubjectRef) -> object:
        """How this table names ``subject``: its pseudonym or its id."""
        return subject.pseudonym if self.spec.by_pseudonym else subject.id

    @property
    def changes_on_erasure(self) -> bool:
        """Whether erasing touches this table at all (a held table with nothing to empty not)."""
        return self._erase is not None

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
        row = self._count.first(connection, self.key(subject))
        return int(row[0]) if row else 0

    def rows(self, connection: Connection, subject: SubjectRef) -> list[RowMapping]:
        """Every stored row of the subject, as stored (for an access export)."""
        return list(connection.execute(select(self.table).where(self.of(subject))).mappings())

    def erase(self, connection: Connection, subject: SubjectRef) -> int:
        """Delete the subject's rows, or in a held table empty what is not held; rows deleted.
        One set statement for all of the subject's rows (the peer updates row by row)."""
        if self._erase is None:
            return 0
        touched = self._erase.execute(connection, self.key(subject))
        return 0 if self.held else touched

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
    yield from _holders()


@cache
def _holders() -> tuple[SubjectRows, ...]:
    # built once: the schema is complete once privaat.store.tables is imported
    return tuple(
        SubjectRows(table, spec) for table, spec in reversed(list(subject_tables(metadata)))
    )


class _CountAll:
    """Every holder's count for one subject, as one statement of scalar subqueries."""

    def __init__(self, chosen: Sequence[SubjectRows]) -> None:
        self.holders = tuple(chosen)
        by_id = [h for h in self.holders if not h.spec.by_pseudonym]
        by_pseudonym = [h for h in self.holders if h.spec.by_pseudonym]
        # two statements, one per kind of key, so each binds one value ("key")
        self._parts = [
            (group, Compiled(select(*(h.count_of.scalar_subquery() for h in group))))
            for group in (by_id, by_pseudonym)
            if group
        ]

    def run(self, connection: Connection, subject: SubjectRef) -> dict[str, int]:
        counts: dict[str, int] = {}
        for group, statement in self._parts:
            # a SELECT of scalar subqueries returns exactly one row
            row = statement.first(connection, group[0].key(subject)) or (0,) * len(group)
            counts.update((h.table.name, int(n or 0)) for h, n in zip(group, row, strict=True))
        return counts


_COUNTERS: dict[tuple[str, ...], _CountAll] = {}


def count_all(
    connection: Connection, subject: SubjectRef, chosen: Sequence[SubjectRows]
) -> dict[str, int]:
    """The subject's rows in each of ``chosen`` tables, by table name, in one round trip
    per kind of key (id, pseudonym) instead of one per table."""
    names = tuple(h.table.name for h in chosen)
    counter = _COUNTERS.get(names)
    if counter is None:
        counter = _COUNTERS[names] = _CountAll(chosen)
    return counter.run(connection, subject)
