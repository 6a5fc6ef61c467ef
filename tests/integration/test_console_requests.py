"""The privacy officer's request pages over HTTP (issue 11 items 3 and 11; LEGAL L54-L58):
the queue by due date with the overdue marked, one request decrypted through the seam and
access-logged, only the steps the status table allows, each step's success (303 and a
notice) and refusal (the page again, 409/422, nothing changed), CSRF, filing a phoned
request, and the role table keeping every other role out."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.factories import Customer, customer
from tests.integration.test_console_roles import csrf_token, staff_session

from privaat.bootstrap import Context
from privaat.domain.clock import FixedClock
from privaat.domain.principal import StaffMember, StaffRole
from privaat.domain.subject_requests import Action, RequestKind, RequestStatus
from privaat.mail.transport import OutgoingMail
from privaat.services.subject_requests import RequestChannel
from privaat.store.tables import access_log, audit_log
from privaat.web.app import create_app
from privaat.web.console.access import STAFF_COOKIE

OFFICER = StaffMember(1, StaffRole.PRIVACY_OFFICER)


@pytest.fixture
def console(context: Context) -> Iterator[TestClient]:
    with TestClient(create_app(context), client=("145.97.0.1", 50000)) as client:
        yield client


@pytest.fixture
def officer(console: TestClient, context: Context, clock: FixedClock) -> TestClient:
    """The console with a privacy officer logged in."""
    console.cookies.set(STAFF_COOKIE, staff_session(context, clock, StaffRole.PRIVACY_OFFICER))
    return console


def _filed(context: Context, kind: RequestKind = RequestKind.ACCESS) -> tuple[Customer, str]:
    person = customer(context, name="Bram Visser")
    with context.unit_of_work() as uow:
        row, _new = context.requests.file_for(
            uow, person.principal, kind, channel=RequestChannel.WEB, text="Welke gegevens?"
        )
    return person, row.reference


def _mailed(context: Context, text: str = "Ik wil iets weten over mijn gegevens.") -> str:
    message = EmailMessage()
    message["From"] = "Anna de Vries <anna@example.nl>"
    message["To"] = "privacy@flexibelt.example"
    message["Subject"] = "Vraag"
    message["Message-ID"] = "<vraag-1@example.nl>"
    message.set_content(text)
    with context.unit_of_work() as uow:
        return context.requests.receive_mail(uow, message.as_bytes()).reference


def _status(context: Context, reference: str) -> RequestStatus:
    with context.unit_of_work() as uow:
        [row] = [r for r in context.requests.queue(uow) if r.reference == reference]
    return row.status


def _act(context: Context, reference: str, action: Action, **kw: object) -> None:
    with context.unit_of_work() as uow:
        context.requests.act(uow, OFFICER, reference, action, **kw)  # type: ignore[arg-type]


def _post(client: TestClient, path: str, data: dict[str, str], page: str) -> object:
    return client.post(
        path, data={"csrf_token": csrf_token(client, page), **data}, follow_redirects=False
    )


def _letters(context: Context, template: str) -> list[OutgoingMail]:
    return [mail for _id, t, mail in context.outbox.pending() if t == template]


# --- the role table ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", [StaffRole.SUPPORT, StaffRole.MARKETING, StaffRole.ADMINISTRATOR], ids=str
)
def test_issue11_11_only_the_privacy_officer_opens_the_request_pages(
    console: TestClient, context: Context, clock: FixedClock, role: StaffRole
) -> None:
    _person, reference = _filed(context)
    console.cookies.set(STAFF_COOKIE, staff_session(context, clock, role))
    for path in (
        "/console/requests",
        "/console/requests/new",
        "/console/requests/figures",
        f"/console/requests/{reference}",
    ):
        assert console.get(path, follow_redirects=False).status_code == 403, path
    token = csrf_token(console, "/console")
    for path in (f"/console/requests/{reference}/act", "/console/requests/new"):
        refused = console.post(
            path, data={"csrf_token": token, "action": "cancel"}, follow_redirects=False
        )
        assert refused.status_code == 403
    assert _status(context, reference) is RequestStatus.VERIFIED
    assert 'id="console-nav-requests"' not in console.get("/console").text


# --- the queue --------------------------------------------------------------------------------


def test_issue11_3_the_queue_puts_overdue_requests_first_and_says_so_in_words(
    console: TestClient, context: Context, clock: FixedClock
) -> None:
    clock.advance(-timedelta(days=52))  # Monday 5 October 2026: due Thursday 5 November
    _late_person, late = _filed(context, RequestKind.ERASURE)
    clock.advance(timedelta(days=52))  # back to Thursday 26 November: 21 days over
    _person, fresh = _filed(context, RequestKind.ACCESS)  # due Saturday 26 December → Monday 28
    console.cookies.set(STAFF_COOKIE, staff_session(context, clock, StaffRole.PRIVACY_OFFICER))
    page = console.get("/console/requests")
    assert page.status_code == 200
    assert page.text.index(late) < page.text.index(fresh)
    late_row = re.search(rf'<tr id="request-row-{late}"[^>]*>(.*?)</tr>', page.text, re.S)
    assert late_row and 'data-overdue="yes"' in late_row.group(0)
    assert "OVERDUE by 21 days" in late_row.group(1) or "TE LAAT: 21 dagen" in late_row.group(1)
    fresh_row = re.search(rf'<tr id="request-row-{fresh}"[^>]*>(.*?)</tr>', page.text, re.S)
    assert fresh_row and 'data-overdue="no"' in fresh_row.group(0)
    assert "bram" not in page.text.lower()  # nothing personal on the list
    shown = console.get(f"/console/requests/{late}").text
    assert 'id="request-overdue"' in shown and "TE LAAT: 21 dagen" in shown
    # the kind filter and the closed ones: a closed request shows only under "all"
    only_access = console.get("/console/requests?kind=access").text
    assert fresh in only_access and late not in only_access
    _act(context, fresh, Action.CANCEL)
    assert fresh not in console.get("/console/requests").text
    assert fresh in console.get("/console/requests?show=all").text


def test_the_queue_speaks_english_when_asked(officer: TestClient, context: Context) -> None:
    _filed(context)
    english = officer.get("/console/requests?lang=en").text
    dutch = officer.get("/console/requests?lang=nl").text
    assert "Privacy requests" in english and "Access (art. 15)" in english
    assert "Privacyverzoeken" in dutch and "Inzage (art. 15)" in dutch


# --- one request --------------------------------------------------------------------------------


def test_issue11_11_the_request_page_decrypts_through_the_seam_and_the_access_log_says_so(
    officer: TestClient, context: Context
) -> None:
    person, reference = _filed(context)
    context.access_log.flush()
    with context.engine.connect() as connection:
        before = connection.execute(select(access_log.c.id)).all()
    page = officer.get(f"/console/requests/{reference}?lang=en")
    assert page.status_code == 200
    assert person.email in page.text and "Welke gegevens?" in page.text
    assert "Access (art. 15)" in page.text
    context.access_log.flush()
    with context.engine.connect() as connection:
        logged = connection.execute(
            select(access_log.c.actor, access_log.c.activity, access_log.c.operation).where(
                access_log.c.id.notin_([row.id for row in before])
            )
        ).all()
    # the requester's words (hold key) and the account's address: both read by the officer
    assert logged and {(re.sub(r"\d+", "N", a), act, op) for a, act, op in logged} == {
        ("staff:N:privacy_officer", "rights_handling", "read")
    }
    # verified: start, refuse and cancel are the only steps; complete is not offered
    assert 'id="step-start"' in page.text and 'id="step-refuse"' in page.text
    assert 'id="step-cancel"' in page.text
    assert 'id="step-complete"' not in page.text and 'id="step-extend"' not in page.text
    assert 'id="step-answer"' not in page.text  # not yet in progress
    history = page.text.split('id="request-history"', 1)[1]
    assert "received" in history and "identity confirmed" in history


def test_an_unknown_reference_is_a_404_page(officer: TestClient) -> None:
    page = officer.get("/console/requests/PR-NOTHERE")
    assert page.status_code == 404 and "<h1" in page.text
    posted = _post(officer, "/console/requests/PR-NOTHERE/act", {"action": "start"}, "/console")
    assert posted.status_code == 404  # type: ignore[attr-defined]


def test_L55_extending_on_the_page_tells_the_requester_the_reason_and_the_new_date(
    officer: TestClient, context: Context
) -> None:
    person, reference = _filed(context)  # received Thursday 26 November 2026
    page = f"/console/requests/{reference}"
    started = _post(officer, f"{page}/act", {"action": "start"}, page)
    assert started.status_code == 303  # type: ignore[attr-defined]
    assert started.headers["location"] == f"{page}?notice=start"  # type: ignore[attr-defined]
    extended = _post(
        officer,
        f"{page}/act",
        {"action": "extend", "months": "1", "reason": "Gegevens in het oude archief"},
        page,
    )
    assert extended.headers["location"] == f"{page}?notice=extend"  # type: ignore[attr-defined]
    assert _status(context, reference) is RequestStatus.EXTENDED
    [letter] = _letters(context, "request_extended")
    assert letter.to == person.email
    assert "Gegevens in het oude archief" in letter.body
    assert "26 januari 2027" in letter.body  # 26 November + 2 months
    shown = officer.get(f"{page}?notice=extend&lang=en").text
    assert 'id="request-notice"' in shown and "2027-01-26" in shown
    assert "Gegevens in het oude archief" in shown  # the reasons, on the page
    assert "Extended by 1 month (GDPR art. 12(3))." in shown
    assert "Verlengd met 1 maand (AVG art. 12, lid 3)." in officer.get(page).text


@pytest.mark.parametrize(
    ("data", "field"),
    [
        pytest.param({"months": "1", "reason": "  "}, "reason", id="no-reason"),
        pytest.param({"months": "3", "reason": "Veel werk"}, "months", id="three-months"),
        pytest.param({"reason": "Veel werk"}, "months", id="no-months"),
    ],
)
def test_L55_an_extension_without_reasons_or_too_long_is_the_page_again_and_nothing_changes(
    officer: TestClient, context: Context, data: dict[str, str], field: str
) -> None:
    _person, reference = _filed(context)
    _act(context, reference, Action.START)
    page = f"/console/requests/{reference}"
    refused = _post(officer, f"{page}/act", {"action": "extend", **data}, page)
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert f'id="step-extend-{field}-error"' in refused.text  # type: ignore[attr-defined]
    assert _status(context, reference) is RequestStatus.IN_PROGRESS
    assert _letters(context, "request_extended") == []


def test_L55_a_second_extension_past_two_months_is_refused_by_the_law_not_the_form(
    officer: TestClient, context: Context
) -> None:
    _person, reference = _filed(context)
    _act(context, reference, Action.START)
    _act(context, reference, Action.EXTEND, reason="Eerste keer", months=2)
    page = f"/console/requests/{reference}"
    refused = _post(
        officer, f"{page}/act", {"action": "extend", "months": "1", "reason": "Nog eens"}, page
    )
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert 'id="step-extend-error"' in refused.text  # type: ignore[attr-defined]
    assert "ten hoogste twee maanden (AVG art. 12, lid 3)" in refused.text  # type: ignore[attr-defined]
    with context.unit_of_work() as uow:
        [row] = context.requests.queue(uow)
    assert row.due_on.isoformat() == "2027-02-26"


def test_L56_a_refusal_needs_reasons_and_then_tells_them(
    officer: TestClient, context: Context
) -> None:
    person, reference = _filed(context)
    page = f"/console/requests/{reference}"
    empty = _post(officer, f"{page}/act", {"action": "refuse", "reason": ""}, page)
    assert empty.status_code == 422  # type: ignore[attr-defined]
    assert 'id="step-refuse-reason-error"' in empty.text  # type: ignore[attr-defined]
    assert _status(context, reference) is RequestStatus.VERIFIED
    done = _post(
        officer, f"{page}/act", {"action": "refuse", "reason": "Kennelijk ongegrond"}, page
    )
    assert done.status_code == 303  # type: ignore[attr-defined]
    assert _status(context, reference) is RequestStatus.REFUSED
    [letter] = _letters(context, "request_refused")
    assert letter.to == person.email and "Kennelijk ongegrond" in letter.body


def test_a_step_the_status_table_lacks_is_409_with_the_reason_and_changes_nothing(
    officer: TestClient, context: Context
) -> None:
    _person, reference = _filed(context)  # verified: "complete" is not a step from here
    page = f"/console/requests/{reference}"
    refused = _post(officer, f"{page}/act", {"action": "complete"}, page)
    assert refused.status_code == 409  # type: ignore[attr-defined]
    assert 'id="step-complete-error"' in refused.text  # type: ignore[attr-defined]
    assert _status(context, reference) is RequestStatus.VERIFIED
    forged = _post(officer, f"{page}/act", {"action": "verify"}, page)  # not a staff step
    assert forged.status_code == 409  # type: ignore[attr-defined]


def test_start_complete_close_and_cancel_each_move_the_request_once(
    officer: TestClient, context: Context
) -> None:
    _person, reference = _filed(context, RequestKind.RECTIFICATION)
    page = f"/console/requests/{reference}"
    for action, after in (
        ("start", RequestStatus.IN_PROGRESS),
        ("complete", RequestStatus.COMPLETED),
        ("close", RequestStatus.CLOSED),
    ):
        moved = _post(officer, f"{page}/act", {"action": action}, page)
        assert moved.status_code == 303, action  # type: ignore[attr-defined]
        assert _status(context, reference) is after
    closed = officer.get(page).text
    assert 'id="request-no-steps"' in closed and '<form class="activity"' not in closed
    _other_person, other = _filed(context, RequestKind.OBJECTION)
    cancelled = _post(
        officer,
        f"/console/requests/{other}/act",
        {"action": "cancel"},
        f"/console/requests/{other}",
    )
    assert cancelled.status_code == 303  # type: ignore[attr-defined]
    assert _status(context, other) is RequestStatus.CLOSED


def test_issue8_5_a_step_without_its_csrf_token_is_refused_and_changes_nothing(
    officer: TestClient, context: Context
) -> None:
    _person, reference = _filed(context)
    refused = officer.post(
        f"/console/requests/{reference}/act", data={"action": "start"}, follow_redirects=False
    )
    assert refused.status_code == 403
    forged = officer.post(
        f"/console/requests/{reference}/act",
        data={"action": "start", "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    assert _status(context, reference) is RequestStatus.VERIFIED


def test_L54_an_unclear_mail_is_classified_on_the_page_and_the_trail_records_it(
    officer: TestClient, context: Context
) -> None:
    reference = _mailed(context)
    page = f"/console/requests/{reference}"
    shown = officer.get(f"{page}?lang=en").text
    assert "Unclear: to classify" in shown and 'id="step-classify"' in shown
    assert "anna@example.nl" in shown and "Ik wil iets weten" in shown
    assert 'id="request-mail-count">1 mails' in shown or "1 mail" in shown
    # the original mail, as it came in
    [href] = re.findall(rf'href="({page}/mails/\d+)"', shown)
    eml = officer.get(href)
    assert eml.status_code == 200 and eml.headers["content-type"].startswith("message/rfc822")
    assert b"Message-ID: <vraag-1@example.nl>" in eml.content
    assert officer.get(f"{page}/mails/999999").status_code == 404
    bad = _post(officer, f"{page}/classify", {"kind": "unclear"}, page)
    assert bad.status_code == 422  # type: ignore[attr-defined]
    done = _post(officer, f"{page}/classify", {"kind": "access"}, page)
    assert done.status_code == 303  # type: ignore[attr-defined]
    with context.unit_of_work() as uow:
        [row] = context.requests.queue(uow)
    assert row.kind is RequestKind.ACCESS
    with context.engine.connect() as connection:
        actions = [a for (a,) in connection.execute(select(audit_log.c.action))]
    assert "request.classified" in actions
    again = _post(officer, f"{page}/classify", {"kind": "erasure"}, page)
    assert again.status_code == 409  # type: ignore[attr-defined]


def test_L59_answering_an_access_request_on_the_page_completes_it_and_mails_the_link(
    officer: TestClient, context: Context
) -> None:
    person, reference = _filed(context)
    _act(context, reference, Action.START)
    page = f"/console/requests/{reference}"
    assert 'id="step-answer"' in officer.get(page).text
    done = _post(officer, f"{page}/answer", {}, page)
    assert done.status_code == 303  # type: ignore[attr-defined]
    assert _status(context, reference) is RequestStatus.COMPLETED
    [mail] = _letters(context, "request_answered")
    assert mail.to == person.email and "/requests/download?token=" in mail.body
    _other, erasure = _filed(context, RequestKind.ERASURE)
    _act(context, erasure, Action.START)
    other_page = f"/console/requests/{erasure}"
    assert 'id="step-answer"' not in officer.get(other_page).text
    refused = _post(officer, f"{other_page}/answer", {}, other_page)
    assert refused.status_code == 409  # type: ignore[attr-defined]
    assert _status(context, erasure) is RequestStatus.IN_PROGRESS


# --- filing a phoned request (L54, L57) -------------------------------------------------------


def test_L54_L57_staff_file_a_phoned_request_with_the_identity_check_and_errors_per_field(
    officer: TestClient, context: Context
) -> None:
    empty = _post(officer, "/console/requests/new", {}, "/console/requests/new")
    assert empty.status_code == 422  # type: ignore[attr-defined]
    for field in ("email", "type", "identity_check"):
        assert f'id="request-new-{field}-error"' in empty.text, field  # type: ignore[attr-defined]
    assert _letters(context, "request_received") == []
    filed = _post(
        officer,
        "/console/requests/new",
        {
            "email": "piet@example.nl",
            "type": "erasure",
            "identity_check": "Teruggebeld op het nummer van het account",
            "language": "en",
            "details": "Please erase my account.",
        },
        "/console/requests/new",
    )
    assert filed.status_code == 303  # type: ignore[attr-defined]
    location = filed.headers["location"]  # type: ignore[attr-defined]
    assert re.fullmatch(r"/console/requests/PR-[0-9A-Z]{8}\?notice=filed", location)
    page = officer.get(location + "&lang=en").text
    assert "Erasure (art. 17)" in page and "filed by staff" in page and "confirmed" in page
    assert "Teruggebeld op het nummer van het account" in page
    [ack] = _letters(context, "request_received")
    assert ack.to == "piet@example.nl" and "confirm" not in ack.body.lower()


def test_issue8_5_the_requesters_words_are_escaped_on_the_request_page(
    officer: TestClient, context: Context
) -> None:
    person = customer(context)
    with context.unit_of_work() as uow:
        row, _new = context.requests.file_for(
            uow,
            person.principal,
            RequestKind.ACCESS,
            channel=RequestChannel.WEB,
            text='<script>alert(1)</script> "><img src=x onerror=alert(1)>',
        )
    page = officer.get(f"/console/requests/{row.reference}").text
    assert "<script>alert(1)</script>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_L59_an_answer_before_the_request_is_started_is_refused_before_any_export(
    officer: TestClient, context: Context
) -> None:
    _person, reference = _filed(context)  # verified, not started
    context.access_log.flush()
    with context.engine.connect() as connection:
        before = {row.id for row in connection.execute(select(access_log.c.id))}
    page = f"/console/requests/{reference}"
    refused = _post(officer, f"{page}/answer", {}, page)
    assert refused.status_code == 409  # type: ignore[attr-defined]
    assert 'id="step-answer-error"' in refused.text  # type: ignore[attr-defined]
    context.access_log.flush()
    with context.engine.connect() as connection:
        operations = {
            row.operation
            for row in connection.execute(select(access_log.c.id, access_log.c.operation))
            if row.id not in before
        }
    assert "export" not in operations  # nothing was copied out for it
    assert _status(context, reference) is RequestStatus.VERIFIED
