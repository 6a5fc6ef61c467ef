"""Processors are told of every consent, objection and suppression change (issue 14 item 2;
LEGAL L11: a withdrawal must reach the mail service; P4, P11).

    the change's own transaction                          later, ``privaat processors deliver``
    ─────────────────────────────                          ─────────────────────────────────────
    Consents.on_change    ─┐                               claim the due webhook deliveries
    Objections.on_change  ─┼─▶ queue: one delivery per       (a lease; SKIP LOCKED on PostgreSQL)
    Campaigns.on_suppression┘   processor of the activity  POST, signed, outside any transaction
                                with a ``notify`` block    record the attempt: acknowledged, or
                                 ├─ webhook: body sealed     failing with its error and the next
                                 └─ e-mail: a letter in      attempt (back-off with jitter);
                                    the outbox                never given up, never dropped

Which processors: the recipients with role ``processor`` that the policy names for the
activity and gives a ``notify`` block; a processor without one is not told by the engine
(``untold`` lists them for the privacy officer). A direct-marketing objection concerns every
direct-marketing activity (art. 21(3)).

What it is told: the event id (also the ``Idempotency-Key``), the change, the activity, the
time and the person's pseudonym; the address only where the policy says the processor needs
it (``include_address``: the mail service must stop mailing it). The body is fixed when the
change is queued and sealed under the person's data key, so every retry sends the same bytes.

Each delivery opens the person under ``rights_handling`` through the enforcement seam: the
guard decides, the access log records it (a withdrawal is no reason to stop telling).
"""

from __future__ import annotations

import json
import os
import random
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from privaat.domain.activities import RIGHTS
from privaat.domain.clock import Clock
from privaat.domain.errors import AccessDenied
from privaat.domain.guard import is_direct_marketing
from privaat.domain.principal import SystemJob
from privaat.domain.processor_events import (
    SIGNATURE_HEADER,
    Change,
    DeliveryState,
    acknowledgement_refusal,
    retry_delay,
    sign,
)
from privaat.domain.subject import DIRECT_MARKETING
from privaat.mail.processor_letters import processor_letter
from privaat.policy.schema import Policy, Recipient, RecipientRole, WebhookNotify
from privaat.services.consents import ConsentRecord
from privaat.services.opendsr_delivery import CallbackRefused, exchange
from privaat.services.outbox import queue
from privaat.services.subject_access import Opened, Operation, SubjectAccess
from privaat.settings import Mode
from privaat.store.audit import AuditTrail
from privaat.store.crypto import CryptoError
from privaat.store.key_errors import KeyStoreError
from privaat.store.tables import outbox, subjects
from privaat.store.tables_processor_deliveries import (
    processor_deliveries,
    processor_delivery_attempts,
)
from privaat.store.unit_of_work import UnitOfWork

__all__ = [
    "PROCESSORS_JOB",
    "TEMPLATE",
    "Delivery",
    "DeliveryPass",
    "ProcessorNotices",
]

PROCESSORS_JOB = SystemJob("processors")
TEMPLATE = "processor_change"  # the outbox template of a letter to a processor
_BODY = "processor_deliveries.body"  # the field the sealed body is bound to
MIN_SECRET_BYTES = 16  # 128 bits: an HMAC key shorter than that is guessable
_LEASE_MARGIN = timedelta(seconds=30)  # a claimed delivery is another worker's again after


@dataclass(frozen=True, slots=True)
class Delivery:
    """One delivery as the privacy officer sees it: pseudonym, never an address."""

    id: int
    event_id: str
    recipient: str
    channel: str  # webhook · email
    activity: str
    change: str
    pseudonym: str
    state: DeliveryState
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    last_error: str | None
    acknowledged_at: datetime | None
    mail: str | None = None  # an e-mail delivery's letter: queued · sent · given up


@dataclass(frozen=True, slots=True)
class DeliveryPass:
    """What one pass did."""

    acknowledged: int = 0
    failed: int = 0  # attempted and not acknowledged: retried later


