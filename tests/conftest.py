"""Shared fixtures: a fresh, migrated database per test on SQLite and (when configured) PostgreSQL.

Set ``PRIVAAT_TEST_DATABASE_URL`` to a PostgreSQL URL and every test that takes ``engine``
runs twice, once per database. When it is set and the server cannot be reached, the run
fails loudly: CI expects PostgreSQL and must never silently test SQLite alone. Under
pytest-xdist (``make test`` runs ``-n 2``) each worker gets a database of its own next to the
configured one (``test`` → ``test_gw0``, ``test_gw1``), created on first use.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import OperationalError

from privaat.bootstrap import Context, bootstrap
from privaat.domain.clock import FixedClock
from privaat.settings import Mode, Settings
from privaat.store.db import make_engine, migrate
from privaat.store.tables import metadata
from privaat.web.app import create_app

CONFIGURED_PG_URL = os.environ.get("PRIVAAT_TEST_DATABASE_URL")
_WORKER = os.environ.get("PYTEST_XDIST_WORKER")  # gw0, gw1, … under xdist


def _worker_url(url: str | None) -> str | None:
    """The worker's own database beside the configured one: tests truncate every table."""
    if url is None or _WORKER is None:
        return url
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{_WORKER}").render_as_string(hide_password=False)


PG_URL = _worker_url(CONFIGURED_PG_URL)
DATABASES = ["sqlite", *(["postgresql"] if PG_URL else [])]


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file; each test gets a copy (much faster than migrating again)."""
    path = tmp_path_factory.mktemp("template") / "privaat.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test marked ``database("postgresql")`` (or "sqlite") runs on that database only: its
    other parametrisations are deselected, not skipped, so no skip in CI stands for a test
    that could not run."""
    kept, dropped = [], []
    for item in items:
        marker = item.get_closest_marker("database")
        callspec = getattr(item, "callspec", None)
        param = callspec.params.get("database_url") if callspec is not None else None
        if marker is not None and param is not None and param != marker.args[0]:
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_sessionstart(session: pytest.Session) -> None:
    """Fail the whole run at once when PostgreSQL is expected but cannot be reached."""
    if CONFIGURED_PG_URL is None or PG_URL is None:
        return
    engine = create_engine(CONFIGURED_PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            name = make_url(PG_URL).database
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).first()
            if exists is None:
                connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except OperationalError as error:
        raise pytest.UsageError(
            f"PRIVAAT_TEST_DATABASE_URL is set but PostgreSQL is unreachable: {error.orig}"
        ) from None
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def _postgres_engine() -> Iterator[Engine]:
    assert PG_URL is not None
    engine = make_engine(PG_URL)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty, migrated database of each configured kind."""
    if request.param == "sqlite":
        template = request.getfixturevalue("_sqlite_template")
        path = tmp_path / "privaat.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    pg = request.getfixturevalue("_postgres_engine")
    _empty(pg)
    assert PG_URL is not None
    yield PG_URL


def _empty(pg: Engine) -> None:
    """Every table emptied and every sequence back at 1, as a fresh database has them.

    A DELETE per table, children first, costs a few milliseconds on the nearly empty tables a
    test leaves; TRUNCATE made new files for every table, partition and index (0.5 s a test)."""
    with pg.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())
        sequences = connection.execute(
            text(
                "SELECT sequence_name FROM information_schema.sequences"
                " WHERE sequence_schema = current_schema()"
            )
        ).scalars()
        for name in list(sequences):
            connection.execute(text(f'ALTER SEQUENCE "{name}" RESTART'))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 26, 9, 30, tzinfo=UTC))


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Test settings over the fixture database, with the shipped policy and a fresh master key."""
    return Settings(mode=Mode.TEST, database_url=database_url, var_dir=tmp_path / "var")


@pytest.fixture
def context(settings: Settings, engine: Engine, clock: FixedClock) -> Iterator[Context]:
    """A Context over the fixture database with a fixed clock and cheap password hashing."""
    ctx = bootstrap(settings, clock=clock, engine=engine, run_migrations=False)
    yield ctx
    ctx.access_log.flush()


@pytest.fixture
def client(context: Context) -> Iterator[TestClient]:
    """An HTTP client for the app, calling from a Dutch public IP address."""
    with TestClient(create_app(context), client=("145.97.0.1", 50000)) as test_client:
        yield test_client
