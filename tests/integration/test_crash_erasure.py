"""An erasure request whose process stops between the erasure and the request's completion
(issue 16 item 3; LEGAL L64): the erasure is one transaction and the completion another, so a
crash can leave a person erased and their request still in progress. The next attempt finishes
that request (receipt, audit entry, answer) without erasing again, and without mistaking
another open request of the same person for it."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from tests.integration.test_request_rights_rectification import OFFICER, started

from privaat.bootstrap import Context
from privaat.domain.subject_requests import Action, RequestKind
from privaat.services.erasure import Erasure, ErasureReport
from privaat.services.errors import Conflict
from privaat.services.subject_requests import RequestChannel
from privaat.store.tables import audit_log, subject_keys
from privaat.store.tables_requests import subject_requests


def _status(context: Context, reference: str) -> str:
    with context.engine.connect() as connection:
        return str(
            connection.execute(
                select(subject_requests.c.status).where(subject_requests.c.reference == reference)
            ).scalar()
        )


class Crash(BaseException):
    """The process dying: not an error anything catches."""


def test_L64_a_crash_after_the_erasure_is_finished_by_the_next_attempt(
    context: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    person, reference = started(context, RequestKind.ERASURE)
    erased: list[ErasureReport] = []
    erase = Erasure.erase

    def erase_then_die(self: Erasure, *args: Any, **kwargs: Any) -> ErasureReport:
        erased.append(erase(self, *args, **kwargs))  # its own transaction has committed
        raise Crash

    monkeypatch.setattr(Erasure, "erase", erase_then_die)
    with context.unit_of_work() as uow, pytest.raises(Crash):
        context.rights.erase(uow, OFFICER, reference)
    monkeypatch.undo()
    [report] = erased
    assert report.data_key_destroyed and _status(context, reference) == "in_progress"
    with context.unit_of_work() as uow:
        done = context.rights.erase(uow, OFFICER, reference)
    assert _status(context, reference) == "completed"
    receipt = json.loads(done.receipt)
    assert receipt["data_key_destroyed"] is True
    tables = {t["table"]: t for t in receipt["tables"]}
    erased_before = tables["(erased before the crash, all tables)"]
    assert erased_before["before"] == sum(t.before - t.after for t in report.tables) > 0
    assert tables["subject_requests"]["after"] == 1  # kept for rights handling, as always
    with context.engine.connect() as connection:
        key = connection.execute(
            select(subject_keys).where(subject_keys.c.subject_id == person.subject_id)
        ).first()
        erasures = connection.execute(
            select(audit_log.c.seq).where(audit_log.c.action == "subject.erased")
        ).all()
    assert key is None and len(erasures) == 1  # erased once, not twice
    [letter] = [m for _i, t, m in context.outbox.pending() if t == "request_erased"]
    assert letter.to == person.email and done.sha256 in letter.body


def test_another_open_request_of_an_erased_person_is_still_a_conflict(context: Context) -> None:
    person, first = started(context, RequestKind.ERASURE)
    context.clock.advance(timedelta(days=15))  # type: ignore[attr-defined]
    with context.unit_of_work() as uow:
        again, created = context.requests.file_for(
            uow, person.principal, RequestKind.ERASURE, channel=RequestChannel.WEB
        )
    assert created and again.reference != first
    with context.unit_of_work() as uow:
        context.requests.act(uow, OFFICER, again.reference, Action.START)
        context.erasure.erase(
            uow, OFFICER, person.subject_id, ground=f"erasure request {first} (art. 17)"
        )
    with context.unit_of_work() as uow, pytest.raises(Conflict, match="erased already"):
        context.rights.erase(uow, OFFICER, again.reference)
    with context.unit_of_work() as uow:
        context.rights.erase(uow, OFFICER, first)
    assert _status(context, first) == "completed"
