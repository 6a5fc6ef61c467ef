"""Telling recipients of a rectification, erasure or restriction (GDPR art. 19; LEGAL L66),
and what every step of ``RightsHandling`` shares: the request in the state the step needs,
and where and in which language its requester is answered.

    recipients_of(policy, activities)   ── the recipients of those activities, once each,
        │                                  without authorities and successors (they receive
        │                                  data only on a disclosure, logged on its own, L36)
    tell(connection, opened, row, step, recipients, person, detail, now)
        ├── a contact address: a letter queued through the outbox     ── told "mail"
        └── none: recorded for the privacy officer to tell otherwise   ── told "no_address"
        each one a row of ``request_recipient_notices`` (the person gets the list, art. 19)

A recipient's letter names the person by their address with us, so the recipient can find
its copy; it is sealed in the outbox under the key of the ``opened`` subject like any mail.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from privaat.domain.activities import RIGHTS
from privaat.domain.principal import Principal
from privaat.domain.subject_requests import RequestKind, RequestStatus
from privaat.mail.request_letters import recipient_letter
from privaat.policy.schema import Policy, ProcessingActivity, Recipient, RecipientRole
from privaat.services.errors import Conflict
from privaat.services.outbox import queue
from privaat.services.subject_access import Opened, Operation, SubjectAccess
from privaat.services.subject_requests import SubjectRequests
from privaat.store.tables_rights import request_recipient_notices

__all__ = [
    "NO_ADDRESS",
    "WORKING",
    "TOLD_BY_MAIL",
    "Requester",
    "Told",
    "load_request",
    "recipients_of",
    "requester_of",
    "tell",
    "told_of",
]

TOLD_BY_MAIL = "mail"
NO_ADDRESS = "no_address"  # no contact address: the officer tells it by other means
_DETAILS = "subject_requests.details"
_NOT_TOLD = frozenset({RecipientRole.AUTHORITY, RecipientRole.SUCCESSOR})
WORKING = frozenset({RequestStatus.IN_PROGRESS, RequestStatus.EXTENDED})


@dataclass(frozen=True, slots=True)
class Told:
    """One recipient told of a step, and how (``mail`` or ``no_address``)."""

    recipient: str  # the policy's recipient id
    name: str
    step: str
    told: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Requester:
    """Where the answer goes and in which language; ``to`` None: no address to write to."""

    to: str | None
    lang: str
    details: dict[str, Any]


def load_request(
    requests: SubjectRequests,
    connection: Connection,
    reference: str,
    kind: RequestKind | tuple[RequestKind, ...],
    *,
    statuses: frozenset[RequestStatus] = WORKING,
) -> Any:
    """The stored request, if it is of ``kind`` (or one of them) and in one of ``statuses``;
    else a Conflict that says which (RequestNotFound for an unknown reference)."""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    row = requests.row_in(connection, reference)
    if row.kind not in {k.value for k in kinds}:
        wanted = " or ".join(k.value for k in kinds)
        raise Conflict(f"request {reference} is a request for {row.kind}, not for {wanted}")
    if RequestStatus(row.status) not in statuses:
        wanted = " or ".join(sorted(status.value.replace("_", " ") for status in statuses))
        raise Conflict(
            f"request {reference} is {row.status.replace('_', ' ')}; this step needs it {wanted}"
        )
    return row


def requester_of(
    access: SubjectAccess,
    policy: Policy,
    connection: Connection,
    principal: Principal,
    row: Any,
    held: Opened,
) -> Requester:
    """The address the request came from (or the account's) and the answer's language."""
    details: dict[str, Any] = json.loads(held.cipher.decrypt(_DETAILS, row.details_enc))
    record = held.record
    to = details.get("email")
    if not to and record.get("email_enc") is not None:
        sending = access.open(
            connection, principal, row.subject_id, RIGHTS, operation=Operation.SEND
        )
        to = sending.decrypt("accounts.email", record.get("email_enc"))
    lang = record.get("language") or details.get("language") or policy.policy.languages[0]
    return Requester(to or None, lang, details)


def recipients_of(policy: Policy, activities: Iterable[ProcessingActivity]) -> list[Recipient]:
    """The recipients of ``activities``, each once, in the policy's order."""
    wanted = {recipient for activity in activities for recipient in activity.recipients}
    return [
        recipient
        for recipient in policy.recipients
        if recipient.id in wanted and recipient.role not in _NOT_TOLD
    ]


def tell(
    connection: Connection,
    policy: Policy,
    opened: Opened,
    row: Any,
    *,
    step: str,
    recipients: Sequence[Recipient],
    person: str,
    detail: str,
    now: datetime,
) -> list[Told]:
    """Tell each recipient of ``step`` on the request ``row`` about ``person``; recorded."""
    lang = policy.policy.languages[0]  # a business letter, in the controller's language
    told: list[Told] = []
    for recipient in recipients:
        how = TOLD_BY_MAIL if recipient.contact_email else NO_ADDRESS
        if recipient.contact_email:
            letter = recipient_letter(
                policy,
                to=recipient.contact_email,
                lang=lang,
                reference=row.reference,
                step=step,
                person=person,
                detail=detail,
            )
            queue(connection, opened, template=f"recipient_{step}", mail=letter, at=now)
        connection.execute(
            insert(request_recipient_notices).values(
                request_id=row.id,
                subject_id=row.subject_id,
                recipient=recipient.id,
                step=step,
                told=how,
                at=now,
            )
        )
        told.append(Told(recipient.id, recipient.name, step, how, now))
    return told


def told_of(connection: Connection, policy: Policy, request_id: int) -> list[Told]:
    """The recipients told of the request's steps, in order (the officer's list, art. 19)."""
    names = {recipient.id: recipient.name for recipient in policy.recipients}
    rows = connection.execute(
        select(request_recipient_notices)
        .where(request_recipient_notices.c.request_id == request_id)
        .order_by(request_recipient_notices.c.id)
    ).all()
    return [
        Told(row.recipient, names.get(row.recipient, row.recipient), row.step, row.told, row.at)
        for row in rows
    ]
