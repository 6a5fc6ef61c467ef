"""Log-in, sessions and log-in locations (P2, P3, P9; LEGAL L23, L53).

A session token is 256 random bits; the database keeps only its SHA-256, so a copy of the
database cannot be used to log in. Failed attempts are counted per account (blind index)
and per IP address (keyed hash) and limited over a sliding window.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from privaat.bootstrap import Context
from privaat.domain.subject import AccountStatus
from privaat.mail.notices import Notice
from privaat.services.accounts import load_guarded, notify, verify_password
from privaat.services.activities import LOGIN, LOGIN_LOCATION
from privaat.services.errors import InvalidCredentials, NotAuthenticated, TooManyAttempts
from privaat.services.geo import truncate_ip
from privaat.services.subject_state import SUBJECT_COLUMNS, load_state
from privaat.store.audit import AuditTrail
from privaat.store.fastpath import PointQuery
from privaat.store.tables import (
    accounts,
    credentials,
    login_attempts,
    login_events,
    sessions,
    subjects,
)

SESSION_LIFETIME = timedelta(days=7)
ATTEMPT_WINDOW = timedelta(minutes=15)
MAX_ATTEMPTS_PER_ACCOUNT = 5  # OWASP ASVS 2.2.1: limit failed attempts per account
MAX_ATTEMPTS_PER_IP = 20  # and per source, so one address cannot try many accounts


@dataclass(frozen=True, slots=True)
class LoggedIn:
    token: str  # goes to the browser once, in an HttpOnly cookie
    subject_id: int
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class LoginView:
    at: datetime
    ip: str  # the full address while the policy keeps it, then its /24 or /48 network
    country: str | None
    city: str | None
    new_device: bool


def _token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


_LOGIN_LOOKUP = PointQuery(
    select(
        accounts.c.subject_id,
        accounts.c.status,
        accounts.c.language,
        *SUBJECT_COLUMNS,
        credentials.c.password_hash,
    )
    .join(subjects, subjects.c.id == accounts.c.subject_id)
    .join(credentials, credentials.c.subject_id == accounts.c.subject_id)
    .where(accounts.c.email_bidx == bindparam("email_bidx"))
)


def find_login(connection: Connection, email_bidx: bytes) -> dict[str, Any] | None:
    """The log-in row for a blind-indexed e-mail address, or None (the hot look-up, W6)."""
    return _LOGIN_LOOKUP.first(connection, email_bidx=email_bidx)


def log_in(ctx: Context, *, email: str, password: str, ip: str, user_agent: str) -> LoggedIn:
    """Check e-mail and password, open a session, record where the log-in came from (P9)."""
    now = ctx.clock.now()
    with ctx.engine.begin() as connection:
        index = ctx.keys.blind_index(connection)
        account_key, ip_key = index.email(email), index.value("ip", ip)
        _enforce_rate_limit(connection, account_key, ip_key, now)
        row = find_login(connection, account_key)
        # the hash is verified even when the account doesn't exist: no timing oracle
        valid = ctx.passwords.verify(row["password_hash"] if row else None, password)
        if not valid or row is None or row["status"] != AccountStatus.ACTIVE:
            connection.execute(
                insert(login_attempts),
                [{"key_hash": account_key, "at": now}, {"key_hash": ip_key, "at": now}],
            )
            failed = True
        else:
            failed = False
    if failed or row is None:
        raise InvalidCredentials()
    subject_id = row["subject_id"]
    with ctx.engine.begin() as connection:
        state = load_state(connection, subject_id, row, ctx.policy.activity(LOGIN))
        ctx.guard.check(LOGIN, state, now)
        connection.execute(delete(login_attempts).where(login_attempts.c.key_hash == account_key))
        if ctx.passwords.needs_rehash(row["password_hash"]):
            connection.execute(
                update(credentials)
                .where(credentials.c.subject_id == subject_id)
                .values(password_hash=ctx.passwords.hash(password))
            )
        token = secrets.token_urlsafe(32)
        device_hash = index.value("device", f"{subject_id}:{user_agent}")
        connection.execute(
            insert(sessions).values(
                token_hash=_token_hash(token),
                subject_id=subject_id,
                created_at=now,
                expires_at=now + SESSION_LIFETIME,
                device_hash=device_hash,
            )
        )
        _record_login(ctx, connection, subject_id, row, ip=ip, device_hash=device_hash, now=now)
        AuditTrail.append(
            connection,
            at=now,
            actor="self",
            action="session.opened",
            subject_pseudonym=row["pseudonym"],
            detail={"activity": LOGIN},
        )
    return LoggedIn(token=token, subject_id=subject_id, expires_at=now + SESSION_LIFETIME)


def _enforce_rate_limit(
    connection: Connection, account_key: bytes, ip_key: bytes, now: datetime
) -> None:
    since = now - ATTEMPT_WINDOW
    counts: dict[bytes, int] = dict(
        connection.execute(
            select(login_attempts.c.key_hash, func.count())
            .where(
                login_attempts.c.key_hash.in_([account_key, ip_key]), login_attempts.c.at > since
            )
            .group_by(login_attempts.c.key_hash)
        ).all()
    )
    if (
        counts.get(account_key, 0) >= MAX_ATTEMPTS_PER_ACCOUNT
        or counts.get(ip_key, 0) >= MAX_ATTEMPTS_PER_IP
    ):
        raise TooManyAttempts(retry_after_seconds=int(ATTEMPT_WINDOW.total_seconds()))


def _record_login(
    ctx: Context,
    connection: Connection,
    subject_id: int,
    row: Any,
    *,
    ip: str,
    device_hash: bytes,
    now: datetime,
) -> None:
    """P9: time, IP and the location derived offline; a new device gets a notice (P3)."""
    state = load_state(connection, subject_id, row, ctx.policy.activity(LOGIN_LOCATION))
    ctx.guard.check(LOGIN_LOCATION, state, now)
    cipher = ctx.keys.cipher(connection, subject_id, row["pseudonym"])
    location = ctx.geo.locate(ip)
    seen_before = connection.execute(
        select(login_events.c.id)
        .where(login_events.c.subject_id == subject_id, login_events.c.device_hash == device_hash)
        .limit(1)
    ).first()
    has_history = connection.execute(
        select(login_events.c.id).where(login_events.c.subject_id == subject_id).limit(1)
    ).first()
    new_device = seen_before is None
    connection.execute(
        insert(login_events).values(
            subject_id=subject_id,
            at=now,
            ip_enc=cipher.encrypt("login_events.ip", ip),
            ip_truncated_enc=cipher.encrypt("login_events.ip_truncated", truncate_ip(ip)),
            country_enc=cipher.encrypt_optional("login_events.country", location.country),
            city_enc=cipher.encrypt_optional("login_events.city", location.city),
            device_hash=device_hash,
            new_device=new_device,
        )
    )
    if new_device and has_history is not None:
        where = ", ".join(part for part in (location.city, location.country) if part) or "onbekend"
        notify(
            ctx,
            connection,
            subject_id,
            Notice.NEW_DEVICE_LOGIN,
            at=now.strftime("%Y-%m-%d %H:%M UTC"),
            where=where,
        )


def session_subject(ctx: Context, token: str | None) -> int:
    """The subject of a live session, or NotAuthenticated."""
    if not token or len(token) > 128:
        raise NotAuthenticated()
    with ctx.reading() as connection:
        row = connection.execute(
            select(sessions.c.subject_id, sessions.c.expires_at).where(
                sessions.c.token_hash == _token_hash(token)
            )
        ).first()
    if row is None or row.expires_at <= ctx.clock.now():
        raise NotAuthenticated()
    return int(row.subject_id)


def log_out(ctx: Context, token: str | None) -> None:
    if not token:
        return
    with ctx.engine.begin() as connection:
        connection.execute(delete(sessions).where(sessions.c.token_hash == _token_hash(token)))


def end_other_sessions(connection: Connection, subject_id: int, keep_token: str | None) -> None:
    """After a password change, every other session ends (OWASP ASVS 3.3.3)."""
    statement = delete(sessions).where(sessions.c.subject_id == subject_id)
    if keep_token:
        statement = statement.where(sessions.c.token_hash != _token_hash(keep_token))
    connection.execute(statement)


def recent_logins(ctx: Context, subject_id: int, *, limit: int = 20) -> list[LoginView]:
    """The holder's own recent log-ins with their locations (P9; GDPR art. 15)."""
    with ctx.reading() as connection:
        row, cipher = load_guarded(ctx, connection, subject_id, LOGIN_LOCATION)
        events = connection.execute(
            select(login_events)
            .where(login_events.c.subject_id == subject_id)
            .order_by(login_events.c.at.desc(), login_events.c.id.desc())
            .limit(limit)
        ).all()
    ctx.access_log.record(
        actor="self", activity=LOGIN_LOCATION, subject_pseudonym=row["pseudonym"], operation="read"
    )
    return [
        LoginView(
            at=event.at,
            ip=cipher.decrypt("login_events.ip", event.ip_enc)
            if event.ip_enc is not None
            else cipher.decrypt("login_events.ip_truncated", event.ip_truncated_enc),
            country=cipher.decrypt_optional("login_events.country", event.country_enc),
            city=cipher.decrypt_optional("login_events.city", event.city_enc),
            new_device=event.new_device,
        )
        for event in events
    ]


def change_password(
    ctx: Context, subject_id: int, *, current: str, new: str, keep_token: str | None
) -> None:
    """Change the password (P2); other sessions end and the holder gets a notice (P3)."""
    now = ctx.clock.now()
    with ctx.engine.begin() as connection:
        row, _cipher = load_guarded(ctx, connection, subject_id, LOGIN)
        verify_password(ctx, connection, subject_id, current)
        connection.execute(
            update(credentials)
            .where(credentials.c.subject_id == subject_id)
            .values(password_hash=ctx.passwords.hash(new), changed_at=now)
        )
        end_other_sessions(connection, subject_id, keep_token)
        notify(ctx, connection, subject_id, Notice.PASSWORD_CHANGED)
        AuditTrail.append(
            connection,
            at=now,
            actor="self",
            action="password.changed",
            subject_pseudonym=row["pseudonym"],
            detail={"activity": LOGIN},
        )
