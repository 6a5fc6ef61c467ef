"""Mail to the privacy mailbox over real SMTP becomes a tracked request (issue 11 item 1;
LEGAL L54, L55, L57).

The listener is ``mail.privacy_mailbox`` on a loopback port; the client is the standard
library's ``smtplib``, speaking to it as a sending mail server would.
"""

from __future__ import annotations

import re
import smtplib
import socket
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.factories import customer
from tests.integration.test_pages_support import submit

from privaat.bootstrap import Context
from privaat.domain.subject_requests import RequestKind, RequestStatus
from privaat.mail.privacy_mailbox import PrivacyMailbox, mailbox_controller
from privaat.services.subject_requests import SubjectRequests
from privaat.store.tables import audit_log, outbox, subject_tokens
from privaat.store.tables_requests import request_mails, subject_requests

MAILBOX = "euprivacy@flexibelt.nl"  # the policy's privacy_contact.email


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def requests_service(context: Context) -> SubjectRequests:
    return context.requests


@pytest.fixture
def smtp_port(context: Context, requests_service: SubjectRequests) -> Iterator[int]:
    handler = PrivacyMailbox(
        address=context.policy.privacy_contact.email,
        requests=requests_service,
        unit_of_work=context.unit_of_work,
    )
    port = _free_port()
    controller = mailbox_controller(handler, host="127.0.0.1", port=port, max_bytes=1024 * 1024)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def _mail(sender: str, subject: str, body: str, *, to: str = MAILBOX) -> bytes:
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
    ).encode() + body.encode()


def _send(port: int, sender: str, raw: bytes, *, to: str = MAILBOX) -> tuple[int, bytes]:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.ehlo("mail.example.nl")
        client.mail(sender)
        code, reply = client.rcpt(to)
        if code != 250:
            return code, reply
        return client.data(raw)


def _requests(context: Context) -> list[Any]:
    with context.engine.connect() as connection:
        return list(connection.execute(select(subject_requests).order_by(subject_requests.c.id)))


def test_L54_an_email_asking_for_inzage_becomes_an_access_request_due_in_one_month(
    context: Context, smtp_port: int
) -> None:
    # the fixture clock: Thursday 26 November 2026, 09:30 UTC; one month on is Saturday
    # 26 December (and 25/26 December are public holidays), so due Monday 28 December
    code, reply = _send(
        smtp_port,
        "jan@example.nl",
        _mail("Jan <jan@example.nl>", "Inzageverzoek", "Ik wil inzage in mijn gegevens."),
    )
    assert code == 250, reply
    [row] = _requests(context)
    assert reply.decode().endswith(f"Filed as request {row.reference}")
    assert row.kind == RequestKind.ACCESS.value
    assert row.status == RequestStatus.RECEIVED.value
    assert row.channel == "email"
    assert row.received_on == date(2026, 11, 26)
    assert row.due_on == date(2026, 12, 28)
    # nothing in clear: the address and the words are sealed
    assert b"jan@example.nl" not in row.details_enc and b"inzage" not in row.details_enc
    with context.engine.connect() as connection:
        [mail] = connection.execute(select(request_mails)).all()
        assert mail.request_id == row.id and mail.size > 0
        assert b"Inzageverzoek" not in mail.raw_enc
        actions = connection.execute(select(audit_log.c.action, audit_log.c.detail)).all()
    assert any(a.action == "request.received" and row.reference in a.detail for a in actions)
    assert not any("jan@example.nl" in a.detail for a in actions)


def test_L57_the_acknowledgement_reads_the_same_with_or_without_an_account(
    context: Context, smtp_port: int
) -> None:
    known = customer(context)
    for sender in (known.email, "nobody@example.org"):
        code, _reply = _send(smtp_port, sender, _mail(sender, "AVG", "Verwijder mijn gegevens."))
        assert code == 250
    acks = [
        (mail.to, mail.subject, mail.body)
        for _id, template, mail in context.outbox.pending()
        if template == "request_received"
    ]
    assert [to for to, _s, _b in acks] == [known.email, "nobody@example.org"]
    references = [row.reference for row in _requests(context)]

    def shape(text: str, reference: str) -> str:
        # the reference and the link's token are random; every other word must match
        return re.sub(r"token=[\w-]+", "token=<token>", text.replace(reference, "<ref>"))

    (_, subject_1, body_1), (_, subject_2, body_2) = acks
    assert shape(body_1, references[0]) == shape(body_2, references[1])
    assert shape(subject_1, references[0]) == shape(subject_2, references[1])
    assert "28 december 2026" in body_1  # the due date, in Dutch
    assert "kopie van uw identiteitsbewijs" in body_1  # L57: never asked


