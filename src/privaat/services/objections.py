"""Objections (GDPR art. 21): recorded at once; compelling grounds only as a reviewed decision.

    object(subject, activity)       ── recorded; the guard stops the activity from then on
    record_compelling_grounds(...)  ── a privacy officer's reviewed decision, refused where the
                                       law or the policy makes the objection final; the person
                                       is told what continues, why, and where to complain

An objection to direct marketing is absolute (art. 21(3)): it is recorded under the
``direct_marketing`` key and no grounds can override it. Where the policy declares an
objection final (``Objection.overridable: false``, e.g. a caller's refusal of recording,
LEGAL L26), no grounds can override it either.
"""

from __future__ import annotations

from sqlalchemy import insert, select, update

from privaat.domain.activities import NOTICES, RIGHTS
from privaat.domain.clock import Clock
from privaat.domain.guard import is_direct_marketing, objection_applies
from privaat.domain.principal import Principal, StaffMember, StaffRole
from privaat.domain.subject import DIRECT_MARKETING
from privaat.mail.notices import Notice
from privaat.policy.schema import Policy, ProcessingActivity
from privaat.services.errors import Conflict, InvalidField, NotPermitted
from privaat.services.notifier import Notifier
from privaat.services.subject_access import Operation, SubjectAccess
from privaat.store.audit import AuditTrail
from privaat.store.tables import objections
from privaat.store.unit_of_work import UnitOfWork

__all__ = ["ObjectionFinal", "Objections"]


class ObjectionFinal(Conflict):
    """No grounds can override this objection: direct marketing, or final by the policy."""


class Objections:
    """Records objections and the privacy officer's reviewed decisions on them."""

    activities = frozenset({RIGHTS, NOTICES})

    def __init__(
        self, *, access: SubjectAccess, notifier: Notifier, policy: Policy, clock: Clock
    ) -> None:
        self._access, self._notifier, self._policy, self._clock = access, notifier, policy, clock

    def object(self, uow: UnitOfWork, principal: Principal, subject_id: int, activity: str) -> str:
        """Record an objection to ``activity``; returns the key recorded (a direct-marketing
        objection is recorded once, for all of direct marketing)."""
        key = self._key(activity)
        now = self._clock.now()
        with uow.writing() as connection:
            # the guard reads objections on every guarded write: lock before changing them
            self._access.lock_subject(connection, subject_id)
            opened = self._access.open(
                connection, principal, subject_id, RIGHTS, operation=Operation.WRITE
            )
            exists = connection.execute(
                select(objections.c.activity).where(
                    objections.c.subject_id == subject_id, objections.c.activity == key
                )
            ).first()
            if exists is None:
                connection.execute(
                    insert(objections).values(subject_id=subject_id, activity=key, at=now)
                )
                AuditTrail.append(
                    connection,
                    at=now,
                    actor=principal.actor,
                    action="objection.recorded",
                    subject_pseudonym=opened.pseudonym,
                    detail={"activity": key},
                )
        return key

    def record_compelling_grounds(
        self,
        uow: UnitOfWork,
        officer: StaffMember,
        subject_id: int,
        activity: str,
        *,
        grounds: str,
    ) -> None:
        """Record the reviewed decision that compelling grounds override the objection to
        ``activity`` (art. 21(1)), and tell the person; ObjectionFinal where none can."""
        if officer.role is not StaffRole.PRIVACY_OFFICER:
            raise NotPermitted("only a privacy officer decides on compelling grounds")
        if activity == DIRECT_MARKETING:
            raise ObjectionFinal("an objection to direct marketing is absolute (art. 21(3))")
        declared = self._declared(activity)
        if is_direct_marketing(declared):
            raise ObjectionFinal("an objection to direct marketing is absolute (art. 21(3))")
        if not declared.objection.overridable:
            raise ObjectionFinal(
                f"the policy makes an objection to '{activity}' final: no grounds override it"
            )
        reason = grounds.strip()
        if not reason:
            raise InvalidField("grounds", "state the compelling grounds the decision rests on")
        now = self._clock.now()
        with uow.writing() as connection:
            self._access.lock_subject(connection, subject_id)
            opened = self._access.open(
                connection, officer, subject_id, RIGHTS, operation=Operation.WRITE
            )
            changed = connection.execute(
                update(objections)
                .where(objections.c.subject_id == subject_id, objections.c.activity == activity)
                .values(compelling_grounds=reason)
            ).rowcount
            if not changed:
                raise InvalidField("activity", "the subject has not objected to this activity")
            AuditTrail.append(
                connection,
                at=now,
                actor=officer.actor,
                action="objection.overridden",
                subject_pseudonym=opened.pseudonym,
                detail={"activity": activity},
            )
            language = opened.record["language"] or "nl"
            authority = self._policy.supervisory_authority
            self._notifier.notify(
                connection,
                officer,
                subject_id,
                Notice.OBJECTION_OVERRIDDEN,
                activity=declared.name.in_language(language),
                grounds=reason,
                authority=authority.name,
                complaint_url=authority.complaint_url,
            )

    def _key(self, activity: str) -> str:
        if activity == DIRECT_MARKETING:
            return DIRECT_MARKETING
        declared = self._declared(activity)
        if is_direct_marketing(declared):
            return DIRECT_MARKETING  # art. 21(2)-(3): one objection covers all of it
        if not objection_applies(declared):
            raise InvalidField("activity", f"'{activity}' offers no objection (art. 21)")
        return activity

    def _declared(self, activity: str) -> ProcessingActivity:
        try:
            return self._policy.activity(activity)
        except KeyError:
            raise InvalidField(
                "activity", f"the policy declares no activity '{activity}'"
            ) from None
