"""The consent ledger (issue 10 item 1; P4, P11, P13, P14, P16, P17; LEGAL L7-L12).

    give(subject, activity, lang)  ── appends "given" with the hash of the exact request text
                                      shown in ``lang``, the policy and consent versions,
                                      the method and the evidence (truncated IP, user agent)
    withdraw(subject, activity)    ── appends "withdrawn" (art. 7(3)); from then on the guard
                                      refuses the activity (L11)
    choices / history / receipt    ── the state replayed from the ledger (L7), every record,
                                      one record as a Kantara or ISO/IEC TS 27560 receipt
    confirm(token)                 ── a double opt-in (issue 14 item 5): an activity whose
                                      consent sets ``confirm_by_email`` gets "requested" from
                                      give and a mailed link; only the link's confirmation
                                      appends the give (``services.consent_confirmations``)

The ledger is append-only: nothing here updates or deletes a row. A give of what is already
given for the same text, or a withdrawal of what is not given, writes nothing (a double
click or a retried request is no new event). Only the policy file says which activities are
consent-based, so a provider's new one appears without code (L9); nothing is ever given
unless asked for (L8), and none needs to be given for the service to work (L12).

Every read and write passes the enforcement seam under ``consent_records`` (art. 7(1): the
proof of consent is its own activity). The rows are held after erasure (registry HOLD), so
the evidence is encrypted under the subject's hold key. The subject row is locked before a
write, because the guard reads consents on every guarded write (as ``Objections.object``).
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, insert, select

from privaat.domain.activities import CONSENT_RECORDS
from privaat.domain.clock import Clock
from privaat.domain.consent_ledger import (
    LedgerEntry,
    Stage,
    awaiting_confirmation,
    is_stale,
    replay,
)
from privaat.domain.principal import DataSubject, Principal
from privaat.domain.subject import ConsentStatus
from privaat.policy.schema import Consent, Policy, ProcessingActivity, consent_text_sha256
from privaat.services import consent_receipts
from privaat.services.campaign_tokens import TokenInvalid
from privaat.services.consent_confirmations import ConsentConfirmations
from privaat.services.consent_receipts import ReceiptFormat
from privaat.services.errors import Conflict, InvalidField, ServiceError
from privaat.services.geo import truncate_ip
from privaat.services.subject_access import Opened, Operation, SubjectAccess
from privaat.store.audit import AuditTrail
from privaat.store.tables import consent_decisions, consent_events
from privaat.store.unit_of_work import UnitOfWork

__all__ = [
    "MAX_USER_AGENT",
    "RESEND_AFTER",
    "ConsentChoice",
    "ConsentListener",
    "ConsentMethod",
    "ConsentRecord",
    "ConsentRecordNotFound",
    "Consents",
    "ConfirmationSpent",
    "Evidence",
    "ReceiptFormat",
]

# a double opt-in asked again within this time is the same request (one mail); later, a
# new link goes out and the earlier one is spent
RESEND_AFTER = timedelta(minutes=10)
# the user agent is evidence of how consent was given, not a fingerprint: capped
MAX_USER_AGENT = 256
_EVIDENCE = "consent_events.evidence_enc"  # the field the ciphertext is bound to
_UNKNOWN_IPS = frozenset({"0.0.0.0", "::"})  # noqa: S104  (web.deps.UNKNOWN_IP: no address)


class ConsentMethod(StrEnum):
    """How a consent was given or withdrawn (issue 10 item 1); stored in ``channel``."""

    SIGN_UP = "sign_up"
    PRIVACY_CENTRE = "privacy_centre"
    COOKIE_BANNER = "cookie_banner"
    EMAIL_LINK = "email_link"
    SUPPORT = "support"
    SUPPORT_ACCESS_PAGE = "support_access_page"  # a support-access grant (L29)
    API = "api"


class ConfirmationSpent(ServiceError):
    """A genuine confirmation link whose request no longer stands: the person withdrew, asked
    again, or the text asked changed since (nothing is given)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)


class ConsentRecordNotFound(ServiceError):
    """No ledger record with that id belongs to this subject (never says whose it is)."""

    def __init__(self) -> None:
        super().__init__("no such consent record")


@dataclass(frozen=True)
class Evidence:
    """What the request showed; stored encrypted, the IP truncated (L23, CJEU C-582/14)."""

    ip: str | None  # raw client IP as the web layer has it; the service truncates it
    user_agent: str | None  # capped at MAX_USER_AGENT characters before storing

    @classmethod
    def none(cls) -> Evidence:
        return cls(ip=None, user_agent=None)


