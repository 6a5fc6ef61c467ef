"""Sub-processor changes told to every affected business customer, with an objection window
(issue 15 item 10; GDPR art. 28(2), 28(4)).

    privaat business services NAME --service hosting --contact privacy@klant.nl
        which processor services the customer takes, and where its notices go
    privaat policy publish FILE       (services.policy_publishing, the same transaction)
        └── announce: per processor service whose sub_processors change
            (domain.subprocessor_changes), per customer taking it: a notice, its window
            open until the version's effective day; a customer without a contact is listed
            (``privaat business notices``) for the officer to reach otherwise
    privaat jobs business-notices     each unsent notice mailed (SMTP), in the customer's
                                      language; a failure is recorded and retried next run
    objection                         the customer's API key: POST
                                      /api/v1/business/notices/{id}/objection, or the
                                      officer records a reply (``privaat business object``);
                                      once, and only before the effective day
    the disclosure register           every notice, as a line of kind ``subprocessor_notice``
                                      (ground art. 28(2)), beside disclosures and handovers

No data subject is named: a business customer is a company, its contact address and an
objection's reason are sealed under the system key ``business-contacts``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from babel.dates import format_date
from sqlalchemy import Connection, RowMapping, delete, insert, select, update

from privaat.domain.clock import Clock
from privaat.domain.subprocessor_changes import ServiceChange, sub_processor_changes
from privaat.i18n import translations
from privaat.mail.transport import (
    MailDisconnected,
    MailRefused,
    MailTransport,
    OutgoingMail,
    compose,
)
from privaat.policy.schema import Policy
from privaat.services.contact_fields import normalise_email
from privaat.services.errors import Conflict, InvalidField
from privaat.store.audit import AuditTrail
from privaat.store.key_store import KeyStore
from privaat.store.tables_business import business_contacts, business_services, subprocessor_notices
from privaat.store.tables_opendsr import business_customers
from privaat.store.unit_of_work import UnitOfWork

__all__ = [
    "Notice",
    "NoticeNotFound",
    "SubProcessorNotices",
]

CONTACT_KEY = "business-contacts"  # the system key the contacts and reasons are sealed under
_CONTACT = "business_contacts.contact"
_REASON = "subprocessor_notices.objection"
_JOB = "system:business-notices"


class NoticeNotFound(Conflict):
    def __init__(self, notice_id: int) -> None:
        super().__init__(f"no sub-processor notice {notice_id} for this business customer")


@dataclass(frozen=True, slots=True)
class Notice:
    """One notice, as the customer and the officer see it (no address)."""

    id: int
    customer: str
    service: str
    policy_version: int
    added: tuple[str, ...]
    removed: tuple[str, ...]
    created_at: datetime
    objection_until: date
    sent_at: datetime | None
    last_error: str | None
    objected_at: datetime | None
    has_contact: bool


class SubProcessorNotices:
    def __init__(self, *, keys: KeyStore, policy: Policy, clock: Clock) -> None:
        self._keys, self._policy, self._clock = keys, policy, clock

    # --- the customer's services and contact ----------------------------------------

    def set_services(
        self,
        uow: UnitOfWork,
        name: str,
        services: Iterable[str],
        *,
        contact: str | None = None,
        language: str = "nl",
    ) -> tuple[str, ...]:
        """Record which processor services ``name`` takes (replacing the list) and, given,
        where its notices go; InvalidField names an unknown service or a bad address."""
        offered = {service.id for service in self._policy.processor_services}
        wanted = tuple(dict.fromkeys(services))
        for service in wanted:
            if service not in offered:
                raise InvalidField(
                    "service",
                    f"{service!r} is not a processor service of the policy "
                    f"({', '.join(sorted(offered)) or 'none'})",
                )
        if language not in self._policy.policy.languages:
            raise InvalidField("language", f"one of {', '.join(self._policy.policy.languages)}")
        address = None
        if contact is not None:
            try:
                address = normalise_email(contact)
            except ValueError as error:
                raise InvalidField("contact", str(error)) from None
        now = self._clock.now()
        with uow.writing() as connection:
            customer = _customer_id(connection, name)
            connection.execute(
                delete(business_services).where(business_services.c.customer_id == customer)
            )
            for service in wanted:
                connection.execute(
                    insert(business_services).values(
                        customer_id=customer, service=service, since=now
                    )
                )
            if address is not None:
                sealed = self._keys.system_cipher(connection, CONTACT_KEY).encrypt(
                    _CONTACT, address
                )
                connection.execute(
                    delete(business_contacts).where(business_contacts.c.customer_id == customer)
                )
                connection.execute(
                    insert(business_contacts).values(
                        customer_id=customer, contact_enc=sealed, language=language, updated_at=now
                    )
                )
            AuditTrail.append(
                connection,
                at=now,
                actor="system:operator",
                action="business.services_set",
                subject_pseudonym=None,
                detail={"customer": customer, "services": ",".join(wanted)},
            )
        return wanted

    # --- announcing ------------------------------------------------------------------

    def announce(self, connection: Connection, old: Policy, new: Policy, *, effective: date) -> int:
        """In the publication's transaction: a notice per changed service and customer."""
        changes = sub_processor_changes(old, new)
        now = self._clock.now()
        made = 0
        for change in changes:
            customers = connection.execute(
                select(business_services.c.customer_id)
                .join(
                    business_customers, business_customers.c.id == business_services.c.customer_id
                )
                .where(
                    business_services.c.service == change.service,
                    business_customers.c.revoked_at.is_(None),
                )
            ).scalars()
            for customer in customers:
                connection.execute(
                    insert(subprocessor_notices).values(
                        customer_id=customer,
                        service=change.service,
                        policy_version=new.policy.version,
                        changes=json.dumps(change.document(), sort_keys=True),
                        created_at=now,
                        objection_until=effective,
                        attempts=0,
                    )
                )
                made += 1
        if made:
            AuditTrail.append(
                connection,
                at=now,
                actor=_JOB,
                action="business.subprocessor_change_announced",
                subject_pseudonym=None,
                detail={
                    "version": new.policy.version,
                    "services": ",".join(change.service for change in changes),
                    "notices": made,
                    "objection_until": effective.isoformat(),
                },
            )
        return made

    @staticmethod
    def changes(old: Policy, new: Policy) -> tuple[ServiceChange, ...]:
        return sub_processor_changes(old, new)

    # --- delivering ------------------------------------------------------------------

    def deliver(self, uow: UnitOfWork, transport: MailTransport) -> tuple[int, int]:
        """Mail every unsent notice whose customer has a contact: (sent, failed)."""
        sent = failed = 0
        with uow.reading() as connection:
            pending = (
                connection.execute(
                    select(
                        subprocessor_notices,
                        business_customers.c.name,
                        business_contacts.c.contact_enc,
                        business_contacts.c.language,
                    )
                    .join(
                        business_customers,
                        business_customers.c.id == subprocessor_notices.c.customer_id,
                    )
                    .join(
                        business_contacts,
                        business_contacts.c.customer_id == subprocessor_notices.c.customer_id,
                    )
                    .where(subprocessor_notices.c.sent_at.is_(None))
                    .order_by(subprocessor_notices.c.id)
                )
                .mappings()
                .all()
            )
            cipher = self._keys.system_cipher(connection, CONTACT_KEY) if pending else None
        if not pending or cipher is None:
            return 0, 0
        try:
            with transport.connect() as session:
                for row in pending:
                    address = cipher.decrypt(_CONTACT, row["contact_enc"])
                    mail = self._mail(row, address)
                    now = self._clock.now()
                    try:
                        session.send(compose(mail, transport.sender, now))
                    except MailRefused as error:
                        self._record(uow, row["id"], error=str(error)[:300])
                        failed += 1
                        continue
                    self._record(uow, row["id"], sent_at=now)
                    sent += 1
        except MailDisconnected as error:
            for row in pending[sent + failed :]:
                self._record(uow, row["id"], error=f"server unreachable: {error.reason}"[:300])
                failed += 1
        return sent, failed

    def _record(
        self,
        uow: UnitOfWork,
        notice: int,
        *,
        sent_at: datetime | None = None,
        error: str | None = None,
    ) -> None:
        with uow.writing() as connection:
            connection.execute(
                update(subprocessor_notices)
                .where(subprocessor_notices.c.id == notice)
                .values(
                    sent_at=sent_at,
                    last_error=error,
                    attempts=subprocessor_notices.c.attempts + 1,
                )
            )

    def _mail(self, values: RowMapping, address: str) -> OutgoingMail:
        lang = str(values["language"])
        _ = translations(lang).gettext
        change = json.loads(str(values["changes"]))
        service = self._service_name(str(values["service"]), lang)
        until = values["objection_until"]
        day = (
            format_date(until, format="long", locale=lang)
            if isinstance(until, date)
            else str(until)
        )
        lines = [
            _("Dear %(customer)s,") % {"customer": values["name"]},
            "",
            _(
                "From %(day)s, %(controller)s changes the sub-processors of the service "
                "%(service)s that you take from us (GDPR art. 28(2)):"
            )
            % {"day": day, "controller": self._policy.controller.name, "service": service},
            "",
        ]
        for recipient in change["added"]:
            lines.append(_("- added: %(name)s") % {"name": self._recipient(recipient, lang)})
        for recipient in change["removed"]:
            lines.append(
                _("- no longer engaged: %(name)s") % {"name": self._recipient(recipient, lang)}
            )
        lines += [
            "",
            _(
                "You may object until %(day)s: answer this mail with your reasons, or send "
                "POST /api/v1/business/notices/%(id)s/objection with your API key."
            )
            % {"day": day, "id": values["id"]},
            "",
            self._policy.controller.name,
        ]
        subject = _("Change of sub-processors for %(service)s") % {"service": service}
        return OutgoingMail(to=address, subject=subject, body="\n".join(lines) + "\n")

    def _service_name(self, service: str, lang: str) -> str:
        for declared in self._policy.processor_services:
            if declared.id == service:
                return declared.name.in_language(lang)
        return service

    def _recipient(self, recipient: str, _lang: str) -> str:
        for declared in self._policy.recipients:
            if declared.id == recipient:
                return declared.name
        return recipient

    # --- objecting and listing --------------------------------------------------------

    def notices(self, uow: UnitOfWork, *, customer: int | None = None) -> list[Notice]:
        """Every notice (an officer), or one customer's own (its API key)."""
        statement = (
            select(
                subprocessor_notices,
                business_customers.c.name,
                business_contacts.c.customer_id.label("contact"),
            )
            .join(business_customers, business_customers.c.id == subprocessor_notices.c.customer_id)
            .outerjoin(
                business_contacts,
                business_contacts.c.customer_id == subprocessor_notices.c.customer_id,
            )
            .order_by(subprocessor_notices.c.id)
        )
        if customer is not None:
            statement = statement.where(subprocessor_notices.c.customer_id == customer)
        with uow.reading() as connection:
            rows = connection.execute(statement).mappings().all()
        return [_notice(row) for row in rows]

    def object(
        self,
        uow: UnitOfWork,
        notice_id: int,
        reason: str,
        *,
        customer: int | None = None,
        by: str = "business customer",
    ) -> Notice:
        """Record the customer's objection: once, before the effective day; NoticeNotFound
        for a notice of another customer (as for an unknown one)."""
        reason = " ".join(reason.split())
        if not 1 <= len(reason) <= 2000:
            raise InvalidField("reason", "give your reasons in 1-2000 characters")
        now = self._clock.now()
        with uow.writing() as connection:
            row = connection.execute(
                select(subprocessor_notices).where(subprocessor_notices.c.id == notice_id)
            ).first()
            if row is None or (customer is not None and row.customer_id != customer):
                raise NoticeNotFound(notice_id)
            if row.objected_at is not None:
                raise Conflict(
                    f"notice {notice_id}: an objection was recorded already, on "
                    f"{row.objected_at.date().isoformat()}"
                )
            if now.date() >= row.objection_until:
                raise Conflict(
                    f"notice {notice_id}: the objection window closed on "
                    f"{row.objection_until.isoformat()}, when the change took effect"
                )
            sealed = self._keys.system_cipher(connection, CONTACT_KEY).encrypt(_REASON, reason)
            connection.execute(
                update(subprocessor_notices)
                .where(
                    subprocessor_notices.c.id == notice_id,
                    subprocessor_notices.c.objected_at.is_(None),
                )
                .values(objected_at=now, objection_enc=sealed)
            )
            AuditTrail.append(
                connection,
                at=now,
                actor=_JOB if customer is None else f"business:{customer}",
                action="business.subprocessor_objection",
                subject_pseudonym=None,
                detail={"notice": notice_id, "by": by},
            )
        [notice] = [n for n in self.notices(uow) if n.id == notice_id]
        return notice


def _customer_id(connection: Connection, name: str) -> int:
    found = connection.execute(
        select(business_customers.c.id).where(business_customers.c.name == name.strip())
    ).scalar()
    if found is None:
        raise InvalidField("name", f"no business customer is named {name.strip()!r}")
    return int(found)


def _notice(values: RowMapping) -> Notice:
    change = json.loads(values["changes"])
    return Notice(
        id=values["id"],
        customer=values["name"],
        service=values["service"],
        policy_version=values["policy_version"],
        added=tuple(change["added"]),
        removed=tuple(change["removed"]),
        created_at=values["created_at"],
        objection_until=values["objection_until"],
        sent_at=values["sent_at"],
        last_error=values["last_error"],
        objected_at=values["objected_at"],
        has_contact=values["contact"] is not None,
    )
