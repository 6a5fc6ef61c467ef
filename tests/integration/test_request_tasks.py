"""Manual tasks and four-eyes approval of data-subject requests (issue 15 items 3 and 4; GDPR
art. 12(3), 17, 28(3)(e), 5(2); LEGAL L59, L64).

Systems without an API (a PBX appliance, a paper archive) are declared in the stores file's
``manual:`` list; a started request gets a task per system of its kind whose condition holds,
and completes only once every task is done with its evidence or waived with a reason. Under
PRIVAAT_FOUR_EYES an erasure (or an access answer holding call recordings) runs only after a
second privacy officer approved it."""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select
from tests.factories import Customer, customer
from tests.integration.test_console_roles import csrf_token
from tests.integration.test_request_rights_rectification import OFFICER, started
from tests.unit.test_call_rules import wav

from privaat.bootstrap import Context, bootstrap
from privaat.domain import processor_events
from privaat.domain.clock import FixedClock
from privaat.domain.principal import StaffMember, StaffRole
from privaat.domain.request_tasks import Step, TaskDone, TaskStatus
from privaat.domain.subject_requests import Action, RequestKind, RequestStatus
from privaat.services.erasure_certificates import ErasureCertificates, verify
from privaat.services.errors import Conflict, InvalidField, NotPermitted
from privaat.services.request_tasks import ApprovalDenied, ApprovalPending, LinkSpent
from privaat.services.subject_requests import RequestChannel
from privaat.settings import Settings
from privaat.store.tables import subjects
from privaat.store.tables_requests import subject_requests
from privaat.web.app import create_app

STORES = """\
manual:
  - id: archive
    name: {nl: Papieren archief, en: Paper archive}
    activity: account
    kinds: [access, erasure]
    role: privacy_officer
    due_days: 10
    evidence: [note, checkbox]
    instructions: {nl: Zoek de map van de klant en vernietig die., en: Shred the folder.}
  - id: pbx
    name: {nl: Telefooncentrale, en: PBX appliance}
    activity: support_desk
    kinds: [erasure]
    role: support_lead
    due_days: 5
    when: {activity: support_desk}
    evidence: [note]
    instructions: {nl: Verwijder het toestelaccount., en: Remove the extension.}
    processor_email: pbx@leverancier.example
"""
SECOND = StaffMember(2, StaffRole.PRIVACY_OFFICER)
LEAD = StaffMember(5, StaffRole.SUPPORT_LEAD)
AGENT = StaffMember(7, StaffRole.SUPPORT)


def _context(
    settings: Settings, engine: object, clock: FixedClock, tmp_path: Path, **update: object
) -> Context:
    path = tmp_path / "stores.yaml"
    path.write_text(STORES, encoding="utf-8")
    configured = settings.model_copy(update={"stores_file": path, **update})
    return bootstrap(configured, clock=clock, engine=engine, run_migrations=False)  # type: ignore[arg-type]


@pytest.fixture
def tasked(
    settings: Settings, engine: object, clock: FixedClock, tmp_path: Path
) -> Iterator[Context]:
    context = _context(settings, engine, clock, tmp_path)
    yield context
    context.close()


@pytest.fixture
def four_eyes(
    settings: Settings, engine: object, clock: FixedClock, tmp_path: Path
) -> Iterator[Context]:
    context = _context(
        settings, engine, clock, tmp_path, four_eyes="erasure,access_with_recordings"
    )
    yield context
    context.close()


def _tasks(context: Context, reference: str) -> dict[str, object]:
    with context.unit_of_work() as uow:
        return {t.system: t for t in context.tasks.tasks(uow, OFFICER, reference)}


def _status(context: Context, reference: str) -> str:
    with context.unit_of_work() as uow, uow.reading() as connection:
        return str(
            connection.execute(
                select(subject_requests.c.status).where(subject_requests.c.reference == reference)
            ).scalar_one()
        )


def _with_a_call(context: Context, subject_id: int, *, recorded: bool = False) -> None:
    with context.unit_of_work() as uow:
        call = context.calls.log_call(
            uow, AGENT, subject_id=subject_id, language="nl", choice="record"
        )
        if recorded:
            context.calls.add_segment(uow, AGENT, call, start_ms=0, end_ms=1000, audio=wav(1.0))


def _filed(context: Context, who: Customer, kind: RequestKind) -> Any:
    with context.unit_of_work() as uow:
        row, _created = context.requests.file_for(
            uow, who.principal, kind, channel=RequestChannel.API
        )
        context.requests.act(uow, OFFICER, row.reference, Action.START)
    return row


