"""The service tier: services wired by the composition root over fakes (a fixed clock, an
in-memory mail transport, cheap hashing) and a throw-away SQLite file, no HTTP."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from privaat.bootstrap import Context, bootstrap
from privaat.domain.clock import FixedClock
from privaat.mail.transport import InMemoryTransport
from privaat.settings import Mode, Settings
from privaat.store.db import make_engine


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))


@pytest.fixture
def mail() -> InMemoryTransport:
    return InMemoryTransport(sender="privacy@example.nl")


@pytest.fixture
def services(_sqlite_template: Path, tmp_path: Path, clock: FixedClock) -> Iterator[Context]:
    path = tmp_path / "privaat.db"
    shutil.copyfile(_sqlite_template, path)
    url = f"sqlite:///{path}"
    settings = Settings(mode=Mode.TEST, database_url=url, var_dir=tmp_path / "var")
    ctx = bootstrap(settings, clock=clock, engine=make_engine(url), run_migrations=False)
    yield ctx
    ctx.close()
