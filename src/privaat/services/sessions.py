"""Log-in, sessions and password changes (P2, P3; LEGAL L53).

A session token is 256 random bits; the database keeps only its SHA-256, so a copy of the
database cannot be used to log in. Attempts are limited per account (blind index) and per
IP address (keyed hash) by the one attempt limiter, which records each attempt before it is
evaluated, so concurrent guesses cannot outrun the limit. argon2 runs between transactions.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from privaat.domain.activities import LOGIN
from privaat.domain.clock import Clock
from privaat.domain.principal import DataSubject, Principal
from privaat.domain.subject import AccountStatus
from privaat.mail.notices import Notice
from privaat.services.credentials import MAX_ATTEMPTS_PER_ACCOUNT, MAX_ATTEMPTS_PER_IP, Credentials
from privaat.services.errors import InvalidCredentials, NotAuthenticated
from privaat.services.login_history import LoginHistory
from privaat.services.notifier import Notifier
from privaat.services.rate_limit import AttemptLimiter, Limit
from privaat.services.subject_access import Operation, SubjectAccess
from privaat.store.audit import AuditTrail
from privaat.store.fastpath import PointQuery
from privaat.store.key_store import KeyStore
from privaat.store.tables import accounts, credentials, sessions
from privaat.store.unit_of_work import UnitOfWork

__all__ = [
    "ATTEMPT_WINDOW",
    "IDLE_TIMEOUT",
    "SESSION_LIFETIME",
    "LoggedIn",
    "Sessions",
    "end_other_sessions",
]

SESSION_LIFETIME = timedelta(days=7)  # the absolute limit
# OWASP ASVS 3.3.2: a session unused this long ends too; its clock moves at most every
# IDLE_GRANULARITY, so a busy session costs one write per few minutes, not one per request
IDLE_TIMEOUT = timedelta(hours=1)
IDLE_GRANULARITY = timedelta(minutes=5)
ATTEMPT_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class LoggedIn:
    token: str  # goes to the browser once, in an HttpOnly cookie
    subject_id: int
    expires_at: datetime


def _token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


_LOGIN_LOOKUP = PointQuery(
    select(accounts.c.subject_id, accounts.c.status, credentials.c.password_hash)
    .join(credentials, credentials.c.subject_id == accounts.c.subject_id)
    .where(accounts.c.email_bidx == bindparam("email_bidx"))
)
# both limits are compared in SQL; ``stale`` says whether the idle clock needs moving on
_SESSION_LOOKUP = PointQuery(
    select(
        sessions.c.subject_id, (sessions.c.last_seen_at < bindparam("bump_before")).label("stale")
    ).where(
        sessions.c.token_hash == bindparam("token_hash"),
        sessions.c.expires_at > bindparam("now"),
        sessions.c.last_seen_at > bindparam("idle_since"),
    )
)


def find_login(connection: Connection, email_bidx: bytes) -> dict[str, Any] | None:
    """The log-in row for a blind-indexed e-mail address, or None (the hot look-up, W6)."""
    return _LOGIN_LOOKUP.first(connection, email_bidx=email_bidx)


def end_other_sessions(connection: Connection, subject_id: int, keep_token: str | None) -> None:
    """After a password change, every other session ends (OWASP ASVS 3.3.3)."""
    statement = delete(sessions).where(sessions.c.subject_id == subject_id)
    if keep_token:
        statement = statement.where(sessions.c.token_hash != _token_hash(keep_token))
    connection.execute(statement)


class Sessions:
    """Log-in and log-out, the subject of a session, and password changes."""

    def __init__(
        self,
        *,
        access: SubjectAccess,
        keys: KeyStore,
        credentials: Credentials,
        limiter: AttemptLimiter,
        notifier: Notifier,
        logins: LoginHistory | None,
        clock: Clock,
    ) -> None:
        self._access, self._keys, self._credentials = access, keys, credentials
        self._limiter, self._notifier, self._logins, self._clock = limiter, notifier, logins, clock
        self.activities = (
            frozenset({LOGIN})
            | notifier.activities
            | (logins.activities if logins is not None else frozenset())
        )

    def log_in(
        self, uow: UnitOfWork, *, email: str, password: str, ip: str, user_agent: str
    ) -> LoggedIn:
        """Check e-mail and password, open a session, record where the log-in came from (P9)."""
        index = self._keys.cached_blind_index
        if index is None:
            # the first use may create the index key: a write, so a writing transaction
            with uow.writing() as connection:
                index = self._keys.blind_index(connection)
        account_key, ip_key = index.email(email), index.value("ip", ip)
        taken_at = self._limiter.take(
            uow, [Limit(account_key, MAX_ATTEMPTS_PER_ACCOUNT), Limit(ip_key, MAX_ATTEMPTS_PER_IP)]
        )
        with uow.reading() as connection:
            row = find_login(connection, account_key)
        # the hash is verified even when the account doesn't exist: no timing oracle
        valid = self._credentials.passwords.verify(row["password_hash"] if row else None, password)
        if not valid or row is None or row["status"] != AccountStatus.ACTIVE:
            raise InvalidCredentials()
        subject_id: int = row["subject_id"]
        principal = DataSubject(subject_id)
        rehashed = (
            self._credentials.passwords.hash(password)
            if self._credentials.passwords.needs_rehash(row["password_hash"])
            else None
        )
        now = self._clock.now()
        with uow.writing() as connection:
            opened = self._access.open(
                connection, principal, subject_id, LOGIN, operation=Operation.WRITE
            )
            Credentials.still_current(connection, subject_id, row["password_hash"])
            AttemptLimiter.clear(connection, account_key)
            self._limiter.forgive(connection, ip_key, taken_at)
            if rehashed is not None:
                connection.execute(
                    update(credentials)
                    .where(credentials.c.subject_id == subject_id)
                    .values(password_hash=rehashed)
                )
            token = secrets.token_urlsafe(32)
            device_hash = index.value("device", f"{subject_id}:{user_agent}")
            connection.execute(
                insert(sessions).values(
                    token_hash=_token_hash(token),
                    subject_id=subject_id,
                    created_at=now,
                    expires_at=now + SESSION_LIFETIME,
                    last_seen_at=now,
                    device_hash=device_hash,
                )
            )
            if self._logins is not None:
                self._logins.record(
                    connection, principal, subject_id, ip=ip, device_hash=device_hash
                )
            AuditTrail.append(
                connection,
                at=now,
                actor=principal.actor,
                action="session.opened",
                subject_pseudonym=opened.pseudonym,
                detail={"activity": LOGIN},
            )
        return LoggedIn(token=token, subject_id=subject_id, expires_at=now + SESSION_LIFETIME)

    def subject_of(self, uow: UnitOfWork, token: str | None) -> int:
        """The subject of a live session, or NotAuthenticated."""
        if not token or len(token) > 128:
            raise NotAuthenticated()
        now = self._clock.now()
        token_hash = _token_hash(token)
        # one point read: it needs no transaction of its own (one statement is atomic)
        row = _SESSION_LOOKUP.first(
            uow.single_read(),
            token_hash=token_hash,
            now=now,
            idle_since=now - IDLE_TIMEOUT,
            bump_before=now - IDLE_GRANULARITY,
        )
        if row is None:
            raise NotAuthenticated()
        if row["stale"]:
            with uow.writing() as connection:
                connection.execute(
                    update(sessions)
                    .where(sessions.c.token_hash == token_hash)
                    .values(last_seen_at=now)
                )
        return int(row["subject_id"])

    def log_out(self, uow: UnitOfWork, token: str | None) -> None:
        if not token:
            return
        with uow.writing() as connection:
            connection.execute(delete(sessions).where(sessions.c.token_hash == _token_hash(token)))

    def change_password(
        self,
        uow: UnitOfWork,
        principal: Principal,
        subject_id: int,
        *,
        current: str,
        new: str,
        keep_token: str | None,
    ) -> None:
        """Change the password (P2); other sessions end and the holder gets a notice (P3)."""
        verified = self._credentials.verify_current(uow, principal, subject_id, current)
        new_hash = self._credentials.passwords.hash(new)
        now = self._clock.now()
        with uow.writing() as connection:
            opened = self._access.open(
                connection, principal, subject_id, LOGIN, operation=Operation.WRITE
            )
            self._credentials.still_current(connection, subject_id, verified)
            connection.execute(
                update(credentials)
                .where(credentials.c.subject_id == subject_id)
                .values(password_hash=new_hash, changed_at=now)
            )
            end_other_sessions(connection, subject_id, keep_token)
            self._notifier.notify(connection, principal, subject_id, Notice.PASSWORD_CHANGED)
            AuditTrail.append(
                connection,
                at=now,
                actor=principal.actor,
                action="password.changed",
                subject_pseudonym=opened.pseudonym,
                detail={"activity": LOGIN},
            )