@dataclass(frozen=True)
class ConsentRecord:
    """One row of the append-only ledger."""

    id: int
    activity: str
    given: bool
    at: datetime
    method: ConsentMethod
    policy_version: int
    consent_version: int
    text_sha256: str  # of the request text shown (a withdrawal: of the consent it ends)
    lang: str | None  # the language of the text shown; None for a withdrawal
    expires_at: datetime | None  # a request: when its confirmation link lapses
    stage: Stage | None = None  # a double opt-in's step (requested: no consent yet)

    @property
    def requested(self) -> bool:
        """A double opt-in asked and not (yet) confirmed: no consent (issue 14 item 5)."""
        return self.stage is Stage.REQUESTED


@dataclass(frozen=True)
class ConsentChoice:
    """One consent-based activity as the person sees it now.

    ``status`` is GIVEN or WITHDRAWN; an activity never asked has ``current`` None and
    status WITHDRAWN: silence is no consent (recital 32, L8), and the page says "not given".
    """

    activity: str  # every consent-based activity of the policy, in file order (L9)
    status: ConsentStatus
    current: ConsentRecord | None  # the newest record, None when never asked
    stale: bool  # given for an older text: the guard does not count it (L86)
    expired: bool = False  # a time-limited grant that ran out (L29)
    # a double opt-in request whose mailed link can still confirm it (issue 14 item 5)
    awaiting: ConsentRecord | None = None

    @property
    def given(self) -> bool:
        """Whether the guard counts this consent now: given, current text, not expired."""
        return self.status is ConsentStatus.GIVEN and not self.stale and not self.expired


def _truncated(ip: str | None) -> str | None:
    if ip is None or ip in _UNKNOWN_IPS:
        return None
    try:
        ipaddress.ip_address(ip)
    except ValueError:
        return None  # not an address: nothing to keep
    return truncate_ip(ip)


def _capped(user_agent: str | None) -> str | None:
    if not user_agent:
        return None
    return user_agent[:MAX_USER_AGENT]


# called in the writing transaction after each appended record, with the subject opened under
# ``consent_records`` (e.g. the campaigns' suppression list follows marketing withdrawals, L11)
ConsentListener = Callable[[Connection, Opened, "ConsentRecord"], None]


