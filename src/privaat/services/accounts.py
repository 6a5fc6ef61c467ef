"""Account use cases (P1-P3, P18, GDPR art. 16): sign up, read, rectify, close, erase.

Every use case names the processing activity it serves and passes the guard before it
touches personal data; every personal field is encrypted under the subject's own key.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from privaat.bootstrap import Context
from privaat.domain.subject import AccountStatus
from privaat.mail.notices import Notice, notice_text
from privaat.mail.outbox import OutgoingMail, queue
from privaat.services.account_commands import AccountClose, AccountCreate, AccountUpdate
from privaat.services.activities import ACCOUNT, NOTICES
from privaat.services.contact_fields import MINIMUM_AGE, age_on
from privaat.services.errors import Conflict, InvalidCredentials, InvalidField, NotAuthenticated
from privaat.services.subject_state import SUBJECT_COLUMNS, load_state, state_from_row
from privaat.store.audit import AuditTrail
from privaat.store.crypto import SubjectCipher
from privaat.store.fastpath import PointQuery
from privaat.store.tables import accounts, credentials, sessions, subject_keys, subjects

# Encrypted account columns and the field name each ciphertext is bound to.
PERSONAL_FIELDS = (
    "email",
    "name",
    "street",
    "postal_code",
    "city",
    "phone",
    "vat_number",
    "display_name",
)


@dataclass(frozen=True, slots=True)
class Profile:
    """An account as its holder sees it (GDPR art. 15: the data, decrypted)."""

    pseudonym: str
    email: str
    name: str
    street: str | None
    postal_code: str | None
    city: str | None
    phone: str | None
    vat_number: str | None
    display_name: str | None
    birth_date: date | None
    language: str
    status: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SignUpOutcome:
    # False when the address already had an account: the caller answers the same either way
    created: bool
    subject_id: int | None


def _column(field: str) -> str:
    return f"accounts.{field}"


def _encrypt_fields(cipher: SubjectCipher, values: dict[str, Any]) -> dict[str, bytes | None]:
    return {
        f"{field}_enc": None
        if values[field] is None
        else cipher.encrypt(_column(field), values[field])
        for field in values
    }


# one statement, compiled once: the account, the guard's flags and the wrapped key together
_PROFILE = PointQuery(
    select(
        accounts,
        *SUBJECT_COLUMNS,
        subject_keys.c.wrapped_key,
    )
    .join(subjects, subjects.c.id == accounts.c.subject_id)
    .join(subject_keys, subject_keys.c.subject_id == accounts.c.subject_id)
    .where(accounts.c.subject_id == bindparam("subject_id"))
)


def account_row(connection: Connection, subject_id: int) -> dict[str, Any] | None:
    """The account with the guard's flags and the wrapped key, in one point read."""
    return _PROFILE.first(connection, subject_id=subject_id)


def _profile_row(connection: Connection, subject_id: int) -> dict[str, Any]:
    row = account_row(connection, subject_id)
    if row is None:
        raise InvalidField("subject", "no such account")
    return row


def _decrypt(cipher: SubjectCipher, blob: bytes | None, field: str) -> str | None:
    return None if blob is None else cipher.decrypt(_column(field), blob)


def _profile(cipher: SubjectCipher, row: Any) -> Profile:
    values = {field: _decrypt(cipher, row[f"{field}_enc"], field) for field in PERSONAL_FIELDS}
    birth = _decrypt(cipher, row["birth_date_enc"], "birth_date")
    return Profile(
        pseudonym=row["pseudonym"],
        birth_date=date.fromisoformat(birth) if birth else None,
        language=row["language"],
        status=row["status"],
        created_at=row["created_at"],
        **values,  # type: ignore[arg-type]  # email and name are never NULL in the table
    )


def load_guarded(
    ctx: Context, connection: Connection, subject_id: int, activity: str
) -> tuple[dict[str, Any], SubjectCipher]:
    """The account row and the subject's cipher, after the guard allowed ``activity``."""
    row = account_row(connection, subject_id)
    if row is None:
        raise NotAuthenticated()
    state = load_state(connection, subject_id, row, ctx.policy.activity(activity))
    ctx.guard.check(activity, state, ctx.clock.now())
    cipher = ctx.keys.cipher_from_wrapped(subject_id, row["pseudonym"], row["wrapped_key"])
    return row, cipher


