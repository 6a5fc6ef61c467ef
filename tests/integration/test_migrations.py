"""The migrations build exactly the schema the tables declare, on both databases; and a
database at 0001 (what landed before) upgrades with its rows intact."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from privaat.store.tables import metadata


def _ours(name: str | None, type_: str, _parents: Any) -> bool:
    # tables other tests leave in the shared database (a benchmark's baseline) are not ours
    return type_ != "table" or name in metadata.tables


def _differences(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": False, "include_name": _ours}
        )
        return list(compare_metadata(context, metadata))


def test_the_migrated_schema_is_the_declared_schema(engine: Engine) -> None:
    # the fixture database was migrated to head by Alembic, never by create_all
    assert _differences(engine) == []


def test_a_database_at_0001_upgrades_with_its_rows_kept(tmp_path: Any) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import text

    from privaat.store.db import make_engine, migrate

    engine = make_engine(f"sqlite:///{tmp_path}/old.db")
    migrate(engine, "0001")
    at = datetime(2026, 11, 1, tzinfo=UTC).isoformat(" ")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO subjects (id, pseudonym, created_at, minor, restricted, legal_hold)"
                " VALUES (1, :p, :at, 0, 0, 0)"
            ),
            {"p": "a" * 32, "at": at},
        )
        connection.execute(
            text(
                "INSERT INTO sessions (token_hash, subject_id, created_at, expires_at, device_hash)"
                " VALUES (:t, 1, :at, :at, :d)"
            ),
            {"t": b"t" * 32, "at": at, "d": b"d" * 32},
        )
        connection.execute(
            text(
                "INSERT INTO outbox (subject_id, activity, template, message_enc, created_at,"
                " attempts) VALUES (1, 'important_notices', 'x', :m, :at, 5),"
                " (1, 'important_notices', 'y', :m, :at, 1)"
            ),
            {"m": b"m", "at": at},
        )
    migrate(engine)
    with engine.connect() as connection:
        seen = connection.execute(text("SELECT last_seen_at, created_at FROM sessions")).one()
        given_up = connection.execute(
            text("SELECT template FROM outbox WHERE given_up_at IS NOT NULL")
        ).scalars()
        assert seen[0] == seen[1]
        assert list(given_up) == ["x"]  # what the old counter had given up stays given up
    assert _differences(engine) == []
    engine.dispose()
