"""Passwords of accounts (P2): re-authentication before a sensitive change, under the limiter.

argon2 runs between transactions, never inside one: the stored hash is read in a short
read, verified with no lock held, and the change that follows checks in its own writing
transaction that the hash is still the one verified (a concurrent change wins, ours fails).
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from privaat.domain.activities import LOGIN
from privaat.domain.principal import Principal
from privaat.services.errors import InvalidCredentials, InvalidField
from privaat.services.passwords import Passwords
from privaat.services.rate_limit import AttemptLimiter, Limit
from privaat.services.subject_access import SubjectAccess
from privaat.store.tables import credentials
from privaat.store.unit_of_work import UnitOfWork

__all__ = ["MAX_ATTEMPTS_PER_ACCOUNT", "MAX_ATTEMPTS_PER_IP", "Credentials"]

MAX_ATTEMPTS_PER_ACCOUNT = 5  # OWASP ASVS 2.2.1: limit failed attempts per account
MAX_ATTEMPTS_PER_IP = 20  # and per source, so one address cannot try many accounts


class Credentials:
    """Checks a logged-in subject's current password, counted in the account's limit."""

    activities = frozenset({LOGIN})

    def __init__(
        self, *, access: SubjectAccess, passwords: Passwords, limiter: AttemptLimiter
    ) -> None:
        self._access, self._passwords, self._limiter = access, passwords, limiter

    @property
    def passwords(self) -> Passwords:
        return self._passwords

    def verify_current(
        self,
        uow: UnitOfWork,
        principal: Principal,
        subject_id: int,
        password: str,
        *,
        field: str = "current_password",
    ) -> str:
        """The stored hash if ``password`` is the subject's current one; otherwise a 422 naming
        ``field`` (not 401: the session is fine, the password is not)."""
        with uow.reading() as connection:
            opened = self._access.open(connection, principal, subject_id, LOGIN)
            account_key: bytes = opened.record["email_bidx"]
            stored = _stored_hash(connection, subject_id)
        # re-authentication is a guess like a log-in: the same per-account allowance
        self._limiter.take(uow, [Limit(account_key, MAX_ATTEMPTS_PER_ACCOUNT)])
        if stored is None or not self._passwords.verify(stored, password):
            raise InvalidField(field, "the current password is incorrect")
        with uow.writing() as connection:
            AttemptLimiter.clear(connection, account_key)
        return stored

    @staticmethod
    def still_current(connection: Connection, subject_id: int, verified_hash: str) -> None:
        """InvalidCredentials unless the stored hash is still the one verified a moment ago."""
        if _stored_hash(connection, subject_id) != verified_hash:
            raise InvalidCredentials()


def _stored_hash(connection: Connection, subject_id: int) -> str | None:
    stored: str | None = connection.execute(
        select(credentials.c.password_hash).where(credentials.c.subject_id == subject_id)
    ).scalar()
    return stored
