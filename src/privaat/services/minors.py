"""The under-16 flag (issue 13 item 2; P18, LEGAL L46/L47, GDPR art. 8, 17(1)(f)).

    staff (privacy officer, support) flag an account ── with a reason from a fixed list
    a birth date stated later shows an age under 16 ──┘  (no ID document asked or kept)
        │
        ▼  one transaction: subjects.minor = true · audit "subject.minor_flagged"
        │  (the reason's code and who flagged: no personal data)
        │  from the commit on, the guard refuses every activity but what the law compels
        │  (MINOR: legal obligations that run after closure: the rights requests, breaches,
        │  disclosures the law requires; and storage and legal claims under a legal hold)
        ▼
    the erasure of issue 9 (services/erasure.py), under rights_handling, ground "minor":
    every table of the registry walked; only held rows stay (the registry's holds)

Two transactions, on purpose: the flag stops processing whatever the erasure meets. A legal
hold makes the erasure wait (``ErasureWaits``); the flag stays, the outcome says the erasure
waits, and the rights request or the hold's lifting erases later. The flag column itself is
held (``subjects.minor``), so the tombstone that anchors held rows keeps it: nothing restarts.

Why a fixed list of reasons and not a free text: a free text about a child is personal data
(often the very kind the flag protects), and the audit trail keeps nothing personal. What a
staff member read or heard stays outside the system; the code says which kind of signal it
was. No document is asked: a stated age or a parent's word is enough to stop (art. 5(1)(c)).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy import select, update

from privaat.domain.activities import MINOR_PROTECTION
from privaat.domain.clock import Clock
from privaat.domain.errors import AccessDenied
from privaat.domain.principal import Principal
from privaat.services.contact_fields import MINIMUM_AGE, age_on
from privaat.services.erasure import Erasure, ErasureReport, ErasureWaits
from privaat.services.subject_access import SubjectAccess
from privaat.store.audit import AuditTrail
from privaat.store.tables import subjects
from privaat.store.unit_of_work import UnitOfWork

__all__ = ["MINIMUM_AGE", "MINOR_GROUND", "MinorFlagged", "MinorReason", "Minors"]

MINOR_GROUND = "minor"  # the erasure's ground in the audit trail: art. 17(1)(f), L47


class MinorReason(StrEnum):
    """Why staff flag the account: the kind of signal, never its content."""

    TOLD_BY_PERSON = "told_by_person"  # the person said they are under 16
    TOLD_BY_PARENT = "told_by_parent"  # a parent or guardian told us
    SEEN_IN_CONTACT = "seen_in_contact"  # clear from a conversation or a message
    BIRTH_DATE = "birth_date"  # a birth date in the account data shows under 16


@dataclass(frozen=True, slots=True)
class MinorFlagged:
    """The flag's outcome: set (or already set), and the erasure's report or why it waits."""

    pseudonym: str
    already_flagged: bool
    erasure: ErasureReport | None  # None: the erasure waits (``waits``)
    waits: str | None = None


class Minors:
    """Flags a subject as under 16; processing stops at the commit, the erasure follows."""

    activities = frozenset({MINOR_PROTECTION})

    def __init__(self, *, access: SubjectAccess, erasure: Erasure, clock: Clock) -> None:
        self._access, self._erasure, self._clock = access, erasure, clock

    def flag(
        self, uow: UnitOfWork, principal: Principal, subject_id: int, *, reason: MinorReason
    ) -> MinorFlagged:
        """Flag ``subject_id`` (SubjectNotFound, AccessDenied), then erase it promptly."""
        now = self._clock.now()
        with uow.writing() as connection:
            self._access.lock_subject(connection, subject_id)
            row = connection.execute(
                select(subjects.c.pseudonym, subjects.c.minor).where(subjects.c.id == subject_id)
            ).one()
            already = bool(row.minor)
            if not already:
                decision = self._access.decide(connection, principal, subject_id, MINOR_PROTECTION)
                if not decision.allowed:
                    raise AccessDenied(decision)
                connection.execute(
                    update(subjects).where(subjects.c.id == subject_id).values(minor=True)
                )
                AuditTrail.append(
                    connection,
                    at=now,
                    actor=principal.actor,
                    action="subject.minor_flagged",
                    subject_pseudonym=row.pseudonym,
                    detail={"activity": MINOR_PROTECTION, "reason": reason.value},
                )
        try:
            report = self._erasure.erase(uow, principal, subject_id, ground=MINOR_GROUND)
        except ErasureWaits as waits:
            return MinorFlagged(row.pseudonym, already, None, waits=str(waits))
        return MinorFlagged(row.pseudonym, already, report)

    def birth_date_given(
        self, uow: UnitOfWork, principal: Principal, subject_id: int, birth_date: date
    ) -> MinorFlagged | None:
        """A birth date stated for an existing account (rectification, account data): under
        16 on today's date flags it (L47); None when the person is 16 or older."""
        if age_on(birth_date, self._clock.now().date()) >= MINIMUM_AGE:
            return None
        return self.flag(uow, principal, subject_id, reason=MinorReason.BIRTH_DATE)
