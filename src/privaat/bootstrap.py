"""The composition root: wires settings, database, policy, clock, keys, guard and logs."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine

from privaat.domain.clock import Clock, SystemClock
from privaat.domain.guard import Guard
from privaat.policy.loader import load_policy_file
from privaat.policy.schema import Policy
from privaat.services.access_log import AccessLog
from privaat.services.activities import require_activities
from privaat.services.geo import GeoLocator
from privaat.services.passwords import Passwords
from privaat.settings import Mode, Settings
from privaat.store.db import make_engine, migrate
from privaat.store.keys import KeyStore, load_master_key


@dataclass
class Context:
    """Everything a service needs, built once per process (or per test)."""

    settings: Settings
    engine: Engine
    policy: Policy
    clock: Clock
    keys: KeyStore
    guard: Guard
    access_log: AccessLog
    passwords: Passwords
    geo: GeoLocator = field(default_factory=GeoLocator)
    _held: threading.local = field(default_factory=threading.local, repr=False)

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection for reads; nested uses in one thread share it instead of checking
        out another (a pool checkout costs more than the point read it serves)."""
        held: Connection | None = getattr(self._held, "connection", None)
        if held is not None:
            yield held
            return
        with self.engine.connect() as connection:
            self._held.connection = connection
            try:
                yield connection
            finally:
                self._held.connection = None

    def close(self) -> None:
        self.access_log.flush()
        self.engine.dispose()


def bootstrap(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    engine: Engine | None = None,
    policy: Policy | None = None,
    passwords: Passwords | None = None,
    run_migrations: bool = True,
) -> Context:
    """Build a Context from settings; tests pass a fixed clock, their engine and cheap hashing."""
    settings = settings or Settings()
    clock = clock or SystemClock()
    # what can refuse to start comes first, before any connection is opened
    policy = policy or load_policy_file(settings.policy_file)
    require_activities({activity.id for activity in policy.activities})
    keys = KeyStore(load_master_key(settings))
    engine = engine or make_engine(settings.database_url)
    if run_migrations:
        migrate(engine)
    if passwords is None:
        # argon2id at RFC 9106's second recommended option; tests ask for less
        cheap = settings.mode is Mode.TEST
        passwords = Passwords(time_cost=1, memory_cost_kib=1024) if cheap else Passwords()
    return Context(
        settings=settings,
        engine=engine,
        policy=policy,
        clock=clock,
        keys=keys,
        guard=Guard(policy),
        access_log=AccessLog(engine, clock),
        passwords=passwords,
    )
