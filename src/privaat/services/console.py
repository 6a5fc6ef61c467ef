"""What the staff console shows: counts, the outbox, the audit trail, a customer's account.

    Console.overview      counts only (accounts, outbox by state, audit entries): any role
    Console.outbox        queued / sent / failed per template; a privacy officer also sees each
                          message's recipient and subject line, opened through the seam
    Console.audit_entries the newest entries of the chain (pseudonyms only); verify_audit
    Console.look_up       e-mail ─blind index─▶ account ─SubjectAccess.open(staff, activity)─▶
                          the fields whose data category the activity declares, nothing else

Every read of a customer's data is the seam's (guard + access log, as ``staff:<id>:<role>``),
under the activity the role works for (``LOOK_UP_ACTIVITY``): the customer can see who read
their account and why (issue 10). Which role may open which page is the console's role
table (``web.console.access``); this module trusts the principal it is given.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, MetaData, case, func, select

from privaat.domain.activities import RIGHTS
from privaat.domain.errors import AccessDenied
from privaat.domain.principal import StaffMember, StaffRole
from privaat.mail.transport import OutgoingMail
from privaat.policy.schema import Policy
from privaat.services.contact_fields import normalise_email
from privaat.services.errors import InvalidField, NotPermitted
from privaat.services.subject_access import Operation, SubjectAccess
from privaat.store.audit import AuditEntry, AuditTrail, ChainVerdict
from privaat.store.crypto import CryptoError
from privaat.store.key_errors import KeyStoreError
from privaat.store.key_store import KeyStore
from privaat.store.registry import Personal, SubjectTable, table_spec
from privaat.store.tables import accounts, audit_log, outbox, staff_members
from privaat.store.unit_of_work import UnitOfWork

__all__ = [
    "LOOK_UP_ACTIVITY",
    "MappedColumn",
    "MappedTable",
    "SUPPORT_DESK",
    "AccountField",
    "Console",
    "CustomerRecord",
    "MailState",
    "OutboxMessage",
    "OutboxView",
    "Overview",
    "data_map_tables",
]

log = logging.getLogger("privaat.console")

# the provider's customer-service activity; a policy without it gives support no look-up
# (the guard refuses an undeclared activity), while the privacy officer's is the engine's own
SUPPORT_DESK = "support_desk"
LOOK_UP_ACTIVITY: Mapping[StaffRole, str] = {
    StaffRole.PRIVACY_OFFICER: RIGHTS,  # art. 12-22: answering the customer's request
    StaffRole.SUPPORT: SUPPORT_DESK,  # P7: helping the customer who asked
    StaffRole.SUPPORT_LEAD: SUPPORT_DESK,
}
# the associated data a queued message is encrypted under (``services.outbox.queue``)
_MESSAGE_FIELD = "outbox.message"
AUDIT_PAGE = 100
OUTBOX_LIST = 50

# the account's encrypted fields, in the order a page shows them (``accounts.<field>_enc``)
_ACCOUNT_FIELDS = (
    "email",
    "name",
    "street",
    "postal_code",
    "city",
    "phone",
    "vat_number",
    "display_name",
    "birth_date",
)


class MailState(StrEnum):
    """Where a queued message is (``outbox``)."""

    QUEUED = "queued"  # not yet accepted by the mail server, still tried
    SENT = "sent"  # accepted by the mail server
    FAILED = "failed"  # given up: refused for good, unopenable, or too old (RFC 5321 §4.5.4.1)


@dataclass(frozen=True, slots=True)
class Overview:
    accounts: int
    mail: Mapping[MailState, int]
    audit_entries: int
    staff_members: int


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """One message as a privacy officer sees it; ``to``/``subject`` None when withheld."""

    id: int
    state: MailState
    template: str
    activity: str
    created_at: datetime
    attempts: int
    to: str | None
    subject: str | None


@dataclass(frozen=True, slots=True)
class OutboxView:
    counts: Mapping[tuple[MailState, str], int]  # (state, template) → messages
    messages: Sequence[OutboxMessage] | None  # None: this role sees no recipients


@dataclass(frozen=True, slots=True)
class AccountField:
    field: str  # ``accounts.<field>``
    category: str
    value: str | None
    withheld: bool  # the category is restricted for this activity (art. 18(1))


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    """The fields of one account that ``activity`` may read, and nothing else of it."""

    pseudonym: str
    activity: str
    status: str
    created_at: datetime
    fields: Sequence[AccountField]


_STATE = case(
    (outbox.c.sent_at.is_not(None), MailState.SENT.value),
    (outbox.c.given_up_at.is_not(None), MailState.FAILED.value),
    else_=MailState.QUEUED.value,
)


class Console:
    """The console's read use cases over the store, each in one read transaction."""

    def __init__(self, *, access: SubjectAccess, keys: KeyStore, policy: Policy) -> None:
        self._access, self._keys, self._policy = access, keys, policy
        self.activities = frozenset({RIGHTS})  # SUPPORT_DESK only where the policy has it

    def overview(self, uow: UnitOfWork) -> Overview:
        """Counts for the dashboard: nothing in them names or points at a person."""
        with uow.reading() as connection:
            grouped = connection.execute(select(_STATE, func.count()).group_by(_STATE)).all()
            mail = {str(state): int(count) for state, count in grouped}
            return Overview(
                accounts=_count(connection, accounts),
                mail={state: int(mail.get(state.value, 0)) for state in MailState},
                audit_entries=_count(connection, audit_log),
                staff_members=_count(connection, staff_members),
            )

    def outbox(self, uow: UnitOfWork, staff: StaffMember) -> OutboxView:
        """Counts per state and template; the newest messages' recipients for a privacy officer."""
        with uow.reading() as connection:
            rows = connection.execute(
                select(_STATE, outbox.c.template, func.count()).group_by(_STATE, outbox.c.template)
            ).all()
            counts = {(MailState(state), template): int(n) for state, template, n in rows}
            if staff.role is not StaffRole.PRIVACY_OFFICER:
                return OutboxView(counts, None)
            listed = connection.execute(
                select(
                    outbox.c.id,
                    _STATE.label("state"),
                    outbox.c.template,
                    outbox.c.activity,
                    outbox.c.created_at,
                    outbox.c.attempts,
                    outbox.c.subject_id,
                    outbox.c.message_enc,
                )
                .order_by(outbox.c.id.desc())
                .limit(OUTBOX_LIST)
            ).all()
            messages = [self._message(connection, staff, row) for row in listed]
        return OutboxView(counts, messages)

    def audit_entries(self, uow: UnitOfWork, *, limit: int = AUDIT_PAGE) -> list[AuditEntry]:
        """The newest ``limit`` entries of the audit trail, newest first."""
        with uow.reading() as connection:
            head = AuditTrail.head(connection)
            if head is None:
                return []
            entries = list(AuditTrail.entries(connection, after_seq=max(head[0] - limit, 0)))
        return entries[::-1]

    def verify_audit(self, uow: UnitOfWork) -> ChainVerdict:
        """Recompute the whole chain (``AuditTrail.verify``)."""
        with uow.reading() as connection:
            return AuditTrail.verify(connection)

    def look_up(self, uow: UnitOfWork, staff: StaffMember, email: str) -> CustomerRecord | None:
        """The account of ``email`` read as ``staff`` under the role's activity, or None when
        no account has that address; InvalidField for no address at all, AccessDenied when
        the guard refuses the activity."""
        activity = LOOK_UP_ACTIVITY.get(staff.role)
        if activity is None:  # the role table keeps other roles out; this is the backstop
            raise NotPermitted(f"the {staff.role.value} role looks up no customer")
        try:
            address = normalise_email(email.strip())  # as sign-up stored and indexed it
        except ValueError as error:
            raise InvalidField("email", str(error)) from None
        index = self._keys.cached_blind_index
        if index is None:  # the first use may create the index key: a write
            with uow.writing() as connection:
                index = self._keys.blind_index(connection)
        with uow.reading() as connection:
            bidx = index.email(address)
            subject_id = connection.execute(
                select(accounts.c.subject_id).where(accounts.c.email_bidx == bidx)
            ).scalar()
            if subject_id is None:
                return None
            opened = self._access.open(connection, staff, subject_id, activity)
        declared = set(self._policy.activity(activity).data_categories)
        categories = _field_categories()
        fields = []
        for field in _ACCOUNT_FIELDS:
            category = categories[field]
            if category not in declared:
                continue  # art. 5(1)(c): the activity reads only the data it declares
            column = f"accounts.{field}"
            withheld = opened.withholds(column)
            value = None if withheld else opened.decrypt(column, opened.record[f"{field}_enc"])
            fields.append(AccountField(column, category, value, withheld))
        return CustomerRecord(
            pseudonym=opened.pseudonym,
            activity=activity,
            status=str(opened.record["status"]),
            created_at=opened.record["created_at"],
            fields=fields,
        )

    def _message(self, connection: Connection, staff: StaffMember, row: Any) -> OutboxMessage:
        to = subject = None
        if row.subject_id is not None:
            try:
                opened = self._access.open_if_allowed(
                    connection, staff, row.subject_id, row.activity, operation=Operation.READ
                )
                if opened is not None:
                    document = opened.cipher.decrypt(_MESSAGE_FIELD, row.message_enc)
                    mail = OutgoingMail(**json.loads(document))
                    to, subject = mail.to, mail.subject
            except (AccessDenied, CryptoError, KeyStoreError) as error:
                # the subject's key is gone (erased) or the message cannot be read: withheld
                log.info("outbox message %s withheld: %s", row.id, type(error).__name__)
        return OutboxMessage(
            id=row.id,
            state=MailState(row.state),
            template=row.template,
            activity=row.activity,
            created_at=row.created_at,
            attempts=row.attempts,
            to=to,
            subject=subject,
        )


