"""Restriction of processing (GDPR art. 18, 19; LEGAL L65, L87), tied to its request.

    restrict(reference, activities=(), categories=())  ── a restriction request at work
        ├── the whole subject (subjects.restricted) or a scope (restrictions rows and
        │   subjects.restriction_scoped): from this commit the guard refuses all but the
        │   activities declared ``during_restriction`` (storage, legal claims, art. 18(2))
        ├── request_restrictions: the scope, tied to the request
        ├── the recipients of the activities it stops told (art. 19)
        └── COMPLETED; the person's letter: what is restricted, who was told, and that they
            hear from us before it is lifted
        on a rectification request in progress the same restriction is tied to it while
        the accuracy it contests is checked (art. 18(1)(a)); that request completes with
        the correction, and the restriction stays until it is lifted
    lift(reference, days=7)  ── the person is told first (art. 18(3), L65): the letter is
        │                      queued and the lift set ``days`` ahead (at least 7)
    lift_due()               ── `privaat jobs lift-restrictions`: lifts those whose day has
                               come and whose letter the outbox has sent; never before

Two requests that restrict the same thing each hold it: lifting one leaves what the other
still restricts in force.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from privaat.domain.activities import RIGHTS
from privaat.domain.clock import Clock
from privaat.domain.principal import Principal, SystemJob
from privaat.domain.subject_requests import Action, RequestKind, RequestStatus
from privaat.i18n import translations
from privaat.mail.request_letters import lift_letter, restriction_letter
from privaat.policy.schema import Policy
from privaat.services.errors import Conflict, InvalidField
from privaat.services.outbox import queue
from privaat.services.recipient_notices import (
    TOLD_BY_MAIL,
    Told,
    load_request,
    recipients_of,
    requester_of,
    tell,
)
from privaat.services.rectification import relevant_activities
from privaat.services.subject_access import Operation, SubjectAccess
from privaat.services.subject_requests import SubjectRequests
from privaat.store.audit import AuditTrail
from privaat.store.tables import outbox, restrictions, subjects
from privaat.store.tables_requests import subject_requests
from privaat.store.tables_rights import request_restrictions
from privaat.store.unit_of_work import UnitOfWork

__all__ = [
    "LIFT_JOB",
    "LIFT_NOTICE_DAYS",
    "LiftScheduled",
    "LiftsDone",
    "Restricted",
    "Restrictions",
]

LIFT_NOTICE_DAYS = 7  # L65: the person hears of the lift at least this long before it
LIFT_JOB = SystemJob("restriction-lift")
_ANY_STATUS = frozenset(RequestStatus)
# art. 18(1)(a): a restriction of its own, or one while a rectification request checks the
# accuracy it contests (that request completes when the correction is made, not here)
_RESTRICTING = (RequestKind.RESTRICTION, RequestKind.RECTIFICATION)


@dataclass(frozen=True, slots=True)
class Restricted:
    reference: str
    activities: tuple[str, ...]  # both empty: the whole subject
    categories: tuple[str, ...]
    told: tuple[Told, ...]


@dataclass(frozen=True, slots=True)
class LiftScheduled:
    reference: str
    lift_at: datetime


@dataclass(frozen=True, slots=True)
class LiftsDone:
    """One run of the lift job: lifted, and due but waiting for their letter to go out."""

    lifted: tuple[str, ...]
    waiting: tuple[str, ...]


class Restrictions:
    """Sets a request's restriction, tells the person before lifting it, and lifts it."""

    def __init__(
        self,
        *,
        access: SubjectAccess,
        requests: SubjectRequests,
        policy: Policy,
        clock: Clock,
    ) -> None:
        self._access, self._requests, self._policy, self._clock = access, requests, policy, clock

    def restrict(
        self,
        uow: UnitOfWork,
        staff: Principal,
        reference: str,
        *,
        activities: Sequence[str] = (),
        categories: Sequence[str] = (),
    ) -> Restricted:
        """Restrict processing for the request's subject, wholly or in the scope named."""
        scope_activities = tuple(sorted(set(activities)))
        scope_categories = tuple(sorted(set(categories)))
        self._check_scope(scope_activities, scope_categories)
        now = self._clock.now()
        with uow.writing() as connection:
            row = load_request(self._requests, connection, reference, _RESTRICTING)
            if self._of(connection, row.id) is not None:
                raise Conflict(f"request {reference} has restricted processing already")
            self._access.lock_subject(connection, row.subject_id)
            # opened before the change: the letters to recipients are sealed under the data
            # key like any mail, and sent under rights_handling, which goes on (art. 18(2))
            opened = self._access.open(
                connection, staff, row.subject_id, RIGHTS, operation=Operation.WRITE
            )
            held = self._access.open_held(
                connection, staff, row.subject_id, RIGHTS, operation=Operation.WRITE
            )
            requester = requester_of(self._access, self._policy, connection, staff, row, held)
            stopping = self._in_scope(
                connection, staff, row.subject_id, scope_activities, scope_categories
            )
            self._apply(connection, row.subject_id, scope_activities, scope_categories, now)
            connection.execute(
                insert(request_restrictions).values(
                    request_id=row.id,
                    subject_id=row.subject_id,
                    scope=json.dumps(
                        {"activities": list(scope_activities), "categories": list(scope_categories)}
                    ),
                    restricted_at=now,
                )
            )
            person = opened.decrypt("accounts.email", opened.record.get("email_enc"))
            told = tell(
                connection,
                self._policy,
                opened,
                row,
                step="restriction",
                recipients=recipients_of(self._policy, stopping),
                person=person or requester.to or "",
                detail=self._scope_words(
                    scope_activities, scope_categories, self._lang(), recipient=True
                ),
                now=now,
            )
            AuditTrail.append(
                connection,
                at=now,
                actor=staff.actor,
                action="request.restricted",
                subject_pseudonym=opened.pseudonym,
                detail={
                    "reference": reference,
                    "activities": ",".join(scope_activities),
                    "categories": ",".join(scope_categories),
                    "recipients": ",".join(t.recipient for t in told),
                },
            )
            if row.kind == RequestKind.RESTRICTION.value:
                self._requests.apply_in(connection, held, row, Action.COMPLETE, staff, now)
            if requester.to:
                letter = restriction_letter(
                    self._policy,
                    to=requester.to,
                    lang=requester.lang,
                    reference=reference,
                    scope=self._scope_words(scope_activities, scope_categories, requester.lang),
                    told=[t.name for t in told if t.told == TOLD_BY_MAIL],
                    untold=[t.name for t in told if t.told != TOLD_BY_MAIL],
                )
                queue(connection, opened, template="request_restricted", mail=letter, at=now)
        return Restricted(reference, scope_activities, scope_categories, tuple(told))

    def lift(
        self, uow: UnitOfWork, staff: Principal, reference: str, *, days: int = LIFT_NOTICE_DAYS
    ) -> LiftScheduled:
        """Tell the person the restriction ends in ``days`` days (at least 7); the lift job
        lifts it then, once the letter has gone (art. 18(3), L65)."""
        if days < LIFT_NOTICE_DAYS:
            raise InvalidField(
                "days", f"the person is told at least {LIFT_NOTICE_DAYS} days before the lift"
            )
        now = self._clock.now()
        with uow.writing() as connection:
            row = load_request(
                self._requests, connection, reference, _RESTRICTING, statuses=_ANY_STATUS
            )
            restriction = self._of(connection, row.id)
            if restriction is None:
                raise Conflict(f"request {reference} has restricted nothing to lift")
            if restriction.lifted_at is not None:
                raise Conflict(f"the restriction of request {reference} was lifted already")
            if restriction.lift_at is not None:
                raise Conflict(
                    f"the lift of request {reference} is set for "
                    f"{restriction.lift_at.date().isoformat()} already"
                )
            sending = self._access.open(
                connection, staff, row.subject_id, RIGHTS, operation=Operation.SEND
            )
            held = self._access.open_held(connection, staff, row.subject_id, RIGHTS)
            requester = requester_of(self._access, self._policy, connection, staff, row, held)
            if not requester.to:
                raise Conflict(
                    f"request {reference} has no address to tell the person of the lift: "
                    "tell them otherwise first (art. 18(3))"
                )
            lift_at = now + timedelta(days=days)
            letter = lift_letter(
                self._policy,
                to=requester.to,
                lang=requester.lang,
                reference=reference,
                lift_on=self._requests.local_date(lift_at),
                days=days,
            )
            queue(connection, sending, template="request_restriction_lifting", mail=letter, at=now)
            letter_id = connection.execute(
                select(func.max(outbox.c.id)).where(
                    outbox.c.subject_id == row.subject_id,
                    outbox.c.template == "request_restriction_lifting",
                )
            ).scalar_one()
            connection.execute(
                update(request_restrictions)
                .where(request_restrictions.c.id == restriction.id)
                .values(lift_told_at=now, lift_at=lift_at, lift_letter_id=letter_id)
            )
            AuditTrail.append(
                connection,
                at=now,
                actor=staff.actor,
                action="request.lift_announced",
                subject_pseudonym=sending.pseudonym,
                detail={"reference": reference, "lift_at": lift_at.isoformat()},
            )
        return LiftScheduled(reference, lift_at)

    def lift_due(self, uow: UnitOfWork) -> LiftsDone:
        """Lift every restriction whose day has come and whose letter has gone."""
        now = self._clock.now()
        lifted: list[str] = []
        waiting: list[str] = []
        with uow.writing() as connection:
            due = connection.execute(
                select(
                    request_restrictions,
                    outbox.c.sent_at.label("letter_sent_at"),
                )
                .outerjoin(outbox, outbox.c.id == request_restrictions.c.lift_letter_id)
                .where(
                    request_restrictions.c.lifted_at.is_(None),
                    request_restrictions.c.lift_at <= now,
                )
                .order_by(request_restrictions.c.id)
            ).all()
            for restriction in due:
                request = self._request_of(connection, restriction.request_id)
                if restriction.letter_sent_at is None:
                    waiting.append(request.reference)  # L65: not before the person was told
                    continue
                self._lift_now(connection, restriction, request, now)
                lifted.append(request.reference)
        return LiftsDone(tuple(lifted), tuple(waiting))

    # --- the steps ---------------------------------------------------------------------

    def _lift_now(
        self, connection: Connection, restriction: Any, request: Any, now: datetime
    ) -> None:
        subject_id = restriction.subject_id
        self._access.lock_subject(connection, subject_id)
        held = self._access.open_held(
            connection, LIFT_JOB, subject_id, RIGHTS, operation=Operation.WRITE
        )
        scope = json.loads(restriction.scope)
        others = [
            json.loads(other.scope)
            for other in connection.execute(
                select(request_restrictions.c.scope).where(
                    request_restrictions.c.subject_id == subject_id,
                    request_restrictions.c.lifted_at.is_(None),
                    request_restrictions.c.id != restriction.id,
                )
            )
        ]
        if not scope["activities"] and not scope["categories"]:
            whole_elsewhere = any(not o["activities"] and not o["categories"] for o in others)
            erased = connection.execute(
                select(subjects.c.erased_at).where(subjects.c.id == subject_id)
            ).scalar()
            if not whole_elsewhere and erased is None:  # an erased subject stays restricted
                connection.execute(
                    update(subjects).where(subjects.c.id == subject_id).values(restricted=False)
                )
        else:
            kept_activities = {a for o in others for a in o["activities"]}
            kept_categories = {c for o in others for c in o["categories"]}
            for activity in set(scope["activities"]) - kept_activities:
                connection.execute(
                    delete(restrictions).where(
                        restrictions.c.subject_id == subject_id, restrictions.c.activity == activity
                    )
                )
            for category in set(scope["categories"]) - kept_categories:
                connection.execute(
                    delete(restrictions).where(
                        restrictions.c.subject_id == subject_id, restrictions.c.category == category
                    )
                )
            left = connection.execute(
                select(func.count())
                .select_from(restrictions)
                .where(restrictions.c.subject_id == subject_id)
            ).scalar_one()
            if not left:
                connection.execute(
                    update(subjects)
                    .where(subjects.c.id == subject_id)
                    .values(restriction_scoped=False)
                )
        connection.execute(
            update(request_restrictions)
            .where(request_restrictions.c.id == restriction.id)
            .values(lifted_at=now)
        )
        AuditTrail.append(
            connection,
            at=now,
            actor=LIFT_JOB.actor,
            action="request.restriction_lifted",
            subject_pseudonym=held.pseudonym,
            detail={"reference": request.reference},
        )

    def _check_scope(self, activities: Sequence[str], categories: Sequence[str]) -> None:
        declared = {activity.id for activity in self._policy.activities}
        for activity in activities:
            if activity not in declared:
                raise InvalidField("activity", f"the policy declares no activity '{activity}'")
        known = {category.id for category in self._policy.data_categories}
        for category in categories:
            if category not in known:
                raise InvalidField("category", f"the policy declares no data category '{category}'")

    def _in_scope(
        self,
        connection: Connection,
        staff: Principal,
        subject_id: int,
        activities: Sequence[str],
        categories: Sequence[str],
    ) -> list[Any]:
        # the activities the restriction stops that process this person's data now
        running = relevant_activities(
            self._access, self._policy, connection, staff, subject_id, None
        )
        whole = not activities and not categories
        return [
            activity
            for activity in running
            if not activity.during_restriction
            and (
                whole
                or activity.id in activities
                or (categories and set(activity.data_categories) & set(categories))
            )
        ]

    @staticmethod
    def _apply(
        connection: Connection,
        subject_id: int,
        activities: Sequence[str],
        categories: Sequence[str],
        at: datetime,
    ) -> None:
        if not activities and not categories:
            connection.execute(
                update(subjects).where(subjects.c.id == subject_id).values(restricted=True)
            )
            return
        for activity in activities:
            connection.execute(
                insert(restrictions).values(subject_id=subject_id, activity=activity, at=at)
            )
        for category in categories:
            connection.execute(
                insert(restrictions).values(subject_id=subject_id, category=category, at=at)
            )
        connection.execute(
            update(subjects).where(subjects.c.id == subject_id).values(restriction_scoped=True)
        )

    def _scope_words(
        self,
        activities: Sequence[str],
        categories: Sequence[str],
        lang: str,
        *,
        recipient: bool = False,
    ) -> str:
        _ = translations(lang).gettext
        names = [self._policy.activity(a).name.in_language(lang) for a in activities]
        names += [self._policy.category(c).name.in_language(lang) for c in categories]
        if recipient:
            scope = ", ".join(names) or _("all processing of this person's data")
            return _("Restricted: {scope}.").format(scope=scope)
        return ", ".join(names) or _("all processing of your data")

    def _lang(self) -> str:
        return self._policy.policy.languages[0]

    @staticmethod
    def _of(connection: Connection, request_id: int) -> Any:
        return connection.execute(
            select(request_restrictions).where(request_restrictions.c.request_id == request_id)
        ).first()

    @staticmethod
    def _request_of(connection: Connection, request_id: int) -> Any:
        return connection.execute(
            select(subject_requests.c.reference).where(subject_requests.c.id == request_id)
        ).one()
