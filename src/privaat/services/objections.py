"""Objections (GDPR art. 21): recorded at once; compelling grounds only as a reviewed decision.

    object(subject, activity)       ── recorded; the guard stops the activity from then on
    recorded(subject)               ── the person's objections and since when, for the
                                       privacy centre (read under rights handling)
    record_compelling_grounds(...)  ── a privacy officer's reviewed decision, refused where the
                                       law or the policy makes the objection final; the person
                                       is told what continues, why, and where to complain

An objection to direct marketing is absolute (art. 21(3)): it is recorded under the
``direct_marketing`` key and no grounds can override it. Where the policy declares an
objection final (``Objection.overridable: false``, e.g. a caller's refusal of recording,
LEGAL L26), no grounds can override it either.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from sqlalchemy import Connection, insert, select, update

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

__all__ = ["ObjectionFinal", "ObjectionListener", "Objections", "RecordedObjection"]

# (connection, subject id, the key recorded, when): called in the objection's transaction
ObjectionListener = Callable[[Connection, int, str, datetime], None]


@dataclass(frozen=True, slots=True)
class RecordedObjection:
    """One objection as the person sees it: since when, and whether grounds override it."""

    at: datetime
    # a privacy officer's reviewed decision (art. 21(1)); never for direct marketing
    overridden: bool = False


class ObjectionFinal(Conflict):
    """No grounds can override this objection: direct marketing, or final by the policy."""


class Objections:
    """Records objections and the privacy officer's reviewed decisions on them."""

    activities = frozenset({RIGHTS, NOTICES})

    def __init__(
        self, *, access: SubjectAccess, notifier: Notifier, policy: Policy, clock: Clock
    ) -> None:
        self._access, self._notifier, self._policy, self._clock = access, notifier, policy, clock
        self._listeners: list[ObjectionListener] = []

    def on_change(self, listener: ObjectionListener) -> None:
        """Call ``listener`` in the same transaction after every objection recorded anew."""
        self._listeners.append(listener)

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
                for listener in self._listeners:
                    listener(connection, subject_id, key, now)
        return key

    def recorded(
        self, uow: UnitOfWork, principal: Principal, subject_id: int
    ) -> Mapping[str, RecordedObjection]:
        """The person's objections by key (an activity id, or ``direct_marketing`` for all of
        it): the centre shows since when each holds, and whether grounds override it."""
        with uow.reading() as connection:
            # read as the objections were written: under rights handling, access-logged
            self._access.open(connection, principal, subject_id, RIGHTS)
            rows = connection.execute(
                select(
                    objections.c.activity,
                    objections.c.at,
                    objections.c.compelling_grounds.is_not(None).label("overridden"),
                ).where(objections.c.subject_id == subject_id)
            ).all()
        return MappingProxyType(
            {row.activity: RecordedObjection(row.at, bool(row.overridden)) for row in rows}
        )

    def stopping(
        self, recorded: Mapping[str, RecordedObjection], activity: ProcessingActivity
    ) -> RecordedObjection | None:
        """The recorded objection that stops ``activity``, or None when none does.

        Direct marketing is one objection (art. 21(2)-(3), LEGAL L15, L85): an objection to
        it, or to any one direct-marketing activity, stops every one of them, the earliest
        counts, and no grounds override it."""
        if not is_direct_marketing(activity):
            return recorded.get(activity.id)
        marketing = [
            RecordedObjection(found.at, overridden=False)
            for key, found in recorded.items()
            if key == DIRECT_MARKETING or self._is_marketing(key)
        ]
        return min(marketing, key=lambda found: found.at, default=None)

    def _is_marketing(self, key: str) -> bool:
        try:
            return is_direct_marketing(self._policy.activity(key))
        except KeyError:  # an activity a former policy version declared
            return False

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
