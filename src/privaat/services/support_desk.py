"""The support desk (issue 12 item 2, P5, P7, LEGAL L5): cases from e-mail, phone, web and in
person.

    file ── checked first (text rule, e-mail, phone, serials, dates, log size): bad input
       │    raises InvalidField and nothing is stored
       ├── signed-in customer (web) ─▶ their own subject, linked_by "signed_in"
       ├── e-mail, or staff giving the person's address
       │       the address is an account's *verified* address, exactly (L5)
       │           ─yes─▶ the account's subject, linked_by "verified_email"
       │           ─no──▶ a new subject without an account (as a website visitor): export and
       │                  erasure reach them like anyone else; the case is unlinked
       └── one writing transaction: case, products, first events; the reference "SC-…"

"Exactly" means: the blind index finds the account, the account's address is verified, and
the stored address equals the given one up to ASCII upper/lower case
(``domain.support_cases.same_address``; the mail's From as written, never normalised). Any
other difference is another address: a lookalike domain (``f1exibelt.nl``), a Cyrillic
letter, a Kelvin sign that Python's ``lower()`` turns into ``k``, a fullwidth letter that
IDNA maps to ASCII, an address the account never verified. Each gives an unlinked case, as
does a person's objection to support_linking or support_desk.

A case's status moves only by ``domain.support_cases.TRANSITIONS`` (``_move``); its closing
is the retention clock of its rows, and the retention sweep (issue 13) deletes a case a year
after it.

Every read and write opens the subject through ``SubjectAccess`` under ``support_desk``
(linking under ``support_linking``): guarded and access-logged; a person who objected cannot
be looked up by staff. Log files are scrubbed like telemetry crash logs
(``domain.telemetry_scrub``) and limited in size.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from privaat.domain.clock import Clock
from privaat.domain.principal import DataSubject, Principal, StaffMember, SystemJob
from privaat.domain.subject import SubjectState
from privaat.domain.support_cases import (
    MAX_LOG_BYTES,
    MAX_QUESTION,
    MAX_TITLE,
    CaseStatus,
    Channel,
    ContactBy,
    EventKind,
    LinkedBy,
    PurchaseDateInvalid,
    SerialInvalid,
    canonical_serial,
    check_purchase_date,
    find_reference,
    is_reference,
    latest_today,
    mail_line,
    mail_text,
    new_reference,
    same_address,
    status_after,
)
from privaat.domain.telemetry_scrub import scrub
from privaat.i18n import translations
from privaat.mail.transport import OutgoingMail
from privaat.policy.period import Period
from privaat.policy.schema import Policy
from privaat.services.contact_fields import normalise_email, normalise_phone
from privaat.services.errors import InvalidField, NotPermitted, ServiceError
from privaat.services.notifier import Notifier
from privaat.services.outbox import queue
from privaat.services.subject_access import Opened, Operation, SubjectAccess
from privaat.services.text_fields import TextRefused, check_text
from privaat.store.key_store import KeyStore
from privaat.store.tables import accounts
from privaat.store.tables_support import (
    support_case_events,
    support_case_products,
    support_cases,
)
from privaat.store.unit_of_work import UnitOfWork

__all__ = [
    "DESK",
    "LINKING",
    "MAIL_INTAKE",
    "MAX_LOG_BYTES",
    "CaseDetail",
    "CaseEvent",
    "CaseNotFound",
    "CaseStatus",
    "CaseSummary",
    "Channel",
    "ContactBy",
    "EventKind",
    "Filed",
    "LinkedBy",
    "LogFile",
    "NewCase",
    "Product",
    "SupportDesk",
    "check_log",
    "check_serial",
    "find_reference",
    "same_address",
]

DESK = "support_desk"
LINKING = "support_linking"
MAIL_INTAKE = SystemJob("support-mailbox")  # files the cases that arrive by mail
WEB = "customer"
MAX_PRODUCTS = 20
MAX_LOG_NAME = 120


class CaseNotFound(ServiceError):
    """No case has this reference (or the principal may not see it: one answer for both)."""

    def __init__(self) -> None:
        super().__init__("no support case has this reference")


@dataclass(frozen=True, slots=True)
class Product:
    """A product the case is about: its serial number and, if known, its purchase date."""

    serial: str
    purchased_on: date | None = None


@dataclass(frozen=True, slots=True)
class LogFile:
    """An attached log file: its name and its bytes (UTF-8 text, or read as Latin-1)."""

    name: str
    content: bytes


@dataclass(frozen=True, slots=True)
class NewCase:
    """What a new case says; checked by ``SupportDesk`` before anything is stored."""

    channel: Channel
    title: str
    question: str
    contact_by: ContactBy = ContactBy.EMAIL
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    products: tuple[Product, ...] = ()
    log: LogFile | None = None


@dataclass(frozen=True, slots=True)
class Filed:
    """A filed case (or a message added to one)."""

    reference: str
    linked: bool
    new_case: bool = True


@dataclass(frozen=True, slots=True)
class CaseSummary:
    reference: str
    channel: Channel
    status: CaseStatus
    opened_at: datetime
    closed_at: datetime | None
    title: str
    linked_by: LinkedBy | None


@dataclass(frozen=True, slots=True)
class CaseEvent:
    kind: EventKind
    at: datetime
    actor: str
    body: str | None
    log_name: str | None
    log: str | None


@dataclass(frozen=True, slots=True)
class CaseDetail:
    summary: CaseSummary
    question: str
    contact_by: ContactBy
    name: str | None
    email: str | None
    phone: str | None
    products: tuple[Product, ...]
    events: tuple[CaseEvent, ...] = field(default=())

    @property
    def reference(self) -> str:
        return self.summary.reference


@dataclass(frozen=True, slots=True)
class _Checked:
    channel: Channel
    title: str
    question: str
    contact_by: ContactBy
    name: str | None
    email: str | None
    phone: str | None
    products: tuple[Product, ...]
    log: tuple[str, str] | None  # name, scrubbed text


# --- pure checks ---------------------------------------------------------------------------


def _text(field_name: str, value: str, *, multiline: bool, limit: int) -> str:
    try:
        text = check_text(value, multiline=multiline)
    except TextRefused as error:
        raise InvalidField(field_name, str(error)) from None
    if len(text) > limit:
        raise InvalidField(field_name, f"at most {limit} characters")
    return text


def _optional_text(field_name: str, value: str | None, *, limit: int) -> str | None:
    if value is None or not value.strip():
        return None
    return _text(field_name, value, multiline=False, limit=limit)


def check_serial(value: str) -> str:
    """A product serial number in canonical form; InvalidField for anything else."""
    try:
        return canonical_serial(value)
    except SerialInvalid as error:
        raise InvalidField("serial", str(error)) from None


def _purchase_date(value: date | None, today: date) -> date | None:
    try:
        return check_purchase_date(value, today)
    except PurchaseDateInvalid as error:
        raise InvalidField("purchased_on", str(error)) from None


def check_log(log: LogFile) -> tuple[str, str]:
    """The log's name and its scrubbed text (phone numbers, addresses, credentials, call
    content removed); InvalidField when it is larger than ``MAX_LOG_BYTES`` or no text."""
    if len(log.content) > MAX_LOG_BYTES:
        raise InvalidField(
            "log", f"the log file is larger than {MAX_LOG_BYTES // (1024 * 1024)} MB"
        )
    name = _text("log", log.name or "log.txt", multiline=False, limit=MAX_LOG_NAME)
    if b"\x00" in log.content:
        raise InvalidField("log", "the log file is not a text file")
    try:
        text = log.content.decode("utf-8")
    except UnicodeDecodeError:
        text = log.content.decode("latin-1")
    cleaned = "".join(c for c in text if c in "\n\t" or unicodedata.category(c) != "Cc")
    return name, scrub(cleaned)


def _check(case: NewCase, today: date) -> _Checked:
    title = _text("title", case.title, multiline=False, limit=MAX_TITLE)
    question = _text("question", case.question, multiline=True, limit=MAX_QUESTION)
    name = _optional_text("name", case.name, limit=200)
    email: str | None = None
    if case.email is not None and case.email.strip():
        try:
            email = normalise_email(case.email.strip())
        except ValueError as error:
            raise InvalidField("email", str(error)) from None
    phone: str | None = None
    if case.phone is not None and case.phone.strip():
        try:
            phone = normalise_phone(case.phone.strip())
        except ValueError as error:
            raise InvalidField("phone", str(error)) from None
    if case.contact_by is ContactBy.EMAIL and email is None:
        raise InvalidField("email", "give an e-mail address to be contacted by e-mail")
    if case.contact_by is ContactBy.PHONE and phone is None:
        raise InvalidField("phone", "give a phone number to be contacted by phone")
    if len(case.products) > MAX_PRODUCTS:
        raise InvalidField("serial", f"at most {MAX_PRODUCTS} products per case")
    products = tuple(
        Product(check_serial(p.serial), _purchase_date(p.purchased_on, today))
        for p in case.products
    )
    log = check_log(case.log) if case.log is not None else None
    return _Checked(
        case.channel, title, question, case.contact_by, name, email, phone, products, log
    )


def _fields(checked: _Checked) -> dict[str, Any]:
    return {name: getattr(checked, name) for name in _Checked.__slots__}


def _mail_address(sender: str | None) -> str | None:
    """The From address as the mail gives it, when it is an address at all."""
    if sender is None or not sender.strip():
        return None
    address = sender.strip()
    try:
        normalise_email(address)
    except ValueError:
        return None
    return address


def _seal(opened: Opened, table: str, column: str, value: str | None) -> bytes | None:
    return opened.cipher.encrypt_optional(f"{table}.{column.removesuffix('_enc')}", value)


def _open(opened: Opened, table: str, column: str, blob: bytes | None) -> str | None:
    if blob is None or opened.withholds(f"{table}.{column}"):
        return None
    return opened.cipher.decrypt(f"{table}.{column.removesuffix('_enc')}", blob)


# --- the service ---------------------------------------------------------------------------


class SupportDesk:
    """Support cases: filed, linked to an account only from its verified address (L5), closed."""

    activities: frozenset[str] = frozenset({DESK, LINKING})

    def __init__(
        self,
        *,
        access: SubjectAccess,
        keys: KeyStore,
        policy: Policy,
        clock: Clock,
        notifier: Notifier,
        base_url: str,
    ) -> None:
        self._access, self._keys, self._policy, self._clock = access, keys, policy, clock
        self._notifier, self._base_url = notifier, base_url

    def _today(self) -> date:
        return latest_today(self._clock.now())

    # --- filing ----------------------------------------------------------------------

    def file_by_customer(self, uow: UnitOfWork, customer: DataSubject, case: NewCase) -> Filed:
        """A case the signed-in customer files in the privacy centre: linked to their account."""
        checked = _check(case, self._today())
        with uow.writing() as connection:
            opened = self._access.open(
                connection, customer, customer.subject_id, DESK, operation=Operation.WRITE
            )
            reference = self._insert(connection, opened, checked, LinkedBy.SIGNED_IN, actor=WEB)
        return Filed(reference, linked=True)

    def file_by_staff(self, uow: UnitOfWork, staff: StaffMember, case: NewCase) -> Filed:
        """A case staff file for a caller or a visitor at the desk; linked to an account only
        when the address the person gives is that account's verified address (L5)."""
        checked = _check(case, self._today())
        with uow.writing() as connection:
            return self._file_linked_or_not(
                connection, staff, checked, case.email, actor=staff.actor
            )

    def file_mail(
        self,
        uow: UnitOfWork,
        *,
        sender: str | None,
        subject: str,
        text: str,
        sender_name: str = "",
        log: LogFile | None = None,
    ) -> Filed:
        """A case from a mail to the support address, or a message on the case whose
        reference its subject quotes (only from the address that case has). ``sender`` is the
        From address exactly as the mail gives it: linking compares it, never a normalised
        form (an IDNA mapping turns lookalikes into the real domain)."""
        address = _mail_address(sender)
        case = NewCase(
            channel=Channel.EMAIL,
            title=mail_line(subject) or "(no subject)",
            question=mail_text(text) or "(no text)",
            contact_by=ContactBy.EMAIL,
            name=mail_line(sender_name) or None,
            email=address,
            log=log,
        )
        reference = find_reference(subject)
        with uow.writing() as connection:
            if reference is not None and address is not None:
                added = self._reply_mail(connection, reference, address, case)
                if added is not None:
                    return added
            checked = _check(case, self._today())
            checked = _Checked(**{**_fields(checked), "email": address})
            return self._file_linked_or_not(connection, MAIL_INTAKE, checked, address, actor="mail")

    def _file_linked_or_not(
        self,
        connection: Connection,
        principal: Principal,
        checked: _Checked,
        given_address: str | None,
        *,
        actor: str,
    ) -> Filed:
        subject_id = self._verified_account(connection, principal, given_address)
        opened = (
            self._access.open_if_allowed(
                connection, principal, subject_id, DESK, operation=Operation.WRITE
            )
            if subject_id is not None
            else None
        )
        linked: LinkedBy | None = LinkedBy.VERIFIED_EMAIL
        if opened is None:
            # no account, or one whose holder objected to support_desk (art. 21): the case
            # stands on its own, unlinked, and staff cannot find it through the account
            opened = self._access.create(connection, principal, DESK, state=SubjectState.visitor())
            linked = None
        reference = self._insert(connection, opened, checked, linked, actor=actor)
        return Filed(reference, linked=linked is not None)

    def _verified_account(
        self, connection: Connection, principal: Principal, email: str | None
    ) -> int | None:
        """The subject of the account whose verified address is exactly ``email`` (L5)."""
        if email is None or not email.strip():
            return None
        email = email.strip()
        bidx = self._keys.blind_index(connection).email(email)
        row = connection.execute(
            select(accounts.c.subject_id, accounts.c.email_enc).where(
                accounts.c.email_bidx == bidx, accounts.c.email_verified.is_(True)
            )
        ).first()
        if row is None:
            return None
        opened = self._access.open_if_allowed(connection, principal, row.subject_id, LINKING)
        if opened is None:  # objected to linking, closed, restricted: an unlinked case
            return None
        stored = opened.decrypt("accounts.email", row.email_enc)
        if stored is None or not same_address(email, stored):
            return None
        return int(row.subject_id)

    def _insert(
        self,
        connection: Connection,
        opened: Opened,
        checked: _Checked,
        linked: LinkedBy | None,
        *,
        actor: str,
    ) -> str:
        now = self._clock.now()
        reference = new_reference()
        table = support_cases.name
        case_id: int = connection.execute(
            insert(support_cases)
            .values(
                reference=reference,
                subject_id=opened.subject_id,
                actor=actor,
                channel=checked.channel.value,
                status=CaseStatus.OPEN.value,
                linked_by=linked.value if linked else None,
                opened_at=now,
                closed_at=None,
                title_enc=_seal(opened, table, "title_enc", checked.title),
                question_enc=_seal(opened, table, "question_enc", checked.question),
                contact_by=checked.contact_by.value,
                name_enc=_seal(opened, table, "name_enc", checked.name),
                email_enc=_seal(opened, table, "email_enc", checked.email),
                phone_enc=_seal(opened, table, "phone_enc", checked.phone),
            )
            .returning(support_cases.c.id)
        ).scalar_one()
        for product in checked.products:
            connection.execute(
                insert(support_case_products).values(
                    case_id=case_id,
                    subject_id=opened.subject_id,
                    serial_enc=_seal(
                        opened, support_case_products.name, "serial_enc", product.serial
                    ),
                    purchased_on=product.purchased_on,
                )
            )
        if checked.log is not None:
            self._event(connection, opened, case_id, EventKind.LOG, actor, log=checked.log)
        return reference

    def _event(
        self,
        connection: Connection,
        opened: Opened,
        case_id: int,
        kind: EventKind,
        actor: str,
        *,
        body: str | None = None,
        log: tuple[str, str] | None = None,
        closed_at: datetime | None = None,
    ) -> None:
        table = support_case_events.name
        connection.execute(
            insert(support_case_events).values(
                case_id=case_id,
                subject_id=opened.subject_id,
                kind=kind.value,
                actor=actor,
                at=self._clock.now(),
                body_enc=_seal(opened, table, "body_enc", body),
                log_name_enc=_seal(opened, table, "log_name_enc", log[0] if log else None),
                log_enc=_seal(opened, table, "log_enc", log[1] if log else None),
                closed_at=closed_at,
            )
        )

    def _reply_mail(
        self, connection: Connection, reference: str, sender: str, case: NewCase
    ) -> Filed | None:
        """The mail added as a message to case ``reference``, when that case's address is the
        sender's; None files a new case instead (a stranger cannot write into someone's case)."""
        row = self._row(connection, reference)
        if row is None:
            return None
        opened = self._access.open_if_allowed(
            connection, MAIL_INTAKE, row.subject_id, DESK, operation=Operation.WRITE
        )
        if opened is None:
            return None
        stored = _open(opened, support_cases.name, "email_enc", row.email_enc)
        if stored is None or not same_address(sender, stored):
            return None
        body = _text("question", case.question, multiline=True, limit=MAX_QUESTION)
        log = check_log(case.log) if case.log is not None else None
        self._message(connection, opened, row, body, "mail", log=log)
        return Filed(reference, linked=row.linked_by is not None, new_case=False)

    def _message(
        self,
        connection: Connection,
        opened: Opened,
        row: Row[Any],
        body: str,
        actor: str,
        *,
        log: tuple[str, str] | None = None,
    ) -> None:
        if self._move(connection, row, EventKind.MESSAGE):  # the person wrote again
            self._event(connection, opened, row.id, EventKind.REOPENED, actor)
        self._event(connection, opened, row.id, EventKind.MESSAGE, actor, body=body)
        if log is not None:
            self._event(connection, opened, row.id, EventKind.LOG, actor, log=log)

    # --- on a case -------------------------------------------------------------------

    def add_event(
        self,
        uow: UnitOfWork,
        principal: Principal,
        reference: str,
        kind: EventKind,
        text: str,
        *,
        log: LogFile | None = None,
    ) -> bool:
        """A note or a reply (staff), or a message (the case's own customer) on a case. A
        reply to a case whose person asked to be contacted by e-mail is also mailed to the
        case's address, with the reference in the subject so their answer joins the case;
        True when a mail was queued."""
        if isinstance(principal, DataSubject):
            if kind is not EventKind.MESSAGE:
                raise NotPermitted("a customer adds messages only")
        elif kind not in (EventKind.NOTE, EventKind.REPLY):
            raise InvalidField("kind", "staff add a note or a reply")
        body = _text("text", text, multiline=True, limit=MAX_QUESTION)
        checked_log = check_log(log) if log is not None else None
        with uow.writing() as connection:
            row, opened = self._opened_case(connection, principal, reference, Operation.WRITE)
            if kind is EventKind.MESSAGE:
                self._message(connection, opened, row, body, principal.actor, log=checked_log)
                return False
            self._event(
                connection,
                opened,
                row.id,
                kind,
                principal.actor,
                body=body,
                closed_at=row.closed_at,
            )
            if checked_log is not None:
                self._event(
                    connection,
                    opened,
                    row.id,
                    EventKind.LOG,
                    principal.actor,
                    log=checked_log,
                    closed_at=row.closed_at,
                )
            return kind is EventKind.REPLY and self._mail_reply(connection, opened, row, body)

    def _mail_reply(self, connection: Connection, opened: Opened, row: Row[Any], body: str) -> bool:
        """Queue the staff's reply to the case's own address, in the person's language."""
        if row.contact_by != ContactBy.EMAIL.value:
            return False  # they asked to be called: the agent calls, no mail
        address = _open(opened, support_cases.name, "email_enc", row.email_enc)
        if not address:
            return False
        languages = self._policy.policy.languages
        language = opened.record.get("language")
        gettext = translations(language if language in languages else languages[0]).gettext
        title = _open(opened, support_cases.name, "title_enc", row.title_enc) or ""
        provider = self._policy.controller.name
        text = "\n\n".join(
            (
                gettext("Customer service of %(provider)s answers your question:")
                % {"provider": provider},
                body,
                gettext(
                    "You can answer this e-mail; keep %(reference)s in the subject, so we see"
                    " it belongs to your question. You also find the case in the privacy"
                    " centre, under your questions to customer service."
                )
                % {"reference": row.reference},
            )
        )
        subject = f"[{row.reference}] {title}".strip()
        queue(
            connection,
            opened,
            template="support_reply",
            mail=OutgoingMail(to=address, subject=subject, body=text),
            at=self._clock.now(),
        )
        return True

    def close(self, uow: UnitOfWork, staff: StaffMember, reference: str) -> None:
        """Close the case: its retention clock (P1Y under support_desk) starts now."""
        with uow.writing() as connection:
            row, opened = self._opened_case(connection, staff, reference, Operation.WRITE)
            if status_after(CaseStatus(row.status), EventKind.CLOSED) is CaseStatus(row.status):
                return  # closed already: closing again changes nothing
            self._event(connection, opened, row.id, EventKind.CLOSED, staff.actor)
            self._move(connection, row, EventKind.CLOSED)

    def _move(self, connection: Connection, row: Row[Any], event: EventKind) -> bool:
        """The one place a case's status changes (``TRANSITIONS``); the closing is the
        retention clock of the case and of each of its rows. True when it changed."""
        before = CaseStatus(row.status)
        after = status_after(before, event)
        if after is before:
            return False
        at = self._clock.now() if after is CaseStatus.CLOSED else None
        connection.execute(
            update(support_cases)
            .where(support_cases.c.id == row.id)
            .values(status=after.value, closed_at=at)
        )
        for child in (support_case_events, support_case_products):
            connection.execute(update(child).where(child.c.case_id == row.id).values(closed_at=at))
        return True

    # --- retention -------------------------------------------------------------------

    def retention(self) -> Period:
        """How long a case is kept from its closing (the policy's support_desk: P1Y)."""
        return self._policy.activity(DESK).retention.period

    # --- reading ---------------------------------------------------------------------

    def queue(
        self, uow: UnitOfWork, staff: StaffMember | SystemJob, *, status: CaseStatus | None = None
    ) -> list[CaseSummary]:
        """The cases staff may see, open first, oldest first; a person who objected to
        support_desk is left out (the guard refuses their data)."""
        query = select(support_cases).order_by(
            support_cases.c.status.desc(), support_cases.c.opened_at, support_cases.c.id
        )
        if status is not None:
            query = query.where(support_cases.c.status == status.value)
        with uow.reading() as connection:
            rows = list(connection.execute(query.limit(500)))
            return list(self._summaries(connection, staff, rows))

    def mine(self, uow: UnitOfWork, customer: DataSubject) -> list[CaseSummary]:
        """The signed-in customer's own cases, newest first."""
        with uow.reading() as connection:
            rows = list(
                connection.execute(
                    select(support_cases)
                    .where(support_cases.c.subject_id == customer.subject_id)
                    .order_by(support_cases.c.opened_at.desc(), support_cases.c.id.desc())
                )
            )
            return list(self._summaries(connection, customer, rows))

    def _summaries(
        self, connection: Connection, principal: Principal, rows: Iterable[Row[Any]]
    ) -> Iterable[CaseSummary]:
        opened_of: dict[int, Opened | None] = {}
        for row in rows:
            if row.subject_id not in opened_of:
                opened_of[row.subject_id] = self._access.open_if_allowed(
                    connection, principal, row.subject_id, DESK
                )
            opened = opened_of[row.subject_id]
            if opened is not None:
                yield _summary(opened, row)

    def read(self, uow: UnitOfWork, principal: Principal, reference: str) -> CaseDetail:
        """One case with its products and events; a customer sees no staff notes."""
        with uow.reading() as connection:
            row, opened = self._opened_case(connection, principal, reference, Operation.READ)
            products = tuple(
                Product(
                    _open(opened, support_case_products.name, "serial_enc", p.serial_enc) or "",
                    p.purchased_on,
                )
                for p in connection.execute(
                    select(support_case_products)
                    .where(support_case_products.c.case_id == row.id)
                    .order_by(support_case_products.c.id)
                )
            )
            events = tuple(
                _event_of(opened, e)
                for e in connection.execute(
                    select(support_case_events)
                    .where(support_case_events.c.case_id == row.id)
                    .order_by(support_case_events.c.at, support_case_events.c.id)
                )
                if not (isinstance(principal, DataSubject) and e.kind == EventKind.NOTE.value)
            )
        table = support_cases.name
        return CaseDetail(
            summary=_summary(opened, row),
            question=_open(opened, table, "question_enc", row.question_enc) or "",
            contact_by=ContactBy(row.contact_by),
            name=_open(opened, table, "name_enc", row.name_enc),
            email=_open(opened, table, "email_enc", row.email_enc),
            phone=_open(opened, table, "phone_enc", row.phone_enc),
            products=products,
            events=events,
        )

    def exists(self, uow: UnitOfWork, reference: str) -> bool:
        """Whether a case has this reference (reads no personal data)."""
        with uow.reading() as connection:
            return self._row(connection, reference) is not None

    def _row(self, connection: Connection, reference: str) -> Row[Any] | None:
        wanted = reference.strip().upper()
        if not is_reference(wanted):
            return None
        return connection.execute(
            select(support_cases).where(support_cases.c.reference == wanted)
        ).first()

    def _opened_case(
        self, connection: Connection, principal: Principal, reference: str, operation: Operation
    ) -> tuple[Row[Any], Opened]:
        row = self._row(connection, reference)
        if row is None:
            raise CaseNotFound()
        if isinstance(principal, DataSubject) and principal.subject_id != row.subject_id:
            raise CaseNotFound()  # another person's case: as if it did not exist
        opened = self._access.open(connection, principal, row.subject_id, DESK, operation=operation)
        return row, opened


def _summary(opened: Opened, row: Row[Any]) -> CaseSummary:
    return CaseSummary(
        reference=row.reference,
        channel=Channel(row.channel),
        status=CaseStatus(row.status),
        opened_at=row.opened_at,
        closed_at=row.closed_at,
        title=_open(opened, support_cases.name, "title_enc", row.title_enc) or "",
        linked_by=LinkedBy(row.linked_by) if row.linked_by else None,
    )


def _event_of(opened: Opened, row: Row[Any]) -> CaseEvent:
    table = support_case_events.name
    return CaseEvent(
        kind=EventKind(row.kind),
        at=row.at,
        actor=row.actor,
        body=_open(opened, table, "body_enc", row.body_enc),
        log_name=_open(opened, table, "log_name_enc", row.log_name_enc),
        log=_open(opened, table, "log_enc", row.log_enc),
    )