def _processor_link(context: Context) -> str:
    [mail] = [m for _id, t, m in context.outbox.pending() if t == "request_task_processor"]
    assert mail.to == "pbx@leverancier.example"
    assert "Voor privacyverzoek PR-" in mail.body and "Verwijder het toestelaccount." in mail.body
    match = re.search(r"/requests/task\?token=([A-Za-z0-9_-]+)", mail.body)
    assert match is not None, mail.body
    return match.group(1)


def test_item3_a_started_erasure_gets_a_task_per_system_whose_condition_holds(
    tasked: Context,
) -> None:
    person, reference = started(tasked, RequestKind.ERASURE)
    # no support call: the PBX condition (support_desk data) does not hold, the archive's does
    tasks = _tasks(tasked, reference)
    assert list(tasks) == ["archive"]
    archive = tasks["archive"]
    assert archive.status is TaskStatus.OPEN and archive.role == "privacy_officer"  # type: ignore[attr-defined]
    # a person with a support call gets the PBX task too, for the support lead
    other = customer(tasked, email="sanne@voorbeeld.nl")
    _with_a_call(tasked, other.subject_id)
    row = _filed(tasked, other, RequestKind.ERASURE)
    assert sorted(_tasks(tasked, row.reference)) == ["archive", "pbx"]
    assert person.subject_id != other.subject_id


def test_item3_a_request_completes_only_when_every_task_is_done_or_waived(
    tasked: Context,
) -> None:
    person, reference = started(tasked, RequestKind.ERASURE)
    with tasked.unit_of_work() as uow, pytest.raises(Conflict, match="open manual tasks"):
        tasked.rights.erase(uow, OFFICER, reference)
    # nothing erased, the request as it was
    with tasked.unit_of_work() as uow, uow.reading() as connection:
        erased = connection.execute(
            select(subjects.c.erased_at).where(subjects.c.id == person.subject_id)
        ).scalar()
    assert erased is None and _status(tasked, reference) == "in_progress"
    # the evidence its system asks for: a note and the box
    with tasked.unit_of_work() as uow, pytest.raises(InvalidField, match="box ticked"):
        tasked.tasks.done(uow, OFFICER, reference, "archive", TaskDone(note="vernietigd"))
    with tasked.unit_of_work() as uow:
        done = tasked.tasks.done(
            uow, OFFICER, reference, "archive", TaskDone(note="map 17 vernietigd", checked=True)
        )
    assert done.status is TaskStatus.DONE and done.done_by == "staff:privacy_officer"
    assert done.note == "map 17 vernietigd"
    with tasked.unit_of_work() as uow:
        tasked.rights.erase(uow, OFFICER, reference)
    assert _status(tasked, reference) == RequestStatus.COMPLETED.value
    # the erasure certificate lists the system done by hand, with its evidence (item 6)
    with tasked.unit_of_work() as uow:
        document = ErasureCertificates(access=tasked.access, requests=tasked.requests).certificate(
            uow, OFFICER, reference
        )
    assert verify(document)
    [archive] = document["certificate"]["manual"]
    assert archive == {
        "system": "archive",
        "status": "done",
        "done_at": archive["done_at"],
        "by": "staff:privacy_officer",
        "note": "map 17 vernietigd",
        "checked": True,
    }
    # the task and its evidence stay with the request as its proof (held)
    assert _tasks(tasked, reference)["archive"].note == "map 17 vernietigd"  # type: ignore[attr-defined]


def test_item3_a_waiver_needs_a_reason_and_the_privacy_officer(tasked: Context) -> None:
    _, reference = started(tasked, RequestKind.ACCESS)
    with tasked.unit_of_work() as uow, pytest.raises(InvalidField, match="reason"):
        tasked.tasks.waive(uow, OFFICER, reference, "archive", "  ")
    with tasked.unit_of_work() as uow, pytest.raises(NotPermitted):
        tasked.tasks.waive(uow, LEAD, reference, "archive", "geen papieren map")
    with tasked.unit_of_work() as uow, pytest.raises(Conflict, match="open manual tasks"):
        tasked.requests.act(uow, OFFICER, reference, Action.COMPLETE)
    with tasked.unit_of_work() as uow:
        waived = tasked.tasks.waive(uow, OFFICER, reference, "archive", "geen papieren map")
    assert waived.status is TaskStatus.WAIVED and waived.waiver == "geen papieren map"
    with tasked.unit_of_work() as uow, pytest.raises(Conflict, match="waived"):
        tasked.tasks.done(uow, OFFICER, reference, "archive", TaskDone(note="x", checked=True))
    with tasked.unit_of_work() as uow:
        answer = tasked.answers.answer(uow, OFFICER, reference)
    assert answer is not None and _status(tasked, reference) == "completed"


