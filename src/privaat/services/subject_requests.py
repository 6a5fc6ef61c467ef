"""The queue of data-subject requests (issue 11 item 1; GDPR art. 12; LEGAL L54, L55).

    a mail to the privacy mailbox (mail.privacy_mailbox, over SMTP)
        │ receive_mail(raw) ── one transaction, committed before the SMTP server says 250
        ├── read it (mail.intake): sender, own words, the right it asks for (or UNCLEAR)
        ├── whose: the account with that address, an earlier request-only subject of that
        │          address, or a new subject known only from this request
        ├── the person's earlier requests, by any channel (their subject, or the keyed hash
        │   of their address), judged by domain.request_repeats (issue 15 item 8):
        │   an open request of the same kind (or an unclear follow-up): the mail joins it,
        │   nothing is doubled, the arrival recorded (request_duplicates)
        │   otherwise: a new request, RECEIVED, due one month after receipt (domain.deadlines),
        │   flagged with the earlier references when it repeats or is excessive (art. 12(5))
        ├── the mail's bytes stored encrypted (request_mails), the audit trail told
        └── an acknowledgement with the reference and the due date queued to the sender,
            worded the same whether or not the address has an account (L57)

Every read and write passes the seam under ``rights_handling``; what is personal is under
the subject's hold key (requests outlive erasure as the proof it was done, art. 5(2)).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date
from sqlalchemy import Connection, delete, insert, or_, select, update

from privaat.domain.activities import RIGHTS
from privaat.domain.clock import Clock
from privaat.domain.deadlines import Deadline
from privaat.domain.errors import AccessDenied
from privaat.domain.principal import DataSubject, Principal, SystemJob
from privaat.domain.request_repeats import EarlierRequest, Repetition, Verdict, judge
from privaat.domain.subject import SubjectState
from privaat.domain.subject_requests import (
    TRANSITIONS,
    Action,
    ExtensionRefused,
    IllegalTransition,
    ReasonRequired,
    RequestKind,
    RequestStatus,
    SubjectRequest,
    transition,
)
from privaat.i18n import N_, translations
from privaat.mail.intake import read_request_mail
from privaat.mail.request_letters import complaint, extension_letter, refusal_letter
from privaat.mail.transport import OutgoingMail
from privaat.policy.schema import Policy
from privaat.services.email_address import LinkInvalid
from privaat.services.errors import Conflict, InvalidField, ServiceError
from privaat.services.outbox import queue
from privaat.services.rate_limit import AttemptLimiter, Limit
from privaat.services.subject_access import Opened, Operation, SubjectAccess
from privaat.store.audit import AuditTrail
from privaat.store.key_errors import SubjectKeyMissing
from privaat.store.key_store import KeyStore
from privaat.store.tables import accounts, audit_log, subject_tokens, subjects
from privaat.store.tables_requests import request_duplicates, request_mails, subject_requests
from privaat.store.unit_of_work import UnitOfWork

__all__ = [
    "CONFIRMATION_LIFETIME",
    "MAILBOX",
    "STAFF_ACTIONS",
    "HistoryEntry",
    "MailReceipt",
    "QueuedRequest",
    "RequestDetail",
    "RequestMail",
    "RequestChannel",
    "RequestNotFound",
    "CompletionGate",
    "DuplicateRequest",
    "EarlierEntry",
    "StatusListener",
    "SubjectRequests",
    "staff_actions",
]

MAILBOX = SystemJob("privacy_mailbox")  # the principal of mail arriving at the mailbox
WEB_FORM = SystemJob("request-form")  # the principal of the public request form
# the attempt limiter of issue 5, per window: a few requests per address and per network
FORM_PER_ADDRESS, FORM_PER_IP = 3, 10
_DETAILS = "subject_requests.details"  # the fields the ciphertexts are bound to
_RAW = "request_mails.raw"
_ACK_TEMPLATE = "request_received"
_CONFIRM_PURPOSE = "confirm_request"  # subject_tokens.purpose of a confirmation link
_TOKEN_PAYLOAD = "subject_tokens.payload"  # noqa: S105  (a field name: the sealed reference)
# L57: an unconfirmed request expires after this (EXPIRE → CLOSED)
CONFIRMATION_LIFETIME = timedelta(days=7)
LINK_HOLDER = SystemJob("request-link")  # whoever holds the link acts through it
EXPIRY_JOB = SystemJob("request-expiry")


class RequestNotFound(ServiceError):
    """No request has this reference."""

    def __init__(self) -> None:
        super().__init__("no request has this reference")


class DuplicateRequest(Conflict):
    """A request of the same kind is open for this person (issue 15 item 8): a channel that
    cannot join it (OpenDSR: each controller's id is a request of its own) refuses it."""

    def __init__(self, reference: str) -> None:
        super().__init__(f"a request of this kind is open already: {reference}")
        self.reference = reference


class RequestChannel:
    """How a request arrived (stored in ``subject_requests.channel``)."""

    WEB = "web"
    API = "api"
    EMAIL = "email"
    STAFF = "staff"
    OPENDSR = "opendsr"


@dataclass(frozen=True, slots=True)
class MailReceipt:
    """What became of one mail: its request, and whether it joined an open one."""

    reference: str
    kind: RequestKind
    due_on: date
    linked: bool


@dataclass(frozen=True, slots=True)
class QueuedRequest:
    """One row of the queue as staff and the CLI list it: nothing personal but the kind."""

    reference: str
    kind: RequestKind
    channel: str
    status: RequestStatus
    received_at: datetime
    due_on: date
    overdue: bool
    repetition: str | None = None  # Repetition.REPEAT or EXCESSIVE when filed flagged


@dataclass(frozen=True, slots=True)
class EarlierEntry:
    """Another request of the same person, as the officer's page lists it (issue 15 item 8)."""

    reference: str
    kind: RequestKind
    channel: str
    status: RequestStatus
    received_at: datetime


@dataclass(frozen=True, slots=True)
class RequestMail:
    """One mail that came in for a request: when, and how big (its bytes stay encrypted)."""

    id: int
    received_at: datetime
    size: int


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One entry of the audit trail that names the request."""

    at: datetime
    actor: str
    action: str  # request.received, request.verify, request.extend, request.classified, …
    status: str | None  # the status after a step, when the entry records one
    kind: str | None


@dataclass(frozen=True, slots=True)
class RequestDetail:
    """A request as the privacy officer handles it (decrypted; access-logged)."""

    request: QueuedRequest
    received_on: date
    extended_months: int
    days_left: int  # 0 on the due date, negative when overdue
    email: str | None  # where the answer goes (None: erased, or none known)
    name: str | None  # as the mail's sender gave it
    text: str  # the requester's own words
    subject_line: str | None  # a mail's subject
    language: str | None
    identity_check: str | None  # how staff checked identity (a request they filed, L57)
    extension_reason: str | None
    refusal_reason: str | None
    candidates: tuple[str, ...]  # the rights the intake read in the words
    mails: tuple[RequestMail, ...]
    history: tuple[HistoryEntry, ...]
    actions: tuple[Action, ...]  # the steps the table allows staff from its status
    # issue 15 item 8: the person's other requests by any channel, newest first; the
    # references the flag rests on; the later arrivals that joined this one (channel, when)
    earlier: tuple[EarlierEntry, ...] = ()
    repeat_of: tuple[str, ...] = ()
    duplicates: tuple[tuple[str, datetime], ...] = ()


# the steps a person on staff takes (VERIFY is the requester's, EXPIRE the clock's), in the
# order the page offers them
STAFF_ACTIONS = (
    Action.START,
    Action.EXTEND,
    Action.COMPLETE,
    Action.REFUSE,
    Action.CLOSE,
    Action.CANCEL,
)


def staff_actions(status: RequestStatus, kind: RequestKind) -> tuple[Action, ...]:
    """The staff steps ``TRANSITIONS`` allows from ``status`` (an UNCLEAR request is
    classified before it can be completed: domain.subject_requests.transition)."""
    return tuple(
        action
        for action in STAFF_ACTIONS
        if (status, action) in TRANSITIONS
        and not (action is Action.COMPLETE and kind is RequestKind.UNCLEAR)
    )


# told of every status change, in the transaction that makes it (the stored row before the
# change, the request after it, when): an OpenDSR callback is queued with the change itself
StatusListener = Callable[[Connection, Any, SubjectRequest, datetime], None]
CompletionGate = Callable[[Connection, Any], None]


class SubjectRequests:
    """Takes requests in, keeps their deadlines, lists the queue."""

    activities = frozenset({RIGHTS})

    def __init__(
        self,
        *,
        access: SubjectAccess,
        keys: KeyStore,
        policy: Policy,
        clock: Clock,
        time_zone: ZoneInfo,
        holidays: Container[date],
        base_url: str = "",
        limiter: AttemptLimiter | None = None,
    ) -> None:
        self._access, self._keys, self._policy, self._clock = access, keys, policy, clock
        self._limiter = limiter
        self._zone, self._holidays = time_zone, holidays
        self._base_url = base_url.rstrip("/")
        self._listeners: list[StatusListener] = []
        self._gates: list[CompletionGate] = []

    def on_change(self, listener: StatusListener) -> None:
        """Tell ``listener`` of every status change, inside the transaction that makes it."""
        self._listeners.append(listener)

    def before_completion(self, gate: CompletionGate) -> None:
        """Ask ``gate`` before any request completes; it raises Conflict to stop it (the
        manual tasks, issue 15 item 3)."""
        self._gates.append(gate)

    def local_date(self, at: datetime) -> date:
        """The controller's calendar date of ``at`` (the day of receipt, art. 12(3))."""
        return at.astimezone(self._zone).date()

    # --- intake ------------------------------------------------------------------------

    def receive_mail(
        self, uow: UnitOfWork, raw: bytes, *, envelope_sender: str | None = None
    ) -> MailReceipt:
        """Store a mail to the privacy mailbox as a request, or join it to an open one; all or
        nothing. InvalidField("from") when there is no address to answer."""
        mail = read_request_mail(raw)
        sender = mail.sender or _address(envelope_sender)
        if sender is None:
            raise InvalidField("from", "the mail names no address a request can be answered at")
        details = {
            "email": sender,
            "name": mail.sender_name,
            "subject": mail.subject,
            "text": mail.text,
            "message_id": mail.message_id,
            "language": mail.language,
            "candidates": [kind.value for kind in mail.classification.candidates],
            "evidence": list(mail.classification.evidence),
        }
        return self._receive(
            uow,
            sender=sender,
            kind=mail.classification.kind,
            details=details,
            channel=RequestChannel.EMAIL,
            language=mail.language,
            raw=raw,
            actor=MAILBOX,
        )

    def receive_form(
        self,
        uow: UnitOfWork,
        *,
        email: str,
        kind: RequestKind,
        text: str,
        language: str,
        ip: str,
    ) -> MailReceipt:
        """A request from the public web form (no log-in): handled as a mail from ``email``
        would be, confirmed by the link sent there (L54: any channel; L57: identity).
        TooManyAttempts past a few per address or per IP: nobody mail-bombs another with it."""
        if kind is RequestKind.UNCLEAR:
            raise InvalidField("type", "name the right you ask for")
        if self._limiter is not None:
            index = self._keys.cached_blind_index
            if index is None:
                with uow.writing() as connection:
                    index = self._keys.blind_index(connection)
            self._limiter.take(
                uow,
                [
                    Limit(index.value("request_email", email.lower()), FORM_PER_ADDRESS),
                    Limit(index.value("request_ip", ip), FORM_PER_IP),
                ],
            )
        details = {"email": email, "text": text, "language": language, "candidates": [kind.value]}
        return self._receive(
            uow,
            sender=email,
            kind=kind,
            details=details,
            channel=RequestChannel.WEB,
            language=language,
            raw=None,
            actor=WEB_FORM,
        )

    def _receive(
        self,
        uow: UnitOfWork,
        *,
        sender: str,
        kind: RequestKind,
        details: Mapping[str, object],
        channel: str,
        language: str,
        raw: bytes | None,
        actor: Principal,
        verified: bool = False,
    ) -> MailReceipt:
        now = self._clock.now()
        with uow.writing() as connection:
            requester = self._keys.blind_index(connection).email(sender)
            subject_id, lang = self._subject_of(connection, requester, language, actor)
            opened = self._access.open_held(
                connection, actor, subject_id, RIGHTS, operation=Operation.WRITE
            )
            verdict = self._judge(connection, subject_id, requester, kind, channel, now)
            joined = self._joined(connection, opened, verdict, actor, channel, now)
            if joined is None:
                request = SubjectRequest.received(kind, self.local_date(now))
                request_id, reference = self._insert(
                    connection,
                    opened,
                    request,
                    requester,
                    details,
                    now,
                    channel=channel,
                    verdict=verdict,
                )
                due_on = request.deadline.due(holidays=self._holidays)
            else:
                request_id, reference, kind, due_on = joined
            if raw is not None:
                connection.execute(
                    insert(request_mails).values(
                        request_id=request_id,
                        subject_id=subject_id,
                        received_at=now,
                        size=len(raw),
                        raw_enc=opened.cipher.encrypt_bytes(_RAW, raw),
                    )
                )
            AuditTrail.append(
                connection,
                at=now,
                actor=actor.actor,
                action="request.linked" if joined else "request.received",
                subject_pseudonym=opened.pseudonym,
                detail={"reference": reference, "kind": kind.value, "channel": channel},
            )
            if joined is None:
                self._flag(connection, opened, actor, reference, verdict, now)
            # the outbox seals the message under the data key: opened for sending, not held
            sending = self._access.open(
                connection, actor, subject_id, RIGHTS, operation=Operation.SEND
            )
            link = None
            if verified:
                if joined is None:
                    row = self.row_in(connection, reference)
                    self.apply_in(connection, opened, row, Action.VERIFY, actor, now)
            elif joined is None or self.row_in(connection, reference).status == _WAITING:
                # a request that joined a verified one needs no confirmation of its own
                link = self._confirmation_link(connection, sending, reference, now)
            self._acknowledge(
                connection, sending, sender, lang, reference, kind, due_on, now, link=link
            )
        return MailReceipt(reference, kind, due_on, linked=joined is not None)

    def file_by_staff(
        self,
        uow: UnitOfWork,
        staff: Principal,
        *,
        email: str,
        kind: RequestKind,
        text: str,
        identity_check: str,
        language: str = "nl",
    ) -> MailReceipt:
        """A request made by phone, letter or at the desk, filed by staff (L54: any channel),
        with how the person's identity was checked (L57: proportionate, never an ID copy);
        verified at once, and the person gets the acknowledgement at ``email``."""
        if kind is RequestKind.UNCLEAR:
            raise InvalidField("type", "name the right the person asks for")
        check = identity_check.strip()
        if not check:
            raise InvalidField("identity_check", "say how the person's identity was checked")
        details = {
            "email": email,
            "text": text,
            "language": language,
            "candidates": [kind.value],
            "identity_check": check,
        }
        return self._receive(
            uow,
            sender=email,
            kind=kind,
            details=details,
            channel=RequestChannel.STAFF,
            language=language,
            raw=None,
            actor=staff,
            verified=True,
        )

    def file_in(
        self,
        connection: Connection,
        actor: Principal,
        *,
        kind: RequestKind,
        requester: bytes,
        details: Mapping[str, object],
        channel: str,
        now: datetime,
    ) -> tuple[int, str, date]:
        """A request filed for someone known only from it, verified by whoever files it, in
        the caller's transaction: an OpenDSR request of a business customer (item 10), whose
        users are that controller's data, never matched to an account here and never mailed
        by us. ``requester`` is the caller's keyed hash, kept apart from mail addresses so a
        request of one controller links to no one else's. Returns (id, reference, due date)."""
        if kind is RequestKind.UNCLEAR:
            raise InvalidField("type", "name the right asked for")
        # the same controller's earlier requests for the same identity (issue 15 item 8): an
        # open one of the kind is refused as a duplicate, naming it, before anything is written
        verdict = self._judge(connection, None, requester, kind, channel, now)
        if verdict.repetition is Repetition.DUPLICATE:
            raise DuplicateRequest(verdict.evidence[0])
        created = self._access.create(connection, actor, RIGHTS, state=SubjectState.visitor())
        opened = self._access.open_held(
            connection, actor, created.subject_id, RIGHTS, operation=Operation.WRITE
        )
        request = SubjectRequest.received(kind, self.local_date(now))
        request_id, reference = self._insert(
            connection, opened, request, requester, details, now, channel=channel, verdict=verdict
        )
        AuditTrail.append(
            connection,
            at=now,
            actor=actor.actor,
            action="request.received",
            subject_pseudonym=opened.pseudonym,
            detail={"reference": reference, "kind": kind.value, "channel": channel},
        )
        self._flag(connection, opened, actor, reference, verdict, now)
        after = self.apply_in(
            connection, opened, self.row_in(connection, reference), Action.VERIFY, actor, now
        )
        return request_id, reference, after.deadline.due(holidays=self._holidays)

    def file_for(
        self,
        uow: UnitOfWork,
        principal: DataSubject,
        kind: RequestKind,
        *,
        channel: str,
        text: str = "",
    ) -> tuple[QueuedRequest, bool]:
        """A request by a logged-in person: verified at once (a session is identity enough,
        L57: never an ID copy). A second one of the same kind while one is open returns the
        open one (a double submit is not a second request); the flag says whether it is new."""
        if kind is RequestKind.UNCLEAR:
            raise InvalidField("type", "name the right you ask for")
        now = self._clock.now()
        with uow.writing() as connection:
            opened = self._access.open_held(
                connection, principal, principal.subject_id, RIGHTS, operation=Operation.WRITE
            )
            requester = connection.execute(
                select(accounts.c.email_bidx).where(accounts.c.subject_id == principal.subject_id)
            ).scalar()
            if requester is None:
                raise InvalidField("subject", "only an account holder files requests here")
            verdict = self._judge(connection, principal.subject_id, requester, kind, channel, now)
            joined = self._joined(connection, opened, verdict, principal, channel, now)
            if joined is None:
                request = SubjectRequest.received(kind, self.local_date(now))
                details = {"text": text, "message_id": None, "candidates": [kind.value]}
                request_id, reference = self._insert(
                    connection,
                    opened,
                    request,
                    requester,
                    details,
                    now,
                    channel=channel,
                    verdict=verdict,
                )
                row = connection.execute(
                    select(subject_requests).where(subject_requests.c.id == request_id)
                ).one()
                AuditTrail.append(
                    connection,
                    at=now,
                    actor=principal.actor,
                    action="request.received",
                    subject_pseudonym=opened.pseudonym,
                    detail={"reference": reference, "kind": kind.value, "channel": channel},
                )
                self._flag(connection, opened, principal, reference, verdict, now)
                self.apply_in(connection, opened, row, Action.VERIFY, principal, now)
            else:
                reference = joined[1]
                AuditTrail.append(
                    connection,
                    at=now,
                    actor=principal.actor,
                    action="request.linked",
                    subject_pseudonym=opened.pseudonym,
                    detail={"reference": reference, "kind": kind.value, "channel": channel},
                )
            stored = connection.execute(
                select(subject_requests).where(subject_requests.c.reference == reference)
            ).one()
        return self._queued(stored, self.local_date(now)), joined is None

    def requests_of(
        self, uow: UnitOfWork, principal: Principal, subject_id: int
    ) -> list[QueuedRequest]:
        """The subject's own requests, newest first."""
        with uow.reading() as connection:
            self._access.open_held(connection, principal, subject_id, RIGHTS)
            rows = connection.execute(
                select(subject_requests)
                .where(subject_requests.c.subject_id == subject_id)
                .order_by(subject_requests.c.id.desc())
            ).all()
        today = self.local_date(self._clock.now())
        return [self._queued(row, today) for row in rows]

    # --- identity (L57) ----------------------------------------------------------------

    def confirm(self, uow: UnitOfWork, token: str) -> str:
        """Spend a confirmation link: the request it names is VERIFIED (the person controls
        the address it came from, or the account's); returns its reference. LinkInvalid for
        an unknown, used or expired link, or one whose request is no longer waiting."""
        now = self._clock.now()
        with uow.writing() as connection:
            row = self._redeem(connection, token, now)
            opened = self._access.open(
                connection, LINK_HOLDER, row.subject_id, RIGHTS, operation=Operation.WRITE
            )
            reference = opened.decrypt(_TOKEN_PAYLOAD, row.payload_enc) or ""
            request = connection.execute(
                select(subject_requests).where(
                    subject_requests.c.reference == reference,
                    subject_requests.c.subject_id == row.subject_id,
                )
            ).first()
            if request is None or request.status != RequestStatus.RECEIVED.value:
                raise LinkInvalid()
            self.apply_in(connection, opened, request, Action.VERIFY, LINK_HOLDER, now)
        return reference

    def _confirmation_link(
        self, connection: Connection, opened: Opened, reference: str, now: datetime
    ) -> str:
        token = secrets.token_urlsafe(32)
        connection.execute(
            insert(subject_tokens).values(
                token_hash=_token_hash(token),
                subject_id=opened.subject_id,
                purpose=_CONFIRM_PURPOSE,
                payload_enc=opened.cipher.encrypt(_TOKEN_PAYLOAD, reference),
                created_at=now,
                expires_at=now + CONFIRMATION_LIFETIME,
            )
        )
        # the page shows a button: a mail scanner that follows the link confirms nothing
        return f"{self._base_url}/requests/confirm?token={token}"

    def _redeem(self, connection: Connection, token: str, now: datetime) -> Any:
        if not token or len(token) > 128:
            raise LinkInvalid()
        row = connection.execute(
            select(subject_tokens).where(subject_tokens.c.token_hash == _token_hash(token))
        ).first()
        if row is None or row.purpose != _CONFIRM_PURPOSE:
            raise LinkInvalid()
        # spent whatever happens next (committed only with the whole confirmation)
        connection.execute(
            delete(subject_tokens).where(subject_tokens.c.token_hash == row.token_hash)
        )
        if row.expires_at <= now:
            raise LinkInvalid()
        return row

    # --- the one place a status changes ---------------------------------------------------

    def apply_in(
        self,
        connection: Connection,
        opened: Opened,
        row: Any,
        action: Action,
        actor: Principal,
        now: datetime,
        *,
        reason: str | None = None,
        months: int = 0,
        extension_reason: str | None = None,
    ) -> SubjectRequest:
        """Take ``action`` on the stored request ``row`` by the domain's table, store the
        result and audit it (domain.subject_requests.transition is the rule)."""
        before = SubjectRequest(
            RequestKind(row.kind),
            RequestStatus(row.status),
            Deadline(row.received_on, row.extended_months),
            extension_reason=extension_reason,
        )
        if action is Action.COMPLETE:
            for gate in self._gates:
                gate(connection, row)
        try:
            after = transition(
                before,
                action,
                today=self.local_date(now),
                reason=reason,
                months=months,
                holidays=self._holidays,
            )
        except IllegalTransition as error:
            raise Conflict(str(error)) from None
        except (ExtensionRefused, ReasonRequired) as error:
            raise InvalidField(
                "reason" if isinstance(error, ReasonRequired) else "months", str(error)
            ) from None
        connection.execute(
            update(subject_requests)
            .where(subject_requests.c.id == row.id)
            .values(
                status=after.status.value,
                due_on=after.deadline.due(holidays=self._holidays),
                extended_months=after.deadline.extended_months,
                closed_at=now if after.status is RequestStatus.CLOSED else None,
                # the watchdog counts the dwell from the last step (issue 15 item 7)
                status_since=now,
            )
        )
        AuditTrail.append(
            connection,
            at=now,
            actor=actor.actor,
            action=f"request.{action.value}",
            subject_pseudonym=opened.pseudonym,
            detail={"reference": row.reference, "status": after.status.value},
        )
        for listener in self._listeners:
            listener(connection, row, after, now)
        return after

    # --- the privacy officer's steps ----------------------------------------------------

    def act(
        self,
        uow: UnitOfWork,
        staff: Principal,
        reference: str,
        action: Action,
        *,
        reason: str | None = None,
        months: int = 0,
    ) -> QueuedRequest:
        """Take a step on a request (start, extend, refuse, complete, close, cancel); an
        extension or a refusal is told to the requester with its reasons (art. 12(3)-(4))."""
        now = self._clock.now()
        with uow.writing() as connection:
            row = self.row_in(connection, reference)
            held = self._access.open_held(
                connection, staff, row.subject_id, RIGHTS, operation=Operation.WRITE
            )
            details = json.loads(held.cipher.decrypt(_DETAILS, row.details_enc))
            after = self.apply_in(
                connection,
                held,
                row,
                action,
                staff,
                now,
                reason=reason,
                months=months,
                extension_reason=details.get("extension_reason"),
            )
            if action in (Action.EXTEND, Action.REFUSE):
                details["extension_reason"] = after.extension_reason
                details["refusal_reason"] = after.refusal_reason
                connection.execute(
                    update(subject_requests)
                    .where(subject_requests.c.id == row.id)
                    .values(details_enc=held.cipher.encrypt(_DETAILS, json.dumps(details)))
                )
                self._tell(connection, staff, row, details, after, reason or "", now)
            stored = self.row_in(connection, reference)
        return self._queued(stored, self.local_date(now))

    def _tell(
        self,
        connection: Connection,
        staff: Principal,
        row: Any,
        details: Mapping[str, Any],
        after: SubjectRequest,
        reason: str,
        now: datetime,
    ) -> None:
        try:
            sending = self._access.open(
                connection, staff, row.subject_id, RIGHTS, operation=Operation.SEND
            )
        except SubjectKeyMissing:
            # erased, the request not yet completed (a crash between the two, issue 16 item
            # 3; found by issue 15 item 7's stateful test): the letter goes under a subject of
            # its own to the address kept with the request, as the erasure's letters do
            sending = self._access.create(connection, staff, RIGHTS, state=SubjectState.visitor())
        record = sending.record
        to = details.get("email") or sending.decrypt("accounts.email", record.get("email_enc"))
        if not to:
            return  # no address to write to: the officer answers by the channel it came in
        languages = self._policy.policy.languages
        lang = record.get("language") or details.get("language") or languages[0]
        reference = row.reference
        if after.status is RequestStatus.REFUSED:
            letter = refusal_letter(
                self._policy, to=to, lang=lang, reference=reference, reason=reason.strip()
            )
        else:
            letter = extension_letter(
                self._policy,
                to=to,
                lang=lang,
                reference=reference,
                reason=reason.strip(),
                due_on=after.deadline.due(holidays=self._holidays),
            )
        queue(connection, sending, template=f"request_{after.status.value}", mail=letter, at=now)

    def row_in(self, connection: Connection, reference: str) -> Any:
        """The stored request with ``reference`` (RequestNotFound if none), in a transaction."""
        row = connection.execute(
            select(subject_requests).where(subject_requests.c.reference == reference)
        ).first()
        if row is None:
            raise RequestNotFound()
        return row

    def expire_unconfirmed(self, uow: UnitOfWork) -> int:
        """Close the requests whose confirmation link was never used in time (L57): nothing
        personal was sent for them, and nothing will be. Returns how many were closed."""
        now = self._clock.now()
        with uow.writing() as connection:
            rows = connection.execute(
                select(subject_requests).where(
                    subject_requests.c.status == RequestStatus.RECEIVED.value,
                    subject_requests.c.received_at <= now - CONFIRMATION_LIFETIME,
                )
            ).all()
            for row in rows:
                opened = self._access.open_held(
                    connection, EXPIRY_JOB, row.subject_id, RIGHTS, operation=Operation.WRITE
                )
                self.apply_in(connection, opened, row, Action.EXPIRE, EXPIRY_JOB, now)
        return len(rows)

    # --- the queue ---------------------------------------------------------------------

    def queue(self, uow: UnitOfWork, *, open_only: bool = False) -> list[QueuedRequest]:
        """The requests by due date, soonest first (the columns hold nothing in clear but
        the kind and the dates; nothing is decrypted)."""
        today = self.local_date(self._clock.now())
        query = select(
            subject_requests.c.reference,
            subject_requests.c.kind,
            subject_requests.c.channel,
            subject_requests.c.status,
            subject_requests.c.received_at,
            subject_requests.c.due_on,
            subject_requests.c.repetition,
        ).order_by(subject_requests.c.due_on, subject_requests.c.id)
        if open_only:
            query = query.where(subject_requests.c.status.in_(_OPEN))
        with uow.reading() as connection:
            rows = connection.execute(query).all()
        return [self._queued(row, today) for row in rows]

    @staticmethod
    def _queued(row: Any, today: date) -> QueuedRequest:
        status = RequestStatus(row.status)
        return QueuedRequest(
            reference=row.reference,
            kind=RequestKind(row.kind),
            channel=row.channel,
            status=status,
            received_at=row.received_at,
            due_on=row.due_on,
            overdue=status.open and row.due_on < today,
            repetition=row.repetition,
        )

    # --- the privacy officer's view of one request (issue 11 item 11) -------------------

    def detail(self, uow: UnitOfWork, staff: Principal, reference: str) -> RequestDetail:
        """One request as the officer handles it: its dates, the requester's address and own
        words (decrypted under ``rights_handling`` through the seam, so the access log names
        the officer), the mails that came in, its history, and the steps open to it."""
        today = self.local_date(self._clock.now())
        with uow.reading() as connection:
            row = self.row_in(connection, reference)
            held = self._access.open_held(connection, staff, row.subject_id, RIGHTS)
            details = json.loads(held.cipher.decrypt(_DETAILS, row.details_enc))
            email = details.get("email") or self._account_address(connection, staff, row)
            mails = tuple(
                RequestMail(id=m.id, received_at=m.received_at, size=m.size)
                for m in connection.execute(
                    select(request_mails.c.id, request_mails.c.received_at, request_mails.c.size)
                    .where(request_mails.c.request_id == row.id)
                    .order_by(request_mails.c.id)
                )
            )
            history = self._history(connection, reference)
            earlier, duplicates = self._others(connection, row)
        queued = self._queued(row, today)
        return RequestDetail(
            request=queued,
            received_on=row.received_on,
            extended_months=row.extended_months,
            # from the stored due date, as the queue counts (recomputed at every step)
            days_left=(row.due_on - today).days,
            email=email,
            name=details.get("name") or None,
            text=str(details.get("text") or ""),
            subject_line=str(details.get("subject") or "") or None,
            language=details.get("language"),
            identity_check=details.get("identity_check"),
            extension_reason=details.get("extension_reason"),
            refusal_reason=details.get("refusal_reason"),
            candidates=tuple(str(c) for c in details.get("candidates") or ()),
            mails=mails,
            history=history,
            actions=staff_actions(queued.status, queued.kind),
            earlier=earlier,
            repeat_of=tuple(json.loads(row.repeat_of or "[]")),
            duplicates=duplicates,
        )

    @staticmethod
    def _others(
        connection: Connection, row: Any
    ) -> tuple[tuple[EarlierEntry, ...], tuple[tuple[str, datetime], ...]]:
        """The person's other requests by any channel, newest first (their subject, or the
        keyed hash of their address), and the arrivals that joined this one (issue 15 item 8)."""
        others = connection.execute(
            select(
                subject_requests.c.reference,
                subject_requests.c.kind,
                subject_requests.c.channel,
                subject_requests.c.status,
                subject_requests.c.received_at,
            )
            .where(
                (subject_requests.c.subject_id == row.subject_id)
                | (subject_requests.c.requester_bidx == row.requester_bidx),
                subject_requests.c.id != row.id,
            )
            .order_by(subject_requests.c.received_at.desc(), subject_requests.c.id.desc())
        ).all()
        arrivals = connection.execute(
            select(request_duplicates.c.channel, request_duplicates.c.at)
            .where(request_duplicates.c.request_id == row.id)
            .order_by(request_duplicates.c.id)
        ).all()
        return (
            tuple(
                EarlierEntry(
                    reference=other.reference,
                    kind=RequestKind(other.kind),
                    channel=other.channel,
                    status=RequestStatus(other.status),
                    received_at=_aware(other.received_at),
                )
                for other in others
            ),
            tuple((arrival.channel, _aware(arrival.at)) for arrival in arrivals),
        )

    def mail_of(self, uow: UnitOfWork, staff: Principal, reference: str, mail_id: int) -> bytes:
        """The bytes of one mail of the request as received (the .eml), read through the seam;
        RequestNotFound when the request has no such mail."""
        with uow.reading() as connection:
            row = self.row_in(connection, reference)
            mail = connection.execute(
                select(request_mails.c.raw_enc).where(
                    request_mails.c.id == mail_id, request_mails.c.request_id == row.id
                )
            ).first()
            if mail is None:
                raise RequestNotFound()
            held = self._access.open_held(connection, staff, row.subject_id, RIGHTS)
            return held.cipher.decrypt_bytes(_RAW, mail.raw_enc)

    def classify(
        self, uow: UnitOfWork, staff: Principal, reference: str, kind: RequestKind
    ) -> QueuedRequest:
        """Name the right an UNCLEAR request asks for (L54: a person classifies it); audited.
        The deadline still runs from receipt. Conflict for a request that is not unclear or
        no longer open; InvalidField for UNCLEAR itself."""
        if kind is RequestKind.UNCLEAR:
            raise InvalidField("kind", "choose the right the request asks for")
        now = self._clock.now()
        with uow.writing() as connection:
            row = self.row_in(connection, reference)
            if RequestKind(row.kind) is not RequestKind.UNCLEAR:
                raise Conflict(f"the request is classified already ({row.kind})")
            if not RequestStatus(row.status).open:
                raise Conflict(f"the request is {row.status}: nothing more happens to it")
            held = self._access.open_held(
                connection, staff, row.subject_id, RIGHTS, operation=Operation.WRITE
            )
            connection.execute(
                update(subject_requests)
                .where(subject_requests.c.id == row.id)
                .values(kind=kind.value)
            )
            AuditTrail.append(
                connection,
                at=now,
                actor=staff.actor,
                action="request.classified",
                subject_pseudonym=held.pseudonym,
                detail={"reference": reference, "kind": kind.value},
            )
            stored = self.row_in(connection, reference)
        return self._queued(stored, self.local_date(now))

    def _account_address(self, connection: Connection, staff: Principal, row: Any) -> str | None:
        # a request filed while logged in keeps no address of its own: the account's is the
        # one it is answered at (read for rights_handling, access-logged as the officer)
        try:
            opened = self._access.open(connection, staff, row.subject_id, RIGHTS)
            return opened.decrypt("accounts.email", opened.record.get("email_enc"))
        except (AccessDenied, ServiceError, SubjectKeyMissing):
            return None  # erased, or withheld: the page says there is no address

    @staticmethod
    def _history(connection: Connection, reference: str) -> tuple[HistoryEntry, ...]:
        # the audit trail's canonical JSON names the reference as "reference":"PR-…"; the
        # reference is random and of a fixed alphabet, so the pattern matches it alone
        needle = json.dumps({"reference": reference}, separators=(",", ":"))[1:-1]
        rows = connection.execute(
            select(audit_log.c.at, audit_log.c.actor, audit_log.c.action, audit_log.c.detail)
            .where(audit_log.c.detail.contains(needle, autoescape=True))
            .order_by(audit_log.c.seq)
        ).all()
        entries = []
        for at, actor, action, detail in rows:
            named = json.loads(detail)
            if named.get("reference") != reference:
                continue
            entries.append(
                HistoryEntry(
                    at=at if at.tzinfo is not None else at.replace(tzinfo=UTC),
                    actor=actor,
                    action=action,
                    status=named.get("status"),
                    kind=named.get("kind"),
                )
            )
        return tuple(entries)

    # --- the steps ---------------------------------------------------------------------

    def _subject_of(
        self, connection: Connection, requester: bytes, language: str, actor: Principal
    ) -> tuple[int, str]:
        """The subject the request is from, and the language to answer in."""
        account = connection.execute(
            select(accounts.c.subject_id, accounts.c.language).where(
                accounts.c.email_bidx == requester
            )
        ).first()
        if account is not None:
            return account.subject_id, account.language
        # an erased subject's tombstone keeps its held requests, but takes no new ones
        earlier = connection.execute(
            select(subject_requests.c.subject_id)
            .join(subjects, subjects.c.id == subject_requests.c.subject_id)
            .where(subject_requests.c.requester_bidx == requester, subjects.c.erased_at.is_(None))
            .order_by(subject_requests.c.id.desc())
            .limit(1)
        ).scalar()
        if earlier is not None:
            return earlier, language
        # someone known only from this request: a subject of their own (SubjectAccess.create)
        created = self._access.create(connection, actor, RIGHTS, state=SubjectState.visitor())
        return created.subject_id, language

    def _judge(
        self,
        connection: Connection,
        subject_id: int | None,
        requester: bytes,
        kind: RequestKind,
        channel: str,
        now: datetime,
    ) -> Verdict:
        """The new request judged against the person's earlier ones (issue 15 item 8): the
        person is their subject (an account's requests by any channel) or, for requests
        without one, the keyed hash of the address (the same person's mails and forms). An
        erased person's open request is joined by nothing (their tombstone takes no new one)."""
        return judge(
            kind, channel, self.local_date(now), self._earlier(connection, subject_id, requester)
        )

    def _earlier(
        self, connection: Connection, subject_id: int | None, requester: bytes
    ) -> list[EarlierRequest]:
        person = subject_requests.c.requester_bidx == requester
        if subject_id is not None:
            person = person | (subject_requests.c.subject_id == subject_id)
        rows = connection.execute(
            select(
                subject_requests.c.reference,
                subject_requests.c.kind,
                subject_requests.c.channel,
                subject_requests.c.status,
                subject_requests.c.received_at,
                subject_requests.c.status_since,
                subjects.c.erased_at,
            )
            .join(subjects, subjects.c.id == subject_requests.c.subject_id)
            .where(person)
        ).all()
        # how a closed request ended is in its trail only: verified? completed, when?
        steps = self._steps(
            connection, [row.reference for row in rows if row.status == _CLOSED_STATUS]
        )
        earlier = []
        for row in rows:
            status = RequestStatus(row.status)
            if status.open and row.erased_at is not None:
                status = RequestStatus.CLOSED  # held as proof, never joined (see _subject_of)
            answered = None
            if status is RequestStatus.COMPLETED:
                answered = self.local_date(_aware(row.status_since or row.received_at))
            elif row.reference in steps:
                completed = steps[row.reference].get("request.complete")
                answered = self.local_date(completed) if completed else None
            verified = status not in (RequestStatus.RECEIVED, RequestStatus.CLOSED) or (
                "request.verify" in steps.get(row.reference, {})
            )
            earlier.append(
                EarlierRequest(
                    reference=row.reference,
                    kind=RequestKind(row.kind),
                    channel=row.channel,
                    status=status,
                    received_on=self.local_date(_aware(row.received_at)),
                    verified=verified,
                    answered_on=answered,
                )
            )
        return earlier

    @staticmethod
    def _steps(connection: Connection, references: list[str]) -> dict[str, dict[str, datetime]]:
        """For each reference, when it was verified and completed (the trail's entries)."""
        if not references:
            return {}
        needles = [
            audit_log.c.detail.contains(
                json.dumps({"reference": reference}, separators=(",", ":"))[1:-1],
                autoescape=True,
            )
            for reference in references
        ]
        rows = connection.execute(
            select(audit_log.c.at, audit_log.c.action, audit_log.c.detail).where(
                audit_log.c.action.in_(("request.verify", "request.complete")), or_(*needles)
            )
        ).all()
        wanted = set(references)
        steps: dict[str, dict[str, datetime]] = {}
        for at, action, detail in rows:
            reference = json.loads(detail).get("reference")
            if reference in wanted:
                steps.setdefault(reference, {})[action] = _aware(at)
        return steps

    def _joined(
        self,
        connection: Connection,
        opened: Opened,
        verdict: Verdict,
        actor: Principal,
        channel: str,
        now: datetime,
    ) -> tuple[int, str, RequestKind, date] | None:
        """The open request a DUPLICATE joins, its later arrival recorded; None otherwise."""
        if verdict.repetition is not Repetition.DUPLICATE:
            return None
        row = self.row_in(connection, verdict.evidence[0])
        connection.execute(
            insert(request_duplicates).values(
                request_id=row.id, subject_id=row.subject_id, channel=channel, at=now
            )
        )
        return row.id, row.reference, RequestKind(row.kind), row.due_on

    @staticmethod
    def _flag(
        connection: Connection,
        opened: Opened,
        actor: Principal,
        reference: str,
        verdict: Verdict,
        now: datetime,
    ) -> None:
        """Audit a flagged request: the judgement and the earlier references, nothing else."""
        if not verdict.flagged:
            return
        AuditTrail.append(
            connection,
            at=now,
            actor=actor.actor,
            action="request.flagged",
            subject_pseudonym=opened.pseudonym,
            detail={
                "reference": reference,
                "repetition": verdict.repetition.value,
                "evidence": " ".join(verdict.evidence),  # the earlier references
            },
        )

    def _insert(
        self,
        connection: Connection,
        opened: Opened,
        request: SubjectRequest,
        requester: bytes,
        details: Mapping[str, object],
        now: datetime,
        *,
        channel: str,
        verdict: Verdict | None = None,
    ) -> tuple[int, str]:
        reference = _new_reference()
        flagged = verdict is not None and verdict.flagged
        request_id: int = connection.execute(
            insert(subject_requests)
            .values(
                reference=reference,
                subject_id=opened.subject_id,
                kind=request.kind.value,
                status=request.status.value,
                channel=channel,
                received_at=now,
                status_since=now,
                received_on=request.deadline.received,
                due_on=request.deadline.due(holidays=self._holidays),
                extended_months=request.deadline.extended_months,
                requester_bidx=requester,
                details_enc=opened.cipher.encrypt(_DETAILS, json.dumps(details)),
                repetition=verdict.repetition.value if verdict and flagged else None,
                repeat_of=json.dumps(list(verdict.evidence)) if verdict and flagged else None,
            )
            .returning(subject_requests.c.id)
        ).scalar_one()
        return request_id, reference

    def _acknowledge(
        self,
        connection: Connection,
        opened: Opened,
        to: str,
        lang: str,
        reference: str,
        kind: RequestKind,
        due_on: date,
        now: datetime,
        *,
        link: str | None,
    ) -> None:
        """Queue the acknowledgement: the same words whether or not there is an account, and
        nothing in it but what the sender wrote to us and when we answer (L57); without a
        link when the request is verified already (filed by staff after a check)."""
        _ = translations(lang).gettext
        controller = self._policy.controller.name
        what = _(KIND_WORDS[kind])
        confirmation = (
            (
                _(
                    "Before we send you any personal data, we check that the request comes "
                    "from you. We never ask for a copy of your ID."
                ),
                _(
                    "Please confirm that you sent this request with this link. It works once, "
                    "for {days} days:"
                ).format(days=CONFIRMATION_LIFETIME.days)
                + f"\n{link}",
                _("If you did not send this request, you can ignore this e-mail."),
            )
            if link is not None
            else (_("If you did not make this request, please tell us by replying."),)
        )
        body = "\n\n".join(
            (
                _("We have received your request ({what}).").format(what=what),
                _("Your reference is {reference}. We answer by {due} at the latest.").format(
                    reference=reference, due=_format_date(due_on, lang)
                ),
                *confirmation,
                complaint(self._policy, lang),  # item 9: every answer names the authority
                controller,
            )
        )
        subject = _("Your privacy request {reference}").format(reference=reference)
        # RFC 3834 §5: an automatic answer says so, so that no auto-responder answers it
        automatic = (("Auto-Submitted", "auto-replied"),)
        mail = OutgoingMail(to=to, subject=subject, body=body, headers=automatic)
        queue(connection, opened, template=_ACK_TEMPLATE, mail=mail, at=now)


_OPEN = tuple(status.value for status in RequestStatus if status.open)
_WAITING = RequestStatus.RECEIVED.value
_CLOSED_STATUS = RequestStatus.CLOSED.value


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


# the words for each right in an answer (msgids: privaat.i18n)
KIND_WORDS = {
    RequestKind.ACCESS: N_("access to your data"),
    RequestKind.RECTIFICATION: N_("correction of your data"),
    RequestKind.ERASURE: N_("erasure of your data"),
    RequestKind.RESTRICTION: N_("restriction of processing"),
    RequestKind.PORTABILITY: N_("a copy of your data to take with you"),
    RequestKind.OBJECTION: N_("objection to processing"),
    RequestKind.UNCLEAR: N_("a privacy question"),
}


def _format_date(day: date, lang: str) -> str:
    return format_date(day, format="long", locale=lang)


def _address(value: str | None) -> str | None:
    text = (value or "").strip().strip("<>").lower()
    return text if "@" in text else None


def _token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _new_reference() -> str:
    # 40 random bits in Crockford-like base32 without look-alikes: "PR-7KQ2M9XD"
    alphabet = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
    return "PR-" + "".join(secrets.choice(alphabet) for _ in range(8))
