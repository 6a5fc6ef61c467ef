"""The steps of ``ctx.rights`` on the privacy officer's request page (issue 11 items 5-8, 11;
GDPR art. 16-19, 21; LEGAL L64-L67): each step through the page changes the service's state
as the step promises (the key destroyed, the guard refusing, the objection recorded), each
refusal is the page again with the reason and the service's status and nothing changed,
CSRF, and only the privacy officer gets in."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from tests.integration.test_console_requests import _post, console, officer
from tests.integration.test_console_roles import csrf_token, staff_session
from tests.integration.test_request_rights_rectification import OFFICER, started

from privaat.bootstrap import Context
from privaat.domain.clock import FixedClock
from privaat.domain.errors import AccessDenied
from privaat.domain.principal import StaffRole
from privaat.domain.subject_requests import Action, RequestKind
from privaat.store.tables import audit_log, subject_keys, subjects
from privaat.store.tables_requests import subject_requests
from privaat.store.tables_rights import request_objections
from privaat.web.console.access import STAFF_COOKIE

__all__ = ["console", "officer"]  # the fixtures, imported for pytest


def _page(reference: str) -> str:
    return f"/console/requests/{reference}"


def _status(context: Context, reference: str) -> str:
    with context.engine.connect() as connection:
        return str(
            connection.execute(
                select(subject_requests.c.status).where(subject_requests.c.reference == reference)
            ).scalar_one()
        )


def _has_key(context: Context, subject_id: int) -> bool:
    with context.engine.connect() as connection:
        found = connection.execute(
            select(subject_keys.c.subject_id).where(subject_keys.c.subject_id == subject_id)
        ).first()
    return found is not None


def _error(html: str, ident: str) -> str:
    found = re.search(rf'id="{ident}"[^>]*>(.*?)</p>', html, re.S)
    assert found, ident
    return re.sub(r"<[^>]+>", "", found.group(1))


# --- erasure (art. 17, L64) ---------------------------------------------------------------


def test_L64_the_officer_erases_after_confirming_and_sees_what_was_kept_and_the_receipt(
    officer: TestClient, context: Context
) -> None:
    person, reference = started(context, RequestKind.ERASURE)
    page = officer.get(_page(reference)).text
    assert 'id="step-erase"' in page and 'id="step-erase-confirm"' in page

    # without the box ticked: refused, next to the box, and nothing erased
    unconfirmed = _post(officer, f"{_page(reference)}/erase", {}, _page(reference))
    assert unconfirmed.status_code == 422  # type: ignore[attr-defined]
    assert "niet ongedaan" in _error(unconfirmed.text, "step-erase-confirm-error")  # type: ignore[attr-defined]
    assert _has_key(context, person.subject_id) and _status(context, reference) == "in_progress"

    done = _post(officer, f"{_page(reference)}/erase", {"confirm": "on"}, _page(reference))
    assert done.status_code == 200  # type: ignore[attr-defined]
    assert done.headers["cache-control"] == "no-store"  # type: ignore[attr-defined]
    html = done.text  # type: ignore[attr-defined]
    assert not _has_key(context, person.subject_id)
    assert _status(context, reference) == "completed"
    with context.engine.connect() as connection:
        [detail] = [
            json.loads(d)
            for a, d in connection.execute(select(audit_log.c.action, audit_log.c.detail))
            if a == "request.erased"
        ]
    shown = re.search(r'id="step-erased-sha256"[^>]*>([0-9a-f]{64})<', html)
    assert shown and shown.group(1) == detail["sha256"]
    # what was kept, why and until when (the fixed clock stands at 2026-11-26: five years)
    assert "Uw privacyrechten" in html and "2031-11-26" in html
    assert 'id="request-status">afgehandeld<' in html
    # art. 19: the processor that sent the person's notices has no address: listed
    assert 'data-recipient="email_service"' in html and "geen adres" in html


def test_L64_an_erasure_needs_the_request_in_progress_and_erases_nothing_before(
    officer: TestClient, context: Context
) -> None:
    person, reference = started(context, RequestKind.ERASURE)
    with context.unit_of_work() as uow:
        context.requests.act(uow, OFFICER, reference, Action.COMPLETE)
    assert 'id="step-erase"' not in officer.get(_page(reference)).text
    refused = _post(officer, f"{_page(reference)}/erase", {"confirm": "on"}, _page(reference))
    assert refused.status_code == 409  # type: ignore[attr-defined]
    assert "niet mogelijk" in _error(refused.text, "step-erase-error")  # type: ignore[attr-defined]
    assert _has_key(context, person.subject_id)


def test_L64_an_erasure_under_a_legal_hold_is_refused_on_the_page_and_erases_nothing(
    officer: TestClient, context: Context
) -> None:
    person, reference = started(context, RequestKind.ERASURE)
    with context.engine.begin() as connection:
        connection.execute(
            update(subjects).where(subjects.c.id == person.subject_id).values(legal_hold=True)
        )
    refused = _post(officer, f"{_page(reference)}/erase", {"confirm": "on"}, _page(reference))
    assert refused.status_code == 409  # type: ignore[attr-defined]
    assert "bewaarplicht" in _error(refused.text, "step-erase-error")  # type: ignore[attr-defined]
    assert 'id="step-erase"' in refused.text  # type: ignore[attr-defined]
    assert _has_key(context, person.subject_id) and _status(context, reference) == "in_progress"


def test_issue8_5_an_erasure_without_its_csrf_token_is_refused_and_erases_nothing(
    officer: TestClient, context: Context
) -> None:
    person, reference = started(context, RequestKind.ERASURE)
    for data in ({"confirm": "on"}, {"confirm": "on", "csrf_token": "forged"}):
        refused = officer.post(f"{_page(reference)}/erase", data=data, follow_redirects=False)
        assert refused.status_code == 403
    assert _has_key(context, person.subject_id) and _status(context, reference) == "in_progress"


# --- rectification (art. 16, 19, L66) -----------------------------------------------------


def test_L66_the_officer_corrects_the_account_and_the_page_lists_who_was_told(
    officer: TestClient, context: Context
) -> None:
    person, reference = started(context, RequestKind.RECTIFICATION, city="Delft")
    page = officer.get(_page(reference)).text
    assert 'name="set-postal_code"' in page and 'name="set-email"' not in page
    done = _post(
        officer,
        f"{_page(reference)}/rectify",
        {"set-name": "Bram de Visser", "set-postal_code": "2721na", "set-city": ""},
        _page(reference),
    )
    assert done.status_code == 303  # type: ignore[attr-defined]
    assert done.headers["location"].endswith("?notice=rectify")  # type: ignore[attr-defined]
    with context.unit_of_work() as uow:
        profile = context.accounts.read_profile(uow, person.principal, person.subject_id)
    assert profile.name == "Bram de Visser" and profile.postal_code == "2721 NA"
    assert profile.city == "Delft"  # an empty field stays as it was
    after = officer.get(done.headers["location"]).text  # type: ignore[attr-defined]
    assert 'id="request-notice"' in after and 'id="step-rectify"' not in after
    told = dict(re.findall(r'data-recipient="([a-z_]+)">([^<]*)', after))
    assert {"sisow", "paypal", "email_service"} <= set(told)
    assert "gemaild op" in told["sisow"]


def test_L66_an_unknown_field_or_none_is_refused_and_corrects_nothing(
    officer: TestClient, context: Context
) -> None:
    person, reference = started(context, RequestKind.RECTIFICATION)
    unknown = _post(
        officer, f"{_page(reference)}/rectify", {"set-password": "geheim"}, _page(reference)
    )
    assert unknown.status_code == 422  # type: ignore[attr-defined]
    assert "password" in _error(unknown.text, "step-rectify-error")  # type: ignore[attr-defined]
    empty = _post(officer, f"{_page(reference)}/rectify", {"set-name": ""}, _page(reference))
    assert empty.status_code == 422  # type: ignore[attr-defined]
    assert "minstens één" in _error(empty.text, "step-rectify-error")  # type: ignore[attr-defined]
    bad = _post(
        officer, f"{_page(reference)}/rectify", {"set-postal_code": "nope"}, _page(reference)
    )
    assert bad.status_code == 422  # type: ignore[attr-defined]
    assert 'id="step-rectify-postal_code-error"' in bad.text  # type: ignore[attr-defined]
    assert _status(context, reference) == "in_progress"
    with context.unit_of_work() as uow:
        assert context.accounts.read_profile(uow, person.principal, person.subject_id).name == (
            "Bram Visser"
        )


# --- restriction (art. 18, L65) -----------------------------------------------------------


def test_L65_the_officer_restricts_all_then_lifts_with_notice_and_the_guard_follows(
    officer: TestClient, context: Context
) -> None:
    person, reference = started(context, RequestKind.RESTRICTION)
    page = officer.get(_page(reference)).text
    assert 'id="step-restrict-activity-support_desk"' in page and 'id="step-lift"' not in page
    nothing = _post(officer, f"{_page(reference)}/restrict", {"scope": "some"}, _page(reference))
    assert nothing.status_code == 422  # type: ignore[attr-defined]
    assert 'id="step-restrict-scope-error"' in nothing.text  # type: ignore[attr-defined]
    with context.unit_of_work() as uow:  # still readable: nothing was restricted
        context.accounts.read_profile(uow, person.principal, person.subject_id)

    done = _post(officer, f"{_page(reference)}/restrict", {"scope": "all"}, _page(reference))
    assert done.status_code == 303  # type: ignore[attr-defined]
    with context.unit_of_work() as uow, pytest.raises(AccessDenied):
        context.accounts.read_profile(uow, person.principal, person.subject_id)
    assert _status(context, reference) == "completed"

    page = officer.get(_page(reference)).text
    assert 'id="step-restrict"' not in page and 'id="step-lift"' in page
    short = _post(officer, f"{_page(reference)}/lift", {"days": "3"}, _page(reference))
    assert short.status_code == 422  # type: ignore[attr-defined]
    assert "7 dagen" in _error(short.text, "step-lift-days-error")  # type: ignore[attr-defined]
    lifted = _post(officer, f"{_page(reference)}/lift", {"days": "10"}, _page(reference))
    assert lifted.status_code == 303  # type: ignore[attr-defined]
    letters = [m for _i, t, m in context.outbox.pending() if t == "request_restriction_lifting"]
    assert [m.to for m in letters] == [person.email]
    assert 'id="step-lift"' not in officer.get(_page(reference)).text
    again = _post(officer, f"{_page(reference)}/lift", {"days": "10"}, _page(reference))
    assert again.status_code == 409  # type: ignore[attr-defined]


def test_L65_a_scoped_restriction_stops_only_the_activity_ticked(
    officer: TestClient, context: Context
) -> None:
    person, reference = started(context, RequestKind.RESTRICTION)
    done = _post(
        officer,
        f"{_page(reference)}/restrict",
        {"scope": "some", "activity-support_desk": "on"},
        _page(reference),
    )
    assert done.status_code == 303  # type: ignore[attr-defined]
    with context.engine.connect() as connection:
        decide = context.access.decide
        assert not decide(connection, person.principal, person.subject_id, "support_desk").allowed
    with context.unit_of_work() as uow:  # the account itself goes on
        assert context.accounts.read_profile(uow, person.principal, person.subject_id).name


def test_L65_an_unknown_activity_is_refused_and_restricts_nothing(
    officer: TestClient, context: Context
) -> None:
    _person, reference = started(context, RequestKind.RESTRICTION)
    refused = _post(
        officer,
        f"{_page(reference)}/restrict",
        {"scope": "some", "activity-nonsense": "on"},
        _page(reference),
    )
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert "nonsense" in _error(refused.text, "step-restrict-error")  # type: ignore[attr-defined]
    assert _status(context, reference) == "in_progress"


# --- objection (art. 21, L67) -------------------------------------------------------------


def _objection(context: Context, reference: str) -> tuple[str, str | None] | None:
    with context.engine.connect() as connection:
        row = connection.execute(
            select(request_objections.c.activity, request_objections.c.decision)
            .join(subject_requests, subject_requests.c.id == request_objections.c.request_id)
            .where(subject_requests.c.reference == reference)
        ).first()
    return None if row is None else (row.activity, row.decision)


def test_L67_the_officer_records_an_objection_then_grounds_need_their_reason(
    officer: TestClient, context: Context
) -> None:
    person, reference = started(context, RequestKind.OBJECTION)
    page = officer.get(_page(reference)).text
    assert 'value="support_linking"' in page and 'id="step-grounds"' not in page
    empty = _post(officer, f"{_page(reference)}/object", {"activity": ""}, _page(reference))
    assert empty.status_code == 422  # type: ignore[attr-defined]
    assert _objection(context, reference) is None

    done = _post(
        officer, f"{_page(reference)}/object", {"activity": "support_linking"}, _page(reference)
    )
    assert done.status_code == 303  # type: ignore[attr-defined]
    assert _objection(context, reference) == ("support_linking", None)
    with context.engine.connect() as connection:
        decided = context.access.decide(
            connection, person.principal, person.subject_id, "support_linking"
        )
    assert not decided.allowed  # art. 21(1): stopped at once

    page = officer.get(_page(reference)).text
    assert 'id="step-grounds"' in page and 'id="step-uphold"' in page
    assert 'id="step-object"' not in page
    no_reason = _post(
        officer,
        f"{_page(reference)}/grounds",
        {"activity": "support_linking", "reason": "  "},
        _page(reference),
    )
    assert no_reason.status_code == 422  # type: ignore[attr-defined]
    assert 'id="step-grounds-reason-error"' in no_reason.text  # type: ignore[attr-defined]
    assert _objection(context, reference) == ("support_linking", None)

    grounds = _post(
        officer,
        f"{_page(reference)}/grounds",
        {"activity": "support_linking", "reason": "Een lopende fraudezaak vraagt de koppeling."},
        _page(reference),
    )
    assert grounds.status_code == 303  # type: ignore[attr-defined]
    assert _objection(context, reference) == ("support_linking", "overridden")
    assert _status(context, reference) == "completed"


def test_L67_an_upheld_objection_completes_and_the_person_is_told(
    officer: TestClient, context: Context
) -> None:
    person, reference = started(context, RequestKind.OBJECTION)
    _post(officer, f"{_page(reference)}/object", {"activity": "support_linking"}, _page(reference))
    upheld = _post(officer, f"{_page(reference)}/uphold", {}, _page(reference))
    assert upheld.status_code == 303  # type: ignore[attr-defined]
    assert _objection(context, reference) == ("support_linking", "upheld")
    [letter] = [m for _i, t, m in context.outbox.pending() if t == "request_objection_upheld"]
    assert letter.to == person.email


def test_L67_direct_marketing_is_absolute_no_grounds_override_it(
    officer: TestClient, context: Context
) -> None:
    _person, reference = started(context, RequestKind.OBJECTION)
    done = _post(
        officer, f"{_page(reference)}/object", {"activity": "direct_marketing"}, _page(reference)
    )
    assert done.headers["location"].endswith("?notice=object_done")  # type: ignore[attr-defined]
    assert _objection(context, reference) == ("direct_marketing", "upheld")
    refused = _post(
        officer,
        f"{_page(reference)}/grounds",
        {"activity": "direct_marketing", "reason": "We willen toch mailen."},
        _page(reference),
    )
    assert refused.status_code == 409  # type: ignore[attr-defined]
    assert _objection(context, reference) == ("direct_marketing", "upheld")


def test_L67_an_objection_step_on_another_kind_is_refused(
    officer: TestClient, context: Context
) -> None:
    _person, reference = started(context, RequestKind.ERASURE)
    refused = _post(
        officer, f"{_page(reference)}/object", {"activity": "support_linking"}, _page(reference)
    )
    assert refused.status_code == 409  # type: ignore[attr-defined]
    assert "objection" in _error(refused.text, "step-object-error")  # type: ignore[attr-defined]
    assert _objection(context, reference) is None


# --- the role table ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", [StaffRole.SUPPORT, StaffRole.MARKETING, StaffRole.ADMINISTRATOR], ids=str
)
def test_issue11_11_only_the_privacy_officer_takes_the_rights_steps(
    console: TestClient, context: Context, clock: FixedClock, role: StaffRole
) -> None:
    person, reference = started(context, RequestKind.ERASURE)
    console.cookies.set(STAFF_COOKIE, staff_session(context, clock, role))
    token = csrf_token(console, "/console")
    for step in ("erase", "rectify", "restrict", "lift", "object", "grounds", "uphold"):
        refused = console.post(
            f"{_page(reference)}/{step}",
            data={"csrf_token": token, "confirm": "on"},
            follow_redirects=False,
        )
        assert refused.status_code == 403, step
    assert _has_key(context, person.subject_id) and _status(context, reference) == "in_progress"
