"""Erasure of a data subject (GDPR art. 17), walking the data registry, and verified.

    lock the subject ─▶ count the subject's rows in every table (one statement per key kind)
                     ─▶ for every table of the registry that holds some, children first:
                          held (art. 17(3)): keep the rows, empty what is not held
                          otherwise:         delete the subject's rows (one set DELETE)
                     ─▶ destroy the data key (crypto-shredding: backups become unreadable)
                     ─▶ keep the hold key and a tombstone subject row only while held rows remain
                     ─▶ count again: anything that should be gone and is not rolls it all back
                     ─▶ the pseudonym on the list of erasures (store.erasure_ledger), then commit

Under the subject lock (``lock_subject``; SQLite's write lock) no guarded write adds rows for
the subject, so a table counted empty needs neither a DELETE nor a second count; a held table
keeps its row count by definition (an UPDATE removes no row), so only the deleted tables are
counted again — still a real count in the same transaction, never the DELETE's own rowcount.

A legal hold (art. 17(3)(e)) makes the erasure wait: nothing is erased while it is set. What
is kept, why and until when comes from the registry and the policy, so the answer can tell
the requester exactly that (LEGAL L34, L64).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, delete, select, update

from privaat.domain.activities import RIGHTS
from privaat.domain.clock import Clock
from privaat.domain.errors import AccessDenied
from privaat.domain.principal import Principal
from privaat.services.errors import ServiceError
from privaat.services.subject_access import SubjectAccess
from privaat.store.audit import AuditTrail
from privaat.store.erasure_ledger import ErasureLedger
from privaat.store.holders import SubjectRef, SubjectRows, count_all, holders
from privaat.store.tables import hold_keys, subject_keys, subjects
from privaat.store.unit_of_work import UnitOfWork

__all__ = ["Erasure", "ErasureIncomplete", "ErasureReport", "ErasureWaits", "TableErased"]

# tables erasure handles itself, after every other: the key rows and the subject row
_LAST = frozenset({subjects.name, subject_keys.name, hold_keys.name})


class ErasureWaits(ServiceError):
    """A legal hold keeps the subject's data for legal claims; erasure waits until it is lifted."""


class ErasureIncomplete(ServiceError):
    """After erasing, something that should be gone is still there; nothing was committed."""


@dataclass(frozen=True, slots=True)
class TableErased:
    """One table's part in an erasure: rows before and after, and the activity keeping them."""

    table: str
    before: int
    after: int
    kept_for: str | None  # the activity whose retention keeps the rows (None: deleted)


@dataclass(frozen=True, slots=True)
class ErasureReport:
    pseudonym: str
    tables: tuple[TableErased, ...]
    data_key_destroyed: bool
    tombstone_kept: bool  # held rows remain, so the subject row stays as their anchor

    @property
    def kept(self) -> tuple[TableErased, ...]:
        return tuple(t for t in self.tables if t.kept_for is not None and t.after)


class Erasure:
    """Erases a subject through the registry's holders and proves what it removed."""

    activities = frozenset({RIGHTS})

    def __init__(
        self, *, access: SubjectAccess, clock: Clock, ledger: ErasureLedger | None = None
    ) -> None:
        self._access, self._clock, self._ledger = access, clock, ledger

    def erase(
        self, uow: UnitOfWork, principal: Principal, subject_id: int, *, ground: str
    ) -> ErasureReport:
        """Erase the subject (art. 17) under ``rights_handling``; ErasureWaits under a hold."""
        now = self._clock.now()
        with uow.writing() as connection:
            self._access.lock_subject(connection, subject_id)
            decision = self._access.decide(connection, principal, subject_id, RIGHTS)
            row = connection.execute(
                select(subjects.c.pseudonym, subjects.c.legal_hold).where(
                    subjects.c.id == subject_id
                )
            ).one()
            if row.legal_hold:
                raise ErasureWaits(
                    "a legal hold keeps this subject's data for legal claims (art. 17(3)(e)); "
                    "the erasure can run once the hold is lifted"
                )
            if not decision.allowed:
                raise AccessDenied(decision)
            subject = SubjectRef(subject_id, row.pseudonym)
            erased = _erase_tables(connection, subject)
            outcomes = [outcome for _holder, outcome in erased]
            destroyed = self._access.shred(connection, principal, subject_id, RIGHTS)
            # rows kept in tables that name the subject by id need the subject row as anchor;
            # the logs name a pseudonym and need none
            held_rows = any(
                outcome.after and holder.held and not holder.spec.by_pseudonym
                for holder, outcome in erased
            )
            if held_rows:
                connection.execute(
                    update(subjects)
                    .where(subjects.c.id == subject_id)
                    .values(erased_at=now, restricted=True)  # art. 18(2): kept, not used
                )
            else:
                connection.execute(delete(hold_keys).where(hold_keys.c.subject_id == subject_id))
                connection.execute(delete(subjects).where(subjects.c.id == subject_id))
            self._verify(connection, subject, outcomes)
            if self._ledger is not None:
                # on the list of erasures (its own database, committed now) before this
                # commits: a restored backup is erased again (issue 16 item 7); a commit that
                # fails after it is found by `privaat backup check`
                self._ledger.record(subject.pseudonym, now)
            AuditTrail.append(
                connection,
                at=now,
                actor=principal.actor,
                action="subject.erased",
                subject_pseudonym=subject.pseudonym,
                detail={
                    "ground": ground,
                    "rows_deleted": sum(t.before - t.after for t in outcomes),
                    "rows_kept": sum(t.after for t in outcomes),
                    "data_key_destroyed": destroyed,
                },
            )
        return ErasureReport(
            pseudonym=subject.pseudonym,
            tables=tuple(outcomes),
            data_key_destroyed=destroyed,
            tombstone_kept=held_rows,
        )

    @staticmethod
    def _verify(connection: Connection, subject: SubjectRef, outcomes: list[TableErased]) -> None:
        # the leading peer marks erasures complete while masking nothing: count again, refuse
        left = [t.table for t in outcomes if t.kept_for is None and t.after]
        if connection.execute(
            select(subject_keys.c.subject_id).where(subject_keys.c.subject_id == subject.id)
        ).first():
            left.append(subject_keys.name)
        if left:
            raise ErasureIncomplete(
                "erasure left rows it should have removed in: " + ", ".join(sorted(left))
            )


def _erase_tables(
    connection: Connection, subject: SubjectRef
) -> list[tuple[SubjectRows, TableErased]]:
    walked = [holder for holder in holders() if holder.table.name not in _LAST]
    before = count_all(connection, subject, walked)
    for holder in walked:
        if before[holder.table.name] and holder.changes_on_erasure:
            holder.erase(connection, subject)
    # the check that matters (the peer's failure): are the deleted tables really empty now
    deleted = [h for h in walked if not h.held and before[h.table.name]]
    after = count_all(connection, subject, deleted) if deleted else {}
    return [
        (
            holder,
            TableErased(
                holder.table.name,
                before[holder.table.name],
                after.get(holder.table.name, before[holder.table.name] if holder.held else 0),
                holder.spec.hold,
            ),
        )
        for holder in walked
    ]
