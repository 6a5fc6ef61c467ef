"""The one enforcement seam: every read or write of a subject's personal data passes here.

    principal, subject, activity
        │
        ▼
    SubjectAccess.open ── the subject's record (flags, account, wrapped key): one point read,
        │                 FOR SHARE of the subject row inside a writing transaction (PostgreSQL)
        ├── may this principal act for this subject at all?  ──no──▶ NotPermitted
        ├── the guard: may this activity touch this subject now? ──no──▶ AccessDenied
        ├── the access log: who, which activity, which subject (pseudonym), what operation
        ▼
    Opened(record, cipher) ── the only way to a SubjectCipher outside the key store

The subject's key is opened nowhere else: ``KeyStore.open_*`` and ``create_subject_key`` are
called only from this module (a test walks the source to hold every module to it), so an
unguarded, unlogged decrypt is hard to write and easy to catch (DESIGN: the enforcement
point; GDPR art. 5(2), 25, 32).

Inside a writing transaction the subject row is read ``FOR SHARE`` on PostgreSQL, so a
restriction, closure or erasure (which lock it ``FOR UPDATE`` through ``lock_subject``)
cannot commit between the guard's check and the write it allowed. On SQLite a writing
transaction holds the database's write lock from ``BEGIN IMMEDIATE`` on, which serialises
the same way.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select

from privaat.domain.clock import Clock
from privaat.domain.guard import Decision, Guard
from privaat.domain.principal import DataSubject, Principal
from privaat.domain.subject import ConsentState, ConsentStatus, SubjectState
from privaat.services.access_log import AccessLog
from privaat.services.errors import DataWithheld, NotPermitted, SubjectNotFound
from privaat.services.subject_state import load_state, scoped_restrictions, state_from_row
from privaat.store.crypto import SubjectCipher
from privaat.store.fastpath import PointQuery
from privaat.store.key_store import KeyStore
from privaat.store.registry import encrypted_column_categories
from privaat.store.tables import (
    accounts,
    consent_decisions,
    consent_events,
    metadata,
    objections,
    subject_keys,
    subjects,
)
from privaat.store.unit_of_work import is_writing

__all__ = ["Operation", "Opened", "SubjectAccess"]


class Operation(StrEnum):
    """What the principal does with the data it opened; recorded in the access log."""

    READ = "read"  # shown or used
    WRITE = "write"  # created or changed
    SEND = "send"  # handed to the mail server or another recipient
    EXPORT = "export"  # copied into an access or portability export (art. 15, 20)
    ERASE = "erase"  # erased (art. 17)


# ``table.field`` → data category, for withholding the columns of a restricted category
_CATEGORY_OF = encrypted_column_categories(metadata)


@dataclass(frozen=True, slots=True)
class Opened:
    """One subject's data, opened for one activity after the guard allowed it."""

    subject_id: int
    pseudonym: str
    # the subject's flags and account columns as read under the guard; account columns are
    # None for a subject without an account
    record: Mapping[str, Any]
    cipher: SubjectCipher
    decision: Decision
    # art. 18(1), L87: data categories restricted for this activity; their columns stay shut
    withheld: frozenset[str] = frozenset()

    def withholds(self, column: str) -> bool:
        """Whether ``column`` (``table.field``) holds a category restricted for this activity."""
        return bool(self.withheld) and _CATEGORY_OF.get(column) in self.withheld

    def decrypt(self, column: str, blob: bytes | None) -> str | None:
        """The clear text of ``column`` (``table.field``), or None when nothing is stored;
        ``DataWithheld`` when the column's category is restricted (ask ``withholds`` first)."""
        if self.withholds(column):
            raise DataWithheld(column)
        return None if blob is None else self.cipher.decrypt(column, blob)


