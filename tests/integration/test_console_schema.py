"""Migration 0003 creates the staff tables exactly as ``store.tables`` declares them, on SQLite
and PostgreSQL alike, and takes them away again (issue 8 item 4)."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from privaat.store.db import alembic_config
from privaat.store.tables import metadata

STAFF_TABLES = {"staff_members", "staff_enrolments", "staff_sessions"}


def _differences(engine: Engine) -> list[object]:
    """What Alembic finds different between the database and the staff tables' definitions."""
    with engine.connect() as connection:
        found = compare_metadata(MigrationContext.configure(connection), metadata)
    return [diff for diff in found if any(name in repr(diff) for name in STAFF_TABLES)]


def test_issue8_4_migration_0003_matches_the_staff_tables(engine: Engine) -> None:
    assert STAFF_TABLES <= set(inspect(engine).get_table_names())
    assert _differences(engine) == []


def test_migration_0003_downgrades_and_upgrades_again(engine: Engine) -> None:
    command.downgrade(alembic_config(engine), "0002")
    assert STAFF_TABLES.isdisjoint(inspect(engine).get_table_names())
    command.upgrade(alembic_config(engine), "head")
    assert _differences(engine) == []
