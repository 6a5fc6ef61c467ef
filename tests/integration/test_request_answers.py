"""Answering an access or portability request with a downloadable ZIP (issue 11 item 4;
LEGAL L59, L61, L63): completed through the status table, the ZIP's hash in the audit
trail, an expiring one-person link, a button so a mail scanner downloads nothing."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.factories import Customer, customer
from tests.integration.test_pages_support import submit

from privaat.bootstrap import Context
from privaat.domain.principal import StaffMember, StaffRole
from privaat.domain.subject_requests import Action, RequestKind
from privaat.services.errors import Conflict
from privaat.services.subject_requests import RequestChannel
from privaat.store.tables import audit_log
from privaat.store.tables_requests import request_answers

OFFICER = StaffMember(1, StaffRole.PRIVACY_OFFICER)


def _started(context: Context, kind: RequestKind) -> tuple[Customer, str]:
    person = customer(context, name="Bram Visser")
    with context.unit_of_work() as uow:
        row, _created = context.requests.file_for(
            uow, person.principal, kind, channel=RequestChannel.API
        )
        context.requests.act(uow, OFFICER, row.reference, Action.START)
    return person, row.reference


def _link_token(context: Context, to: str) -> str:
    [mail] = [m for _i, t, m in context.outbox.pending() if t == "request_answered" and m.to == to]
    return mail.body.split("/requests/download?token=", 1)[1].split()[0]


def test_L61_the_answer_is_mailed_as_a_link_and_the_button_downloads_the_zip(
    context: Context, client: TestClient
) -> None:
    person, reference = _started(context, RequestKind.ACCESS)
    with context.unit_of_work() as uow:
        answer = context.answers.answer(uow, OFFICER, reference)
    token = _link_token(context, person.email)
    page = client.get(f"/requests/download?token={token}")
    assert page.status_code == 200 and 'id="request-download-submit"' in page.text
    with context.engine.connect() as connection:
        assert connection.execute(select(request_answers.c.downloaded_at)).scalar() is None

    response = submit(client, "/requests/download", {"token": token}, page=page.url.path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert f'filename="{reference}.zip"' in response.headers["content-disposition"]
    assert response.headers["cache-control"] == "no-store"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    [account] = json.loads(archive.read("data/accounts.json"))
    assert account["email"] == person.email and account["name"] == "Bram Visser"
    # the completion receipt names exactly the file that was handed over
    digest = hashlib.sha256(response.content).hexdigest()
    assert digest == answer.sha256
    with context.engine.connect() as connection:
        receipts = [
            json.loads(detail)
            for action, detail in connection.execute(select(audit_log.c.action, audit_log.c.detail))
            if action == "request.answered"
        ]
    assert receipts == [{"reference": reference, "sha256": digest, "bytes": len(response.content)}]
    with context.unit_of_work() as uow:
        [queued] = context.requests.requests_of(uow, person.principal, person.subject_id)
    assert queued.status.value == "completed"


def test_L61_a_forged_or_expired_link_downloads_nothing(
    context: Context, client: TestClient
) -> None:
    person, reference = _started(context, RequestKind.ACCESS)
    with context.unit_of_work() as uow:
        context.answers.answer(uow, OFFICER, reference)
    token = _link_token(context, person.email)
    forged = submit(client, "/requests/download", {"token": "z" * 43}, page="/requests/download")
    assert forged.status_code == 422 and 'id="request-download-invalid"' in forged.text
    context.clock.advance(timedelta(days=7))  # type: ignore[attr-defined]
    expired = submit(client, "/requests/download", {"token": token}, page="/requests/download")
    assert expired.status_code == 422 and "application/zip" not in expired.headers["content-type"]


def test_L63_a_portability_answer_holds_only_what_article_20_covers(context: Context) -> None:
    person, reference = _started(context, RequestKind.PORTABILITY)
    with context.unit_of_work() as uow:
        context.answers.answer(uow, OFFICER, reference)
        name, package = context.answers.download(uow, _link_token(context, person.email))
    archive = zipfile.ZipFile(io.BytesIO(package))
    names = archive.namelist()
    assert "data/accounts.json" in names
    # the request itself (a legal obligation) and the access log (legitimate interest) stay out
    assert "data/subject_requests.json" not in names and "data/access_log.json" not in names
    assert "Uw gegevens om mee te nemen" in archive.read("summary.html").decode()


@pytest.mark.parametrize("kind", [RequestKind.ERASURE, RequestKind.OBJECTION])
def test_only_access_and_portability_are_answered_with_a_copy(
    context: Context, kind: RequestKind
) -> None:
    _person, reference = _started(context, kind)
    with context.unit_of_work() as uow, pytest.raises(Conflict, match="not answered with a copy"):
        context.answers.answer(uow, OFFICER, reference)


def test_an_answer_to_a_request_not_in_progress_is_refused_and_stores_nothing(
    context: Context,
) -> None:
    person = customer(context)
    with context.unit_of_work() as uow:
        row, _ = context.requests.file_for(
            uow, person.principal, RequestKind.ACCESS, channel=RequestChannel.API
        )
        with pytest.raises(Conflict, match="no step 'complete'"):
            context.answers.answer(uow, OFFICER, row.reference)  # verified, not started
    with context.engine.connect() as connection:
        assert not connection.execute(select(request_answers)).all()


def test_L61_an_expired_answer_is_deleted_and_its_receipt_stays(context: Context) -> None:
    _person, reference = _started(context, RequestKind.ACCESS)
    with context.unit_of_work() as uow:
        context.answers.answer(uow, OFFICER, reference)
    context.clock.advance(timedelta(days=6))  # type: ignore[attr-defined]
    with context.unit_of_work() as uow:
        assert context.answers.purge_expired(uow) == 0  # the link still works: kept
    context.clock.advance(timedelta(days=1))  # type: ignore[attr-defined]
    with context.unit_of_work() as uow:
        assert context.answers.purge_expired(uow) == 1
        assert context.answers.purge_expired(uow) == 0
    with context.engine.connect() as connection:
        assert connection.execute(select(request_answers)).all() == []
        actions = [row.action for row in connection.execute(select(audit_log.c.action))]
    assert "request.answered" in actions  # the receipt with the ZIP's SHA-256 stays
    assert actions[-1] == "request.answers_purged"
