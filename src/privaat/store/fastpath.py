"""Hot-path statements: a Core statement compiled once per dialect, run on the driver's cursor.

SQLAlchemy's per-execution bookkeeping costs ~40 µs on this machine class, four times a raw
indexed point read (BENCHMARKS.md). For the few statements on hot paths (log-in look-up,
profile read, access-log batches) we compile the Core statement once, keep SQLAlchemy's own
bind and result processors for its column types, and execute on the DB-API cursor of the
caller's SQLAlchemy ``Connection`` — same pool, same transaction, no hand-written SQL.

A driver error on that cursor is raised as SQLAlchemy would have raised it (``driver_errors``):
a full disk or a lost server is its ``OperationalError``, which the app answers with a 503
problem like any other (web/problems.py), never a 500 (issue 16 item 4).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Insert, Select
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError

Processor = Callable[[Any], Any] | None


@contextmanager
def driver_errors(connection: Connection, sql: str) -> Iterator[None]:
    """The DB-API driver's errors inside, raised as SQLAlchemy's (OperationalError, ...)."""
    driver_error = connection.dialect.loaded_dbapi.Error
    try:
        yield
    except driver_error as error:
        raise DBAPIError.instance(sql, None, error, driver_error) from error


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    positional: tuple[str, ...] | None  # parameter order for qmark/format drivers, else None
    bind: Mapping[str, Processor]
    names: tuple[str, ...]  # result column names
    results: tuple[Processor, ...]


def _compile(statement: Select[Any] | Insert, dialect: Dialect) -> _Compiled:
    compiled = statement.compile(dialect=dialect)
    bind = {
        name: parameter.type._cached_bind_processor(dialect)
        for name, parameter in compiled.binds.items()
    }
    names: tuple[str, ...] = ()
    results: tuple[Processor, ...] = ()
    if isinstance(statement, Select):
        columns = list(statement.selected_columns)
        names = tuple(str(column.key) for column in columns)
        results = tuple(column.type._cached_result_processor(dialect, None) for column in columns)
    positional = (
        tuple(compiled.positiontup) if compiled.positional and compiled.positiontup else None
    )
    return _Compiled(compiled.string, positional, bind, names, results)


class _Prepared:
    def __init__(self, statement: Select[Any] | Insert) -> None:
        self.statement = statement
        self._by_dialect: dict[str, _Compiled] = {}

    def compiled(self, connection: Connection) -> _Compiled:
        key = connection.dialect.name
        found = self._by_dialect.get(key)
        if found is None:
            found = self._by_dialect[key] = _compile(self.statement, connection.dialect)
        return found

    @staticmethod
    def _parameters(
        compiled: _Compiled, values: Mapping[str, Any]
    ) -> Sequence[Any] | dict[str, Any]:
        bound = {
            name: (
                proc(values[name])
                if proc is not None and values[name] is not None
                else values[name]
            )
            for name, proc in compiled.bind.items()
        }
        if compiled.positional is not None:
            return tuple(bound[name] for name in compiled.positional)
        return bound


class PointQuery(_Prepared):
    """A SELECT returning at most one row, as a dict keyed by column key."""

    def __init__(self, statement: Select[Any]) -> None:
        super().__init__(statement)

    def first(self, connection: Connection, **values: Any) -> dict[str, Any] | None:
        compiled = self.compiled(connection)
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            with driver_errors(connection, compiled.sql):
                cursor.execute(compiled.sql, self._parameters(compiled, values))
                row = cursor.fetchone()
        finally:
            cursor.close()
        if row is None:
            return None
        return {
            name: (proc(value) if proc is not None else value)
            for name, proc, value in zip(compiled.names, compiled.results, row, strict=True)
        }


class BulkInsert(_Prepared):
    """An INSERT run with ``executemany`` over many rows."""

    def __init__(self, statement: Insert) -> None:
        super().__init__(statement)

    def run(self, connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        compiled = self.compiled(connection)
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            parameters: list[Any] = [self._parameters(compiled, row) for row in rows]
            with driver_errors(connection, compiled.sql):
                cursor.executemany(compiled.sql, parameters)
        finally:
            cursor.close()
