"""The hold of an open request (issue 11 item 3; LEGAL L60): while a person's request is open,
no retention or minimisation job deletes or shortens what it covers, so the answer reflects the
data as it stood on receipt and nothing is deleted to avoid disclosing it.

    held_subjects()      ── the subjects with an open request (received, verified, in
                            progress, extended), as a subquery
    not_held(column)     ── the condition a sweep adds on its subject column

Every sweep takes the condition, so a new one cannot forget the hold by writing its own. A
person's own choices (closing the account, withdrawing consent, an erasure request) are not
sweeps: they go ahead.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, select

from privaat.domain.subject_requests import RequestStatus
from privaat.store.tables_requests import subject_requests

__all__ = ["held_subjects", "not_held"]

_OPEN = tuple(status.value for status in RequestStatus if status.open)


def held_subjects() -> Select[tuple[int]]:
    """The ids of the subjects with an open request."""
    return select(subject_requests.c.subject_id).where(subject_requests.c.status.in_(_OPEN))


def not_held(subject_column: ColumnElement[Any]) -> ColumnElement[bool]:
    """True for rows of subjects no open request holds (the sweep may touch them)."""
    return subject_column.not_in(held_subjects())
