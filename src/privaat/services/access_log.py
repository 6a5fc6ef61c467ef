"""The access log: who read whose personal data, for which activity, when (GDPR art. 5(2)).

Entries are buffered and written in batches, so logging a read costs a list append rather
than a transaction. The buffer is flushed when it holds ``batch_size`` entries, when the
oldest entry is ``max_delay`` old (checked on each record and by the web app every second),
and at shutdown. Subjects are named by pseudonym only.
A crash can lose at most one unflushed batch; ``flush()`` after sensitive reads (exports,
support access) makes them durable at once.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, bindparam, insert

from privaat.domain.clock import Clock
from privaat.store.fastpath import BulkInsert
from privaat.store.tables import access_log


@dataclass(frozen=True, slots=True)
class AccessEntry:
    at: datetime
    actor: str
    activity: str
    subject_pseudonym: str
    operation: str  # "read", "write", "export"


class AccessLog:
    """A batching writer for the ``access_log`` table; thread-safe."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        *,
        batch_size: int = 500,
        max_delay: timedelta = timedelta(seconds=1),
    ) -> None:
        self._engine, self._clock = engine, clock
        self._batch_size, self._max_delay = batch_size, max_delay
        self._buffer: list[dict[str, object]] = []
        self._oldest: datetime | None = None
        self._lock = threading.Lock()
        columns = ("at", "actor", "activity", "subject_pseudonym", "operation")
        self._statement = BulkInsert(
            insert(access_log).values({name: bindparam(name) for name in columns})
        )

    def record(self, *, actor: str, activity: str, subject_pseudonym: str, operation: str) -> None:
        now = self._clock.now()
        with self._lock:
            self._buffer.append(
                {
                    "at": now,
                    "actor": actor,
                    "activity": activity,
                    "subject_pseudonym": subject_pseudonym,
                    "operation": operation,
                }
            )
            if self._oldest is None:
                self._oldest = now
            due = len(self._buffer) >= self._batch_size or now - self._oldest >= self._max_delay
            batch = self._take() if due else None
        if batch:
            self._write(batch)

    def flush(self) -> int:
        """Write every buffered entry now; returns how many were written."""
        with self._lock:
            batch = self._take()
        if batch:
            self._write(batch)
        return len(batch)

    def due(self) -> bool:
        """Whether the oldest buffered entry has waited ``max_delay``: time to flush."""
        oldest = self._oldest
        return oldest is not None and self._clock.now() - oldest >= self._max_delay

    def pending(self) -> int:
        return len(self._buffer)

    def _take(self) -> list[dict[str, object]]:
        batch, self._buffer, self._oldest = self._buffer, [], None
        return batch

    def _write(self, batch: list[dict[str, object]]) -> None:
        with self._engine.begin() as connection:
            self._statement.run(connection, batch)