def verify_password(ctx: Context, connection: Connection, subject_id: int, password: str) -> None:
    """Raise InvalidCredentials unless ``password`` is the subject's (re-authentication)."""
    stored = connection.execute(
        select(credentials.c.password_hash).where(credentials.c.subject_id == subject_id)
    ).scalar()
    if not ctx.passwords.verify(stored, password):
        raise InvalidCredentials()


def read_profile(ctx: Context, subject_id: int, *, actor: str = "self") -> Profile:
    """The account's data, decrypted under the guard; the read is written to the access log."""
    with ctx.reading() as connection:
        row, cipher = load_guarded(ctx, connection, subject_id, ACCOUNT)
    profile = _profile(cipher, row)
    ctx.access_log.record(
        actor=actor, activity=ACCOUNT, subject_pseudonym=row["pseudonym"], operation="read"
    )
    return profile


def sign_up(ctx: Context, command: AccountCreate) -> SignUpOutcome:
    """Create an account (P1); under 16 nothing is stored (P18, LEGAL L46)."""
    now = ctx.clock.now()
    _refuse_minors(command, now.date())
    password_hash = ctx.passwords.hash(command.password.get_secret_value())
    try:
        return _create(ctx, command, password_hash, now)
    except IntegrityError:
        # a concurrent sign-up with the same address won the race; nothing of ours remains
        return SignUpOutcome(created=False, subject_id=None)


def _create(
    ctx: Context, command: AccountCreate, password_hash: str, now: datetime
) -> SignUpOutcome:
    with ctx.engine.begin() as connection:
        email_bidx = ctx.keys.blind_index(connection).email(command.email)
        existing = connection.execute(
            select(accounts.c.subject_id).where(accounts.c.email_bidx == email_bidx)
        ).scalar()
        if existing is not None:
            # no enumeration: the same answer; the holder of the address is told instead
            notify(ctx, connection, existing, Notice.SIGN_UP_ATTEMPT)
            return SignUpOutcome(created=False, subject_id=None)
        state = state_from_row(
            {
                "minor": False,
                "restricted": False,
                "legal_hold": False,
                "status": AccountStatus.ACTIVE,
            }
        )
        ctx.guard.check(ACCOUNT, state, now)
        pseudonym = secrets.token_hex(16)
        subject_id: int = connection.execute(
            insert(subjects)
            .values(
                pseudonym=pseudonym, created_at=now, minor=False, restricted=False, legal_hold=False
            )
            .returning(subjects.c.id)
        ).scalar_one()
        cipher = ctx.keys.create_subject_key(connection, subject_id, pseudonym)
        personal = {field: getattr(command, field) for field in PERSONAL_FIELDS}
        birth = command.birth_date.isoformat() if command.birth_date else None
        connection.execute(
            insert(accounts).values(
                subject_id=subject_id,
                email_bidx=email_bidx,
                birth_date_enc=None
                if birth is None
                else cipher.encrypt(_column("birth_date"), birth),
                age_declared_16_plus=command.age_declaration,
                language=command.language,
                status=AccountStatus.ACTIVE.value,
                created_at=now,
                email_verified=False,
                **_encrypt_fields(cipher, personal),
            )
        )
        connection.execute(
            insert(credentials).values(
                subject_id=subject_id, password_hash=password_hash, changed_at=now
            )
        )
        AuditTrail.append(
            connection,
            at=now,
            actor="self",
            action="account.created",
            subject_pseudonym=pseudonym,
            detail={"activity": ACCOUNT},
        )
    return SignUpOutcome(created=True, subject_id=subject_id)


def _refuse_minors(command: AccountCreate, today: date) -> None:
    # P18, GDPR art. 8, UAVG art. 5: refused before anything is stored or hashed
    if not command.age_declaration:
        raise InvalidField(
            "age_declaration", f"you must be {MINIMUM_AGE} or older to create an account"
        )
    if command.birth_date is not None:
        if command.birth_date > today:
            raise InvalidField("birth_date", "birth date lies in the future")
        if age_on(command.birth_date, today) < MINIMUM_AGE:
            raise InvalidField(
                "birth_date", f"you must be {MINIMUM_AGE} or older to create an account"
            )


