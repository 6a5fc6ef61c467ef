"""Account use cases (P1-P3, P18, GDPR art. 16): sign up, read, rectify, close.

Every use case names the processing activity it serves and opens the subject's data through
the enforcement seam (``SubjectAccess``); every personal field is encrypted under the
subject's own key. Each use case is one transaction of the caller's unit of work; argon2
runs before or between them, never inside.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from privaat.domain.activities import ACCOUNT
from privaat.domain.clock import Clock
from privaat.domain.principal import Principal, SystemJob
from privaat.domain.subject import AccountStatus, SubjectState
from privaat.mail.notices import Notice
from privaat.policy.period import Period
from privaat.services.account_commands import AccountClose, AccountCreate, AccountUpdate
from privaat.services.consents import ConsentMethod, Consents, Evidence
from privaat.services.contact_fields import MINIMUM_AGE, age_on
from privaat.services.credentials import Credentials
from privaat.services.email_address import EmailAddresses
from privaat.services.errors import InvalidField
from privaat.services.notifier import Notifier
from privaat.services.rate_limit import AttemptLimiter, Limit
from privaat.services.subject_access import Opened, Operation, SubjectAccess
from privaat.store.audit import AuditTrail
from privaat.store.key_store import KeyStore
from privaat.store.tables import accounts, credentials, outbox, sessions
from privaat.store.unit_of_work import UnitOfWork

__all__ = ["PERSONAL_FIELDS", "Accounts", "Profile", "SignUpOutcome"]

# the sign-up form acts before any subject exists: its writes are logged under this name
SIGN_UP = SystemJob("sign-up")
MAX_SIGN_UPS_PER_IP = 10  # per attempt window (15 minutes): no mail flood from one address
SIGN_UP_NOTICE_PERIOD = timedelta(days=1)  # at most one "someone tried" notice a day
_SIGN_UP_NOTICES = (Notice.SIGN_UP_ATTEMPT, Notice.SIGN_UP_CLOSED_ACCOUNT)

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
    email: str | None  # None only while restricted (art. 18)
    name: str | None
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
    # issue 5 item 11: until the link sent at sign-up is opened, nothing relies on the address
    email_verified: bool = False
    # art. 18(1): fields under a restriction of their data category, withheld meanwhile
    restricted_fields: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SignUpOutcome:
    # False when the address already had an account: the caller answers the same either way
    created: bool
    subject_id: int | None


def _column(field: str) -> str:
    return f"accounts.{field}"


def _encrypt_fields(opened: Opened, values: dict[str, Any]) -> dict[str, bytes | None]:
    return {
        f"{field}_enc": None
        if values[field] is None
        else opened.cipher.encrypt(_column(field), values[field])
        for field in values
    }


def _profile(opened: Opened, record: Any) -> Profile:
    # art. 18(1), L87: a field whose category is restricted is not shown or used meanwhile
    withheld = tuple(f for f in PERSONAL_FIELDS if opened.withholds(_column(f)))
    values = {
        field: None if field in withheld else opened.decrypt(_column(field), record[f"{field}_enc"])
        for field in PERSONAL_FIELDS
    }
    birth = opened.decrypt(_column("birth_date"), record["birth_date_enc"])
    return Profile(
        pseudonym=opened.pseudonym,
        birth_date=date.fromisoformat(birth) if birth else None,
        language=record["language"],
        status=record["status"],
        created_at=record["created_at"],
        email_verified=bool(record["email_verified"]),
        restricted_fields=withheld,
        **values,  # email and name are None only while withheld (art. 18)
    )


class Accounts:
    """Sign-up, the account's data, rectification and closure."""

    def __init__(
        self,
        *,
        access: SubjectAccess,
        keys: KeyStore,
        credentials: Credentials,
        notifier: Notifier,
        clock: Clock,
        account_retention: Period,
        limiter: AttemptLimiter | None = None,
        addresses: EmailAddresses | None = None,
        consents: Consents | None = None,
    ) -> None:
        self._access, self._keys, self._credentials = access, keys, credentials
        self._notifier, self._clock, self._limiter = notifier, clock, limiter
        self._account_retention, self._addresses = account_retention, addresses
        self._consents = consents
        self.activities = frozenset({ACCOUNT}) | notifier.activities | credentials.activities
        if consents is not None:
            self.activities |= consents.activities

    def read_profile(self, uow: UnitOfWork, principal: Principal, subject_id: int) -> Profile:
        """The account's data, decrypted under the guard; the read is in the access log."""
        with uow.reading() as connection:
            opened = self._access.open(connection, principal, subject_id, ACCOUNT)
        if opened.record["status"] is None:
            raise InvalidField("subject", "has no account")
        return _profile(opened, opened.record)

    def sign_up(
        self,
        uow: UnitOfWork,
        command: AccountCreate,
        *,
        ip: str | None = None,
        user_agent: str | None = None,
        method: ConsentMethod = ConsentMethod.SIGN_UP,
        consent_language: str | None = None,
    ) -> SignUpOutcome:
        """Create an account (P1); under 16 nothing is stored (P18, LEGAL L46). Sign-ups are
        limited per IP address before any password is hashed (issue 5 item 3). The consents
        the person ticked are recorded in the same transaction, with ``method``, for the
        request text in ``consent_language`` (the page's language; default the account's:
        art. 7(1), L86 prove the text the person read) (L8, L12)."""
        now = self._clock.now()
        _refuse_minors(command, now.date())
        self._check_consents(command, consent_language)
        if ip is not None and self._limiter is not None:
            index = self._keys.cached_blind_index
            if index is None:
                with uow.writing() as connection:
                    index = self._keys.blind_index(connection)
            self._limiter.take(uow, [Limit(index.value("sign-up-ip", ip), MAX_SIGN_UPS_PER_IP)])
        password_hash = self._credentials.passwords.hash(command.password.get_secret_value())
        evidence = Evidence(ip=ip, user_agent=user_agent)
        try:
            return self._create(
                uow,
                command,
                password_hash,
                now,
                evidence=evidence,
                method=method,
                consent_language=consent_language,
            )
        except IntegrityError:
            # a concurrent sign-up with the same address won the race; nothing of ours remains
            return SignUpOutcome(created=False, subject_id=None)

    def _check_consents(self, command: AccountCreate, consent_language: str | None) -> None:
        # before anything is stored or hashed: an unknown or non-consent id writes nothing
        if not command.consents:
            return
        if self._consents is None:
            raise InvalidField("consents", "this service records no consents")
        languages = self._consents.policy.policy.languages
        if consent_language is not None and consent_language not in languages:
            raise InvalidField("consent_language", "the policy is not published in it")
        for activity in command.consents:
            self._consents.check_activity(activity, field="consents")

    def _create(
        self,
        uow: UnitOfWork,
        command: AccountCreate,
        password_hash: str,
        now: datetime,
        *,
        evidence: Evidence | None = None,
        method: ConsentMethod = ConsentMethod.SIGN_UP,
        consent_language: str | None = None,
    ) -> SignUpOutcome:
        with uow.writing() as connection:
            email_bidx = self._keys.blind_index(connection).email(command.email)
            existing = connection.execute(
                select(accounts.c.subject_id, accounts.c.status, accounts.c.closed_at).where(
                    accounts.c.email_bidx == email_bidx
                )
            ).first()
            if existing is not None:
                # no enumeration: the same answer; the holder of the address is told instead,
                # once a day at most, however often someone tries (issue 5 item 3)
                self._tell_holder(connection, existing, now)
                return SignUpOutcome(created=False, subject_id=None)
            opened = self._access.create(
                connection, SIGN_UP, ACCOUNT, state=SubjectState.customer()
            )
            personal = {field: getattr(command, field) for field in PERSONAL_FIELDS}
            birth = command.birth_date.isoformat() if command.birth_date else None
            connection.execute(
                insert(accounts).values(
                    subject_id=opened.subject_id,
                    email_bidx=email_bidx,
                    birth_date_enc=None
                    if birth is None
                    else opened.cipher.encrypt(_column("birth_date"), birth),
                    age_declared_16_plus=command.age_declaration,
                    language=command.language,
                    status=AccountStatus.ACTIVE.value,
                    created_at=now,
                    email_verified=False,
                    **_encrypt_fields(opened, personal),
                )
            )
            connection.execute(
                insert(credentials).values(
                    subject_id=opened.subject_id, password_hash=password_hash, changed_at=now
                )
            )
            AuditTrail.append(
                connection,
                at=now,
                actor="self",
                action="account.created",
                subject_pseudonym=opened.pseudonym,
                detail={"activity": ACCOUNT},
            )
            if self._addresses is not None:
                # issue 5 item 11: until the link is opened, nothing relies on the address
                self._addresses.send_verification(connection, opened, command.email)
            if self._consents is not None:
                # L8: only what the person ticked, each for the text shown in their language
                for activity in dict.fromkeys(command.consents):
                    self._consents.give_in(
                        connection,
                        SIGN_UP,
                        opened.subject_id,
                        self._consents.check_activity(activity, field="consents"),
                        lang=consent_language or command.language,
                        method=method,
                        evidence=evidence or Evidence.none(),
                    )
        return SignUpOutcome(created=True, subject_id=opened.subject_id)

    def _tell_holder(self, connection: Connection, existing: Any, now: datetime) -> None:
        told = connection.execute(
            select(outbox.c.id).where(
                outbox.c.subject_id == existing.subject_id,
                outbox.c.template.in_([n.value for n in _SIGN_UP_NOTICES]),
                outbox.c.created_at > now - SIGN_UP_NOTICE_PERIOD,
            )
        ).first()
        if told is not None:
            return
        if existing.status == AccountStatus.CLOSED.value and existing.closed_at is not None:
            # the address belongs to a closed account still kept: say until when (P20, L52)
            until = self._account_retention.after(existing.closed_at)
            self._notifier.notify(
                connection,
                SIGN_UP,
                existing.subject_id,
                Notice.SIGN_UP_CLOSED_ACCOUNT,
                until=until.date().isoformat(),
            )
        else:
            self._notifier.notify(connection, SIGN_UP, existing.subject_id, Notice.SIGN_UP_ATTEMPT)

    def update_profile(
        self,
        uow: UnitOfWork,
        principal: Principal,
        subject_id: int,
        command: AccountUpdate,
        *,
        keep_token: str | None = None,
    ) -> Profile:
        """Rectification (GDPR art. 16): change the given fields. A new e-mail address asks the
        current password and takes effect only once it confirms the link sent to it."""
        changes = command.model_dump(exclude_unset=True)
        current_password = changes.pop("current_password", None)
        for required in ("email", "name", "language"):
            if required in changes and changes[required] is None:
                raise InvalidField(required, "cannot be empty")
        new_email = changes.pop("email", None)
        if new_email is not None and current_password is None:
            raise InvalidField("current_password", "an e-mail change needs the current password")
        if new_email is not None:
            # first: a wrong current password must leave every other field as it was too
            self._change_email(uow, principal, subject_id, new_email, current_password, keep_token)
        now = self._clock.now()
        with uow.writing() as connection:
            opened = self._access.open(
                connection, principal, subject_id, ACCOUNT, operation=Operation.WRITE
            )
            record = dict(opened.record)
            values: dict[str, Any] = _encrypt_fields(
                opened, {k: v for k, v in changes.items() if k in PERSONAL_FIELDS}
            )
            if "language" in changes:
                values["language"] = changes["language"]
            if values:
                connection.execute(
                    update(accounts).where(accounts.c.subject_id == subject_id).values(**values)
                )
                AuditTrail.append(
                    connection,
                    at=now,
                    actor=principal.actor,
                    action="account.rectified",
                    subject_pseudonym=opened.pseudonym,
                    detail={"fields": ",".join(sorted(changes))},
                )
        record.update(values)
        return _profile(opened, record)

    def _change_email(
        self,
        uow: UnitOfWork,
        principal: Principal,
        subject_id: int,
        new_email: str,
        current_password: Any,
        keep_token: str | None,
    ) -> None:
        if self._addresses is None:
            raise InvalidField("email", "this service cannot change e-mail addresses")
        with uow.reading() as connection:
            opened = self._access.open(connection, principal, subject_id, ACCOUNT)
            current = opened.decrypt(_column("email"), opened.record["email_enc"])
        if new_email == current:
            return
        self._addresses.request_change(
            uow,
            principal,
            subject_id,
            new_email=new_email,
            current_password=current_password.get_secret_value(),
            keep_token=keep_token,
        )

    def close(
        self, uow: UnitOfWork, principal: Principal, subject_id: int, command: AccountClose
    ) -> None:
        """Close the account: sessions end at once, data is deleted when its retention ends
        (P20); the current password is asked first."""
        verified = self._credentials.verify_current(
            uow, principal, subject_id, command.password.get_secret_value(), field="password"
        )
        now = self._clock.now()
        with uow.writing() as connection:
            # a closure changes what the guard allows: lock first (PostgreSQL FOR UPDATE)
            self._access.lock_subject(connection, subject_id)
            opened = self._access.open(
                connection, principal, subject_id, ACCOUNT, operation=Operation.WRITE
            )
            self._credentials.still_current(connection, subject_id, verified)
            mark_closed(connection, self._notifier, principal, opened.pseudonym, subject_id, now)


def mark_closed(
    connection: Connection,
    notifier: Notifier,
    principal: Principal,
    pseudonym: str,
    subject_id: int,
    now: datetime,
    *,
    reason: str | None = None,
) -> None:
    """The closure itself, in the caller's transaction once the guard has allowed the write:
    the "account closed" notice, status closed, every session ended, an ``account.closed``
    audit entry; each activity's retention runs from here (P20, L52). The holder's own
    closure and the closure for inactivity (services.inactivity) both end here."""
    notifier.notify(connection, principal, subject_id, Notice.ACCOUNT_CLOSED)
    connection.execute(
        update(accounts)
        .where(accounts.c.subject_id == subject_id)
        .values(status=AccountStatus.CLOSED.value, closed_at=now)
    )
    connection.execute(delete(sessions).where(sessions.c.subject_id == subject_id))
    detail = {"activity": ACCOUNT} if reason is None else {"activity": ACCOUNT, "reason": reason}
    AuditTrail.append(
        connection,
        at=now,
        actor=principal.actor,
        action="account.closed",
        subject_pseudonym=pseudonym,
        detail=detail,
    )


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
