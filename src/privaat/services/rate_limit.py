"""One attempt limiter for every guessable secret: passwords, one-time codes, public forms.

Count-and-record is atomic under concurrency because the attempt is **recorded first** and
committed, and only then counted: attempts are ordered by the commit of their record, and
the k-th attempt's count (read after its own commit, READ COMMITTED on PostgreSQL, the write
lock on SQLite) sees at least k records. So however many requests race, at most ``limit``
of them are ever evaluated within the window (OWASP ASVS 2.2.1). Keys are keyed hashes
(blind index) of what is limited: an account, an IP address, a code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, func, insert, select

from privaat.domain.clock import Clock
from privaat.services.errors import TooManyAttempts
from privaat.store.tables import login_attempts
from privaat.store.unit_of_work import UnitOfWork

__all__ = ["AttemptLimiter", "Limit"]


@dataclass(frozen=True, slots=True)
class Limit:
    """At most ``attempts`` evaluations per ``key`` within the limiter's window."""

    key: bytes
    attempts: int


class AttemptLimiter:
    """Records an attempt per key, then refuses it when a key is over its limit."""

    def __init__(self, *, clock: Clock, window: timedelta) -> None:
        self._clock, self._window = clock, window

    @property
    def retry_after_seconds(self) -> int:
        return int(self._window.total_seconds())

    def take(self, uow: UnitOfWork, limits: Sequence[Limit]) -> datetime:
        """Record one attempt under every key; TooManyAttempts if any key is over its limit.

        Runs its own two transactions, so call it before the use case's transaction opens.
        Returns the moment the attempt was recorded at (for ``forgive``).
        """
        now = self._clock.now()
        since = now - self._window
        keys = [limit.key for limit in limits]
        with uow.writing() as connection:
            # what fell out of the window is never counted again: keep the table small
            connection.execute(
                delete(login_attempts).where(
                    login_attempts.c.key_hash.in_(keys), login_attempts.c.at <= since
                )
            )
            connection.execute(insert(login_attempts), [{"key_hash": k, "at": now} for k in keys])
        with uow.reading() as connection:
            counts: dict[bytes, int] = dict(
                connection.execute(
                    select(login_attempts.c.key_hash, func.count())
                    .where(login_attempts.c.key_hash.in_(keys), login_attempts.c.at > since)
                    .group_by(login_attempts.c.key_hash)
                ).all()
            )
        if any(counts.get(limit.key, 0) > limit.attempts for limit in limits):
            raise TooManyAttempts(retry_after_seconds=self.retry_after_seconds)
        return now

    @staticmethod
    def clear(connection: Connection, key: bytes) -> None:
        """Forget every attempt under ``key`` (an account after a success), in the caller's
        transaction."""
        connection.execute(delete(login_attempts).where(login_attempts.c.key_hash == key))

    def forgive(self, connection: Connection, key: bytes, taken_at: datetime) -> None:
        """Forget the one attempt taken at ``taken_at`` under ``key``: a success from a shared
        address (an office behind NAT) does not use up that address's allowance."""
        first = (
            select(login_attempts.c.id)
            .where(login_attempts.c.key_hash == key, login_attempts.c.at == taken_at)
            .limit(1)
            .scalar_subquery()
        )
        connection.execute(delete(login_attempts).where(login_attempts.c.id == first))
