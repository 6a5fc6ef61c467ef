"""Requests from business customers over OpenDSR (issue 11 item 10; GDPR art. 28(3)(e)).

Flexibelt hosts servers, mail and PBX for business customers, who are the controllers of
their own users' data; as their processor it assists with their users' requests. A customer
(its API key) files them here, into the one queue of data-subject requests:

    POST  ──▶ create(customer, body)      one transaction:
                ├── SubjectRequests.file_in: an open request of the same type for the same
                │   identity of this customer is a duplicate (issue 15 item 8): 409 naming
                │   the controller's own id for it, nothing filed; a repeat or an excessive
                │   one is filed flagged for the privacy officer (art. 12(5))
                ├── SubjectRequests.file_in: a request-only subject, the request VERIFIED (the
                │   controller verified its user, OpenDSR §3.2 step 2), due in one month; the
                │   identities in its details, under the subject's hold key; the requester a
                │   keyed hash of its own kind, keyed by customer (nothing links across them)
                └── opendsr_requests: the customer's subject_request_id, its callback URLs
    GET   ──▶ status(customer, id)         only the customer's own: another's id is "not found"
    DELETE──▶ cancel(customer, id)         Action.CANCEL through SubjectRequests.apply_in

    any status change (officer, job, cancel) ──▶ _status_changed, inside its transaction:
        the OpenDSR status (domain.opendsr) and expected_completion_time; when either moved,
        one row per callback URL in opendsr_callbacks (an outbox: never lost, never sent for
        a change that rolled back); an unsent older one is superseded, so no older status
        ever arrives after a newer one
    privaat jobs opendsr-callbacks ──▶ deliver(): POST each due callback, signed
        (X-OpenDSR-Signature, services.opendsr_delivery); a failure is retried with back-off
        (1 minute doubling to 6 hours) for 72 hours, then given up and audited; an endpoint
        that failed is not called again in the same pass (a dead one costs one timeout), and
        never holds up another's callbacks

Status mapping (domain.opendsr): received, verified → pending; in_progress, extended →
in_progress; completed → completed; refused → cancelled; closed → completed if it was
completed, else cancelled. OpenDSR has no reason field: a refusal's reasons reach the
controller by the channel of the processing agreement.

API keys: 256 random bits, shown once, stored as SHA-256 only (a key that random needs no
slow hash); looked up by hash and compared in constant time (``hmac.compare_digest``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from privaat.domain.activities import RIGHTS
from privaat.domain.clock import Clock
from privaat.domain.opendsr import IDENTITIES, KINDS, OpenDsrStatus, reported
from privaat.domain.principal import BusinessCustomer, SystemJob
from privaat.domain.subject_requests import Action, RequestKind, RequestStatus, SubjectRequest
from privaat.policy.schema import Policy
from privaat.services.errors import Conflict, InvalidField, ServiceError
from privaat.services.opendsr_delivery import CallbackRefused, Signer, check_callback_url, post
from privaat.services.subject_access import Operation, SubjectAccess
from privaat.services.subject_requests import DuplicateRequest, RequestChannel, SubjectRequests
from privaat.settings import Mode
from privaat.store.audit import AuditTrail
from privaat.store.key_store import KeyStore
from privaat.store.tables_opendsr import business_customers, opendsr_callbacks, opendsr_requests
from privaat.store.tables_requests import subject_requests
from privaat.store.unit_of_work import UnitOfWork

__all__ = [
    "API_VERSION",
    "CustomerInfo",
    "Delivery",
    "InvalidApiKey",
    "NoSuchCustomer",
    "OpenDsr",
    "OpenDsrReceipt",
    "OpenDsrState",
    "UnknownRequest",
]

API_VERSION = "1.0"
KEY_PREFIX = "odsr_"  # tells a leaked key apart in a scan (like GitHub's ghp_)
MAX_CALLBACK_URLS = 5
CALLBACK_JOB = SystemJob("opendsr-callbacks")
FIRST_RETRY, LAST_RETRY, GIVE_UP_AFTER = (
    timedelta(minutes=1),
    timedelta(hours=6),
    timedelta(hours=72),
)
SUPERSEDED = "superseded by a newer status"
_DUPLICATE = "a request with this subject_request_id exists already"
_OPEN_ALREADY = "a request of this type for this identity is open already"
_INDEX_KIND = "opendsr_identity"  # the blind index's kind for a requester of a customer


class InvalidApiKey(ServiceError):
    """No key, or one that is wrong or revoked: one answer for all (RFC 6750 §3.1)."""

    def __init__(self) -> None:
        super().__init__("a valid API key is required (Authorization: Bearer <key>)")


class UnknownRequest(ServiceError):
    """No request of this customer has this id (another customer's is not told apart)."""

    def __init__(self) -> None:
        super().__init__("no request of yours has this subject_request_id")


class NoSuchCustomer(ServiceError):
    def __init__(self, name: str) -> None:
        super().__init__(f"no business customer is named {name!r}")


@dataclass(frozen=True, slots=True)
class CustomerInfo:
    """A business customer as the command line lists it: never its key."""

    controller_id: str
    name: str
    created_at: datetime
    key_created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class OpenDsrReceipt:
    """The answer to a new request (OpenDSR §7.3)."""

    controller_id: str
    subject_request_id: str
    received_time: datetime
    expected_completion_time: datetime
    encoded_request: str


@dataclass(frozen=True, slots=True)
class OpenDsrState:
    """A request's status as its controller follows it (OpenDSR §8.3)."""

    controller_id: str
    subject_request_id: str
    request_status: OpenDsrStatus
    expected_completion_time: datetime
    received_time: datetime
    reference: str


@dataclass(frozen=True, slots=True)
class Delivery:
    """What one pass of the callback job did."""

    sent: int
    retried: int
    given_up: int


class OpenDsr:
    """OpenDSR requests of business customers, in the one queue of data-subject requests."""

    activities = frozenset({RIGHTS})

    def __init__(
        self,
        *,
        access: SubjectAccess,
        keys: KeyStore,
        requests: SubjectRequests,
        policy: Policy,
        clock: Clock,
        base_url: str = "",
    ) -> None:
        self._access, self._keys, self._requests = access, keys, requests
        self._policy, self._clock = policy, clock
        self._base_url = base_url.rstrip("/")
        self.domain = urlsplit(self._base_url).hostname or "localhost"
        self.signer = Signer(keys, common_name=self.domain)
        requests.on_change(self._status_changed)

    # --- business customers and their keys ----------------------------------------------

    def add_customer(self, uow: UnitOfWork, name: str) -> tuple[CustomerInfo, str]:
        """A new business customer and its API key (returned once, stored only hashed)."""
        name = name.strip()
        if not name or len(name) > 120 or any(ord(c) < 32 for c in name):
            raise InvalidField("name", "give a name of 1-120 printable characters")
        key, now = _new_key(), self._clock.now()
        with uow.writing() as connection:
            taken = connection.execute(
                select(business_customers.c.id).where(business_customers.c.name == name)
            ).first()
            if taken is not None:
                raise Conflict(f"a business customer is named {name!r} already")
            customer_id = connection.execute(
                insert(business_customers)
                .values(name=name, created_at=now, key_hash=_hash(key), key_created_at=now)
                .returning(business_customers.c.id)
            ).scalar_one()
            self._audit(connection, customer_id, "opendsr.customer_added", now)
            row = connection.execute(
                select(business_customers).where(business_customers.c.id == customer_id)
            ).one()
        return _info(row), key

    def customers(self, uow: UnitOfWork) -> list[CustomerInfo]:
        with uow.reading() as connection:
            rows = connection.execute(
                select(business_customers).order_by(business_customers.c.id)
            ).all()
        return [_info(row) for row in rows]

    def revoke(self, uow: UnitOfWork, name: str) -> CustomerInfo:
        """Refuse the customer's key from now on (its requests stay in the queue)."""
        now = self._clock.now()
        with uow.writing() as connection:
            row = self._named(connection, name)
            if row.revoked_at is None:
                connection.execute(
                    update(business_customers)
                    .where(business_customers.c.id == row.id)
                    .values(revoked_at=now)
                )
                self._audit(connection, row.id, "opendsr.key_revoked", now)
            row = self._named(connection, name)
        return _info(row)

    def rotate_key(self, uow: UnitOfWork, name: str) -> tuple[CustomerInfo, str]:
        """A new key for the customer; the old one stops working at once (and a revoked
        customer is active again with the new key)."""
        key, now = _new_key(), self._clock.now()
        with uow.writing() as connection:
            row = self._named(connection, name)
            connection.execute(
                update(business_customers)
                .where(business_customers.c.id == row.id)
                .values(key_hash=_hash(key), key_created_at=now, revoked_at=None)
            )
            self._audit(connection, row.id, "opendsr.key_rotated", now)
            row = self._named(connection, name)
        return _info(row), key

    def authenticate(self, uow: UnitOfWork, key: str | None) -> BusinessCustomer:
        """The customer whose live key this is; InvalidApiKey otherwise."""
        if not key or len(key) > 200:
            raise InvalidApiKey()
        digest = _hash(key)
        with uow.reading() as connection:
            row = connection.execute(
                select(business_customers.c.id, business_customers.c.key_hash).where(
                    business_customers.c.key_hash == digest,
                    business_customers.c.revoked_at.is_(None),
                )
            ).first()
        # the look-up is by hash already; compare_digest keeps the final check constant-time
        if row is None or not hmac.compare_digest(bytes(row.key_hash), digest):
            raise InvalidApiKey()
        return BusinessCustomer(str(row.id))

    # --- the protocol --------------------------------------------------------------------

    def discovery(self) -> dict[str, Any]:
        """OpenDSR §6.3."""
        return {
            "api_version": API_VERSION,
            "supported_identities": [
                {"identity_type": kind, "identity_format": form} for kind, form in IDENTITIES
            ],
            "supported_subject_request_types": sorted(KINDS),
            "processor_certificate": f"{self._base_url}/opendsr/v1/cert.pem",
        }

    def certificate_pem(self, uow: UnitOfWork) -> str:
        with uow.writing() as connection:  # made on first use
            return self.signer.certificate_pem(connection, now=self._clock.now())

    def sign(self, uow: UnitOfWork, body: bytes) -> str:
        with uow.writing() as connection:
            return self.signer.sign(connection, body, now=self._clock.now())

    def create(
        self,
        uow: UnitOfWork,
        customer: BusinessCustomer,
        *,
        subject_request_id: str,
        subject_request_type: str,
        identities: Sequence[tuple[str, str, str]],
        submitted_time: datetime,
        callback_urls: Sequence[str],
        raw: bytes,
        mode: Mode,
    ) -> OpenDsrReceipt:
        """File the customer's request in the queue, verified, all or nothing."""
        kind = KINDS.get(subject_request_type)
        if kind is None:
            raise InvalidField("subject_request_type", "must be access, erasure or portability")
        if not identities:
            raise InvalidField("subject_identities", "name at least one identity")
        identities = [_identity(*identity) for identity in identities]
        if len(callback_urls) > MAX_CALLBACK_URLS:
            raise InvalidField("status_callback_urls", f"at most {MAX_CALLBACK_URLS} URLs")
        urls = list(
            dict.fromkeys(  # a URL named twice is called once
                check_callback_url(url, mode=mode, position=i)
                for i, url in enumerate(callback_urls, start=1)
            )
        )
        try:
            return self._file(
                uow,
                customer,
                kind=kind,
                subject_request_id=subject_request_id,
                identities=identities,
                submitted_time=submitted_time,
                urls=urls,
                raw=raw,
            )
        except IntegrityError:
            # two at once with the same id: the unique constraint refused the second, and
            # its transaction (the request filed in the queue too) rolled back whole
            raise Conflict(_DUPLICATE) from None

    def _file(
        self,
        uow: UnitOfWork,
        customer: BusinessCustomer,
        *,
        kind: RequestKind,
        subject_request_id: str,
        identities: Sequence[tuple[str, str, str]],
        submitted_time: datetime,
        urls: Sequence[str],
        raw: bytes,
    ) -> OpenDsrReceipt:
        now = self._clock.now()
        customer_id = int(customer.customer_id)
        with uow.writing() as connection:
            taken = connection.execute(
                select(opendsr_requests.c.id).where(
                    opendsr_requests.c.customer_id == customer_id,
                    opendsr_requests.c.subject_request_id == subject_request_id,
                )
            ).first()
            if taken is not None:
                raise Conflict(_DUPLICATE)
            index = self._keys.blind_index(connection)
            first = identities[0]
            requester = index.value(
                _INDEX_KIND, "\x00".join((customer.customer_id, first[0], first[1], first[2]))
            )
            details = {
                "controller_id": customer.customer_id,
                "subject_request_id": subject_request_id,
                "submitted_time": submitted_time.isoformat(),
                "identities": [
                    {"identity_type": t, "identity_format": f, "identity_value": v}
                    for t, f, v in identities
                ],
                "candidates": [kind.value],
            }
            try:
                request_id, reference, due_on = self._requests.file_in(
                    connection,
                    customer,
                    kind=kind,
                    requester=requester,
                    details=details,
                    channel=RequestChannel.OPENDSR,
                    now=now,
                )
            except DuplicateRequest as duplicate:
                # issue 15 item 8: the same identity's request of this kind is open; the
                # controller is told its own id for it (nothing is filed)
                open_id = connection.execute(
                    select(opendsr_requests.c.subject_request_id)
                    .join(subject_requests, subject_requests.c.id == opendsr_requests.c.request_id)
                    .where(
                        subject_requests.c.reference == duplicate.reference,
                        opendsr_requests.c.customer_id == customer_id,
                    )
                ).scalar()
                raise Conflict(f"{_OPEN_ALREADY}: {open_id or duplicate.reference}") from None
            subject_id = connection.execute(
                select(subject_requests.c.subject_id).where(subject_requests.c.id == request_id)
            ).scalar_one()
            connection.execute(
                insert(opendsr_requests).values(
                    customer_id=customer_id,
                    request_id=request_id,
                    subject_id=subject_id,
                    subject_request_id=subject_request_id,
                    callback_urls=json.dumps(urls),
                    request_status=OpenDsrStatus.PENDING.value,
                    submitted_at=submitted_time.astimezone(UTC),
                    received_at=now,
                )
            )
        return OpenDsrReceipt(
            controller_id=customer.customer_id,
            subject_request_id=subject_request_id,
            received_time=now,
            expected_completion_time=self._end_of(due_on),
            encoded_request=base64.b64encode(raw).decode("ascii"),
        )

    def status(
        self, uow: UnitOfWork, customer: BusinessCustomer, subject_request_id: str
    ) -> OpenDsrState:
        with uow.reading() as connection:
            row = self._own(connection, customer, subject_request_id)
        return self._state(customer, row)

    def cancel(
        self, uow: UnitOfWork, customer: BusinessCustomer, subject_request_id: str
    ) -> tuple[OpenDsrState, datetime]:
        """The controller withdraws the request (OpenDSR §9): Action.CANCEL; Conflict when
        it is completed or cancelled already. Returns the state after, and when."""
        now = self._clock.now()
        with uow.writing() as connection:
            own = self._own(connection, customer, subject_request_id)
            row = self._requests.row_in(connection, own.reference)
            held = self._access.open_held(
                connection, customer, row.subject_id, RIGHTS, operation=Operation.WRITE
            )
            self._requests.apply_in(connection, held, row, Action.CANCEL, customer, now)
            own = self._own(connection, customer, subject_request_id)
        return self._state(customer, own), now

    # --- callbacks -----------------------------------------------------------------------

    def _status_changed(
        self, connection: Connection, row: Any, after: SubjectRequest, now: datetime
    ) -> None:
        """Queue a callback per URL when the OpenDSR status or the expected time moved."""
        own = connection.execute(
            select(opendsr_requests).where(opendsr_requests.c.request_id == row.id)
        ).first()
        if own is None:
            return  # not an OpenDSR request (or being filed: its first status is pending)
        status = reported(RequestStatus(row.status), after.status)
        due_on = connection.execute(
            select(subject_requests.c.due_on).where(subject_requests.c.id == row.id)
        ).scalar_one()
        if status.value == own.request_status and due_on == row.due_on:
            return
        connection.execute(
            update(opendsr_requests)
            .where(opendsr_requests.c.id == own.id)
            .values(request_status=status.value)
        )
        expected = self._end_of(due_on)
        # a newer status supersedes one not yet sent: the controller never hears an older
        # status after a newer one (a retried callback would otherwise arrive late)
        connection.execute(
            update(opendsr_callbacks)
            .where(
                opendsr_callbacks.c.opendsr_request_id == own.id,
                opendsr_callbacks.c.sent_at.is_(None),
                opendsr_callbacks.c.given_up_at.is_(None),
            )
            .values(given_up_at=now, last_error=SUPERSEDED)
        )
        for url in json.loads(own.callback_urls):
            connection.execute(
                insert(opendsr_callbacks).values(
                    opendsr_request_id=own.id,
                    url=url,
                    request_status=status.value,
                    expected_completion_time=expected,
                    created_at=now,
                    attempts=0,
                    next_attempt_at=now,
                )
            )

    def deliver(
        self, uow: UnitOfWork, *, mode: Mode, limit: int = 200, timeout: float = 5.0
    ) -> Delivery:
        """Send the due callbacks once each, signed; a failure waits for its back-off."""
        now = self._clock.now()
        with uow.reading() as connection:
            due = connection.execute(
                select(
                    opendsr_callbacks,
                    opendsr_requests.c.subject_request_id,
                    opendsr_requests.c.customer_id,
                )
                .join(
                    opendsr_requests,
                    opendsr_requests.c.id == opendsr_callbacks.c.opendsr_request_id,
                )
                .where(
                    opendsr_callbacks.c.sent_at.is_(None),
                    opendsr_callbacks.c.given_up_at.is_(None),
                    opendsr_callbacks.c.next_attempt_at <= now,
                )
                .order_by(opendsr_callbacks.c.next_attempt_at, opendsr_callbacks.c.id)
                .limit(limit)
            ).all()
        sent = retried = given_up = 0
        failed: set[str] = set()  # endpoints that failed in this pass: not called again now
        for callback in due:
            if callback.url in failed:
                with uow.writing() as connection:
                    connection.execute(
                        update(opendsr_callbacks)
                        .where(opendsr_callbacks.c.id == callback.id)
                        .values(next_attempt_at=now + FIRST_RETRY)
                    )
                retried += 1
                continue
            body = callback_body(
                controller_id=str(callback.customer_id),
                subject_request_id=callback.subject_request_id,
                url=callback.url,
                status=callback.request_status,
                expected=callback.expected_completion_time,
            )
            signature = self.sign(uow, body)
            headers = {
                "Content-Type": "application/json",
                "X-OpenDSR-Processor-Domain": self.domain,
                "X-OpenDSR-Signature": signature,
                # OpenDSR §10.1: the prior (OpenGDPR) names are honoured too
                "X-OpenGDPR-Processor-Domain": self.domain,
                "X-OpenGDPR-Signature": signature,
                "User-Agent": "privaat-opendsr/1",
            }
            error: str | None = None
            try:
                code = post(callback.url, body, headers, mode=mode, timeout=timeout)
                if not 200 <= code < 300:
                    error = f"HTTP {code}"
            except CallbackRefused as refused:
                error = f"refused: {refused}"
            except OSError as failure:
                error = f"unreachable: {type(failure).__name__}"
            if error is not None:
                failed.add(callback.url)
            attempts = callback.attempts + 1
            with uow.writing() as connection:
                values: dict[str, Any] = {"attempts": attempts, "last_error": error}
                if error is None:
                    values["sent_at"] = self._clock.now()
                    sent += 1
                elif now - callback.created_at >= GIVE_UP_AFTER:
                    values["given_up_at"] = self._clock.now()
                    given_up += 1
                    AuditTrail.append(
                        connection,
                        at=now,
                        actor=CALLBACK_JOB.actor,
                        action="opendsr.callback_given_up",
                        subject_pseudonym=None,
                        detail={"callback": callback.id, "controller": str(callback.customer_id)},
                    )
                else:
                    wait = min(FIRST_RETRY * 2 ** (attempts - 1), LAST_RETRY)
                    values["next_attempt_at"] = now + wait
                    retried += 1
                connection.execute(
                    update(opendsr_callbacks)
                    .where(opendsr_callbacks.c.id == callback.id)
                    .values(**values)
                )
        return Delivery(sent=sent, retried=retried, given_up=given_up)

    # --- the steps -----------------------------------------------------------------------

    def _own(self, connection: Connection, customer: BusinessCustomer, srid: str) -> Any:
        row = connection.execute(
            select(
                opendsr_requests,
                subject_requests.c.reference,
                subject_requests.c.due_on,
            )
            .join(subject_requests, subject_requests.c.id == opendsr_requests.c.request_id)
            .where(
                opendsr_requests.c.customer_id == int(customer.customer_id),
                opendsr_requests.c.subject_request_id == srid,
            )
        ).first()
        if row is None:
            raise UnknownRequest()
        return row

    def _state(self, customer: BusinessCustomer, row: Any) -> OpenDsrState:
        return OpenDsrState(
            controller_id=customer.customer_id,
            subject_request_id=row.subject_request_id,
            request_status=OpenDsrStatus(row.request_status),
            expected_completion_time=self._end_of(row.due_on),
            received_time=row.received_at,
            reference=row.reference,
        )

    def _end_of(self, due_on: date) -> datetime:
        """The last second of the due day on the controller's calendar, in UTC: the first
        quarter hour (every zone's offset is one) whose local date is past it, less 1 s."""
        moment = datetime.combine(due_on, time(0), UTC) - timedelta(hours=15)
        while self._requests.local_date(moment) <= due_on:
            moment += timedelta(minutes=15)
        return moment - timedelta(seconds=1)

    def _named(self, connection: Connection, name: str) -> Any:
        row = connection.execute(
            select(business_customers).where(business_customers.c.name == name.strip())
        ).first()
        if row is None:
            raise NoSuchCustomer(name)
        return row

    @staticmethod
    def _audit(connection: Connection, customer_id: int, action: str, now: datetime) -> None:
        AuditTrail.append(
            connection,
            at=now,
            actor="system:business-customers",
            action=action,
            subject_pseudonym=None,
            detail={"controller": str(customer_id)},
        )


def callback_body(
    *, controller_id: str, subject_request_id: str, url: str, status: str, expected: datetime
) -> bytes:
    """OpenDSR §8.6's callback body, as the bytes that are signed and sent."""
    return json.dumps(
        {
            "controller_id": controller_id,
            "expected_completion_time": rfc3339(expected),
            "status_callback_url": url,
            "subject_request_id": subject_request_id,
            "request_status": status,
            "api_version": API_VERSION,
        },
        separators=(",", ":"),
    ).encode()


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _identity(kind: str, form: str, value: str) -> tuple[str, str, str]:
    """One identity, checked and normalised (an address in lower case, a hash in hex)."""
    if (kind, form) not in IDENTITIES:
        supported = ", ".join(f"{t}/{f}" for t, f in IDENTITIES)
        raise InvalidField("subject_identities", f"{kind}/{form} is not supported ({supported})")
    value = value.strip()
    if form == "sha256":
        value = value.lower()
        if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
            raise InvalidField("subject_identities", "a sha256 identity is 64 hex digits")
    elif kind == "email":
        value = value.lower()
        local, _, domain = value.rpartition("@")
        if not local or "." not in domain or len(value) > 254 or any(c.isspace() for c in value):
            raise InvalidField("subject_identities", "an email identity is an e-mail address")
    elif not value or len(value) > 200 or any(ord(c) < 32 for c in value):
        raise InvalidField("subject_identities", "an identity value is 1-200 characters")
    return kind, form, value


def _new_key() -> str:
    # 256 bits from the OS's CSPRNG, URL-safe, no padding (RFC 4648 §5)
    return KEY_PREFIX + base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()


def _hash(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def _info(row: Any) -> CustomerInfo:
    return CustomerInfo(
        controller_id=str(row.id),
        name=row.name,
        created_at=row.created_at,
        key_created_at=row.key_created_at,
        revoked_at=row.revoked_at,
    )
