"""Reads what the guard needs to know about a subject, in as few queries as the activity allows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, select

from privaat.domain.guard import objection_applies
from privaat.domain.subject import AccountStatus, ConsentState, ConsentStatus, SubjectState
from privaat.policy.schema import LegalBasis, ProcessingActivity
from privaat.store.tables import consent_events, objections, subjects

# What the hot queries select, beside the account's status, so that the state needs no query
# of its own: the subject's pseudonym and the flags the guard reads.
SUBJECT_COLUMNS = (
    subjects.c.pseudonym,
    subjects.c.minor,
    subjects.c.restricted,
    subjects.c.legal_hold,
)


_PLAIN_CUSTOMER = SubjectState.customer()


def state_from_row(
    row: Mapping[str, Any],
    *,
    consents: Mapping[str, ConsentState] | None = None,
    objected: frozenset[str] = frozenset(),
    compelling: frozenset[str] = frozenset(),
) -> SubjectState:
    """The state from a row with ``SUBJECT_COLUMNS`` and the account status (None: no account)."""
    status = row["status"]
    plain = not (consents or objected or row["restricted"] or row["minor"] or row["legal_hold"])
    if plain and status == AccountStatus.ACTIVE:
        return _PLAIN_CUSTOMER  # the common case on hot reads: one immutable snapshot for all
    return SubjectState(
        account=AccountStatus(status) if status else AccountStatus.NONE,
        consents=consents or {},
        objections=objected,
        compelling_grounds=compelling,
        restricted=bool(row["restricted"]),
        minor=bool(row["minor"]),
        legal_hold=bool(row["legal_hold"]),
    )


def load_state(
    connection: Connection, subject_id: int, row: Any, activity: ProcessingActivity
) -> SubjectState:
    """The subject's state for ``activity``; consents and objections are read only if needed."""
    consents: dict[str, ConsentState] = {}
    objected: frozenset[str] = frozenset()
    compelling: frozenset[str] = frozenset()
    if activity.legal_basis is LegalBasis.CONSENT:
        consents = _consents(connection, subject_id, activity.id)
    # art. 21(1): an objection is read wherever the guard honours one, not only where offered
    if objection_applies(activity):
        objected, compelling = _objections(connection, subject_id, activity.id)
    return state_from_row(row, consents=consents, objected=objected, compelling=compelling)


def _consents(connection: Connection, subject_id: int, activity_id: str) -> dict[str, ConsentState]:
    # LEGAL L7: the state is the newest event of the append-only consent log
    newest = connection.execute(
        select(consent_events)
        .where(consent_events.c.subject_id == subject_id, consent_events.c.activity == activity_id)
        .order_by(consent_events.c.id.desc())
        .limit(1)
    ).first()
    if newest is None:
        return {}
    state = ConsentState(
        status=ConsentStatus.GIVEN if newest.given else ConsentStatus.WITHDRAWN,
        text_sha256=newest.text_sha256,
        given_at=newest.at,
        expires_at=newest.expires_at,
    )
    return {activity_id: state}


def _objections(
    connection: Connection, subject_id: int, activity_id: str
) -> tuple[frozenset[str], frozenset[str]]:
    row = connection.execute(
        select(objections.c.compelling_grounds).where(
            objections.c.subject_id == subject_id, objections.c.activity == activity_id
        )
    ).first()
    if row is None:
        return frozenset(), frozenset()
    compelling = frozenset({activity_id}) if row.compelling_grounds else frozenset()
    return frozenset({activity_id}), compelling
