"""Rectification (GDPR art. 16, 19; LEGAL L66): a request's corrections applied to the account.

    rectify(reference, {field: value})  ── a rectification request in progress or extended
        ├── every field one the account keeps, every value valid by the sign-up's own rules
        │   (services.account_commands): else InvalidField naming the field, nothing written
        ├── one transaction, through the seam under rights_handling:
        │     the account's columns re-encrypted under the data key
        │     request_rectifications: which fields and when (the values under the data key)
        │     every recipient of an activity that uses a corrected field's data category told
        │     (art. 19): a letter to its contact address, or listed for the officer
        │     COMPLETED through SubjectRequests.apply_in; the audit trail names the fields
        └── the person's letter: what was corrected and the recipients told (art. 19)

A new e-mail address is not set here: it takes effect only once the person confirms the
link sent to it (issue 5 item 2), in the privacy centre. A rectification the privacy
officer rejects is the refusal step (``SubjectRequests.act``, REFUSE, with reasons).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, insert, update

from privaat.domain.activities import RIGHTS
from privaat.domain.clock import Clock
from privaat.domain.guard import DenyReason
from privaat.domain.principal import Principal
from privaat.domain.subject_requests import Action, RequestKind
from privaat.mail.request_letters import rectification_letter
from privaat.policy.schema import Policy, ProcessingActivity
from privaat.services.account_commands import AccountUpdate
from privaat.services.errors import InvalidField
from privaat.services.outbox import queue
from privaat.services.recipient_notices import (
    TOLD_BY_MAIL,
    Told,
    load_request,
    recipients_of,
    requester_of,
    tell,
)
from privaat.services.subject_access import Opened, Operation, SubjectAccess
from privaat.services.subject_requests import SubjectRequests
from privaat.store.audit import AuditTrail
from privaat.store.registry import Personal
from privaat.store.tables import accounts
from privaat.store.tables_rights import request_rectifications
from privaat.store.unit_of_work import UnitOfWork

__all__ = [
    "CORRECTABLE",
    "Rectification",
    "Rectified",
    "category_of",
    "relevant_activities",
    "validated",
]

# the account's fields a request corrects (services.accounts.PERSONAL_FIELDS but the address,
# which its new holder confirms through a link) and the language letters are written in
CORRECTABLE = (
    "name",
    "street",
    "postal_code",
    "city",
    "phone",
    "vat_number",
    "display_name",
    "language",
)
_REQUIRED = frozenset({"name", "language"})
_VALUES = "request_rectifications.values"


@dataclass(frozen=True, slots=True)
class Rectified:
    """A completed rectification: the fields corrected and the recipients told."""

    reference: str
    fields: tuple[str, ...]
    told: tuple[Told, ...]


def _column(field: str) -> str:
    return field if field == "language" else f"{field}_enc"


def category_of(field: str) -> str:
    """The data category of an account field, as the registry declares it."""
    role = accounts.c[_column(field)].info["personal"]
    if not isinstance(role, Personal) or role.category is None:  # the registry forbids it
        raise TypeError(f"accounts.{field} declares no data category")
    return role.category


def relevant_activities(
    access: SubjectAccess,
    policy: Policy,
    connection: Connection,
    principal: Principal,
    subject_id: int,
    categories: frozenset[str] | None,
) -> list[ProcessingActivity]:
    """The activities that use any of ``categories`` (None: all) and process this person's
    data: the guard allows them, or refuses them only because processing is restricted."""
    chosen = []
    for activity in policy.activities:
        if categories is not None and not categories & set(activity.data_categories):
            continue
        decision = access.decide(connection, principal, subject_id, activity.id)
        if decision.allowed or decision.reason is DenyReason.RESTRICTED:
            chosen.append(activity)
    return chosen


def validated(changes: Mapping[str, str | None]) -> dict[str, Any]:
    """The corrections in canonical form; InvalidField naming the first bad field."""
    if not changes:
        raise InvalidField("fields", "name at least one field to correct")
    for field, value in changes.items():
        if field == "email":
            raise InvalidField(
                "email",
                "a new e-mail address takes effect once the person confirms the link sent to "
                "it: they change it in the privacy centre",
            )
        if field not in CORRECTABLE:
            raise InvalidField(field, f"no such field; the fields are {', '.join(CORRECTABLE)}")
        if value is None or not str(value).strip():
            if field in _REQUIRED:
                raise InvalidField(field, "cannot be empty")
    cleaned = {k: (None if v is None or not str(v).strip() else v) for k, v in changes.items()}
    try:
        command = AccountUpdate.model_validate(cleaned)
    except ValidationError as error:
        first = error.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "fields"
        raise InvalidField(field, str(first["msg"])) from None
    return command.model_dump(include=set(cleaned))


class Rectification:
    """Applies a rectification request's corrections and tells who must know."""

    def __init__(
        self,
        *,
        access: SubjectAccess,
        requests: SubjectRequests,
        policy: Policy,
        clock: Clock,
    ) -> None:
        self._access, self._requests, self._policy, self._clock = access, requests, policy, clock

    def rectify(
        self,
        uow: UnitOfWork,
        staff: Principal,
        reference: str,
        changes: Mapping[str, str | None],
    ) -> Rectified:
        """Apply ``changes`` (field → new value, None or "" clears an optional field) and
        complete the request; InvalidField, Conflict or RequestNotFound change nothing."""
        values = validated(changes)
        now = self._clock.now()
        with uow.writing() as connection:
            row = load_request(self._requests, connection, reference, RequestKind.RECTIFICATION)
            self._access.lock_subject(connection, row.subject_id)
            opened = self._access.open(
                connection, staff, row.subject_id, RIGHTS, operation=Operation.WRITE
            )
            if opened.record.get("status") is None:
                raise InvalidField("reference", "the requester has no account to correct")
            held = self._access.open_held(
                connection, staff, row.subject_id, RIGHTS, operation=Operation.WRITE
            )
            requester = requester_of(self._access, self._policy, connection, staff, row, held)
            person = opened.decrypt("accounts.email", opened.record["email_enc"]) or ""
            fields = tuple(sorted(values))
            self._write(connection, opened, row, values, now)
            categories = frozenset(category_of(field) for field in fields)
            recipients = recipients_of(
                self._policy,
                relevant_activities(
                    self._access, self._policy, connection, staff, row.subject_id, categories
                ),
            )
            detail = "\n".join(f"{field}: {values[field] or '-'}" for field in fields)
            told = tell(
                connection,
                self._policy,
                opened,
                row,
                step="rectification",
                recipients=recipients,
                person=person,
                detail=detail,
                now=now,
            )
            AuditTrail.append(
                connection,
                at=now,
                actor=staff.actor,
                action="request.rectified",
                subject_pseudonym=opened.pseudonym,
                detail={
                    "reference": reference,
                    "fields": ",".join(fields),
                    "recipients": ",".join(t.recipient for t in told),
                },
            )
            self._requests.apply_in(connection, held, row, Action.COMPLETE, staff, now)
            if requester.to:
                lang = values.get("language") or requester.lang
                # only the categories this policy declares: another provider's catalogue may
                # lack one the data registry names (a web shop has no "vat_number")
                declared = {c.id for c in self._policy.data_categories}
                words = [
                    self._policy.category(c).name.in_language(lang)
                    for c in sorted(categories)
                    if c in declared
                ] or list(fields)
                letter = rectification_letter(
                    self._policy,
                    to=requester.to,
                    lang=lang,
                    reference=reference,
                    fields=words,
                    told=[t.name for t in told if t.told == TOLD_BY_MAIL],
                    untold=[t.name for t in told if t.told != TOLD_BY_MAIL],
                )
                queue(connection, opened, template="request_rectified", mail=letter, at=now)
        return Rectified(reference, fields, tuple(told))

    @staticmethod
    def _write(
        connection: Connection, opened: Opened, row: Any, values: dict[str, Any], now: datetime
    ) -> None:
        columns: dict[str, Any] = {}
        for field, value in values.items():
            if field == "language":
                columns["language"] = value
            else:
                columns[f"{field}_enc"] = (
                    None if value is None else opened.cipher.encrypt(f"accounts.{field}", value)
                )
        connection.execute(
            update(accounts).where(accounts.c.subject_id == row.subject_id).values(**columns)
        )
        connection.execute(
            insert(request_rectifications).values(
                request_id=row.id,
                subject_id=row.subject_id,
                at=now,
                fields=",".join(sorted(values)),
                values_enc=opened.cipher.encrypt(_VALUES, json.dumps(values, sort_keys=True)),
            )
        )
