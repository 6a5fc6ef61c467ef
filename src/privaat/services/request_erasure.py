"""Erasure tied to a request (GDPR art. 17, 19; LEGAL L34, L64), with a completion receipt.

    erase(reference)  ── an erasure request in progress or extended
        ├── 1 (a read): the request, the person not erased yet (else Conflict), and what the
        │      answer needs once the data key is gone: the address, the language
        ├── 1b the stores outside privaat (services.external_stores), each erased and
        │      recorded in store_erasures as it is done; one that fails stops the erasure
        │      here, privaat's own data untouched, and a retry skips the stores done
        ├── 2 services.erasure.Erasure.erase: its own transaction, verified; ErasureWaits (a
        │      legal hold) or ErasureIncomplete leave the request exactly as it was
        └── 3 (one transaction, under rights_handling):
               what was kept, why (the activity, its legal basis, the statutory ground) and
               until when (the newest kept row's retention clock + the activity's longest
               retention period), from the registry and the policy
               the receipt: reference, kind, completed at, per table rows before and after,
               the data key destroyed, what was kept, why and until when; canonical JSON,
               kept with the request under the hold key, its SHA-256 in the audit trail
               the stores outside: per store and table, deleted, masked, held until when
               the certificate: the receipt signed (Ed25519, the controller's proof key),
               verifiable offline (``privaat requests verify-certificate``)
               COMPLETED through SubjectRequests.apply_in
               the recipients and processors of the activities that held the person's data
               told (art. 19), the requester sent the answer with the receipt

The erased person's data key is destroyed, and with it everything the outbox could seal
for them. The letters of step 3 travel under a key of their own: a fresh subject known only
from this correspondence (``SubjectAccess.create``, as for a person known only from a
request), whose outbox rows the retention of notices removes like any others.

An account closed by its holder (``Accounts.close``) is not erased at once: its data go
when their retention ends (P20), so there is no receipt to give then; an erasure request is
the way to erasure now.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from privaat.domain.activities import RIGHTS
from privaat.domain.clock import Clock
from privaat.domain.principal import Principal
from privaat.domain.request_tasks import Step
from privaat.domain.subject import SubjectState
from privaat.domain.subject_requests import Action, RequestKind
from privaat.mail.request_letters import KeptItem, erasure_letter
from privaat.policy.period import Period
from privaat.policy.schema import Policy, ProcessingActivity
from privaat.policy.stores import StoresFile
from privaat.policy.wording import legal_basis_words
from privaat.services.connectors import Identity, StoreError
from privaat.services.erasure import Erasure, ErasureReport, TableErased
from privaat.services.errors import Conflict
from privaat.services.external_stores import ExternalStores, identity_of
from privaat.services.outbox import queue
from privaat.services.recipient_notices import (
    Requester,
    Told,
    load_request,
    recipients_of,
    requester_of,
    tell,
)
from privaat.services.request_tasks import RequestTasks
from privaat.services.request_watchdog import record_store_failure
from privaat.services.subject_access import Operation, SubjectAccess
from privaat.services.subject_requests import SubjectRequests
from privaat.store.audit import AuditTrail
from privaat.store.consent_proof_keys import ConsentProofKeys
from privaat.store.holders import SubjectRef, count_all, holders
from privaat.store.key_store import KeyStore
from privaat.store.registry import ACCOUNT_CLOSURE, ErasureMode, personal_columns
from privaat.store.tables import audit_log, metadata, subjects
from privaat.store.tables_requests import subject_requests
from privaat.store.tables_rights import request_receipts
from privaat.store.tables_stores import erasure_certificates, store_erasures
from privaat.store.unit_of_work import UnitOfWork

__all__ = ["ErasureDone", "RequestErasure", "canonical"]

_RECEIPT = "request_receipts.document"
_DETAILS = "subject_requests.details"


@dataclass(frozen=True, slots=True)
class ErasureDone:
    """A completed erasure request: the receipt (canonical JSON) and its SHA-256."""

    reference: str
    receipt: str
    sha256: str
    kept: tuple[KeptItem, ...]
    told: tuple[Told, ...]
    report: ErasureReport


def canonical(document: dict[str, Any]) -> str:
    """The receipt as hashed: sorted keys, no spaces, UTF-8 (anyone can hash it again)."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class RequestErasure:
    """Carries out an erasure request and hands the requester its receipt."""

    def __init__(
        self,
        *,
        access: SubjectAccess,
        requests: SubjectRequests,
        erasure: Erasure,
        policy: Policy,
        clock: Clock,
        keys: KeyStore | None = None,
        stores: ExternalStores | None = None,
        tasks: RequestTasks | None = None,
    ) -> None:
        self._access, self._requests, self._erasure = access, requests, erasure
        self._tasks = tasks
        self._policy, self._clock = policy, clock
        self._stores = stores or ExternalStores(StoresFile(), policy)
        # the certificate is signed with the controller's proof key (store.consent_proof_keys)
        self._proof_keys = ConsentProofKeys(keys) if keys is not None else None
        self._keys = keys

    def erase(self, uow: UnitOfWork, staff: Principal, reference: str) -> ErasureDone:
        """Erase the request's subject and complete the request, or change nothing."""
        with uow.reading() as connection:
            load_request(self._requests, connection, reference, RequestKind.ERASURE)
        if self._tasks is not None:  # its manual tasks done, a second officer's approval
            self._tasks.before(uow, staff, reference, Step.ERASE)
        with uow.reading() as connection:
            row = load_request(self._requests, connection, reference, RequestKind.ERASURE)
            erased_at = connection.execute(
                select(subjects.c.erased_at).where(subjects.c.id == row.subject_id)
            ).scalar()
            held = self._access.open_held(connection, staff, row.subject_id, RIGHTS)
            requester = requester_of(self._access, self._policy, connection, staff, row, held)
            if erased_at is not None:
                own = self._own_erasure(connection, held.pseudonym, reference)
                if own is None:
                    raise Conflict(
                        f"the person of request {reference} was erased already, on "
                        f"{erased_at.date().isoformat()}: nothing was changed"
                    )
                # this request's own erasure committed and the process stopped before the
                # request was completed (a crash; issue 16 item 3): finish it, erase nothing
                report = self._after_the_fact(connection, held.pseudonym, row.subject_id, own)
                person = requester.to or ""
            else:
                opened = self._access.open(connection, staff, row.subject_id, RIGHTS)
                person = opened.decrypt("accounts.email", opened.record.get("email_enc")) or ""
                identity = identity_of(opened)
        if erased_at is None:
            if requester.to and not requester.details.get("email"):
                # where the answer goes, kept with the request (under its hold key) before
                # the data key goes: a process that stops after the erasure can still answer
                self._remember_address(uow, staff, reference, requester)
            if self._stores:  # first the stores outside: their search needs the person's data
                try:
                    self._erase_outside(uow, staff, row, identity, held.pseudonym)
                except StoreError as error:  # recorded for the watchdog (issue 15 item 7)
                    at = self._clock.now()
                    record_store_failure(
                        uow, self._access, staff, reference, error, operation="erasure", at=at
                    )
                    raise
            # ErasureWaits / ErasureIncomplete: nothing erased and the request as it was
            report = self._erasure.erase(
                uow, staff, row.subject_id, ground=f"erasure request {reference} (art. 17)"
            )
        now = self._clock.now()
        with uow.writing() as connection:
            row = self._requests.row_in(connection, reference)
            return self._complete(
                connection, staff, row, report, requester, person or requester.to or "", now
            )

    def _remember_address(
        self, uow: UnitOfWork, staff: Principal, reference: str, requester: Requester
    ) -> None:
        with uow.writing() as connection:
            row = self._requests.row_in(connection, reference)
            held = self._access.open_held(
                connection, staff, row.subject_id, RIGHTS, operation=Operation.WRITE
            )
            details = {**requester.details, "email": requester.to}
            connection.execute(
                update(subject_requests)
                .where(subject_requests.c.id == row.id)
                .values(details_enc=held.cipher.encrypt(_DETAILS, json.dumps(details)))
            )

    @staticmethod
    def _own_erasure(
        connection: Connection, pseudonym: str, reference: str
    ) -> dict[str, Any] | None:
        """The audit entry of this request's own erasure, if it committed (its ground names
        the request): what it deleted and kept."""
        ground = f"erasure request {reference} (art. 17)"
        for detail in connection.execute(
            select(audit_log.c.detail).where(
                audit_log.c.action == "subject.erased",
                audit_log.c.subject_pseudonym == pseudonym,
            )
        ).scalars():
            found = json.loads(detail)
            if found.get("ground") == ground:
                return dict(found)
        return None

    def _after_the_fact(
        self, connection: Connection, pseudonym: str, subject_id: int, erased: dict[str, Any]
    ) -> ErasureReport:
        """The report of an erasure that committed before its request was completed: what
        is kept now, per table (counted again), the rows it deleted in all (from its audit
        entry), the data key destroyed."""
        subject = SubjectRef(subject_id, pseudonym)
        walked = [h for h in holders() if h.held]
        counts = count_all(connection, subject, walked)
        kept = tuple(
            TableErased(h.table.name, counts[h.table.name], counts[h.table.name], h.spec.hold)
            for h in walked
            if counts[h.table.name]
        )
        deleted = int(erased.get("rows_deleted") or 0)
        gone = (TableErased("(erased before the crash, all tables)", deleted, 0, None),)
        return ErasureReport(
            pseudonym=pseudonym,
            tables=gone + kept,
            data_key_destroyed=bool(erased.get("data_key_destroyed")),
            tombstone_kept=True,
        )

    def _erase_outside(
        self, uow: UnitOfWork, staff: Principal, row: Any, identity: Identity, pseudonym: str
    ) -> None:
        """Erase the person from each store outside privaat, each recorded as it is done; a
        store that fails (StoreUnavailable, StoreMismatch) stops here, before privaat's own
        data is touched: the request stays in progress and a retry does the rest."""
        if self._keys is None:
            raise Conflict("erasure in other stores needs the key store (its masking key)")
        with uow.writing() as connection:
            index = self._keys.blind_index(connection)
            done = set(
                connection.execute(
                    select(store_erasures.c.store).where(store_erasures.c.request_id == row.id)
                ).scalars()
            )

        def keyed(text: str) -> bytes:
            return index.value("mask", text)

        today = self._clock.now().date()
        for outcome in self._stores.erase(identity, keyed=keyed, today=today, skip=done):
            now = self._clock.now()
            document = canonical(outcome.document(self._policy))
            with uow.writing() as connection:
                connection.execute(
                    insert(store_erasures).values(
                        request_id=row.id,
                        subject_id=row.subject_id,
                        at=now,
                        store=outcome.store,
                        outcome=document,
                    )
                )
                AuditTrail.append(
                    connection,
                    at=now,
                    actor=staff.actor,
                    action="request.store_erased",
                    subject_pseudonym=pseudonym,
                    detail={"reference": row.reference, "store": outcome.store},
                )

    def _complete(
        self,
        connection: Connection,
        staff: Principal,
        row: Any,
        report: ErasureReport,
        requester: Requester,
        person: str,
        now: datetime,
    ) -> ErasureDone:
        held = self._access.open_held(
            connection, staff, row.subject_id, RIGHTS, operation=Operation.WRITE
        )
        subject = SubjectRef(row.subject_id, report.pseudonym)
        kept = self._kept(connection, subject, report, requester.lang, now)
        document = {
            "reference": row.reference,
            "kind": RequestKind.ERASURE.value,
            "completed_at": now.isoformat(),
            "tables": [
                {"table": t.table, "before": t.before, "after": t.after, "kept_for": t.kept_for}
                for t in report.tables
            ],
            "data_key_destroyed": report.data_key_destroyed,
            "kept": [
                {"what": item.what, "why": item.why, "until": item.until.isoformat()}
                for item in kept
            ],
        }
        outside = connection.execute(
            select(store_erasures.c.outcome)
            .where(store_erasures.c.request_id == row.id)
            .order_by(store_erasures.c.id)
        ).scalars()
        stores = [json.loads(text) for text in outside]
        if stores:
            document["stores"] = stores
        manual = self._tasks.evidence(connection, staff, row) if self._tasks else []
        if manual:  # the systems done by hand, with their evidence (issue 15 items 3, 6)
            document["manual"] = manual
        receipt = canonical(document)
        digest = hashlib.sha256(receipt.encode()).hexdigest()
        if self._proof_keys is not None:  # the certificate: the receipt, signed (item 6)
            key = self._proof_keys.signing_key(connection, at=now)
            connection.execute(
                insert(erasure_certificates).values(
                    request_id=row.id,
                    subject_id=row.subject_id,
                    at=now,
                    signature=key.sign(receipt.encode()).hex(),
                    public_key=key.public_key().public_bytes_raw().hex(),
                )
            )
        connection.execute(
            insert(request_receipts).values(
                request_id=row.id,
                subject_id=row.subject_id,
                at=now,
                sha256=digest,
                document_enc=held.cipher.encrypt(_RECEIPT, receipt),
            )
        )
        self._requests.apply_in(connection, held, row, Action.COMPLETE, staff, now)
        # the completion receipt: which document answered which request (art. 5(2))
        AuditTrail.append(
            connection,
            at=now,
            actor=staff.actor,
            action="request.erased",
            subject_pseudonym=held.pseudonym,
            detail={"reference": row.reference, "sha256": digest},
        )
        # the data key is gone: the letters go under a key of their own (module docstring)
        carrier = self._access.create(connection, staff, RIGHTS, state=SubjectState.visitor())
        told = tell(
            connection,
            self._policy,
            carrier,
            row,
            step="erasure",
            recipients=recipients_of(self._policy, self._held_by(report)),
            person=person,
            detail="",
            now=now,
        )
        if requester.to:
            letter = erasure_letter(
                self._policy,
                to=requester.to,
                lang=requester.lang,
                reference=row.reference,
                kept=kept,
                told=[t.name for t in told],
                receipt=receipt,
                sha256=digest,
            )
            queue(connection, carrier, template="request_erased", mail=letter, at=now)
        return ErasureDone(row.reference, receipt, digest, tuple(kept), tuple(told), report)

    def _held_by(self, report: ErasureReport) -> list[ProcessingActivity]:
        """The activities whose columns held the person's data before the erasure."""
        named = {
            role.activity
            for t in report.tables
            if t.before
            if t.table in metadata.tables  # not the total of an erasure finished later
            for _column, role in personal_columns(metadata.tables[t.table])
        }
        return [activity for activity in self._policy.activities if activity.id in named]

    def _kept(
        self,
        connection: Connection,
        subject: SubjectRef,
        report: ErasureReport,
        lang: str,
        now: datetime,
    ) -> list[KeptItem]:
        """Per activity keeping rows: the data categories kept, why, and the last day."""
        by_table = {holder.table.name: holder for holder in holders()}
        until: dict[str, date] = {}
        categories: dict[str, list[str]] = {}
        for t in report.kept:
            holder = by_table[t.table]
            activity = self._policy.activity(t.kept_for or RIGHTS)
            start = now
            if holder.spec.clock != ACCOUNT_CLOSURE:
                clock = holder.table.c[holder.spec.clock]
                newest = connection.execute(
                    select(func.max(clock)).where(holder.of(subject))
                ).scalar()
                start = newest or now
            last = _longest(activity).after(start).date()
            until[activity.id] = max(until.get(activity.id, last), last)
            for _column, role in personal_columns(holder.table):
                if role.erasure is ErasureMode.HOLD and role.category:
                    names = categories.setdefault(activity.id, [])
                    if role.category not in names:
                        names.append(role.category)
        items = []
        for activity_id, last in until.items():
            activity = self._policy.activity(activity_id)
            # the data registry names the engine's categories; another provider's catalogue
            # may lack some of them (a web shop declares no "online_identifiers"): the letter
            # names what this policy declares, and the activity's own categories otherwise
            declared = {c.id for c in self._policy.data_categories}
            known = [c for c in categories[activity_id] if c in declared]
            words = [
                self._policy.category(c).name.in_language(lang)
                for c in known or activity.data_categories
            ]
            basis = legal_basis_words(activity.legal_basis, lang)
            why = f"{activity.name.in_language(lang)} ({basis})"
            grounds = [hold.ground.in_language(lang) for hold in activity.retention.legal_holds]
            if grounds:
                why += "; " + "; ".join(grounds)
            items.append(
                KeptItem(
                    what=", ".join(words) or activity.name.in_language(lang), why=why, until=last
                )
            )
        return items


def _longest(activity: ProcessingActivity) -> Period:
    # the activity's own period or a statutory hold's, whichever ends later (L34)
    periods = [activity.retention.period, *(hold.period for hold in activity.retention.legal_holds)]
    probe = datetime(2000, 1, 1)
    return max(periods, key=lambda period: period.after(probe))