def _count(connection: Connection, table: Any) -> int:
    return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def _field_categories() -> dict[str, str]:
    found = {}
    for field in _ACCOUNT_FIELDS:
        role = accounts.c[f"{field}_enc"].info["personal"]
        found[field] = role.category
    return found


@dataclass(frozen=True, slots=True)
class MappedColumn:
    name: str
    activity: str | None  # None: technical (a key, an id, a token's hash)
    category: str | None
    erasure: str | None


@dataclass(frozen=True, slots=True)
class MappedTable:
    """One table of the data map: how it reaches a subject and what each column holds."""

    name: str
    subject_column: str | None  # None: no row names a subject (``reason`` says why)
    reason: str | None
    clock: str | None  # what starts the retention clock
    hold: str | None  # the activity held rows are kept for after erasure
    columns: Sequence[MappedColumn]


def data_map_tables(metadata: MetaData) -> list[MappedTable]:
    """The art. 30 data map as the registry declares it on the tables (``store.registry``)."""
    tables = []
    for table in metadata.sorted_tables:
        spec = table_spec(table)
        columns = []
        for column in table.columns:
            role = column.info.get("personal")
            if isinstance(role, Personal):
                columns.append(
                    MappedColumn(column.name, role.activity, role.category, role.erasure.value)
                )
            else:
                columns.append(MappedColumn(column.name, None, None, None))
        if isinstance(spec, SubjectTable):
            tables.append(
                MappedTable(table.name, spec.subject_column, None, spec.clock, spec.hold, columns)
            )
        else:
            tables.append(MappedTable(table.name, None, spec.reason, spec.clock, None, columns))
    return tables