def test_item3_only_the_task_s_role_or_the_privacy_officer_does_it(tasked: Context) -> None:
    other = customer(tasked, email="sanne@voorbeeld.nl")
    _with_a_call(tasked, other.subject_id)
    row = _filed(tasked, other, RequestKind.ERASURE)
    with tasked.unit_of_work() as uow, pytest.raises(NotPermitted, match="support_lead"):
        tasked.tasks.done(uow, AGENT, row.reference, "pbx", TaskDone(note="weg"))
    with tasked.unit_of_work() as uow:
        done = tasked.tasks.done(uow, LEAD, row.reference, "pbx", TaskDone(note="toestel 204 weg"))
    assert done.done_by == "staff:support_lead"
    with tasked.unit_of_work() as uow, pytest.raises(InvalidField, match="no task"):
        tasked.tasks.done(uow, LEAD, row.reference, "fax", TaskDone(note="x"))


def test_item3_evidence_files_are_size_and_type_checked(tasked: Context) -> None:
    _, reference = started(tasked, RequestKind.ACCESS)
    evidence = TaskDone(note="gescand", checked=True, file_name="scan.pdf")
    with tasked.unit_of_work() as uow, pytest.raises(InvalidField, match="PDF, PNG"):
        tasked.tasks.done(uow, OFFICER, reference, "archive", evidence, b"MZ\x90\x00\xff\xfe")
    with tasked.unit_of_work() as uow, pytest.raises(InvalidField, match="larger"):
        tasked.tasks.done(uow, OFFICER, reference, "archive", evidence, b"%PDF-" + b"0" * 6_000_000)
    with tasked.unit_of_work() as uow:
        done = tasked.tasks.done(uow, OFFICER, reference, "archive", evidence, b"%PDF-1.7 ...")
    assert done.file_name == "scan.pdf"


def test_item3_the_processor_confirms_once_by_its_link_without_an_account(
    tasked: Context, clock: FixedClock
) -> None:
    other = customer(tasked, email="sanne@voorbeeld.nl")
    _with_a_call(tasked, other.subject_id)
    row = _filed(tasked, other, RequestKind.ERASURE)
    token = _processor_link(tasked)
    with tasked.unit_of_work() as uow:
        shown = tasked.tasks.link(uow, token)
        tasked.tasks.link(uow, token)  # opening it (a mail scanner) spends nothing
    assert shown.reference == row.reference and shown.email == "sanne@voorbeeld.nl"
    assert shown.instructions.nl == "Verwijder het toestelaccount."
    with tasked.unit_of_work() as uow, pytest.raises(InvalidField, match="note"):
        tasked.tasks.confirm(uow, token, TaskDone(note=" "))
    with tasked.unit_of_work() as uow:
        tasked.tasks.confirm(uow, token, TaskDone(note="extensie 204 verwijderd"))
    pbx = _tasks(tasked, row.reference)["pbx"]
    assert pbx.status is TaskStatus.DONE and pbx.done_by == "system:task-link"  # type: ignore[attr-defined]
    # replayed, guessed: one answer, nothing changed
    for replay in (token, token[:-1] + ("A" if token[-1] != "A" else "B"), "", "x" * 500):
        with tasked.unit_of_work() as uow, pytest.raises(LinkSpent):
            tasked.tasks.confirm(uow, replay, TaskDone(note="nog eens"))
    assert _tasks(tasked, row.reference)["pbx"].note == "extensie 204 verwijderd"  # type: ignore[attr-defined]


