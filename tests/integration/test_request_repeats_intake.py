"""Duplicate, repeated and excessive requests across channels (issue 15 item 8; GDPR art.
12(5); LEGAL L54, L57): the same person by web, mail and API makes one open request, each
later arrival linked to it and told its reference; a repeat or an excessive request is filed
flagged with the earlier references, audited without anything personal; another person of
the same name is nobody's duplicate; an OpenDSR controller is told its own open id; the
officer's page shows the history and offers the art. 12(5) ground."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.factories import customer
from tests.integration.test_consents_api import logged_in
from tests.integration.test_console_roles import staff_session

from privaat.bootstrap import Context
from privaat.domain.clock import FixedClock
from privaat.domain.principal import StaffMember, StaffRole
from privaat.domain.subject_requests import Action, RequestKind, RequestStatus
from privaat.services.errors import Conflict, InvalidField
from privaat.services.subject_requests import RequestChannel
from privaat.settings import Mode
from privaat.store.tables import audit_log
from privaat.store.tables_requests import request_duplicates, subject_requests
from privaat.web.app import create_app
from privaat.web.console.access import STAFF_COOKIE

OFFICER = StaffMember(1, StaffRole.PRIVACY_OFFICER)
DAY = timedelta(days=1)


def _mail(sender: str, text: str, subject: str = "Inzage", name: str = "Anna de Vries") -> bytes:
    message = EmailMessage()
    message["From"] = f"{name} <{sender}>"
    message["To"] = "privacy@flexibelt.example"
    message["Subject"] = subject
    message.set_content(text)
    return message.as_bytes()


def _rows(context: Context) -> list[object]:
    with context.engine.connect() as connection:
        return list(connection.execute(select(subject_requests).order_by(subject_requests.c.id)))


def _answer(context: Context, reference: str) -> None:
    with context.unit_of_work() as uow:
        context.requests.act(uow, OFFICER, reference, Action.START)
        context.requests.act(uow, OFFICER, reference, Action.COMPLETE)


def _acks(context: Context, to: str) -> list[str]:
    return [
        m.body
        for _i, t, m in context.outbox.pending()
        if t == "request_received" and m.to.lower() == to.lower()
    ]


def _confirm(context: Context, to: str) -> None:
    """Open the confirmation link of the newest acknowledgement, as the person would."""
    token = _acks(context, to)[-1].split("/requests/confirm?token=")[1].split()[0]
    with context.unit_of_work() as uow:
        context.requests.confirm(uow, token)


def test_issue15_item8_web_then_mail_then_api_is_one_open_request_linked_and_told(
    context: Context,
) -> None:
    person = customer(context, name="Anna de Vries")
    with context.unit_of_work() as uow:
        web, created = context.requests.file_for(
            uow, person.principal, RequestKind.ACCESS, channel=RequestChannel.WEB
        )
    assert created
    context.clock.advance(2 * DAY)  # type: ignore[attr-defined]
    with context.unit_of_work() as uow:
        mailed = context.requests.receive_mail(
            uow, _mail(person.email.upper(), "Ik wil inzage in mijn gegevens.")
        )
    assert mailed.linked and mailed.reference == web.reference
    # the requester is told the reference of the request that runs, with no link to
    # confirm a request that is verified already
    [ack] = _acks(context, person.email.upper())
    assert web.reference in ack and "/requests/confirm" not in ack
    context.clock.advance(DAY)  # type: ignore[attr-defined]
    with context.unit_of_work() as uow:
        api, created = context.requests.file_for(
            uow, person.principal, RequestKind.ACCESS, channel=RequestChannel.API
        )
    assert not created and api.reference == web.reference
    [row] = _rows(context)
    assert row.status == "verified" and row.repetition is None
    with context.engine.connect() as connection:
        arrivals = connection.execute(
            select(request_duplicates.c.channel).order_by(request_duplicates.c.id)
        ).scalars()
        assert list(arrivals) == ["email", "api"]
        linked = connection.execute(
            select(audit_log.c.detail).where(audit_log.c.action == "request.linked")
        ).scalars()
        details = [json.loads(d) for d in linked]
    assert [d["channel"] for d in details] == ["email", "api"]
    assert all(d["reference"] == web.reference for d in details)
    assert all(person.email not in json.dumps(d).lower() for d in details)


def test_issue15_item8_a_public_form_joins_the_open_mail_request_of_the_same_address(
    context: Context,
) -> None:
    """No account: the person is the keyed hash of the address (requester_bidx)."""
    with context.unit_of_work() as uow:
        first = context.requests.receive_mail(
            uow, _mail("los@example.nl", "Wis al mijn gegevens.", subject="Wissen")
        )
    assert first.kind is RequestKind.ERASURE and not first.linked
    with context.unit_of_work() as uow:
        again = context.requests.receive_form(
            uow,
            email="LOS@example.nl",
            kind=RequestKind.ERASURE,
            text="nogmaals",
            language="nl",
            ip="203.0.113.9",
        )
    assert again.linked and again.reference == first.reference
    assert len(_rows(context)) == 1
    # still waiting for its confirmation: the answer carries a link to confirm it
    assert "/requests/confirm" in _acks(context, "LOS@example.nl")[0]


def test_issue15_item8_access_again_within_three_months_is_filed_flagged_with_the_earlier(
    context: Context,
) -> None:
    person = customer(context)
    with context.unit_of_work() as uow:
        first, _ = context.requests.file_for(
            uow, person.principal, RequestKind.ACCESS, channel=RequestChannel.WEB
        )
    _answer(context, first.reference)
    context.clock.advance(40 * DAY)  # type: ignore[attr-defined]
    with context.unit_of_work() as uow:
        mailed = context.requests.receive_mail(uow, _mail(person.email, "Inzage graag."))
    assert not mailed.linked and mailed.reference != first.reference
    with context.unit_of_work() as uow:
        queued = {r.reference: r for r in context.requests.queue(uow)}
    assert queued[mailed.reference].repetition == "repeat"
    assert queued[first.reference].repetition is None
    second = _rows(context)[-1]
    assert json.loads(second.repeat_of) == [first.reference]
    with context.engine.connect() as connection:
        [detail] = connection.execute(
            select(audit_log.c.detail).where(audit_log.c.action == "request.flagged")
        ).scalars()
    assert json.loads(detail) == {
        "reference": mailed.reference,
        "repetition": "repeat",
        "evidence": first.reference,
    }
    # four months after the answer: a new request, not flagged
    _confirm(context, person.email)
    _answer(context, mailed.reference)
    context.clock.advance(125 * DAY)  # type: ignore[attr-defined]
    with context.unit_of_work() as uow:
        third, created = context.requests.file_for(
            uow, person.principal, RequestKind.ACCESS, channel=RequestChannel.API
        )
    assert created and third.repetition is None


def test_issue15_item8_the_sixth_request_in_twelve_months_is_excessive(
    context: Context,
) -> None:
    person = customer(context)
    references = []
    kinds = (
        RequestKind.RECTIFICATION,
        RequestKind.OBJECTION,
        RequestKind.RESTRICTION,
        RequestKind.RECTIFICATION,
        RequestKind.OBJECTION,
    )
    for kind in kinds:
        with context.unit_of_work() as uow:
            row, created = context.requests.file_for(
                uow, person.principal, kind, channel=RequestChannel.WEB
            )
            assert created and row.repetition is None
            context.requests.act(uow, OFFICER, row.reference, Action.REFUSE, reason="unfounded")
        references.append(row.reference)
        context.clock.advance(50 * DAY)  # type: ignore[attr-defined]
    with context.unit_of_work() as uow:
        sixth, created = context.requests.file_for(
            uow, person.principal, RequestKind.ERASURE, channel=RequestChannel.API
        )
    assert created and sixth.repetition == "excessive"
    assert json.loads(_rows(context)[-1].repeat_of) == references


def test_issue15_item8_another_person_with_the_same_name_is_not_linked(
    context: Context,
) -> None:
    anna = customer(context, name="Anna de Vries")
    other = customer(context, name="Anna de Vries")
    with context.unit_of_work() as uow:
        first, _ = context.requests.file_for(
            uow, anna.principal, RequestKind.ACCESS, channel=RequestChannel.WEB
        )
        mailed = context.requests.receive_mail(uow, _mail(other.email, "Inzage graag."))
        theirs, created = context.requests.file_for(
            uow, other.principal, RequestKind.ACCESS, channel=RequestChannel.API
        )
    assert not mailed.linked and mailed.reference != first.reference
    # the other Anna's own mail and API request are one; Anna's is apart
    assert not created and theirs.reference == mailed.reference
    assert [r.repetition for r in _rows(context)] == [None, None]
    with context.engine.connect() as connection:
        [arrival] = connection.execute(select(request_duplicates)).all()
    assert arrival.request_id == _rows(context)[1].id


def _opendsr(context: Context, srid: str, value: str = "gebruiker@klant.example") -> object:
    with context.unit_of_work() as uow:
        customer_ = context.opendsr.authenticate(uow, _KEYS[id(context)])
        return context.opendsr.create(
            uow,
            customer_,
            subject_request_id=srid,
            subject_request_type="access",
            identities=[("email", "raw", value)],
            submitted_time=context.clock.now(),
            callback_urls=[],
            raw=b"{}",
            mode=Mode.TEST,
        )


_KEYS: dict[int, str] = {}
SRID_1 = "a7551968-d5d6-44b2-9831-815ac9017798"
SRID_2 = "0f8fad5b-d9cb-469f-a165-70867728950e"
SRID_3 = "3d0ca315-aff9-4fc2-be61-3b76b9a2d798"


def test_issue15_item8_opendsr_a_duplicate_names_the_open_id_a_repeat_is_flagged(
    context: Context,
) -> None:
    with context.unit_of_work() as uow:
        _info, _KEYS[id(context)] = context.opendsr.add_customer(uow, "Klant A")
    _opendsr(context, SRID_1)
    before = _rows(context)
    with pytest.raises(Conflict, match=f"open already: {SRID_1}"):
        _opendsr(context, SRID_2, "GEBRUIKER@klant.example")
    assert _rows(context) == before  # nothing filed
    # another user of the same controller is a request of its own
    _opendsr(context, SRID_2, "ander@klant.example")
    [first, other] = _rows(context)
    assert other.repetition is None
    _answer(context, first.reference)
    context.clock.advance(10 * DAY)  # type: ignore[attr-defined]
    _opendsr(context, SRID_3)
    third = _rows(context)[-1]
    assert third.repetition == "repeat" and json.loads(third.repeat_of) == [first.reference]


def test_issue15_item8_bad_input_stays_a_clear_error_and_files_nothing(context: Context) -> None:
    with context.unit_of_work() as uow, pytest.raises(InvalidField):
        context.requests.receive_form(
            uow, email="x@example.nl", kind=RequestKind.UNCLEAR, text="", language="nl", ip="::1"
        )
    assert _rows(context) == []


# --- the officer's page -----------------------------------------------------------------


@pytest.fixture
def officer(context: Context, clock: FixedClock) -> Iterator[TestClient]:
    with TestClient(create_app(context), client=("145.97.0.1", 50000)) as client:
        client.cookies.set(STAFF_COOKIE, staff_session(context, clock, StaffRole.PRIVACY_OFFICER))
        yield client


def test_issue15_item8_the_page_shows_the_persons_history_the_flag_and_the_art_12_5_ground(
    context: Context, officer: TestClient, clock: FixedClock
) -> None:
    person = customer(context)
    with context.unit_of_work() as uow:
        first, _ = context.requests.file_for(
            uow, person.principal, RequestKind.ACCESS, channel=RequestChannel.WEB
        )
        context.requests.receive_mail(uow, _mail(person.email, "Inzage graag."))
    _answer(context, first.reference)
    context.clock.advance(20 * DAY)  # type: ignore[attr-defined]
    # a session of today (the fixture's would have expired in 20 days)
    session = staff_session(context, clock, StaffRole.PRIVACY_OFFICER)
    officer.cookies.set(STAFF_COOKIE, session)
    with context.unit_of_work() as uow:
        again, _ = context.requests.file_for(
            uow, person.principal, RequestKind.ACCESS, channel=RequestChannel.API
        )
    page = officer.get(f"/console/requests/{again.reference}", headers={"Accept-Language": "en"})
    assert page.status_code == 200, page.text
    html = page.text
    assert "Earlier requests of this person" in html
    assert f'id="request-earlier-{first.reference}"' in html
    row = html.split(f'id="request-earlier-{first.reference}"')[1].split("</tr>")[0]
    assert f'href="/console/requests/{first.reference}"' in row
    assert "Access" in row or "access" in row
    assert 'data-repetition="repeat"' in html
    assert f'<a href="/console/requests/{first.reference}">{first.reference}</a>' in html
    # the refusal's reasons start from the art. 12(5) ground naming the earlier request
    assert "GDPR art. 12(5)" in html
    assert f"You made this request before ({first.reference})" in html
    # the earlier one's page lists the later one, and the mail that joined it
    earlier = officer.get(f"/console/requests/{first.reference}").text
    assert f'id="request-earlier-{again.reference}"' in earlier
    assert 'id="request-duplicates"' in earlier
    # the queue marks the flagged request
    queue = officer.get("/console/requests?show=all").text
    flagged = queue.split(f'id="request-row-{again.reference}"')[1].split("</tr>")[0]
    assert 'class="error repeat-flag" data-repetition="repeat"' in flagged
    plain = queue.split(f'id="request-row-{first.reference}"')[1].split("</tr>")[0]
    assert "repeat-flag" not in plain
    assert RequestStatus(_rows(context)[0].status) is RequestStatus.COMPLETED


# --- over HTTP: what each channel answers -----------------------------------------------


@pytest.fixture
def http(context: Context) -> Iterator[TestClient]:
    with TestClient(create_app(context), raise_server_exceptions=False) as client:
        yield client


def test_issue15_item8_opendsr_over_http_a_duplicate_is_a_409_problem_naming_the_open_id(
    context: Context, http: TestClient
) -> None:
    with context.unit_of_work() as uow:
        _info, key = context.opendsr.add_customer(uow, "Klant B")
    headers = {"Authorization": f"Bearer {key}"}

    def post(srid: str) -> Any:
        body = {
            "subject_request_id": srid,
            "subject_request_type": "access",
            "submitted_time": "2026-11-25T15:00:00Z",
            "subject_identities": [
                {
                    "identity_type": "email",
                    "identity_value": "u@klant.example",
                    "identity_format": "raw",
                }
            ],
            "api_version": "1.0",
            "status_callback_urls": [],
        }  # fmt: skip
        return http.post("/opendsr/v1/opendsr_requests", json=body, headers=headers)

    assert post(SRID_1).status_code == 201
    again = post(SRID_2)
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert SRID_1 in again.json()["detail"]
    assert len(_rows(context)) == 1


def test_issue15_item8_the_requests_api_returns_the_request_a_mail_opened(
    context: Context, http: TestClient
) -> None:
    """Mail first, then the API: the API answers 200 with the running reference."""
    email = "mail.dan.api@example.nl"
    logged_in(http, email)
    with context.unit_of_work() as uow:
        mailed = context.requests.receive_mail(uow, _mail(email, "Inzage graag."))
    response = http.post("/api/v1/requests", json={"type": "access"})
    assert response.status_code == 200, response.text
    assert response.json()["id"] == mailed.reference
    assert len(_rows(context)) == 1


def test_issue15_item8_the_privacy_centre_says_a_second_ask_joined_the_open_request(
    context: Context, http: TestClient
) -> None:
    """Mail first, then the privacy centre's form, logged in: one request, and the page says
    it joined the open one (listed below)."""
    from tests.integration.test_pages_support import log_in, submit

    person = customer(context)
    with context.unit_of_work() as uow:
        mailed = context.requests.receive_mail(uow, _mail(person.email, "Inzage graag."))
    log_in(http, person.email, person.password)
    response = submit(http, "/requests/new", {"type": "access"}, page="/requests/new")
    assert response.status_code == 303
    assert response.headers["location"] == "/account/requests?notice=request_joined"
    listing = http.get(response.headers["location"])
    assert 'id="requests-joined"' in listing.text and 'id="requests-filed"' not in listing.text
    assert mailed.reference in listing.text
    assert len(_rows(context)) == 1 and mailed.linked is False


def test_issue15_item8_how_a_closed_request_ended_is_read_from_its_trail(
    context: Context,
) -> None:
    """A closed request's row no longer says whether it was verified or answered: the audit
    trail does. Five mails that expired unconfirmed count for nothing (L57); an access that
    was completed and then closed makes the next one a repeat."""
    person = customer(context)
    for n in range(5):
        with context.unit_of_work() as uow:
            context.requests.receive_mail(uow, _mail(person.email, "Inzage graag."))
        context.clock.advance(8 * DAY)  # type: ignore[attr-defined]
        with context.unit_of_work() as uow:
            assert context.requests.expire_unconfirmed(uow) == 1, n
    assert {r.status for r in _rows(context)} == {"closed"}
    with context.unit_of_work() as uow:
        sixth, created = context.requests.file_for(
            uow, person.principal, RequestKind.ACCESS, channel=RequestChannel.API
        )
    assert created and sixth.repetition is None  # not excessive, not a repeat
    _answer(context, sixth.reference)
    with context.unit_of_work() as uow:
        context.requests.act(uow, OFFICER, sixth.reference, Action.CLOSE)
    context.clock.advance(30 * DAY)  # type: ignore[attr-defined]
    with context.unit_of_work() as uow:
        seventh, created = context.requests.file_for(
            uow, person.principal, RequestKind.ACCESS, channel=RequestChannel.WEB
        )
    assert created and seventh.repetition == "repeat"
    assert json.loads(_rows(context)[-1].repeat_of) == [sixth.reference]
