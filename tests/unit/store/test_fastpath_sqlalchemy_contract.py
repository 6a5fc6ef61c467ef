"""Issue 4 item 7: ``store/fastpath.py`` relies on private SQLAlchemy APIs; this pins them.

If an upgrade of SQLAlchemy renames or changes one, this fails before any hot path misbehaves.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection, bindparam, create_engine, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from privaat.store.fastpath import BulkInsert, PointQuery
from privaat.store.tables import UTC_TIME, access_log, sessions

DIALECTS = [
    pytest.param(sqlite.dialect(), id="sqlite"),
    pytest.param(postgresql.dialect(paramstyle="pyformat"), id="postgresql"),
]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_type_processors_are_cached_per_dialect(dialect: object) -> None:
    # the same object on every call: fastpath keeps them per compiled statement
    first = UTC_TIME._cached_bind_processor(dialect)  # type: ignore[arg-type]
    assert callable(first)
    assert UTC_TIME._cached_bind_processor(dialect) is first  # type: ignore[arg-type]
    result = UTC_TIME._cached_result_processor(dialect, None)  # type: ignore[arg-type]
    assert callable(result)
    # what each driver hands back: SQLite a string without a zone, psycopg a datetime
    stored = (
        "2026-12-01 12:00:00.000000"
        if dialect.name == "sqlite"
        else datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    )  # type: ignore[attr-defined]
    assert result(stored) == datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_compiled_statements_expose_binds_and_positions(dialect: object) -> None:
    statement = select(sessions.c.subject_id).where(sessions.c.token_hash == bindparam("token"))
    compiled = statement.compile(dialect=dialect)  # type: ignore[arg-type]
    assert "token" in compiled.binds
    assert hasattr(compiled, "positional")
    if compiled.positional:
        assert tuple(compiled.positiontup or ()) == ("token",)


def test_point_query_and_bulk_insert_run_on_the_driver_cursor() -> None:
    engine = create_engine("sqlite://")
    access_log.create(engine)
    columns = ("at", "actor", "activity", "subject_pseudonym", "operation")
    writer = BulkInsert(insert(access_log).values({c: bindparam(c) for c in columns}))
    reader = PointQuery(
        select(access_log.c.at, access_log.c.actor).where(access_log.c.id == bindparam("id"))
    )
    moment = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    with engine.begin() as connection:
        assert isinstance(connection, Connection)
        assert connection.connection.dbapi_connection is not None
        writer.run(
            connection,
            [
                {
                    "at": moment,
                    "actor": "self",
                    "activity": "account",
                    "subject_pseudonym": "p" * 32,
                    "operation": "read",
                }
            ],
        )
        row = reader.first(connection, id=1)
    assert row == {"at": moment, "actor": "self"}