def test_L54_a_second_mail_of_the_same_kind_joins_the_open_request(
    context: Context, smtp_port: int
) -> None:
    raw = _mail("piet@example.nl", "Wissen", "Wis al mijn gegevens.")
    assert _send(smtp_port, "piet@example.nl", raw)[0] == 250
    context.clock.advance(timedelta(days=2))  # type: ignore[attr-defined]
    follow_up = _mail("PIET@example.nl", "Re: Wissen", "Is mijn verzoek al in behandeling?")
    assert _send(smtp_port, "piet@example.nl", follow_up)[0] == 250
    [row] = _requests(context)
    assert row.kind == RequestKind.ERASURE.value
    with context.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(request_mails)).scalar() == 2
    # another right from the same person is a request of its own
    assert _send(smtp_port, "piet@example.nl", _mail("piet@example.nl", "", "Inzage graag"))[0]
    assert [r.kind for r in _requests(context)] == ["erasure", "access"]


def test_mail_for_another_address_is_refused_at_rcpt_time(context: Context, smtp_port: int) -> None:
    code, reply = _send(
        smtp_port, "x@example.nl", _mail("x@example.nl", "hi", "inzage"), to="info@flexibelt.nl"
    )
    assert code == 550
    assert b"5.1.1" in reply
    assert _requests(context) == []


def test_an_oversized_mail_is_refused_with_552_and_nothing_is_stored(
    context: Context, smtp_port: int
) -> None:
    # the fixture's limit is 1 MiB; lines of 76 characters, as a base64 attachment has
    raw = _mail("big@example.nl", "inzage", ("x" * 76 + "\r\n") * 14_000)
    code, _reply = _send(smtp_port, "big@example.nl", raw)
    assert code == 552  # RFC 5321 §4.5.3.1.10: too much mail data
    assert _requests(context) == []


def test_a_mail_without_any_sender_address_is_refused_and_nothing_is_stored(
    context: Context, smtp_port: int
) -> None:
    raw = b"Subject: inzage\r\nContent-Type: text/plain\r\n\r\nInzage graag.\r\n"
    code, reply = _send(smtp_port, "", raw)
    assert code == 550
    assert b"From address" in reply
    assert _requests(context) == []
    with context.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(outbox)).scalar() == 0


def test_an_out_of_office_reply_is_accepted_and_files_nothing_and_answers_nothing(
    context: Context, smtp_port: int
) -> None:
    # our acknowledgement reached someone on holiday: their robot answers it (RFC 3834)
    raw = (
        b"From: anne@example.nl\r\nTo: euprivacy@flexibelt.nl\r\n"
        b"Subject: Afwezig: Uw privacyverzoek\r\nAuto-Submitted: auto-replied\r\n"
        b"Content-Type: text/plain\r\n\r\nIk ben afwezig tot 4 januari. Verwijder dit niet.\r\n"
    )
    code, reply = _send(smtp_port, "anne@example.nl", raw)
    assert code == 250 and b"no request" in reply
    assert _requests(context) == []
    with context.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(outbox)).scalar() == 0


def test_without_a_from_header_the_envelope_sender_is_answered(
    context: Context, smtp_port: int
) -> None:
    raw = b"Subject: inzage\r\nContent-Type: text/plain\r\n\r\nInzage graag.\r\n"
    assert _send(smtp_port, "envelope@example.nl", raw)[0] == 250
    [ack] = [mail for _i, t, mail in context.outbox.pending() if t == "request_received"]
    assert ack.to == "envelope@example.nl"