def update_profile(
    ctx: Context, subject_id: int, command: AccountUpdate, *, actor: str = "self"
) -> Profile:
    """Rectification (GDPR art. 16): change the given fields; an e-mail change is announced (P3)."""
    changes = command.model_dump(exclude_unset=True)
    for required in ("email", "name", "language"):
        if required in changes and changes[required] is None:
            raise InvalidField(required, "cannot be empty")
    now = ctx.clock.now()
    with ctx.engine.begin() as connection:
        row, cipher = load_guarded(ctx, connection, subject_id, ACCOUNT)
        old_email = cipher.decrypt(_column("email"), row["email_enc"])
        values: dict[str, Any] = _encrypt_fields(
            cipher, {k: v for k, v in changes.items() if k in PERSONAL_FIELDS}
        )
        if "language" in changes:
            values["language"] = changes["language"]
        email_changed = "email" in changes and changes["email"] != old_email
        if email_changed:
            values["email_bidx"] = ctx.keys.blind_index(connection).email(changes["email"])
            values["email_verified"] = False
        if values:
            try:
                connection.execute(
                    update(accounts).where(accounts.c.subject_id == subject_id).values(**values)
                )
            except IntegrityError:
                raise Conflict("this e-mail address cannot be used") from None
            AuditTrail.append(
                connection,
                at=now,
                actor=actor,
                action="account.rectified",
                subject_pseudonym=row["pseudonym"],
                detail={"fields": ",".join(sorted(changes))},
            )
        if email_changed:
            # LEGAL L4 and P3: both the old and the new address hear of the change
            notify(ctx, connection, subject_id, Notice.EMAIL_CHANGED, to=old_email)
            notify(ctx, connection, subject_id, Notice.EMAIL_CHANGED)
        fresh = _profile_row(connection, subject_id)
    ctx.access_log.record(
        actor=actor, activity=ACCOUNT, subject_pseudonym=row["pseudonym"], operation="write"
    )
    return _profile(cipher, fresh)


def close_account(ctx: Context, subject_id: int, command: AccountClose) -> None:
    """Close the account: sessions end at once, data is deleted when its retention ends (P20)."""
    now = ctx.clock.now()
    with ctx.engine.begin() as connection:
        row, _cipher = load_guarded(ctx, connection, subject_id, ACCOUNT)
        verify_password(ctx, connection, subject_id, command.password.get_secret_value())
        notify(ctx, connection, subject_id, Notice.ACCOUNT_CLOSED)
        connection.execute(
            update(accounts)
            .where(accounts.c.subject_id == subject_id)
            .values(status=AccountStatus.CLOSED.value, closed_at=now)
        )
        connection.execute(delete(sessions).where(sessions.c.subject_id == subject_id))
        AuditTrail.append(
            connection,
            at=now,
            actor="self",
            action="account.closed",
            subject_pseudonym=row["pseudonym"],
            detail={"activity": ACCOUNT},
        )


def erase_subject(ctx: Context, subject_id: int, *, actor: str, ground: str) -> str:
    """Erase every row of the subject and destroy its key (crypto-shredding, GDPR art. 17)."""
    now = ctx.clock.now()
    with ctx.engine.begin() as connection:
        pseudonym = connection.execute(
            select(subjects.c.pseudonym).where(subjects.c.id == subject_id)
        ).scalar()
        if pseudonym is None:
            raise InvalidField("subject", "no such subject")
        ctx.keys.shred(connection, subject_id)
        # every personal table references subjects ON DELETE CASCADE
        connection.execute(delete(subjects).where(subjects.c.id == subject_id))
        AuditTrail.append(
            connection,
            at=now,
            actor=actor,
            action="subject.erased",
            subject_pseudonym=pseudonym,
            detail={"ground": ground},
        )
    return str(pseudonym)


def notify(
    ctx: Context,
    connection: Connection,
    subject_id: int,
    notice: Notice,
    *,
    to: str | None = None,
    **values: str,
) -> None:
    """Queue a security notice (P3) in the current transaction, if the guard allows it."""
    row = _profile_row(connection, subject_id)
    state = load_state(connection, subject_id, row, ctx.policy.activity(NOTICES))
    if not ctx.guard.decide(NOTICES, state, ctx.clock.now()).allowed:
        return
    cipher = ctx.keys.cipher_from_wrapped(subject_id, row["pseudonym"], row["wrapped_key"])
    address = to or cipher.decrypt(_column("email"), row["email_enc"])
    text = notice_text(notice, row["language"], contact=ctx.policy.privacy_contact.email, **values)
    queue(
        connection,
        subject_id=subject_id,
        cipher=cipher,
        activity=NOTICES,
        template=notice.value,
        mail=OutgoingMail(to=address, subject=text.subject, body=text.body),
        at=ctx.clock.now(),
    )
