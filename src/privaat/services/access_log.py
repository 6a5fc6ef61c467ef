"""The access log: who read whose personal data, for which activity, when (GDPR art. 5(2)).

Entries are buffered and written in batches, so logging a read costs a list append rather
than a transaction. ``record`` never writes: it runs inside the caller's transaction (the
enforcement seam logs as it opens data), and a write of its own there would wait for the
caller's lock. The buffer is written by ``flush`` — by the web app every second once the
oldest entry is ``max_delay`` old, by every command when its Context closes, and at once
after sensitive reads (exports, support access) that must be durable before they return.

A batch whose write fails is put back in front of the buffer and written by the next flush,
so a database outage loses nothing; the buffer is bounded (``max_pending``), and what falls
beyond that is dropped oldest first with the count logged, never silently. Subjects are
named by pseudonym only.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, bindparam, insert

from privaat.domain.clock import Clock
from privaat.store.fastpath import BulkInsert
from privaat.store.tables import access_log

__all__ = ["AccessEntry", "AccessLog"]

log = logging.getLogger("privaat.access_log")


@dataclass(frozen=True, slots=True)
class AccessEntry:
    at: datetime
    actor: str
    activity: str
    subject_pseudonym: str
    operation: str  # "read", "write", "send", "export", "erase"


class AccessLog:
    """A batching writer for the ``access_log`` table; thread-safe."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        *,
        batch_size: int = 500,
        max_delay: timedelta = timedelta(seconds=1),
        max_pending: int = 200_000,
    ) -> None:
        self._engine, self._clock = engine, clock
        self._batch_size, self._max_delay, self._max_pending = batch_size, max_delay, max_pending
        self._buffer: list[dict[str, object]] = []
        self._oldest: datetime | None = None
        self._lock = threading.Lock()
        self._flushing = threading.Lock()  # one writer at a time keeps the entries in order
        self.dropped = 0  # entries dropped because the buffer overflowed during an outage
        columns = ("at", "actor", "activity", "subject_pseudonym", "operation")
        self._statement = BulkInsert(
            insert(access_log).values({name: bindparam(name) for name in columns})
        )

    def record(self, *, actor: str, activity: str, subject_pseudonym: str, operation: str) -> None:
        """Buffer one entry; never writes (see the module docstring)."""
        now = self._clock.now()
        entry: dict[str, object] = {
            "at": now,
            "actor": actor,
            "activity": activity,
            "subject_pseudonym": subject_pseudonym,
            "operation": operation,
        }
        with self._lock:
            self._buffer.append(entry)
            if self._oldest is None:
                self._oldest = now
            self._bound()

    def flush(self, *, batch_size: int | None = None) -> int:
        """Write every buffered entry now; returns how many were written. A bulk reader may
        ask for larger batches (fewer commits; each holds the write lock a little longer).

        On a database error the entries go back in front of the buffer and the error is
        raised: the caller (the flusher) logs it and tries again later.
        """
        with self._flushing:
            with self._lock:
                batch, self._buffer, self._oldest = self._buffer, [], None
            if not batch:
                return 0
            written = 0
            size = batch_size or self._batch_size
            try:
                while written < len(batch):
                    chunk = batch[written : written + size]
                    with self._engine.begin() as connection:
                        self._statement.run(connection, chunk)
                    written += len(chunk)
            except Exception:
                with self._lock:
                    unwritten = batch[written:]
                    self._buffer[:0] = unwritten
                    first = unwritten[0]["at"]
                    self._oldest = first if isinstance(first, datetime) else self._clock.now()
                    self._bound()
                raise
            return written

    def due(self) -> bool:
        """Whether a flush is due: the oldest entry waited ``max_delay`` or a batch is full."""
        oldest = self._oldest
        if oldest is None:
            return False
        return (
            len(self._buffer) >= self._batch_size or self._clock.now() - oldest >= self._max_delay
        )

    def pending(self) -> int:
        return len(self._buffer)

    def _bound(self) -> None:
        # called with the lock held: keep the newest entries, count and log what goes
        excess = len(self._buffer) - self._max_pending
        if excess > 0:
            del self._buffer[:excess]
            self.dropped += excess
            log.error("access log buffer full: dropped the %d oldest entries", excess)