# The subject's record: its flags, its account (if any) and its wrapped key, in one read.
_ACCOUNT_COLUMNS = [column for column in accounts.c if column.name != "subject_id"]
_RECORDS = select(
    subjects.c.id.label("subject_id"),
    subjects.c.pseudonym,
    subjects.c.minor,
    subjects.c.restricted,
    subjects.c.restriction_scoped,
    subjects.c.legal_hold,
    *_ACCOUNT_COLUMNS,
    subject_keys.c.wrapped_key,
).select_from(
    subjects.outerjoin(accounts, accounts.c.subject_id == subjects.c.id).outerjoin(
        subject_keys, subject_keys.c.subject_id == subjects.c.id
    )
)
_RECORD = _RECORDS.where(subjects.c.id == bindparam("subject_id"))
_CHUNK = 500  # ids per IN (...) list: well under SQLite's and PostgreSQL's bind limits
_READ = PointQuery(_RECORD)
_READ_FOR_SHARE = PointQuery(_RECORD.with_for_update(read=True, of=subjects))
_LOCK = PointQuery(
    select(subjects.c.id).where(subjects.c.id == bindparam("subject_id")).with_for_update()
)


class SubjectAccess:
    """Opens subjects' personal data for named activities, under the guard and the access log."""

    def __init__(
        self, *, guard: Guard, keys: KeyStore, access_log: AccessLog, clock: Clock
    ) -> None:
        self._guard, self._keys = guard, keys
        self._access_log, self._clock = access_log, clock

    def open(
        self,
        connection: Connection,
        principal: Principal,
        subject_id: int,
        activity: str,
        *,
        operation: Operation = Operation.READ,
    ) -> Opened:
        """The subject's data for ``activity``; NotPermitted, SubjectNotFound or AccessDenied."""
        record = self._record(connection, principal, subject_id)
        state = self._state(connection, record, activity)
        decision = self._guard.check(activity, state, self._now())
        return self._opened(record, principal, decision, operation, state)

    def open_many(
        self,
        connection: Connection,
        principal: Principal,
        subject_ids: Iterable[int],
        activity: str,
        *,
        operation: Operation = Operation.READ,
    ) -> dict[int, Opened | Decision]:
        """Many subjects opened for ``activity`` at once: each id to its ``Opened``, or to
        the guard's refusing ``Decision``; the same decisions as ``open`` one by one, with
        one query per kind of record for the batch and an access-log entry per opened
        subject. An id with no subject is left out; NotPermitted as ``open``."""
        wanted = sorted(set(subject_ids))
        if isinstance(principal, DataSubject) and any(
            subject_id != principal.subject_id for subject_id in wanted
        ):
            raise NotPermitted("a data subject can only open their own data")
        lock = is_writing(connection)
        records: dict[int, dict[str, Any]] = {}
        for start in range(0, len(wanted), _CHUNK):
            query = _RECORDS.where(subjects.c.id.in_(wanted[start : start + _CHUNK]))
            if lock:
                query = query.with_for_update(read=True, of=subjects)
            for row in connection.execute(query).mappings():
                records[row["subject_id"]] = dict(row)
        if activity in self._guard:
            states = _load_states(connection, self._guard, records, activity)
        else:
            states = {subject_id: SubjectState.visitor() for subject_id in records}
        now = self._now()
        answers: dict[int, Opened | Decision] = {}
        for subject_id, record in records.items():
            state = states[subject_id]
            decision = self._guard.decide(activity, state, now)
            answers[subject_id] = (
                self._opened(record, principal, decision, operation, state)
                if decision.allowed
                else decision
            )
        return answers

    def open_if_allowed(
        self,
        connection: Connection,
        principal: Principal,
        subject_id: int,
        activity: str,
        *,
        operation: Operation = Operation.READ,
    ) -> Opened | None:
        """Like ``open``, but None when the guard refuses (for work that is skipped, not failed)."""
        record = self._record(connection, principal, subject_id)
        state = self._state(connection, record, activity)
        decision = self._guard.decide(activity, state, self._now())
        if not decision.allowed:
            return None
        return self._opened(record, principal, decision, operation, state)

    def open_held(
        self,
        connection: Connection,
        principal: Principal,
        subject_id: int,
        activity: str,
        *,
        operation: Operation = Operation.READ,
    ) -> Opened:
        """The subject's held data (registry ``HOLD`` columns) under its hold key, which
        outlives the data key: consent proof, tax records, claims stay readable after erasure."""
        record = self._record(connection, principal, subject_id)
        decision = self._guard.check(
            activity, self._state(connection, record, activity), self._now()
        )
        cipher = self._keys.open_hold_key(connection, subject_id, record["pseudonym"])
        self._log(principal, decision.activity, record["pseudonym"], operation)
        return Opened(subject_id, record["pseudonym"], record, cipher, decision)

    def decide(
        self, connection: Connection, principal: Principal, subject_id: int, activity: str
    ) -> Decision:
        """The guard's decision for ``activity``, without opening any data."""
        record = self._record(connection, principal, subject_id)
        return self._guard.decide(activity, self._state(connection, record, activity), self._now())

    def create(
        self, connection: Connection, principal: Principal, activity: str, *, state: SubjectState
    ) -> Opened:
        """A new subject with a fresh key, after the guard allowed ``activity`` for ``state``."""
        now = self._now()
        decision = self._guard.check(activity, state, now)
        pseudonym = secrets.token_hex(16)
        subject_id: int = connection.execute(
            insert(subjects)
            .values(
                pseudonym=pseudonym,
                created_at=now,
                minor=state.minor,
                restricted=state.restricted,
                restriction_scoped=False,
                legal_hold=state.legal_hold,
            )
            .returning(subjects.c.id)
        ).scalar_one()
        cipher = self._keys.create_subject_key(connection, subject_id, pseudonym)
        record = {"subject_id": subject_id, "pseudonym": pseudonym}
        self._log(principal, activity, pseudonym, Operation.WRITE)
        return Opened(subject_id, pseudonym, record, cipher, decision)

    def admit(
        self,
        principal: Principal,
        activity: str,
        candidates: Iterable[tuple[int, str, SubjectState]],
        *,
        also: tuple[str, ...] = (),
        operation: Operation = Operation.READ,
    ) -> list[int]:
        """The candidates (id, pseudonym, state read in the caller's transaction) the guard
        allows for ``activity`` and for each of ``also``, each admitted one access-logged: a
        bulk selection (issue 10 item 4) takes one decision per subject and opens no key."""
        now = self._now()
        decide = self._guard.decide
        admitted: list[int] = []
        for subject_id, pseudonym, state in candidates:
            if not decide(activity, state, now).allowed:
                continue
            if also and not all(decide(other, state, now).allowed for other in also):
                continue
            self._log(principal, activity, pseudonym, operation)
            admitted.append(subject_id)
        return admitted

    def lock_subject(self, connection: Connection, subject_id: int) -> None:
        """Lock the subject row until commit (PostgreSQL ``FOR UPDATE``) before changing its
        state: a guarded write that already read it finishes first, a later one sees the change."""
        if _LOCK.first(connection, subject_id=subject_id) is None:
            raise SubjectNotFound()

    def shred(
        self, connection: Connection, principal: Principal, subject_id: int, activity: str
    ) -> bool:
        """Destroy the subject's data key (crypto-shredding, art. 17) under ``activity``, after
        the guard allowed it; True if the key existed."""
        record = self._record(connection, principal, subject_id)
        decision = self._guard.check(
            activity, self._state(connection, record, activity), self._now()
        )
        shredded = self._keys.shred(connection, subject_id)
        self._log(principal, decision.activity, record["pseudonym"], Operation.ERASE)
        return shredded

    # --- the steps ---------------------------------------------------------------------

    def _record(
        self, connection: Connection, principal: Principal, subject_id: int
    ) -> dict[str, Any]:
        # the subject acts on their own data only; staff, jobs and business customers are
        # judged per activity by the guard (and per route by the console's role table)
        if isinstance(principal, DataSubject) and principal.subject_id != subject_id:
            raise NotPermitted("a data subject can only open their own data")
        query = _READ_FOR_SHARE if is_writing(connection) else _READ
        record = query.first(connection, subject_id=subject_id)
        if record is None:
            raise SubjectNotFound()
        return record

    def _state(
        self, connection: Connection, record: Mapping[str, Any], activity: str
    ) -> SubjectState:
        if activity not in self._guard:
            # the guard refuses an undeclared activity with UNKNOWN_ACTIVITY; no state needed
            return SubjectState.visitor()
        return load_state(connection, self._guard, record, activity)

    def _opened(
        self,
        record: dict[str, Any],
        principal: Principal,
        decision: Decision,
        operation: Operation,
        state: SubjectState,
    ) -> Opened:
        subject_id, pseudonym = record["subject_id"], record["pseudonym"]
        cipher = self._keys.open_wrapped_subject_key(subject_id, pseudonym, record["wrapped_key"])
        self._log(principal, decision.activity, pseudonym, operation)
        withheld = self._guard.withheld(decision.activity, state)
        return Opened(subject_id, pseudonym, record, cipher, decision, withheld)

    def _log(
        self, principal: Principal, activity: str, pseudonym: str, operation: Operation
    ) -> None:
        self._access_log.record(
            actor=principal.actor,
            activity=activity,
            subject_pseudonym=pseudonym,
            operation=operation.value,
        )

    def _now(self) -> datetime:
        return self._clock.now()


