"""The request page's manual tasks and four-eyes approval (issue 15 items 3-4; GDPR art.
5(2), 17; LEGAL L64): the privacy officer sees each task with its instructions, hands in the
evidence (a note, the box, a file) or waives it with a reason; an erasure waits until no task
is open and, under PRIVAAT_FOUR_EYES, until a second officer approved it, never the one who
asked. Every refusal is the page again with the reason next to its form, nothing changed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.factories import customer
from tests.integration.test_console_roles import csrf_token, staff_session
from tests.integration.test_request_rights_rectification import started
from tests.integration.test_request_tasks import _context, _filed, _status, _with_a_call

from privaat.bootstrap import Context
from privaat.domain.clock import FixedClock
from privaat.domain.principal import StaffRole
from privaat.domain.subject_requests import RequestKind
from privaat.settings import Settings
from privaat.web.app import create_app
from privaat.web.console.access import STAFF_COOKIE


@pytest.fixture
def four_eyes(
    settings: Settings, engine: object, clock: FixedClock, tmp_path: Path
) -> Iterator[Context]:
    context = _context(settings, engine, clock, tmp_path, four_eyes="erasure")
    yield context
    context.close()


def _officer(context: Context, clock: FixedClock) -> TestClient:
    client = TestClient(create_app(context), client=("145.97.0.1", 50000))
    client.cookies.set(STAFF_COOKIE, staff_session(context, clock, StaffRole.PRIVACY_OFFICER))
    return client


def _post(client: TestClient, path: str, page: str, data: dict[str, str], **kw: object) -> object:
    token = csrf_token(client, page)
    return client.post(path, data={"csrf_token": token, **data}, follow_redirects=False, **kw)  # type: ignore[arg-type]


def _text(html: str, ident: str) -> str:
    found = re.search(rf'id="{ident}"[^>]*>(.*?)</(?:p|dd)>', html, re.S)
    assert found, ident
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def test_item3_item4_tasks_then_two_officers_then_the_erasure(
    four_eyes: Context, clock: FixedClock
) -> None:
    _person, reference = started(four_eyes, RequestKind.ERASURE)
    page = f"/console/requests/{reference}"
    first, second = _officer(four_eyes, clock), _officer(four_eyes, clock)
    html = first.get(page).text
    assert 'id="task-archive"' in html and 'data-status="open"' in html
    assert "Zoek de map van de klant en vernietig die." in html  # the instructions, in Dutch

    # an open task: the erasure does not start
    blocked = _post(first, f"{page}/erase", page, {"confirm": "on"})
    assert blocked.status_code == 409  # type: ignore[attr-defined]
    assert "taken" in _text(blocked.text, "step-erase-error")  # type: ignore[attr-defined]
    assert _status(four_eyes, reference) == "in_progress"

    # the evidence the archive asks for: a note and the box
    no_box = _post(first, f"{page}/tasks/archive/done", page, {"note": "map 17"})
    assert no_box.status_code == 422  # type: ignore[attr-defined]
    assert "vink" in _text(no_box.text, "step-task-archive-error").lower()  # type: ignore[attr-defined]
    done = _post(
        first,
        f"{page}/tasks/archive/done",
        page,
        {"note": "map 17 vernietigd", "checked": "on"},
        files={"file": ("bon.pdf", b"%PDF-1.7 vernietigingsbon", "application/pdf")},
    )
    assert done.status_code == 303, done.text  # type: ignore[attr-defined]
    html = first.get(page).text
    assert 'data-status="done"' in html and _text(html, "task-archive-note") == "map 17 vernietigd"

    # four-eyes: the first attempt asks, and waits
    asked = _post(first, f"{page}/erase", page, {"confirm": "on"})
    assert asked.status_code == 409  # type: ignore[attr-defined]
    assert "tweede" in _text(asked.text, "step-erase-error")  # type: ignore[attr-defined]
    html = first.get(page).text
    assert 'id="approval-erase-form"' not in html  # no button for the one who asked
    own = _post(first, f"{page}/approve", page, {"step": "erase"})
    assert own.status_code == 409  # type: ignore[attr-defined]
    assert _status(four_eyes, reference) == "in_progress"

    # the second officer sees the ask and approves it
    assert 'id="approval-erase-form"' in second.get(page).text
    approved = _post(second, f"{page}/approve", page, {"step": "erase"})
    assert approved.status_code == 303  # type: ignore[attr-defined]
    erased = _post(first, f"{page}/erase", page, {"confirm": "on"})
    assert erased.status_code == 200  # type: ignore[attr-defined]
    assert _status(four_eyes, reference) == "completed"
    first.close()
    second.close()


def test_item3_a_waiver_without_a_reason_is_refused_next_to_its_form(
    four_eyes: Context, clock: FixedClock
) -> None:
    _person, reference = started(four_eyes, RequestKind.ACCESS)
    page = f"/console/requests/{reference}"
    officer = _officer(four_eyes, clock)
    refused = _post(officer, f"{page}/tasks/archive/waive", page, {"reason": " "})
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert _text(refused.text, "step-task-archive-error")  # type: ignore[attr-defined]
    waived = _post(officer, f"{page}/tasks/archive/waive", page, {"reason": "geen map"})
    assert waived.status_code == 303  # type: ignore[attr-defined]
    html = officer.get(page).text
    assert _text(html, "task-archive-waiver") == "geen map"
    again = _post(officer, f"{page}/tasks/archive/waive", page, {"reason": "nog eens"})
    assert again.status_code == 409  # type: ignore[attr-defined]
    officer.close()


def test_item3_the_support_team_leader_does_the_pbx_task_from_the_role_s_list(
    four_eyes: Context, clock: FixedClock
) -> None:
    other = customer(four_eyes, email="sanne@voorbeeld.nl")
    _with_a_call(four_eyes, other.subject_id)
    row = _filed(four_eyes, other, RequestKind.ERASURE)
    lead = TestClient(create_app(four_eyes), client=("145.97.0.1", 50000))
    lead.cookies.set(STAFF_COOKIE, staff_session(four_eyes, clock, StaffRole.SUPPORT_LEAD))
    agent = TestClient(create_app(four_eyes), client=("145.97.0.1", 50000))
    agent.cookies.set(STAFF_COOKIE, staff_session(four_eyes, clock, StaffRole.SUPPORT))
    where = f"{row.reference}-pbx"
    html = lead.get("/console/tasks").text
    assert f'id="task-{where}"' in html and f'id="task-{row.reference}-archive"' not in html
    assert _text(html, f"task-{where}-email") == "sanne@voorbeeld.nl"
    assert 'id="tasks-none"' in agent.get("/console/tasks").text  # not the agent's role
    # the request page itself stays the privacy officer's
    assert lead.get(f"/console/requests/{row.reference}").status_code == 403
    path = f"/console/tasks/{row.reference}/pbx/done"
    empty = _post(lead, path, "/console/tasks", {"note": ""})
    assert empty.status_code == 422 and _text(empty.text, f"task-{where}-error")  # type: ignore[attr-defined]
    refused = _post(agent, path, "/console/tasks", {"note": "weg"})
    assert refused.status_code == 403  # type: ignore[attr-defined]
    done = _post(lead, path, "/console/tasks", {"note": "toestel 204 verwijderd"})
    assert done.status_code == 303  # type: ignore[attr-defined]
    assert f'id="task-{where}"' not in lead.get("/console/tasks").text
    lead.close()
    agent.close()