class Consents:
    """The consent ledger: give, withdraw, the state replayed from it, and receipts."""

    activities = frozenset({CONSENT_RECORDS})

    def __init__(
        self,
        *,
        access: SubjectAccess,
        policy: Policy,
        clock: Clock,
        base_url: str = "",
        confirmations: ConsentConfirmations | None = None,
    ) -> None:
        self._access, self._policy, self._clock = access, policy, clock
        self._base_url = base_url.rstrip("/")
        self._confirmations = confirmations
        # L9: the controls come from the policy file, in its order; nothing is hard-coded
        self._consent_based = tuple(a for a in policy.activities if a.requires_consent)
        self._listeners: list[ConsentListener] = []

    def on_change(self, listener: ConsentListener) -> None:
        """Call ``listener`` in the same transaction after every record this ledger appends."""
        self._listeners.append(listener)

    @property
    def policy(self) -> Policy:
        return self._policy

    def consent_based(self) -> tuple[ProcessingActivity, ...]:
        """Every consent-based activity of the policy, in file order (one control each, L9)."""
        return self._consent_based

    def check_activity(self, activity: str, *, field: str = "activity") -> ProcessingActivity:
        """The declared consent-based activity, or InvalidField(``field``) naming the fault."""
        try:
            declared = self._policy.activity(activity)
        except KeyError:
            raise InvalidField(field, f"the policy declares no activity '{activity}'") from None
        if not declared.requires_consent or declared.consent is None:
            raise InvalidField(
                field,
                f"'{activity}' is not based on consent ({declared.legal_basis.value}): "
                "there is no consent to give or withdraw",
            )
        return declared

    # --- reads -------------------------------------------------------------------------

    def choices(
        self, uow: UnitOfWork, principal: Principal, subject_id: int
    ) -> list[ConsentChoice]:
        """Every consent-based activity with its state replayed from the ledger (L7, L9)."""
        with uow.reading() as connection:
            _opened, records = self._records(connection, principal, subject_id)
        now = self._clock.now()
        state = replay(_entry(r) for r in records)
        by_id = {record.id: record for record in records}
        awaiting = {
            activity: by_id[entry.id]
            for activity, entry in awaiting_confirmation(map(_entry, records), now).items()
        }
        newest: dict[str, ConsentRecord] = {}
        for record in records:
            if not record.requested:  # a request changes nothing until it is confirmed
                newest[record.activity] = record  # in ledger order: the last wins
        out = []
        for declared in self._consent_based:
            current = newest.get(declared.id)
            consent = state.get(declared.id)
            if consent is None:
                out.append(
                    ConsentChoice(
                        declared.id,
                        ConsentStatus.WITHDRAWN,
                        None,
                        False,
                        awaiting=awaiting.get(declared.id),
                    )
                )
                continue
            expired = consent.status is ConsentStatus.GIVEN and (
                consent.expires_at is not None and consent.expires_at <= now
            )
            out.append(
                ConsentChoice(
                    declared.id,
                    consent.status,
                    current,
                    is_stale(consent, _consent_block(declared).text_hashes()),
                    expired,
                    awaiting=awaiting.get(declared.id),
                )
            )
        return out

    def history(
        self, uow: UnitOfWork, principal: Principal, subject_id: int, activity: str | None = None
    ) -> list[ConsentRecord]:
        """Every ledger record of the subject, newest first (art. 7(1), 15)."""
        with uow.reading() as connection:
            _opened, records = self._records(connection, principal, subject_id)
        if activity is not None:
            records = [r for r in records if r.activity == activity]
        return list(reversed(records))

    def receipt(
        self,
        uow: UnitOfWork,
        principal: Principal,
        subject_id: int,
        record_id: int,
        fmt: ReceiptFormat,
    ) -> dict[str, object]:
        """One of the subject's records as a consent receipt; ConsentRecordNotFound when
        the id is not one of theirs (another person's record is not found, not refused)."""
        with uow.reading() as connection:
            opened, records = self._records(connection, principal, subject_id)
        record = next((r for r in records if r.id == record_id), None)
        if record is None:
            raise ConsentRecordNotFound()
        return consent_receipts.build(
            fmt, record, policy=self._policy, principal_id=opened.pseudonym, base_url=self._base_url
        )

    # --- writes ------------------------------------------------------------------------

    def give(
        self,
        uow: UnitOfWork,
        principal: Principal,
        subject_id: int,
        activity: str,
        *,
        lang: str | None,
        method: ConsentMethod,
        evidence: Evidence,
    ) -> ConsentRecord:
        """Record consent to ``activity`` for the request text shown in ``lang`` (None: the
        account's language, as the centre shows it) (art. 7(1));
        already given for that same text: nothing is written and the current record returns."""
        declared = self.check_activity(activity)
        with uow.writing() as connection:
            return self.give_in(
                connection,
                principal,
                subject_id,
                declared,
                lang=lang,
                method=method,
                evidence=evidence,
            )

    def give_in(
        self,
        connection: Connection,
        principal: Principal,
        subject_id: int,
        declared: ProcessingActivity,
        *,
        lang: str | None,
        method: ConsentMethod,
        evidence: Evidence,
        lasts: timedelta | None = None,
    ) -> ConsentRecord:
        """``give`` inside the caller's writing transaction (the sign-up records its ticked
        boxes in its own transaction, L12); ``lasts`` ends the consent sooner than the
        policy's ``expires_after`` (a one-hour support-access grant), never later."""
        consent = _consent_block(declared)
        languages = self._policy.policy.languages
        if lang is not None and lang not in languages:
            raise InvalidField("lang", f"the policy is not published in '{lang}'")
        self._access.lock_subject(connection, subject_id)
        opened = self._open_for_write(connection, principal, subject_id)
        if lang is None:
            # the seam's record carries the account's language: no further read
            account_language = opened.record.get("language")
            lang = account_language if account_language in languages else languages[0]
        text_sha256 = consent_text_sha256(consent.request.in_language(lang))
        current = self._newest(connection, opened, declared.id)
        if current is not None and current.given and current.text_sha256 == text_sha256:
            return current  # a duplicate submit: no new event
        now = self._clock.now()
        if consent.confirm_by_email is not None:
            return self._request(
                connection, principal, opened, declared, consent, lang, method, evidence
            )
        expires_at = consent.expires_after.after(now) if consent.expires_after else None
        if lasts is not None:
            expires_at = min(expires_at, now + lasts) if expires_at else now + lasts
        return self._append(
            connection,
            principal,
            opened,
            activity=declared.id,
            given=True,
            at=now,
            method=method,
            consent_version=consent.version,
            text_sha256=text_sha256,
            lang=lang,
            expires_at=expires_at,
            evidence=evidence,
        )

    def withdraw(
        self,
        uow: UnitOfWork,
        principal: Principal,
        subject_id: int,
        activity: str,
        *,
        method: ConsentMethod,
        evidence: Evidence,
    ) -> ConsentRecord:
        """Withdraw consent to ``activity`` (art. 7(3)): as easy as giving it (L10). Already
        withdrawn: nothing is written; never given at all: Conflict."""
        declared = self.check_activity(activity)
        with uow.writing() as connection:
            self._access.lock_subject(connection, subject_id)
            opened = self._open_for_write(connection, principal, subject_id)
            current = self._newest(connection, opened, declared.id)
            pending = self._awaiting(connection, opened, declared.id)
            if pending is not None and (current is None or not current.given):
                # a double opt-in still open: the withdrawal spends its link (issue 14 item 5)
                current = pending
            elif current is None:
                raise Conflict(
                    f"there is no consent to '{activity}' to withdraw: it was never given"
                )
            elif not current.given:
                return current  # already withdrawn: a duplicate submit writes nothing
            return self._append(
                connection,
                principal,
                opened,
                activity=declared.id,
                given=False,
                at=self._clock.now(),
                method=method,
                # the withdrawal names the consent it ends: its text and version
                consent_version=current.consent_version,
                text_sha256=current.text_sha256,
                lang=None,
                expires_at=None,
                evidence=evidence,
            )

    def decline_in(
        self,
        connection: Connection,
        principal: Principal,
        subject_id: int,
        declared: ProcessingActivity,
        *,
        lang: str,
        method: ConsentMethod,
        evidence: Evidence,
    ) -> ConsentRecord:
        """A "no" inside the caller's writing transaction, as the cookie banner records it:
        a withdrawal of a consent given (art. 7(3)), a refusal of one never asked (recorded
        against the text shown in ``lang``, so the ledger proves the visitor said no, and a
        Global Privacy Control signal is kept as a refusal), nothing when already no."""
        consent = _consent_block(declared)
        if lang not in self._policy.policy.languages:
            raise InvalidField("lang", f"the policy is not published in '{lang}'")
        self._access.lock_subject(connection, subject_id)
        opened = self._open_for_write(connection, principal, subject_id)
        current = self._newest(connection, opened, declared.id)
        if current is not None and not current.given:
            return current  # already no: a repeated refusal writes nothing
        if current is None:
            version, text_sha256 = (
                consent.version,
                consent_text_sha256(consent.request.in_language(lang)),
            )
        else:
            version, text_sha256 = current.consent_version, current.text_sha256
        return self._append(
            connection,
            principal,
            opened,
            activity=declared.id,
            given=False,
            at=self._clock.now(),
            method=method,
            consent_version=version,
            text_sha256=text_sha256,
            lang=lang if current is None else None,
            expires_at=None,
            evidence=evidence,
        )

    def confirm(self, uow: UnitOfWork, token: str, *, evidence: Evidence) -> ConsentRecord:
        """The give a double opt-in's mailed link confirms (issue 14 item 5): TokenInvalid
        for a link not ours, TokenExpired once the request lapsed (nothing was given),
        ConfirmationSpent when the request no longer stands; a second click on a link that
        was confirmed returns that same give and writes nothing."""
        if self._confirmations is None:
            raise TokenInvalid()
        now = self._clock.now()
        with uow.writing() as connection:
            request_id = self._confirmations.request_of(connection, token, now=now)
            row = connection.execute(
                select(consent_events.c.subject_id, consent_events.c.stage).where(
                    consent_events.c.id == request_id
                )
            ).first()
            if row is None or row.stage != Stage.REQUESTED.value:
                raise TokenInvalid()  # the person was erased since, or not a request
            subject_id = int(row.subject_id)
            self._access.lock_subject(connection, subject_id)
            # whoever opens the link holds the address the request was mailed to
            principal = DataSubject(subject_id)
            opened = self._open_for_write(connection, principal, subject_id)
            request = self._row(connection, opened, request_id)
            later = self._after(connection, opened, request)
            if later is not None:
                if (
                    later.stage is Stage.CONFIRMED
                    and self._after(connection, opened, later) is None
                ):
                    return later  # confirmed already: a second click is no new event
                raise ConfirmationSpent(
                    "this link no longer counts: the choice was changed or asked again since"
                )
            declared = self.check_activity(request.activity)
            consent = _consent_block(declared)
            if request.text_sha256 not in consent.text_hashes():
                raise ConfirmationSpent(
                    "the text you were asked to confirm has changed since; please ask again"
                )
            return self._append(
                connection,
                principal,
                opened,
                activity=request.activity,
                given=True,
                at=now,
                method=ConsentMethod.EMAIL_LINK,
                consent_version=request.consent_version,
                text_sha256=request.text_sha256,
                lang=request.lang,
                expires_at=consent.expires_after.after(now) if consent.expires_after else None,
                evidence=evidence,
                stage=Stage.CONFIRMED,
            )

    # --- the steps ---------------------------------------------------------------------

    def _request(
        self,
        connection: Connection,
        principal: Principal,
        opened: Opened,
        declared: ProcessingActivity,
        consent: Consent,
        lang: str,
        method: ConsentMethod,
        evidence: Evidence,
    ) -> ConsentRecord:
        """A double opt-in's first step: "requested" in the ledger and the link mailed, in
        the caller's transaction (a request already open for this text: nothing new)."""
        if self._confirmations is None or consent.confirm_by_email is None:
            raise Conflict(f"'{declared.id}' is confirmed by e-mail, which is not set up here")
        request = consent.request.in_language(lang)
        text_sha256 = consent_text_sha256(request)
        now = self._clock.now()
        pending = self._awaiting(connection, opened, declared.id)
        if pending is not None and pending.text_sha256 == text_sha256:
            if now - pending.at < RESEND_AFTER:
                return pending  # a double click or a retry: one request, one mail
            # asked again later (the mail went missing): a new link; the old one is spent
        expires_at = consent.confirm_by_email.after(now)
        record = self._append(
            connection,
            principal,
            opened,
            activity=declared.id,
            given=False,
            at=now,
            method=method,
            consent_version=consent.version,
            text_sha256=text_sha256,
            lang=lang,
            expires_at=expires_at,
            evidence=evidence,
            stage=Stage.REQUESTED,
        )
        self._confirmations.send(
            connection,
            principal,
            opened.subject_id,
            declared,
            request_id=record.id,
            request=request,
            lang=lang,
            expires_at=expires_at,
        )
        return record

    def _open_for_write(
        self, connection: Connection, principal: Principal, subject_id: int
    ) -> Opened:
        # registry HOLD: the consent proof outlives erasure, so its evidence is under the
        # hold key (created on the first record)
        return self._access.open_held(
            connection, principal, subject_id, CONSENT_RECORDS, operation=Operation.WRITE
        )

    def _append(
        self,
        connection: Connection,
        principal: Principal,
        opened: Opened,
        *,
        activity: str,
        given: bool,
        at: datetime,
        method: ConsentMethod,
        consent_version: int,
        text_sha256: str,
        lang: str | None,
        expires_at: datetime | None,
        evidence: Evidence,
        stage: Stage | None = None,
    ) -> ConsentRecord:
        policy_version = self._policy.policy.version
        # the evidence, encrypted under the hold key: the ledger survives erasure (art. 7(1))
        sealed = {"ip": _truncated(evidence.ip), "user_agent": _capped(evidence.user_agent)}
        blob = opened.cipher.encrypt(_EVIDENCE, json.dumps(sealed, separators=(",", ":")))
        record_id: int = connection.execute(
            insert(consent_events)
            .values(
                subject_id=opened.subject_id,
                activity=activity,
                given=given,
                consent_version=consent_version,
                text_sha256=text_sha256,
                policy_version=policy_version,
                lang=lang,
                channel=method.value,
                at=at,
                expires_at=expires_at,
                evidence_enc=blob,
                stage=None if stage is None else stage.value,
            )
            .returning(consent_events.c.id)
        ).scalar_one()
        # the audit trail says what happened, never to what text or from where (no personal
        # data beyond the pseudonym)
        AuditTrail.append(
            connection,
            at=at,
            actor=principal.actor,
            action=_audit_action(given, stage),
            subject_pseudonym=opened.pseudonym,
            detail={"activity": activity, "method": method.value},
        )
        record = ConsentRecord(
            id=record_id,
            activity=activity,
            given=given,
            at=at,
            method=method,
            policy_version=policy_version,
            consent_version=consent_version,
            text_sha256=text_sha256,
            lang=lang,
            expires_at=expires_at,
            stage=stage,
        )
        if stage is not Stage.REQUESTED:  # a request changes no consent: nobody is told
            for listener in self._listeners:
                listener(connection, opened, record)
        return record

    def _newest(
        self, connection: Connection, opened: Opened, activity: str
    ) -> ConsentRecord | None:
        """The activity's newest decision: a give or a withdrawal, never a mere request."""
        row = connection.execute(
            select(consent_events)
            .where(
                consent_events.c.subject_id == opened.subject_id,
                consent_events.c.activity == activity,
                consent_decisions(),
            )
            .order_by(consent_events.c.id.desc())
            .limit(1)
        ).first()
        return None if row is None else _record(row._mapping, opened)

    def _awaiting(
        self, connection: Connection, opened: Opened, activity: str
    ) -> ConsentRecord | None:
        """The activity's double opt-in request that its link can still confirm, if any."""
        row = connection.execute(
            select(consent_events)
            .where(
                consent_events.c.subject_id == opened.subject_id,
                consent_events.c.activity == activity,
            )
            .order_by(consent_events.c.id.desc())
            .limit(1)
        ).first()
        if row is None:
            return None
        record = _record(row._mapping, opened)
        waiting = awaiting_confirmation([_entry(record)], self._clock.now())
        return record if waiting else None

    def _row(self, connection: Connection, opened: Opened, record_id: int) -> ConsentRecord:
        row = connection.execute(
            select(consent_events).where(consent_events.c.id == record_id)
        ).one()
        return _record(row._mapping, opened)

    def _after(
        self, connection: Connection, opened: Opened, record: ConsentRecord
    ) -> ConsentRecord | None:
        """The entry of the same activity that followed ``record``, if any."""
        row = connection.execute(
            select(consent_events)
            .where(
                consent_events.c.subject_id == opened.subject_id,
                consent_events.c.activity == record.activity,
                consent_events.c.id > record.id,
            )
            .order_by(consent_events.c.id)
            .limit(1)
        ).first()
        return None if row is None else _record(row._mapping, opened)

    def _records(
        self, connection: Connection, principal: Principal, subject_id: int
    ) -> tuple[Opened, list[ConsentRecord]]:
        """The subject's ledger in ledger order, opened under ``consent_records``."""
        rows = connection.execute(
            select(consent_events)
            .where(consent_events.c.subject_id == subject_id)
            .order_by(consent_events.c.id)
        ).all()
        # the guard and the access log come before anything read leaves this method; with
        # records there is a hold key (made with the first record) to read their evidence
        if rows:
            opened = self._access.open_held(connection, principal, subject_id, CONSENT_RECORDS)
        else:
            opened = self._access.open(connection, principal, subject_id, CONSENT_RECORDS)
        return opened, [_record(row._mapping, opened) for row in rows]


