"""The steps that carry out a request: rectification, erasure, restriction, objection
(issue 11 items 5-9; GDPR art. 16-19, 21; LEGAL L34, L64-L67). ``ctx.rights`` is the one
entry point; the console's request page and ``privaat requests …`` call these methods.

Every step takes a request reference, checks the request's kind and status (a Conflict
says which was wrong; RequestNotFound for an unknown reference), runs in one transaction
through the seam under ``rights_handling``, is audited with nothing personal in clear, and
completes the request through ``SubjectRequests.apply_in``; every letter to the requester
names the Autoriteit Persoonsgegevens and how to complain (``mail.request_letters``)::

    rectify(uow, staff, ref, {"name": "…", "postal_code": "…"}) -> Rectified
        art. 16, 19: the account corrected, recipients told, the person told who  (rectification)
    erase(uow, staff, ref) -> ErasureDone
        art. 17: Erasure.erase, verified; what was kept, why, until when; the receipt
        (its SHA-256 in the audit trail); recipients and processors told          (request_erasure)
    restrict(uow, staff, ref, activities=(), categories=()) -> Restricted
        art. 18: whole or scoped; only during_restriction activities go on        (restrictions)
        (on a rectification request: while the accuracy is checked, art. 18(1)(a))
    lift(uow, staff, ref, days=7) -> LiftScheduled
        art. 18(3): the person is told first; lifted ``days`` later by
    lift_due(uow) -> LiftsDone            (`privaat jobs lift-restrictions`), once the letter went
    object(uow, staff, ref, activity) -> ObjectionTaken
        art. 21: recorded at once (Objections.object); direct marketing completes at once
    grounds(uow, officer, ref, activity, reason) -> ObjectionTaken
        art. 21(1): compelling grounds (Objections.record_compelling_grounds), kept with the
        request, the person told with the right to complain; completes
    uphold(uow, officer, ref) -> ObjectionTaken
        the objection stands: the person told, the request completes
    recipients_told(uow, staff, ref) -> list[Told]
        art. 19: who was told of the request's steps, and who had no address (the officer's list)

A rectification or objection the officer rejects is the refusal step of
``SubjectRequests.act`` (REFUSE, with reasons and the right to complain).

``object`` and ``grounds`` call the objection service, which commits on its own; the
request's part follows in a second transaction. Should that one fail, the objection stands
(as art. 21 wants, at once) and the step can be taken again: recording is idempotent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from privaat.domain.activities import RIGHTS
from privaat.domain.clock import Clock
from privaat.domain.principal import Principal, StaffMember, StaffRole
from privaat.domain.subject import DIRECT_MARKETING
from privaat.domain.subject_requests import Action, RequestKind
from privaat.i18n import translations
from privaat.mail.request_letters import objection_letter
from privaat.policy.schema import Policy
from privaat.services.erasure import Erasure
from privaat.services.errors import Conflict, InvalidField, NotPermitted
from privaat.services.external_stores import ExternalStores
from privaat.services.notifier import Notifier
from privaat.services.objections import ObjectionFinal, Objections
from privaat.services.outbox import queue
from privaat.services.recipient_notices import Told, load_request, requester_of, told_of
from privaat.services.rectification import Rectification, Rectified
from privaat.services.request_erasure import ErasureDone, RequestErasure
from privaat.services.request_tasks import RequestTasks
from privaat.services.restrictions import (
    LIFT_NOTICE_DAYS,
    LiftScheduled,
    LiftsDone,
    Restricted,
    Restrictions,
)
from privaat.services.subject_access import Operation, SubjectAccess
from privaat.services.subject_requests import SubjectRequests
from privaat.store.audit import AuditTrail
from privaat.store.key_store import KeyStore
from privaat.store.tables_rights import request_objections
from privaat.store.unit_of_work import UnitOfWork

__all__ = ["ObjectionTaken", "RightsHandling"]

_GROUNDS = "request_objections.grounds"
UPHELD, OVERRIDDEN = "upheld", "overridden"


@dataclass(frozen=True, slots=True)
class ObjectionTaken:
    """Where an objection request stands: the key recorded, the decision, if completed."""

    reference: str
    activity: str  # an activity id, or ``direct_marketing`` for all of it
    decision: str | None  # None: waiting for the officer; "upheld" or "overridden"
    completed: bool


class RightsHandling:
    """Carries out rectification, erasure, restriction and objection requests."""

    activities = frozenset({RIGHTS})

    def __init__(
        self,
        *,
        access: SubjectAccess,
        keys: KeyStore,
        requests: SubjectRequests,
        erasure: Erasure,
        objections: Objections,
        notifier: Notifier,
        policy: Policy,
        clock: Clock,
        base_url: str = "",
        stores: ExternalStores | None = None,
        tasks: RequestTasks | None = None,
    ) -> None:
        self._access, self._keys, self._requests = access, keys, requests
        self._erasure, self._objections, self._notifier = erasure, objections, notifier
        self._policy, self._clock = policy, clock
        self._base_url = base_url.rstrip("/")
        self._rectification = Rectification(
            access=access, requests=requests, policy=policy, clock=clock
        )
        self._restrictions = Restrictions(
            access=access, requests=requests, policy=policy, clock=clock
        )
        self._request_erasure = RequestErasure(
            access=access,
            requests=requests,
            erasure=erasure,
            policy=policy,
            clock=clock,
            keys=keys,
            stores=stores,
            tasks=tasks,
        )

    # --- art. 16 ---------------------------------------------------------------------

    def rectify(
        self,
        uow: UnitOfWork,
        staff: Principal,
        reference: str,
        changes: Mapping[str, str | None],
    ) -> Rectified:
        """Correct the account's fields (art. 16) and tell the recipients (art. 19)."""
        return self._rectification.rectify(uow, staff, reference, changes)

    # --- art. 17 ---------------------------------------------------------------------

    def erase(self, uow: UnitOfWork, staff: Principal, reference: str) -> ErasureDone:
        """Erase the person (art. 17); ErasureWaits / ErasureIncomplete change nothing."""
        return self._request_erasure.erase(uow, staff, reference)

    # --- art. 18 ---------------------------------------------------------------------

    def restrict(
        self,
        uow: UnitOfWork,
        staff: Principal,
        reference: str,
        *,
        activities: Sequence[str] = (),
        categories: Sequence[str] = (),
    ) -> Restricted:
        """Restrict processing, wholly or for the activities and data categories named."""
        return self._restrictions.restrict(
            uow, staff, reference, activities=activities, categories=categories
        )

    def lift(
        self, uow: UnitOfWork, staff: Principal, reference: str, *, days: int = LIFT_NOTICE_DAYS
    ) -> LiftScheduled:
        """Tell the person the restriction ends in ``days`` days; lifted then (L65)."""
        return self._restrictions.lift(uow, staff, reference, days=days)

    def lift_due(self, uow: UnitOfWork) -> LiftsDone:
        """Lift the restrictions whose day has come and whose letter has gone."""
        return self._restrictions.lift_due(uow)

    # --- art. 19 ---------------------------------------------------------------------

    def recipients_told(self, uow: UnitOfWork, staff: Principal, reference: str) -> list[Told]:
        """The recipients told of the request's steps, and those without an address."""
        with uow.reading() as connection:
            row = self._requests.row_in(connection, reference)
            self._access.open_held(connection, staff, row.subject_id, RIGHTS)
            return told_of(connection, self._policy, row.id)

    # --- art. 21 ---------------------------------------------------------------------

    def object(
        self, uow: UnitOfWork, staff: Principal, reference: str, *, activity: str
    ) -> ObjectionTaken:
        """Record the request's objection to ``activity`` (or ``direct_marketing``) at once;
        processing for the person stops. Direct marketing is absolute: completed at once."""
        with uow.reading() as connection:
            row = load_request(self._requests, connection, reference, RequestKind.OBJECTION)
            if self._objection_of(connection, row.id) is not None:
                raise Conflict(f"request {reference} has recorded its objection already")
        key = self._objections.object(uow, staff, row.subject_id, activity)
        now = self._clock.now()
        with uow.writing() as connection:
            row = load_request(self._requests, connection, reference, RequestKind.OBJECTION)
            if self._objection_of(connection, row.id) is not None:
                raise Conflict(f"request {reference} has recorded its objection already")
            held = self._access.open_held(
                connection, staff, row.subject_id, RIGHTS, operation=Operation.WRITE
            )
            connection.execute(
                insert(request_objections).values(
                    request_id=row.id, subject_id=row.subject_id, activity=key, at=now
                )
            )
            AuditTrail.append(
                connection,
                at=now,
                actor=staff.actor,
                action="request.objection_recorded",
                subject_pseudonym=held.pseudonym,
                detail={"reference": reference, "activity": key},
            )
            if key != DIRECT_MARKETING:
                return ObjectionTaken(reference, key, None, completed=False)
            # art. 21(3): no weighing, no grounds: the processing stops and the answer goes
            self._decide(connection, staff, row, UPHELD, None, now)
        return ObjectionTaken(reference, key, UPHELD, completed=True)

    def grounds(
        self,
        uow: UnitOfWork,
        officer: StaffMember,
        reference: str,
        *,
        activity: str,
        reason: str,
    ) -> ObjectionTaken:
        """The privacy officer's reviewed decision that compelling grounds override the
        objection (art. 21(1)): kept with the request, told to the person with the right to
        complain (by Objections.record_compelling_grounds); the request completes."""
        if officer.role is not StaffRole.PRIVACY_OFFICER:
            raise NotPermitted("only a privacy officer decides on compelling grounds")
        if not reason.strip():
            raise InvalidField("reason", "state the compelling grounds the decision rests on")
        with uow.reading() as connection:
            row = load_request(self._requests, connection, reference, RequestKind.OBJECTION)
            objection = self._pending(connection, reference, row.id)
        if activity != objection.activity:
            raise InvalidField(
                "activity",
                f"request {reference} objects to '{objection.activity}', not '{activity}'",
            )
        if objection.activity == DIRECT_MARKETING:
            raise ObjectionFinal("an objection to direct marketing is absolute (art. 21(3))")
        self._objections.record_compelling_grounds(
            uow, officer, row.subject_id, objection.activity, grounds=reason
        )
        now = self._clock.now()
        with uow.writing() as connection:
            row = load_request(self._requests, connection, reference, RequestKind.OBJECTION)
            self._decide(connection, officer, row, OVERRIDDEN, reason.strip(), now)
        return ObjectionTaken(reference, objection.activity, OVERRIDDEN, completed=True)

    def uphold(self, uow: UnitOfWork, officer: Principal, reference: str) -> ObjectionTaken:
        """The objection stands (no compelling grounds): the person is told, and the request
        completes; the processing stopped when it was recorded."""
        now = self._clock.now()
        with uow.writing() as connection:
            row = load_request(self._requests, connection, reference, RequestKind.OBJECTION)
            objection = self._pending(connection, reference, row.id)
            self._decide(connection, officer, row, UPHELD, None, now)
        return ObjectionTaken(reference, objection.activity, UPHELD, completed=True)

    # --- the steps ---------------------------------------------------------------------

    def _decide(
        self,
        connection: Connection,
        staff: Principal,
        request: Any,
        decision: str,
        grounds: str | None,
        now: datetime,
    ) -> None:
        subject_id = request.subject_id
        held = self._access.open_held(
            connection, staff, subject_id, RIGHTS, operation=Operation.WRITE
        )
        connection.execute(
            update(request_objections)
            .where(request_objections.c.request_id == request.id)
            .values(
                decision=decision,
                grounds_enc=None if grounds is None else held.cipher.encrypt(_GROUNDS, grounds),
                decided_at=now,
            )
        )
        AuditTrail.append(
            connection,
            at=now,
            actor=staff.actor,
            action=f"request.objection_{decision}",
            subject_pseudonym=held.pseudonym,
            detail={"reference": request.reference},
        )
        self._requests.apply_in(connection, held, request, Action.COMPLETE, staff, now)
        if decision != UPHELD:
            return  # the grounds were told by the objection service, with the complaint
        requester = requester_of(self._access, self._policy, connection, staff, request, held)
        if requester.to is None:
            return
        stored = self._objection_of(connection, request.id)
        key = stored.activity
        name = (
            self._marketing_words(requester.lang)
            if key == DIRECT_MARKETING
            else self._policy.activity(key).name.in_language(requester.lang)
        )
        sending = self._access.open(connection, staff, subject_id, RIGHTS, operation=Operation.SEND)
        letter = objection_letter(
            self._policy,
            to=requester.to,
            lang=requester.lang,
            reference=request.reference,
            activity=name,
        )
        queue(connection, sending, template="request_objection_upheld", mail=letter, at=now)

    @staticmethod
    def _marketing_words(lang: str) -> str:
        return translations(lang).gettext("direct marketing")

    def _pending(self, connection: Connection, reference: str, request_id: int) -> Any:
        objection = self._objection_of(connection, request_id)
        if objection is None:
            raise Conflict(f"request {reference} has recorded no objection yet: record it first")
        if objection.decision is not None:
            raise Conflict(f"the objection of request {reference} was decided already")
        return objection

    @staticmethod
    def _objection_of(connection: Connection, request_id: int) -> Any:
        return connection.execute(
            select(request_objections).where(request_objections.c.request_id == request_id)
        ).first()