def test_item4_an_erasure_runs_only_after_a_second_officer_approves(four_eyes: Context) -> None:
    person, reference = started(four_eyes, RequestKind.ERASURE)
    with four_eyes.unit_of_work() as uow:
        four_eyes.tasks.waive(uow, OFFICER, reference, "archive", "geen papieren map")
    with four_eyes.unit_of_work() as uow, pytest.raises(ApprovalPending, match="second"):
        four_eyes.rights.erase(uow, OFFICER, reference)
    # asked, not done: the person is there, the request in progress
    assert _status(four_eyes, reference) == "in_progress"
    with four_eyes.unit_of_work() as uow, pytest.raises(ApprovalPending):
        four_eyes.rights.erase(uow, SECOND, reference)  # the second must approve, not just run
    with four_eyes.unit_of_work() as uow, pytest.raises(Conflict, match="cannot approve"):
        four_eyes.tasks.approve(uow, OFFICER, reference, Step.ERASE)
    with four_eyes.unit_of_work() as uow, pytest.raises(NotPermitted):
        four_eyes.tasks.approve(uow, LEAD, reference, Step.ERASE)
    with four_eyes.unit_of_work() as uow:
        four_eyes.tasks.approve(uow, SECOND, reference, Step.ERASE)
    with four_eyes.unit_of_work() as uow, pytest.raises(Conflict, match="approved already"):
        four_eyes.tasks.approve(uow, SECOND, reference, Step.ERASE)
    with four_eyes.unit_of_work() as uow:
        four_eyes.rights.erase(uow, OFFICER, reference)
    assert _status(four_eyes, reference) == "completed"
    with four_eyes.unit_of_work() as uow:
        approval = four_eyes.tasks.approval_of(uow, reference, Step.ERASE)
    assert (approval.asked_by, approval.approved_by) == (1, 2)
    assert person.subject_id > 0


def test_item4_an_access_answer_with_call_recordings_waits_for_approval_one_without_does_not(
    four_eyes: Context,
) -> None:
    plain = customer(four_eyes, email="zonder@voorbeeld.nl")
    called = customer(four_eyes, email="met@voorbeeld.nl")
    _with_a_call(four_eyes, called.subject_id, recorded=True)
    references = {}
    for who in (plain, called):
        with four_eyes.unit_of_work() as uow:
            row = _filed(four_eyes, who, RequestKind.ACCESS)
            four_eyes.tasks.waive(uow, OFFICER, row.reference, "archive", "geen papieren map")
        references[who.subject_id] = row.reference
    with four_eyes.unit_of_work() as uow:
        four_eyes.answers.answer(uow, OFFICER, references[plain.subject_id])
    with four_eyes.unit_of_work() as uow, pytest.raises(ApprovalPending, match="answer"):
        four_eyes.answers.answer(uow, OFFICER, references[called.subject_id])
    assert _status(four_eyes, references[called.subject_id]) == "in_progress"
    with four_eyes.unit_of_work() as uow:
        four_eyes.tasks.approve(uow, SECOND, references[called.subject_id], Step.ANSWER)
        four_eyes.answers.answer(uow, SECOND, references[called.subject_id])
    assert _status(four_eyes, references[called.subject_id]) == "completed"


def test_item4_an_unknown_four_eyes_rule_refuses_the_settings() -> None:
    with pytest.raises(ValueError, match="'erasures' is not a four-eyes rule"):
        Settings(four_eyes="erasure,erasures")


def test_item3_the_processor_s_page_shows_the_task_and_its_button_spends_the_link(
    tasked: Context,
) -> None:
    other = customer(tasked, email="sanne@voorbeeld.nl")
    _with_a_call(tasked, other.subject_id)
    row = _filed(tasked, other, RequestKind.ERASURE)
    token = _processor_link(tasked)
    page = f"/requests/task?token={token}"
    with TestClient(create_app(tasked)) as browser:
        shown = browser.get(page)
        assert shown.status_code == 200
        assert row.reference in shown.text and "Verwijder het toestelaccount." in shown.text
        assert "sanne@voorbeeld.nl" in shown.text
        empty = browser.post(
            "/requests/task", data={"csrf_token": csrf_token(browser, page), "token": token}
        )
        assert empty.status_code == 422 and 'id="request-task-error"' in empty.text
        done = browser.post(
            "/requests/task",
            data={"csrf_token": csrf_token(browser, page), "token": token, "note": "weg"},
        )
        assert done.status_code == 200 and 'id="request-task-done"' in done.text
        again = browser.get(page)
        assert again.status_code == 410 and "sanne@voorbeeld.nl" not in again.text
        guessed = browser.get("/requests/task?token=" + "x" * 43)
        assert guessed.status_code == 410
    assert _tasks(tasked, row.reference)["pbx"].note == "weg"  # type: ignore[attr-defined]