# --- open_many: the guard's inputs for a batch of subjects, one query each ------------------


def _load_states(
    connection: Connection, guard: Guard, records: Mapping[int, Mapping[str, Any]], activity: str
) -> dict[int, SubjectState]:
    """Each subject's state for ``activity``, as ``load_state`` reads it one by one."""
    ids = sorted(records)
    wanted_consents = guard.consents_read(activity)
    wanted_objections = guard.objections_read(activity)
    consents: dict[int, dict[str, ConsentState]] = {}
    objected: dict[int, set[str]] = {}
    compelling: dict[int, set[str]] = {}
    scoped_ids = [i for i in ids if records[i]["restriction_scoped"]]
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        if wanted_consents:
            newest = (
                select(func.max(consent_events.c.id))
                .where(
                    consent_events.c.subject_id.in_(chunk),
                    consent_events.c.activity.in_(wanted_consents),
                    consent_decisions(),  # a double opt-in's request is no consent yet
                )
                .group_by(consent_events.c.subject_id, consent_events.c.activity)
            )
            for row in connection.execute(
                select(consent_events).where(consent_events.c.id.in_(newest))
            ):
                consents.setdefault(row.subject_id, {})[row.activity] = ConsentState(
                    status=ConsentStatus.GIVEN if row.given else ConsentStatus.WITHDRAWN,
                    text_sha256=row.text_sha256,
                    given_at=row.at,
                    expires_at=row.expires_at,
                )
        if wanted_objections:
            for row in connection.execute(
                select(
                    objections.c.subject_id,
                    objections.c.activity,
                    objections.c.compelling_grounds,
                ).where(
                    objections.c.subject_id.in_(chunk),
                    objections.c.activity.in_(wanted_objections),
                )
            ):
                objected.setdefault(row.subject_id, set()).add(row.activity)
                if row.compelling_grounds:
                    compelling.setdefault(row.subject_id, set()).add(row.activity)
    scoped = scoped_restrictions(connection, scoped_ids)
    states: dict[int, SubjectState] = {}
    for subject_id in ids:
        activities, categories = scoped.get(subject_id, (frozenset(), frozenset()))
        states[subject_id] = state_from_row(
            records[subject_id],
            consents=consents.get(subject_id, {}),
            objected=frozenset(objected.get(subject_id, ())),
            compelling=frozenset(compelling.get(subject_id, ())),
            restricted_activities=activities,
            restricted_categories=categories,
        )
    return states
