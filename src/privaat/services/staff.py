"""Staff accounts of the console: password and TOTP, one-time enrolment links, sessions.

    privaat staff create ──▶ staff member (role, TOTP secret) + enrolment link (single use)
                                   │  /console/enrol/<token>: set a password, scan the QR
                                   ▼  code, confirm one code
                             enrolled ──▶ log-in: e-mail + password + TOTP code
                                               │  (attempt limiter per account and per IP)
                                               ▼
                                         staff session: idle 30 min, at most 12 h

Staff are employees, kept apart from customers: their own table, a blind index of their own
kind (``staff-email``: a staff member who is also a customer is not linked to the account),
their own cookie. The logs name them ``staff:<id>:<role>`` (``domain.principal``), never by
address. Tokens are 256 random bits of which only the SHA-256 is stored. argon2 runs between
transactions, and the write that follows checks the hash verified is still the one stored.
A TOTP code is accepted once (RFC 6238 §5.2): the step of the last accepted code is stored
and a log-in with the same or an earlier step is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pyotp
from sqlalchemy import Connection, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from privaat.domain.activities import STAFF_ACCOUNTS
from privaat.domain.clock import Clock
from privaat.domain.principal import StaffMember, StaffRole
from privaat.services.contact_fields import login_email, normalise_email
from privaat.services.credentials import MAX_ATTEMPTS_PER_ACCOUNT, MAX_ATTEMPTS_PER_IP
from privaat.services.errors import Conflict, InvalidCredentials, InvalidField, NotAuthenticated
from privaat.services.passwords import Passwords, check_strength
from privaat.services.rate_limit import AttemptLimiter, Limit
from privaat.store.audit import AuditTrail
from privaat.store.crypto import BlindIndex, SubjectCipher
from privaat.store.key_store import KeyStore
from privaat.store.tables import staff_enrolments, staff_members, staff_sessions
from privaat.store.unit_of_work import UnitOfWork

__all__ = [
    "ABSOLUTE_LIFETIME",
    "ENROLMENT_LIFETIME",
    "IDLE_TIMEOUT",
    "Enrolment",
    "EnrolmentInvalid",
    "PendingEnrolment",
    "StaffAccounts",
    "StaffLoggedIn",
]

ENROLMENT_LIFETIME = timedelta(hours=72)  # long enough for a weekend, short for a lost link
IDLE_TIMEOUT = timedelta(minutes=30)  # issue 8 item 4; OWASP ASVS 3.3.2
ABSOLUTE_LIFETIME = timedelta(hours=12)  # issue 8 item 4: one working day at most
# the last use is written at most this often: a console click costs no write per request,
# and a session ends at most this much before its 30 idle minutes, never after
TOUCH_EVERY = timedelta(minutes=1)
# RFC 6238 §5.2: allow one step of clock drift or typing time either side
TOTP_DRIFT_STEPS = 1
_CODE_DIGITS = 6  # RFC 6238 / RFC 4226 §5.3, what every authenticator app shows
# verified against when the address has no account: the same work, the same answer
_DUMMY_SECRET = pyotp.random_base32()


class EnrolmentInvalid(InvalidField):
    """The enrolment link is unknown, used or expired (one answer for all three)."""

    def __init__(self) -> None:
        super().__init__("token", "this enrolment link is not valid (used or expired)")


@dataclass(frozen=True, slots=True)
class Enrolment:
    """A new staff member and the one-time token of their enrolment link."""

    staff_id: int
    role: StaffRole
    token: str  # printed once by ``privaat staff create``; only its hash is stored
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class PendingEnrolment:
    """What the enrolment page shows: the secret to add to an authenticator app."""

    staff_id: int
    role: StaffRole
    secret: str  # base32, shown in text beside the QR code
    provisioning_uri: str  # otpauth:// URI (Key Uri Format), drawn as the QR code


@dataclass(frozen=True, slots=True)
class StaffLoggedIn:
    token: str  # goes to the browser once, in a SameSite=Strict, HttpOnly cookie
    staff: StaffMember
    expires_at: datetime


def _token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _address(email: str) -> str:
    # the form sign-up would store, lower-cased as BlindIndex.email does: one account per mailbox
    return login_email(email.strip()).lower()


def _code(code: str) -> str | None:
    """The code as digits, spaces allowed between them ("123 456"); None if it is no code."""
    digits = "".join(code.split())
    if len(digits) != _CODE_DIGITS or not (digits.isascii() and digits.isdigit()):
        return None
    return digits


def _matching_step(secret: str, code: str, at: datetime) -> int | None:
    """The TOTP time step ``code`` belongs to around ``at`` (± the drift), or None."""
    digits = _code(code)
    if digits is None:
        return None
    totp = pyotp.TOTP(secret)
    now = totp.timecode(at)
    found = None
    for step in range(now - TOTP_DRIFT_STEPS, now + TOTP_DRIFT_STEPS + 1):
        # every step is compared, each in constant time: no early exit to time
        if hmac.compare_digest(totp.generate_otp(step), digits):
            found = step
    return found


_ROW = select(
    staff_members.c.id,
    staff_members.c.role,
    staff_members.c.password_hash,
    staff_members.c.totp_secret_enc,
    staff_members.c.enrolled_at,
    staff_members.c.disabled_at,
)


SEED_KEY = "staff_totp"  # the system key the TOTP seeds are encrypted under
_SEED_FIELD = "staff_members.totp_secret"


class StaffAccounts:
    """Creates and enrols staff members, logs them in and out, and names a session's staff."""

    activities = frozenset({STAFF_ACCOUNTS})

    def __init__(
        self,
        *,
        keys: KeyStore,
        passwords: Passwords,
        limiter: AttemptLimiter,
        clock: Clock,
        issuer: str,
    ) -> None:
        self._keys, self._passwords, self._limiter = keys, passwords, limiter
        self._clock, self._issuer = clock, issuer

    # --- creation and enrolment ------------------------------------------------------------

    def create(self, uow: UnitOfWork, *, email: str, role: str) -> Enrolment:
        """A new staff member with ``role`` and a one-time enrolment link (``Conflict`` when
        the address already has a staff account)."""
        try:
            address = normalise_email(email.strip()).lower()
        except ValueError as error:
            raise InvalidField("email", str(error)) from None
        try:
            staff_role = StaffRole(role)
        except ValueError:
            choices = ", ".join(r.value for r in StaffRole)
            raise InvalidField("role", f"must be one of {choices}") from None
        now = self._clock.now()
        token = secrets.token_urlsafe(32)
        try:
            with uow.writing() as connection:
                bidx = self._index(connection).value("staff-email", address)
                staff_id: int = connection.execute(
                    insert(staff_members)
                    .values(
                        email_bidx=bidx,
                        role=staff_role.value,
                        # 160 bits, RFC 4226 §4 R6; stored encrypted under a system key
                        totp_secret_enc=self._seeds(connection).encrypt(
                            _SEED_FIELD, pyotp.random_base32()
                        ),
                        created_at=now,
                    )
                    .returning(staff_members.c.id)
                ).scalar_one()
                connection.execute(
                    insert(staff_enrolments).values(
                        token_hash=_token_hash(token),
                        staff_id=staff_id,
                        created_at=now,
                        expires_at=now + ENROLMENT_LIFETIME,
                    )
                )
                principal = StaffMember(staff_id, staff_role)
                self._audit(connection, principal, "staff.created", now)
        except IntegrityError:
            raise Conflict("a staff account with this e-mail address exists") from None
        return Enrolment(staff_id, staff_role, token, now + ENROLMENT_LIFETIME)

    def pending_enrolment(self, uow: UnitOfWork, token: str) -> PendingEnrolment:
        """The secret behind a live enrolment link, for the enrolment page."""
        with uow.reading() as connection:
            row = self._enrolment_row(connection, token)
            if row is None:
                raise EnrolmentInvalid()
            secret = self._secret(connection, row)
        role = StaffRole(row.role)
        uri = pyotp.TOTP(secret).provisioning_uri(
            name=f"{role.value}-{row.id}", issuer_name=self._issuer
        )
        return PendingEnrolment(row.id, role, secret, uri)

    def enrol(self, uow: UnitOfWork, *, token: str, password: str, code: str) -> StaffMember:
        """Set the password and confirm the authenticator with one code; spends the link."""
        with uow.reading() as connection:
            row = self._enrolment_row(connection, token)
            if row is None:
                raise EnrolmentInvalid()
            secret = self._secret(connection, row)
        try:
            check_strength(password)
        except ValueError as error:
            raise InvalidField("password", str(error)) from None
        now = self._clock.now()
        step = _matching_step(secret, code, now)
        if step is None:
            raise InvalidField("code", "this code does not match: check the app's clock")
        password_hash = self._passwords.hash(password)  # between transactions
        principal = StaffMember(row.id, StaffRole(row.role))
        with uow.writing() as connection:
            # deleting the row is what spends it: of two redemptions at once, one finds it
            spent = connection.execute(
                delete(staff_enrolments).where(
                    staff_enrolments.c.token_hash == _token_hash(token),
                    staff_enrolments.c.expires_at > now,
                )
            )
            if spent.rowcount != 1:
                raise EnrolmentInvalid()
            connection.execute(
                update(staff_members)
                .where(staff_members.c.id == row.id)
                .values(password_hash=password_hash, enrolled_at=now, totp_last_step=step)
            )
            # a new password: sessions of an earlier enrolment (none yet) would end here
            connection.execute(delete(staff_sessions).where(staff_sessions.c.staff_id == row.id))
            self._audit(connection, principal, "staff.enrolled", now)
        return principal

    # --- log-in and sessions ---------------------------------------------------------------

    def log_in(
        self, uow: UnitOfWork, *, email: str, password: str, code: str, ip: str
    ) -> StaffLoggedIn:
        """Check address, password and TOTP code under the limiter; open a staff session.

        One answer (``InvalidCredentials``) for an unknown address, a wrong password, a wrong
        or reused code, an account not yet enrolled or disabled: nothing to enumerate.
        """
        address = _address(email)
        index = self._keys.cached_blind_index
        if index is None:
            with uow.writing() as connection:  # the first use may create the index key
                index = self._index(connection)
        bidx = index.value("staff-email", address)
        account_key, ip_key = index.value("staff-login", address), index.value("staff-ip", ip)
        taken_at = self._limiter.take(
            uow, [Limit(account_key, MAX_ATTEMPTS_PER_ACCOUNT), Limit(ip_key, MAX_ATTEMPTS_PER_IP)]
        )
        with uow.reading() as connection:
            row = connection.execute(_ROW.where(staff_members.c.email_bidx == bidx)).first()
            secret = self._secret(connection, row) if row is not None else _DUMMY_SECRET
        now = self._clock.now()
        # both checks run whatever the row: no timing oracle for an unknown address
        valid = self._passwords.verify(row.password_hash if row else None, password)
        step = _matching_step(secret, code, now)
        usable = row is not None and row.enrolled_at is not None and row.disabled_at is None
        if not (valid and step is not None and usable) or row is None:
            raise InvalidCredentials()
        staff = StaffMember(row.id, StaffRole(row.role))
        token = secrets.token_urlsafe(32)
        with uow.writing() as connection:
            # still the hash we verified, still enabled, and the code's step not used before
            taken = connection.execute(
                update(staff_members)
                .where(
                    staff_members.c.id == row.id,
                    staff_members.c.password_hash == row.password_hash,
                    staff_members.c.disabled_at.is_(None),
                    or_(
                        staff_members.c.totp_last_step.is_(None),
                        staff_members.c.totp_last_step < step,
                    ),
                )
                .values(totp_last_step=step)
            )
            if taken.rowcount != 1:
                raise InvalidCredentials()
            AttemptLimiter.clear(connection, account_key)
            self._limiter.forgive(connection, ip_key, taken_at)
            connection.execute(
                delete(staff_sessions).where(
                    staff_sessions.c.staff_id == row.id, staff_sessions.c.expires_at <= now
                )
            )
            connection.execute(
                insert(staff_sessions).values(
                    token_hash=_token_hash(token),
                    staff_id=row.id,
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + ABSOLUTE_LIFETIME,
                )
            )
            self._audit(connection, staff, "staff.session_opened", now)
        return StaffLoggedIn(token, staff, now + ABSOLUTE_LIFETIME)

    def staff_of(self, uow: UnitOfWork, token: str | None) -> StaffMember:
        """The staff member of a live session (idle < 30 min, age < 12 h), or NotAuthenticated."""
        if not token or len(token) > 128:
            raise NotAuthenticated()
        now = self._clock.now()
        token_hash = _token_hash(token)
        with uow.reading() as connection:
            row = connection.execute(
                select(
                    staff_sessions.c.staff_id, staff_members.c.role, staff_sessions.c.last_seen_at
                )
                .join(staff_members, staff_members.c.id == staff_sessions.c.staff_id)
                .where(
                    staff_sessions.c.token_hash == token_hash,
                    staff_sessions.c.expires_at > now,
                    staff_sessions.c.last_seen_at > now - IDLE_TIMEOUT,
                    staff_members.c.disabled_at.is_(None),
                )
            ).first()
        if row is None:
            raise NotAuthenticated()
        if now - row.last_seen_at >= TOUCH_EVERY:
            with uow.writing() as connection:
                connection.execute(
                    update(staff_sessions)
                    .where(staff_sessions.c.token_hash == token_hash)
                    .values(last_seen_at=now)
                )
        return StaffMember(int(row.staff_id), StaffRole(row.role))

    def log_out(self, uow: UnitOfWork, token: str | None) -> None:
        """End the session of ``token`` (nothing happens for an unknown one)."""
        if not token or len(token) > 128:
            return
        now = self._clock.now()
        with uow.writing() as connection:
            row = connection.execute(
                select(staff_sessions.c.staff_id, staff_members.c.role)
                .join(staff_members, staff_members.c.id == staff_sessions.c.staff_id)
                .where(staff_sessions.c.token_hash == _token_hash(token))
            ).first()
            if row is None:
                return
            connection.execute(
                delete(staff_sessions).where(staff_sessions.c.token_hash == _token_hash(token))
            )
            staff = StaffMember(int(row.staff_id), StaffRole(row.role))
            self._audit(connection, staff, "staff.session_closed", now)

    # --- the steps -------------------------------------------------------------------------

    def _index(self, connection: Connection) -> BlindIndex:
        return self._keys.blind_index(connection)

    def _seeds(self, connection: Connection) -> SubjectCipher:
        return self._keys.system_cipher(connection, SEED_KEY)

    def _secret(self, connection: Connection, row: Any) -> str:
        secret: str = self._seeds(connection).decrypt(_SEED_FIELD, row.totp_secret_enc)
        return secret

    def _enrolment_row(self, connection: Connection, token: str) -> Any:
        if not token or len(token) > 128:
            return None
        return connection.execute(
            _ROW.join(staff_enrolments, staff_enrolments.c.staff_id == staff_members.c.id).where(
                staff_enrolments.c.token_hash == _token_hash(token),
                staff_enrolments.c.expires_at > self._clock.now(),
            )
        ).first()

    def _audit(self, connection: Connection, staff: StaffMember, action: str, at: datetime) -> None:
        AuditTrail.append(
            connection,
            at=at,
            actor=staff.actor,
            action=action,
            subject_pseudonym=None,
            detail={"activity": STAFF_ACCOUNTS},
        )