class _Receiver(BaseHTTPRequestHandler):
    """A pre-approval system on loopback: answers what the test sets, keeps what it got."""

    answer: tuple[int, bytes] = (200, b'{"decision": "allow"}')
    seen: ClassVar[list[tuple[dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).seen.append(({k.lower(): v for k, v in self.headers.items()}, body))
        status, payload = type(self).answer
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *_args: object) -> None:
        pass


SECRET = "pre-approval-secret-of-32-bytes!"


@pytest.fixture
def webhooked(
    settings: Settings, engine: object, clock: FixedClock, tmp_path: Path
) -> Iterator[Context]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Receiver.seen = []
    context = _context(
        settings,
        engine,
        clock,
        tmp_path,
        four_eyes="erasure",
        approval_webhook_url=f"http://127.0.0.1:{server.server_port}/pre-approval",
        approval_webhook_secret=SecretStr(SECRET),
    )
    yield context
    context.close()
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        ((200, b'{"decision": "deny", "reason": "legal hold in ticket LH-7"}'), "LH-7"),
        ((200, b"yes"), "no decision"),
        ((500, b'{"decision": "allow"}'), "no decision"),
    ],
    ids=["deny", "not-json", "server-error"],
)
def test_item4_the_pre_approval_webhook_must_allow_the_ask_or_nothing_is_asked(
    webhooked: Context, answer: tuple[int, bytes], said: str
) -> None:
    _, reference = started(webhooked, RequestKind.ERASURE)
    with webhooked.unit_of_work() as uow:
        webhooked.tasks.waive(uow, OFFICER, reference, "archive", "geen papieren map")
    _Receiver.answer = answer
    with webhooked.unit_of_work() as uow, pytest.raises(ApprovalDenied, match=said):
        webhooked.rights.erase(uow, OFFICER, reference)
    with webhooked.unit_of_work() as uow:
        assert webhooked.tasks.approval_of(uow, reference, Step.ERASE) is None
    # what it was sent: signed, and no person in it
    headers, body = _Receiver.seen[-1]
    stamp = int(headers["x-privaat-signature"].split(",")[0].removeprefix("t="))
    assert processor_events.verify(SECRET.encode(), headers["x-privaat-signature"], body, now=stamp)
    assert json.loads(body) == {
        "reference": reference,
        "kind": "erasure",
        "step": "erase",
        "asked_by_role": "privacy_officer",
        "asked_at": json.loads(body)["asked_at"],
    }
    # allowed: the ask is recorded and waits for the second officer
    _Receiver.answer = (200, b'{"decision": "allow"}')
    with webhooked.unit_of_work() as uow, pytest.raises(ApprovalPending):
        webhooked.rights.erase(uow, OFFICER, reference)
    with webhooked.unit_of_work() as uow:
        assert webhooked.tasks.approval_of(uow, reference, Step.ERASE).asked_by == 1


def test_item4_an_unreachable_pre_approval_webhook_refuses_the_ask(
    settings: Settings, engine: object, clock: FixedClock, tmp_path: Path
) -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nobody listens there now
    context = _context(
        settings,
        engine,
        clock,
        tmp_path,
        four_eyes="erasure",
        approval_webhook_url=f"http://127.0.0.1:{port}/",
        approval_webhook_secret=SecretStr(SECRET),
    )
    try:
        _, reference = started(context, RequestKind.ERASURE)
        with context.unit_of_work() as uow:
            context.tasks.waive(uow, OFFICER, reference, "archive", "geen papieren map")
        with context.unit_of_work() as uow, pytest.raises(ApprovalDenied, match="did not answer"):
            context.rights.erase(uow, OFFICER, reference)
    finally:
        context.close()


def test_item4_a_request_withdrawn_while_its_step_waits_has_nothing_left_to_approve(
    four_eyes: Context,
) -> None:
    _, reference = started(four_eyes, RequestKind.ERASURE)
    with four_eyes.unit_of_work() as uow:
        four_eyes.tasks.waive(uow, OFFICER, reference, "archive", "geen papieren map")
    with four_eyes.unit_of_work() as uow, pytest.raises(ApprovalPending):
        four_eyes.rights.erase(uow, OFFICER, reference)
    with four_eyes.unit_of_work() as uow:
        four_eyes.requests.act(uow, OFFICER, reference, Action.CANCEL)
    with four_eyes.unit_of_work() as uow, pytest.raises(Conflict, match="nothing is left"):
        four_eyes.tasks.approve(uow, SECOND, reference, Step.ERASE)
    with four_eyes.unit_of_work() as uow:
        assert four_eyes.tasks.approval_of(uow, reference, Step.ERASE).approved_by is None
