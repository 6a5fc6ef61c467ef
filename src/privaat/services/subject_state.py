"""Reads what the guard needs to know about a subject: exactly what its decision reads.

The subject's flags come with its record (one point read, in the seam); the consents, the
objections and a scoped restriction are read only when the activity's decision reads them
(``Guard.consents_read``, ``Guard.objections_read``) or the subject has one, so the common
read of a plain customer costs no query beyond the record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, func, select

from privaat.domain.guard import Guard
from privaat.domain.subject import AccountStatus, ConsentState, ConsentStatus, SubjectState
from privaat.store.tables import consent_decisions, consent_events, objections, restrictions

__all__ = ["load_state", "scoped_restrictions", "state_from_row"]

_PLAIN_CUSTOMER = SubjectState.customer()


def state_from_row(
    row: Mapping[str, Any],
    *,
    consents: Mapping[str, ConsentState] | None = None,
    objected: frozenset[str] = frozenset(),
    compelling: frozenset[str] = frozenset(),
    restricted_activities: frozenset[str] = frozenset(),
    restricted_categories: frozenset[str] = frozenset(),
) -> SubjectState:
    """The state from a subject record (flags and the account's status; None: no account)."""
    status = row["status"]
    plain = not (
        consents
        or objected
        or restricted_activities
        or restricted_categories
        or row["restricted"]
        or row["minor"]
        or row["legal_hold"]
    )
    if plain and status == AccountStatus.ACTIVE:
        return _PLAIN_CUSTOMER  # the common case on hot reads: one immutable snapshot for all
    return SubjectState(
        account=AccountStatus(status) if status else AccountStatus.NONE,
        consents=consents or {},
        objections=objected,
        compelling_grounds=compelling,
        restricted=bool(row["restricted"]),
        restricted_activities=restricted_activities,
        restricted_categories=restricted_categories,
        minor=bool(row["minor"]),
        legal_hold=bool(row["legal_hold"]),
    )


def load_state(connection: Connection, guard: Guard, record: Any, activity_id: str) -> SubjectState:
    """The subject's state for ``activity_id``, reading only what the guard's decision reads."""
    subject_id = record["subject_id"]
    wanted_consents = guard.consents_read(activity_id)
    wanted_objections = guard.objections_read(activity_id)
    consents = _consents(connection, subject_id, wanted_consents) if wanted_consents else {}
    objected, compelling = (
        _objections(connection, subject_id, wanted_objections)
        if wanted_objections
        else (frozenset(), frozenset())
    )
    scoped_activities: frozenset[str] = frozenset()
    scoped_categories: frozenset[str] = frozenset()
    if record["restriction_scoped"]:
        scoped_activities, scoped_categories = _restrictions(connection, subject_id)
    return state_from_row(
        record,
        consents=consents,
        objected=objected,
        compelling=compelling,
        restricted_activities=scoped_activities,
        restricted_categories=scoped_categories,
    )


def _consents(
    connection: Connection, subject_id: int, activities: frozenset[str]
) -> dict[str, ConsentState]:
    # LEGAL L7: each activity's state is the newest event of the append-only consent log
    newest = (
        select(func.max(consent_events.c.id))
        .where(
            consent_events.c.subject_id == subject_id,
            consent_events.c.activity.in_(activities),
            consent_decisions(),  # a double opt-in's request is no consent yet
        )
        .group_by(consent_events.c.activity)
    )
    rows = connection.execute(select(consent_events).where(consent_events.c.id.in_(newest))).all()
    return {
        row.activity: ConsentState(
            status=ConsentStatus.GIVEN if row.given else ConsentStatus.WITHDRAWN,
            text_sha256=row.text_sha256,
            given_at=row.at,
            expires_at=row.expires_at,
        )
        for row in rows
    }


def _objections(
    connection: Connection, subject_id: int, keys: frozenset[str]
) -> tuple[frozenset[str], frozenset[str]]:
    rows = connection.execute(
        select(objections.c.activity, objections.c.compelling_grounds).where(
            objections.c.subject_id == subject_id, objections.c.activity.in_(keys)
        )
    ).all()
    objected = frozenset(row.activity for row in rows)
    # art. 21(1): a recorded, reviewed decision that compelling grounds override the objection
    compelling = frozenset(row.activity for row in rows if row.compelling_grounds)
    return objected, compelling


_CHUNK = 500  # ids per IN (...) list: well under SQLite's and PostgreSQL's bind limits


def scoped_restrictions(
    connection: Connection, subject_ids: Sequence[int]
) -> dict[int, tuple[frozenset[str], frozenset[str]]]:
    """Per subject with a scoped restriction (art. 18), the activities and the data categories
    it restricts; a subject without rows is absent."""
    found: dict[int, tuple[set[str], set[str]]] = {}
    for start in range(0, len(subject_ids), _CHUNK):
        for row in connection.execute(
            select(
                restrictions.c.subject_id, restrictions.c.activity, restrictions.c.category
            ).where(restrictions.c.subject_id.in_(subject_ids[start : start + _CHUNK]))
        ):
            activities, categories = found.setdefault(row.subject_id, (set(), set()))
            if row.activity:
                activities.add(row.activity)
            if row.category:
                categories.add(row.category)
    return {key: (frozenset(a), frozenset(c)) for key, (a, c) in found.items()}


def _restrictions(connection: Connection, subject_id: int) -> tuple[frozenset[str], frozenset[str]]:
    rows = connection.execute(
        select(restrictions.c.activity, restrictions.c.category).where(
            restrictions.c.subject_id == subject_id
        )
    ).all()
    return (
        frozenset(row.activity for row in rows if row.activity),
        frozenset(row.category for row in rows if row.category),
    )