@dataclass(frozen=True, slots=True)
class _Claimed:
    id: int
    event_id: str
    attempts: int
    webhook: WebhookNotify | None
    body: bytes | None  # None: it could not be opened (``error`` says why)
    error: str | None
    recipient: str = ""
    activity: str = ""
    change: str = ""
    pseudonym: str | None = None  # for the audit entry of an acknowledgement


class ProcessorNotices:
    """Queues each change for the processors concerned and delivers it until acknowledged."""

    activities = frozenset({RIGHTS})

    def __init__(
        self,
        *,
        access: SubjectAccess,
        policy: Policy,
        clock: Clock,
        mode: Mode,
        secrets: Mapping[str, str] | None = None,
        timeout: float = 5.0,
        draw: random.Random | None = None,
    ) -> None:
        self._access, self._policy, self._clock, self._mode = access, policy, clock, mode
        self._secrets = os.environ if secrets is None else secrets
        self._timeout = timeout
        self._draw = draw or random.SystemRandom()
        # the person opened in the change's transaction: a withdrawal's suppression and the
        # withdrawal itself are queued in one transaction and open the person once
        self._last: tuple[object, int, Opened | None] | None = None
        # activity → the processors told of its changes, in the policy's order
        self._told: dict[str, tuple[Recipient, ...]] = {
            activity.id: tuple(
                recipient
                for recipient in policy.recipients
                if recipient.id in activity.recipients
                and recipient.role is RecipientRole.PROCESSOR
                and recipient.notify is not None
            )
            for activity in policy.activities
        }

    def untold(self) -> list[tuple[Recipient, list[str]]]:
        """The processors of consent- or objection-bearing activities that the engine cannot
        tell (no ``notify`` block), with those activities: the officer tells them otherwise."""
        found: dict[str, tuple[Recipient, list[str]]] = {}
        for activity in self._policy.activities:
            if activity.consent is None and not activity.objection.possible:
                continue
            for recipient_id in activity.recipients:
                recipient = self._policy.recipient(recipient_id)
                if recipient.role is RecipientRole.PROCESSOR and recipient.notify is None:
                    found.setdefault(recipient.id, (recipient, []))[1].append(activity.id)
        return list(found.values())

    # --- the listeners: in the transaction of the change ----------------------------------

    def consent_changed(
        self, connection: Connection, opened: Opened, record: ConsentRecord
    ) -> None:
        """The consent ledger's listener."""
        change = Change.GIVEN if record.given else Change.WITHDRAWN
        self._queue(connection, opened.subject_id, (record.activity,), change, record.at)

    def objection_recorded(
        self, connection: Connection, subject_id: int, key: str, at: datetime
    ) -> None:
        """The objections' listener; a direct-marketing objection concerns all of it."""
        if key == DIRECT_MARKETING:
            concerned = tuple(a.id for a in self._policy.activities if is_direct_marketing(a))
        else:
            concerned = (key,)
        self._queue(connection, subject_id, concerned, Change.OBJECTED, at)

    def suppression_changed(
        self, connection: Connection, subject_id: int, activity: str, suppressed: bool, at: datetime
    ) -> None:
        """The suppression list's listener."""
        change = Change.SUPPRESSED if suppressed else Change.LIFTED
        self._queue(connection, subject_id, (activity,), change, at)

    def _queue(
        self,
        connection: Connection,
        subject_id: int,
        activities: Iterable[str],
        change: Change,
        at: datetime,
    ) -> None:
        targets = [
            (activity, recipient)
            for activity in activities
            for recipient in self._told.get(activity, ())
        ]
        if not targets:
            return
        opened = self._opened_in(connection, subject_id)
        if opened is None:
            # never fail the change itself: kept, failing and visible, for the officer
            refusal = self._access.decide(connection, PROCESSORS_JOB, subject_id, RIGHTS)
            reason = f"not queued: the guard refused {RIGHTS} ({refusal.detail})"
            for activity, recipient in targets:
                connection.execute(
                    insert(processor_deliveries).values(
                        event_id=str(uuid.uuid4()),
                        subject_id=subject_id,
                        recipient=recipient.id,
                        channel="webhook"
                        if recipient.notify and recipient.notify.webhook
                        else "email",
                        activity=activity,
                        change=change.value,
                        created_at=at,
                        attempts=0,
                        state=DeliveryState.FAILING.value,
                        last_error=reason[:200],
                    )
                )
            return
        # art. 18(1): a restricted address stays shut; the processor then gets the pseudonym
        address = (
            None
            if opened.withholds("accounts.email")
            else opened.decrypt("accounts.email", opened.record.get("email_enc"))
        )
        for activity, recipient in targets:
            notify = recipient.notify
            assert notify is not None  # noqa: S101  (only recipients with a block are told)
            event_id = str(uuid.uuid4())
            shown = address if notify.include_address and address else None
            values: dict[str, Any] = {
                "event_id": event_id,
                "subject_id": subject_id,
                "recipient": recipient.id,
                "activity": activity,
                "change": change.value,
                "created_at": at,
                "attempts": 0,
            }
            if notify.webhook is not None:
                body = _body(self._policy, event_id, opened.pseudonym, activity, change, at, shown)
                values |= {
                    "channel": "webhook",
                    "body_enc": opened.cipher.encrypt_bytes(_BODY, body),
                    "state": DeliveryState.PENDING.value,
                    "next_attempt_at": at,
                }
            else:
                assert notify.email is not None  # noqa: S101  (the schema demands one)
                letter = processor_letter(
                    self._policy,
                    to=notify.email,
                    lang=notify.language or self._policy.policy.languages[0],
                    activity=activity,
                    change=change,
                    person=shown or opened.pseudonym,
                    at=at,
                    reference=event_id,
                )
                message_id = queue(connection, opened, template=TEMPLATE, mail=letter, at=at)
                values |= {
                    "channel": "email",
                    "state": DeliveryState.MAILED.value,
                    "outbox_id": message_id,
                }
            connection.execute(insert(processor_deliveries).values(**values))

    def _opened_in(self, connection: Connection, subject_id: int) -> Opened | None:
        """The person under rights_handling (None: the guard refuses), once per transaction."""
        transaction = connection.get_transaction()
        last = self._last  # one read: another thread may replace it meanwhile
        if last is not None and transaction is not None and last[0] is transaction:
            if last[1] == subject_id:
                return last[2]
        opened = self._access.open_if_allowed(
            connection, PROCESSORS_JOB, subject_id, RIGHTS, operation=Operation.WRITE
        )
        if transaction is not None:
            self._last = (transaction, subject_id, opened)
        return opened

    # --- the worker ------------------------------------------------------------------------

    def deliver(self, uow: UnitOfWork, *, limit: int = 100) -> DeliveryPass:
        """Post the due webhook deliveries once each (at most ``limit``) and record each
        attempt; a failure waits for its back-off, an acknowledgement ends the delivery."""
        claimed = self._claim(uow, limit)
        acknowledged = failed = 0
        for item in claimed:
            started = time.monotonic()
            status, refusal = self._attempt(item)
            elapsed = int((time.monotonic() - started) * 1000)
            self._record(uow, item, status, refusal, elapsed)
            if refusal is None:
                acknowledged += 1
            else:
                failed += 1
        return DeliveryPass(acknowledged=acknowledged, failed=failed)

    def _claim(self, uow: UnitOfWork, limit: int) -> list[_Claimed]:
        now = self._clock.now()
        lease = now + timedelta(seconds=self._timeout) + _LEASE_MARGIN
        found: list[_Claimed] = []
        with uow.writing() as connection:
            rows = connection.execute(
                select(processor_deliveries)
                .where(
                    processor_deliveries.c.channel == "webhook",
                    processor_deliveries.c.state.in_(
                        (DeliveryState.PENDING.value, DeliveryState.FAILING.value)
                    ),
                    processor_deliveries.c.next_attempt_at <= now,
                )
                .order_by(processor_deliveries.c.next_attempt_at, processor_deliveries.c.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
            if not rows:
                return []
            # a worker that dies mid-post leaves the lease to run out: another one retries
            connection.execute(
                update(processor_deliveries)
                .where(processor_deliveries.c.id.in_([row.id for row in rows]))
                .values(next_attempt_at=lease)
            )
            for row in rows:
                found.append(self._open(connection, row))
        return found

    def _open(self, connection: Connection, row: Any) -> _Claimed:
        try:
            notify = self._policy.recipient(row.recipient).notify
        except KeyError:
            notify = None
        webhook = None if notify is None else notify.webhook
        if webhook is None:
            # the policy in force no longer names this processor's webhook: kept, visible
            error = "the policy in force gives this recipient no webhook"
            return _Claimed(row.id, row.event_id, row.attempts, None, None, error)
        if row.body_enc is None:
            error = row.last_error or "nothing to send: the delivery holds no body"
            return _Claimed(row.id, row.event_id, row.attempts, webhook, None, error)
        try:
            opened = self._access.open(
                connection, PROCESSORS_JOB, row.subject_id, RIGHTS, operation=Operation.SEND
            )
            body = opened.cipher.decrypt_bytes(_BODY, row.body_enc)
        except AccessDenied as denied:
            return _Claimed(row.id, row.event_id, row.attempts, webhook, None, str(denied))
        except (CryptoError, KeyStoreError):
            error = "the person's key cannot open the delivery"
            return _Claimed(row.id, row.event_id, row.attempts, webhook, None, error)
        return _Claimed(
            row.id,
            row.event_id,
            row.attempts,
            webhook,
            body,
            None,
            recipient=row.recipient,
            activity=row.activity,
            change=row.change,
            pseudonym=opened.pseudonym,
        )

    def _attempt(self, item: _Claimed) -> tuple[int | None, str | None]:
        """The HTTP status (None without an answer) and why it is no acknowledgement."""
        webhook = item.webhook
        if item.body is None or webhook is None:
            return None, item.error
        secret = self._secrets.get(webhook.secret_setting, "").encode("utf-8")
        if len(secret) < MIN_SECRET_BYTES:
            return None, (
                f"the setting {webhook.secret_setting} is not set or shorter than "
                f"{MIN_SECRET_BYTES} bytes"
            )
        stamp = int(self._clock.now().timestamp())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "privaat-processor-notices/1",
            "Idempotency-Key": item.event_id,
            SIGNATURE_HEADER: sign(secret, stamp, item.body),
        }
        try:
            answer = exchange(
                webhook.url, item.body, headers, mode=self._mode, timeout=self._timeout
            )
        except CallbackRefused as refused:
            return None, f"the URL may not be called: {refused}"
        except TimeoutError:
            return None, f"no answer within {self._timeout:g} s"
        except OSError as error:
            return None, f"cannot reach the processor ({type(error).__name__})"
        refusal = acknowledgement_refusal(
            secret,
            item.event_id,
            status=answer.status,
            body=answer.body,
            signature=answer.headers.get(SIGNATURE_HEADER.lower()),
            now=int(self._clock.now().timestamp()),
        )
        return answer.status, refusal

    def _record(
        self,
        uow: UnitOfWork,
        item: _Claimed,
        status: int | None,
        refusal: str | None,
        elapsed_ms: int,
    ) -> None:
        now = self._clock.now()
        attempts = item.attempts + 1
        if refusal is None:
            values: dict[str, Any] = {
                "state": DeliveryState.ACKNOWLEDGED.value,
                "acknowledged_at": now,
                "next_attempt_at": None,
                "last_error": None,
            }
        else:
            values = {
                "state": DeliveryState.FAILING.value,
                "last_error": refusal[:200],
                "next_attempt_at": now + retry_delay(attempts, self._draw.random()),
            }
        with uow.writing() as connection:
            connection.execute(
                update(processor_deliveries)
                .where(processor_deliveries.c.id == item.id)
                .values(attempts=attempts, **values)
            )
            if refusal is None:
                # art. 5(2): the proof that the processor was told sits in the hash chain; the
                # pseudonym and the ids only, never the address
                AuditTrail.append(
                    connection,
                    at=now,
                    actor=PROCESSORS_JOB.actor,
                    action="processor.acknowledged",
                    subject_pseudonym=item.pseudonym,
                    detail={
                        "recipient": item.recipient,
                        "activity": item.activity,
                        "change": item.change,
                        "event_id": item.event_id,
                    },
                )
            connection.execute(
                insert(processor_delivery_attempts).values(
                    delivery_id=item.id,
                    at=now,
                    status=status,
                    error=None if refusal is None else refusal[:200],
                    acknowledged=refusal is None,
                    duration_ms=elapsed_ms,
                )
            )

    # --- what the officer sees ------------------------------------------------------------

    def deliveries(
        self, uow: UnitOfWork, *, failing_only: bool = False, limit: int = 500
    ) -> list[Delivery]:
        """The deliveries, failing ones first, then newest first; no address, no body."""
        query = (
            select(
                processor_deliveries.c.id,
                processor_deliveries.c.event_id,
                processor_deliveries.c.recipient,
                processor_deliveries.c.channel,
                processor_deliveries.c.activity,
                processor_deliveries.c.change,
                processor_deliveries.c.state,
                processor_deliveries.c.attempts,
                processor_deliveries.c.created_at,
                processor_deliveries.c.next_attempt_at,
                processor_deliveries.c.last_error,
                processor_deliveries.c.acknowledged_at,
                subjects.c.pseudonym,
                outbox.c.id.label("mail_id"),
                outbox.c.sent_at.label("mail_sent_at"),
                outbox.c.given_up_at.label("mail_given_up_at"),
            )
            .join(subjects, subjects.c.id == processor_deliveries.c.subject_id)
            .outerjoin(outbox, outbox.c.id == processor_deliveries.c.outbox_id)
            .order_by(
                (processor_deliveries.c.state == DeliveryState.FAILING.value).desc(),
                processor_deliveries.c.id.desc(),
            )
            .limit(limit)
        )
        if failing_only:
            query = query.where(processor_deliveries.c.state == DeliveryState.FAILING.value)
        with uow.reading() as connection:
            rows = connection.execute(query).all()
        return [_delivery(row) for row in rows]

    def failing(self, uow: UnitOfWork) -> int:
        """How many deliveries are failing now."""
        with uow.reading() as connection:
            found: int = connection.execute(
                select(func.count())
                .select_from(processor_deliveries)
                .where(processor_deliveries.c.state == DeliveryState.FAILING.value)
            ).scalar_one()
        return found

    def attempts(self, uow: UnitOfWork, delivery_ids: Sequence[int]) -> dict[int, list[Any]]:
        """Each delivery's attempts in order: time, status, error, acknowledged, duration."""
        if not delivery_ids:
            return {}
        with uow.reading() as connection:
            rows = connection.execute(
                select(processor_delivery_attempts)
                .where(processor_delivery_attempts.c.delivery_id.in_(list(delivery_ids)))
                .order_by(processor_delivery_attempts.c.id)
            ).all()
        found: dict[int, list[Any]] = {}
        for row in rows:
            found.setdefault(row.delivery_id, []).append(row)
        return found


def _body(
    policy: Policy,
    event_id: str,
    pseudonym: str,
    activity: str,
    change: Change,
    at: datetime,
    address: str | None,
) -> bytes:
    document: dict[str, Any] = {
        "event_id": event_id,
        "type": f"privaat.{change.value}",
        "controller": policy.controller.name,
        "activity": activity,
        "change": change.value,
        "subject": pseudonym,
        "occurred_at": at.isoformat().replace("+00:00", "Z"),
    }
    if address is not None:
        document["email"] = address  # the policy says this processor needs it (L11)
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _delivery(row: Any) -> Delivery:
    mail: str | None = None
    if row.channel == "email":
        if row.mail_id is None:
            mail = "gone"
        elif row.mail_sent_at is not None:
            mail = "sent"
        elif row.mail_given_up_at is not None:
            mail = "given up"
        else:
            mail = "queued"
    return Delivery(
        id=row.id,
        event_id=row.event_id,
        recipient=row.recipient,
        channel=row.channel,
        activity=row.activity,
        change=row.change,
        pseudonym=row.pseudonym,
        state=DeliveryState(row.state),
        attempts=row.attempts,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        acknowledged_at=row.acknowledged_at,
        mail=mail,
    )