def test_an_unclear_mail_is_filed_as_unclear_for_the_privacy_officer(
    requests_service: SubjectRequests, context: Context, smtp_port: int
) -> None:
    raw = _mail("q@example.nl", "Vraag", "Stuur een kopie van mijn gegevens en verwijder alles.")
    assert _send(smtp_port, "q@example.nl", raw)[0] == 250
    with context.unit_of_work() as uow:
        [queued] = requests_service.queue(uow)
    assert queued.kind is RequestKind.UNCLEAR
    assert queued.status is RequestStatus.RECEIVED
    assert not queued.overdue


# --- identity: the confirmation link (L57) -------------------------------------------------


def _confirmation_token(context: Context, to: str) -> str:
    [body] = [
        mail.body
        for _id, template, mail in context.outbox.pending()
        if template == "request_received" and mail.to == to
    ]
    return body.split("/requests/confirm?token=", 1)[1].split()[0]


def test_L57_opening_the_link_confirms_nothing_and_the_button_verifies_once(
    context: Context, smtp_port: int, client: TestClient
) -> None:
    assert _send(smtp_port, "k@example.nl", _mail("k@example.nl", "", "Inzage graag."))[0] == 250
    token = _confirmation_token(context, "k@example.nl")
    page = client.get(f"/requests/confirm?token={token}")
    assert page.status_code == 200 and 'id="request-confirm-submit"' in page.text
    assert [r.status for r in _requests(context)] == ["received"]  # a mail scanner spends nothing

    done = submit(client, "/requests/confirm", {"token": token}, page=page.url.path)
    assert done.status_code == 200 and 'id="request-confirm-done"' in done.text
    [row] = _requests(context)
    assert row.status == "verified"
    assert row.reference in done.text
    with context.engine.connect() as connection:
        assert not connection.execute(select(subject_tokens)).all()  # single use
        actions = [a for (a,) in connection.execute(select(audit_log.c.action))]
    assert "request.verify" in actions

    again = submit(client, "/requests/confirm", {"token": token}, page="/requests/confirm")
    assert again.status_code == 422 and 'id="request-confirm-invalid"' in again.text


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("x" * 43, id="forged"),
        pytest.param("", id="empty"),
        pytest.param("y" * 500, id="too-long"),
    ],
)
def test_L57_a_forged_link_is_a_clear_page_and_changes_nothing(
    context: Context, smtp_port: int, client: TestClient, token: str
) -> None:
    assert _send(smtp_port, "f@example.nl", _mail("f@example.nl", "", "Inzage graag."))[0] == 250
    response = submit(client, "/requests/confirm", {"token": token}, page="/requests/confirm")
    assert response.status_code == 422 and 'id="request-confirm-invalid"' in response.text
    assert [r.status for r in _requests(context)] == ["received"]


def test_L57_a_link_older_than_seven_days_no_longer_confirms(
    context: Context, smtp_port: int, client: TestClient
) -> None:
    assert _send(smtp_port, "o@example.nl", _mail("o@example.nl", "", "Inzage graag."))[0] == 250
    token = _confirmation_token(context, "o@example.nl")
    context.clock.advance(timedelta(days=7))  # type: ignore[attr-defined]
    response = submit(client, "/requests/confirm", {"token": token}, page="/requests/confirm")
    assert response.status_code == 422
    assert [r.status for r in _requests(context)] == ["received"]


def test_L57_an_unconfirmed_request_closes_after_seven_days_and_a_confirmed_one_stays(
    context: Context, smtp_port: int, client: TestClient
) -> None:
    for sender in ("stil@example.nl", "actief@example.nl"):
        assert _send(smtp_port, sender, _mail(sender, "", "Inzage graag."))[0] == 250
    token = _confirmation_token(context, "actief@example.nl")
    submit(client, "/requests/confirm", {"token": token}, page="/requests/confirm")
    with context.unit_of_work() as uow:
        assert context.requests.expire_unconfirmed(uow) == 0  # not yet seven days
    context.clock.advance(timedelta(days=7))  # type: ignore[attr-defined]
    with context.unit_of_work() as uow:
        assert context.requests.expire_unconfirmed(uow) == 1
    statuses = sorted((r.status, r.closed_at is not None) for r in _requests(context))
    assert statuses == [("closed", True), ("verified", False)]