def _consent_block(declared: ProcessingActivity) -> Consent:
    # the policy schema demands the block on every consent-based activity (art. 7(3))
    if declared.consent is None:
        raise InvalidField("activity", f"'{declared.id}' declares no consent request")
    return declared.consent


def _record(row: Any, opened: Opened) -> ConsentRecord:
    sealed: dict[str, Any] = {}
    if row["policy_version"] is None and row["evidence_enc"] is not None:
        # a row from before migration 0005 sealed these two with its evidence
        sealed = json.loads(opened.cipher.decrypt(_EVIDENCE, row["evidence_enc"]))
    policy_version = row["policy_version"] or int(sealed.get("policy_version", 0))
    return ConsentRecord(
        id=row["id"],
        activity=row["activity"],
        given=bool(row["given"]),
        at=row["at"],
        method=ConsentMethod(row["channel"]),
        policy_version=policy_version,
        consent_version=row["consent_version"],
        text_sha256=row["text_sha256"],
        lang=row["lang"] if row["policy_version"] is not None else sealed.get("lang"),
        expires_at=row["expires_at"],
        stage=None if row["stage"] is None else Stage(row["stage"]),
    )


def _audit_action(given: bool, stage: Stage | None) -> str:
    """What the audit trail says happened (never to what text or from where)."""
    if stage is not None:
        return f"consent.{stage.value}"  # a double opt-in's step: requested, confirmed
    return "consent.given" if given else "consent.withdrawn"


def _entry(record: ConsentRecord) -> LedgerEntry:
    return LedgerEntry(
        id=record.id,
        activity=record.activity,
        given=record.given,
        at=record.at,
        text_sha256=record.text_sha256,
        expires_at=record.expires_at,
        stage=record.stage,
    )
