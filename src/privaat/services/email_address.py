"""Proven addresses (issue 5 items 2 and 11): verification at sign-up, and an e-mail change that
takes effect only when the new address confirms it.

    sign-up ─▶ a one-time link to the address ─▶ verify(token) ─▶ email_verified
    change  ─▶ current password ─▶ other sessions end ─▶ a link to the NEW address, a notice
               to the old ─▶ confirm(token) ─▶ the new address is the account's, verified

A link is 256 random bits; the database keeps its SHA-256 only, and spends it by deleting
the row (single use); it expires after ``LINK_LIFETIME``. A change to an address that is
already taken answers exactly as one to a free address: the new address's holder is told it
is in use, and nobody else learns anything (no enumeration). Until an address is verified,
nothing that relies on it uses it: only verification and security notices go there.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from privaat.domain.activities import ACCOUNT, LOGIN
from privaat.domain.clock import Clock
from privaat.domain.principal import Principal, SystemJob
from privaat.mail.notices import Notice
from privaat.services.credentials import Credentials
from privaat.services.errors import InvalidField
from privaat.services.notifier import Notifier
from privaat.services.sessions import end_other_sessions
from privaat.services.subject_access import Opened, Operation, SubjectAccess
from privaat.store.audit import AuditTrail
from privaat.store.key_store import KeyStore
from privaat.store.tables import accounts, subject_tokens
from privaat.store.unit_of_work import UnitOfWork

__all__ = ["LINK_LIFETIME", "EmailAddresses", "LinkInvalid", "Purpose"]

LINK_LIFETIME = timedelta(hours=48)
LINK_HOLDER = SystemJob("address-link")  # the holder of a link acts through it, not a session
_FIELD = "subject_tokens.payload"


class Purpose(StrEnum):
    """What a one-time link proves."""

    VERIFY = "verify_email"  # the address given at sign-up is the person's
    CHANGE = "change_email"  # the new address of a requested change is the person's


class LinkInvalid(InvalidField):
    """The link is unknown, used, expired or for another purpose; one answer for all."""

    def __init__(self) -> None:
        super().__init__("token", "this link is not valid (any more); ask for a new one")


@dataclass(frozen=True, slots=True)
class _Link:
    token: str
    url: str


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class EmailAddresses:
    """Sends and redeems the one-time links that prove an address."""

    activities = frozenset({ACCOUNT, LOGIN})

    def __init__(
        self,
        *,
        access: SubjectAccess,
        keys: KeyStore,
        credentials: Credentials,
        notifier: Notifier,
        clock: Clock,
        base_url: str,
    ) -> None:
        self._access, self._keys, self._credentials = access, keys, credentials
        self._notifier, self._clock = notifier, clock
        self._base_url = base_url.rstrip("/")

    # --- verification of the sign-up address ------------------------------------------

    def send_verification(self, connection: Connection, opened: Opened, address: str) -> None:
        """Queue the verification link to ``address`` in the caller's (sign-up) transaction."""
        link = self._link(connection, opened.subject_id, Purpose.VERIFY, "verify")
        self._notifier.notify(
            connection,
            LINK_HOLDER,
            opened.subject_id,
            Notice.VERIFY_EMAIL,
            to=address,
            link=link.url,
        )

    def verify(self, uow: UnitOfWork, token: str) -> None:
        """Mark the account's address verified; LinkInvalid for any unusable link."""
        with uow.writing() as connection:
            subject_id, _row = self._redeem(connection, token, Purpose.VERIFY)
            opened = self._access.open(
                connection, LINK_HOLDER, subject_id, LOGIN, operation=Operation.WRITE
            )
            connection.execute(
                update(accounts)
                .where(accounts.c.subject_id == subject_id)
                .values(email_verified=True)
            )
            self._audit(connection, opened, "email.verified", LINK_HOLDER)

    # --- a change of address -------------------------------------------------------------

    def request_change(
        self,
        uow: UnitOfWork,
        principal: Principal,
        subject_id: int,
        *,
        new_email: str,
        current_password: str,
        keep_token: str | None,
    ) -> None:
        """Ask to change the address: nothing changes until the new address confirms."""
        self._credentials.verify_current(uow, principal, subject_id, current_password)
        with uow.writing() as connection:
            opened = self._access.open(
                connection, principal, subject_id, ACCOUNT, operation=Operation.WRITE
            )
            old = opened.decrypt("accounts.email", opened.record["email_enc"])
            new_bidx = self._keys.blind_index(connection).email(new_email)
            # one pending change at a time: a new request replaces the earlier link
            connection.execute(
                delete(subject_tokens).where(
                    subject_tokens.c.subject_id == subject_id,
                    subject_tokens.c.purpose == Purpose.CHANGE.value,
                )
            )
            end_other_sessions(connection, subject_id, keep_token)  # OWASP ASVS 3.3.3
            taken = connection.execute(
                select(accounts.c.subject_id).where(accounts.c.email_bidx == new_bidx)
            ).first()
            if taken is not None:
                # the same answer to the caller; the new address's holder hears it is in use
                self._notifier.notify(
                    connection, principal, subject_id, Notice.EMAIL_IN_USE, to=new_email
                )
            else:
                link = self._link(
                    connection,
                    subject_id,
                    Purpose.CHANGE,
                    "confirm",
                    payload=(opened.cipher.encrypt(_FIELD, new_email), new_bidx),
                )
                self._notifier.notify(
                    connection,
                    principal,
                    subject_id,
                    Notice.CONFIRM_EMAIL_CHANGE,
                    to=new_email,
                    link=link.url,
                )
            # LEGAL L4, P3: the current address hears of the request at once
            self._notifier.notify(
                connection, principal, subject_id, Notice.EMAIL_CHANGE_REQUESTED, to=old
            )
            self._audit(connection, opened, "email.change_requested", principal)

    def confirm_change(self, uow: UnitOfWork, token: str) -> None:
        """Make the confirmed new address the account's; LinkInvalid for any unusable link."""
        with uow.writing() as connection:
            subject_id, row = self._redeem(connection, token, Purpose.CHANGE)
            opened = self._access.open(
                connection, LINK_HOLDER, subject_id, ACCOUNT, operation=Operation.WRITE
            )
            old = opened.decrypt("accounts.email", opened.record["email_enc"])
            new = opened.cipher.decrypt(_FIELD, row.payload_enc)
            taken = connection.execute(
                select(accounts.c.subject_id).where(accounts.c.email_bidx == row.payload_bidx)
            ).first()
            if taken is not None:  # taken since the request: nothing changes
                raise LinkInvalid()
            connection.execute(
                update(accounts)
                .where(accounts.c.subject_id == subject_id)
                .values(
                    email_enc=opened.cipher.encrypt("accounts.email", new),
                    email_bidx=row.payload_bidx,
                    email_verified=True,  # the link reached it: proven
                )
            )
            self._audit(connection, opened, "email.changed", LINK_HOLDER)
            # LEGAL L4 and P3: both the old and the new address hear of the change
            for address in (old, new):
                self._notifier.notify(
                    connection, LINK_HOLDER, subject_id, Notice.EMAIL_CHANGED, to=address
                )

    # --- the links ---------------------------------------------------------------------

    def _link(
        self,
        connection: Connection,
        subject_id: int,
        purpose: Purpose,
        action: str,
        *,
        payload: tuple[bytes, bytes] | None = None,
    ) -> _Link:
        token = secrets.token_urlsafe(32)
        now = self._clock.now()
        connection.execute(
            insert(subject_tokens).values(
                token_hash=_hash(token),
                subject_id=subject_id,
                purpose=purpose.value,
                payload_enc=payload[0] if payload else None,
                payload_bidx=payload[1] if payload else None,
                created_at=now,
                expires_at=now + LINK_LIFETIME,
            )
        )
        # the page shows a button: a mail scanner that follows the link spends nothing
        return _Link(token, f"{self._base_url}/email/{action}?token={token}")

    def _redeem(self, connection: Connection, token: str, purpose: Purpose) -> tuple[int, Any]:
        if not token or len(token) > 128:
            raise LinkInvalid()
        row = connection.execute(
            select(subject_tokens).where(subject_tokens.c.token_hash == _hash(token))
        ).first()
        if row is None or row.purpose != purpose.value:
            raise LinkInvalid()
        # spent whatever happens next: a link is used once (the caller commits the delete
        # only when the whole redemption succeeds)
        connection.execute(
            delete(subject_tokens).where(subject_tokens.c.token_hash == row.token_hash)
        )
        if row.expires_at <= self._clock.now():
            raise LinkInvalid()
        return int(row.subject_id), row

    def _audit(self, connection: Connection, opened: Opened, action: str, actor: Principal) -> None:
        AuditTrail.append(
            connection,
            at=self._clock.now(),
            actor=actor.actor,
            action=action,
            subject_pseudonym=opened.pseudonym,
            detail={"activity": opened.decision.activity},
        )
