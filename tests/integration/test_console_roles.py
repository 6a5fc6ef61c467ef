"""Issue 8 item 4: every console route sits in one role × route table, and the table holds.

The walk: for each route of the table and each role, an allowed role gets the page (200, or
the route's own answer), any other role a 403 page, and a request without a staff session
the redirect to the console's log-in."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import unquote

import pyotp
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from privaat.bootstrap import Context
from privaat.domain.clock import FixedClock
from privaat.domain.principal import StaffRole
from privaat.web.app import create_app
from privaat.web.console.access import ANYONE, ROLE_TABLE, STAFF_COOKIE, allows

PASSWORD = "staff password 2026"
_numbers = itertools.count(1)
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Staff:
    staff_id: int
    email: str
    secret: str


def enrolled_staff(context: Context, role: StaffRole | str) -> Staff:
    """A staff member of ``role``, created and enrolled through the staff service."""
    email = f"staff{next(_numbers)}@flexibelt.example"
    with context.unit_of_work() as uow:
        enrolment = context.staff.create(uow, email=email, role=str(role))
        secret = context.staff.pending_enrolment(uow, enrolment.token).secret
        code = pyotp.TOTP(secret).at(context.clock.now())
        context.staff.enrol(uow, token=enrolment.token, password=PASSWORD, code=code)
    return Staff(enrolment.staff_id, email, secret)


def staff_session(context: Context, clock: FixedClock, role: StaffRole | str) -> str:
    """The session token of a new, logged-in staff member of ``role``."""
    staff = enrolled_staff(context, role)
    clock.advance(timedelta(seconds=30))  # the enrolment spent this step's code
    with context.unit_of_work() as uow:
        code = pyotp.TOTP(staff.secret).at(clock.now())
        session = context.staff.log_in(
            uow, email=staff.email, password=PASSWORD, code=code, ip="10.1.2.3"
        )
    return session.token


def csrf_token(client: TestClient, path: str = "/console/login") -> str:
    """The CSRF token of a console page (it binds the staff cookie the client holds now)."""
    found = _CSRF.search(client.get(path).text)
    assert found, f"no form on {path}"
    return found.group(1)


@pytest.fixture
def console(context: Context) -> Iterator[TestClient]:
    """A browser on the console; cookies as a browser on http://testserver keeps them."""
    with TestClient(create_app(context), client=("145.97.0.1", 50000)) as client:
        yield client


# what each route is sent when a role may use it, and what it answers then
_CALLS: dict[str, tuple[dict[str, str] | None, int]] = {
    "GET /console/login": (None, 200),
    "POST /console/login": ({}, 422),  # an empty form: the page again, with its errors
    "GET /console/enrol/{token}": (None, 200),
    "POST /console/enrol/{token}": ({}, 422),
    "POST /console/logout": ({}, 303),
    "GET /console": (None, 200),
    "GET /console/ropa": (None, 200),
    "GET /console/data-map": (None, 200),
    "GET /console/audit": (None, 200),
    "POST /console/audit/verify": ({}, 200),
    "GET /console/outbox": (None, 200),
    "GET /console/customers": (None, 200),
    "POST /console/customers": ({"email": "niemand@example.nl"}, 200),
    "GET /console/consents": (None, 200),
    "GET /console/marketing": (None, 200),
    "POST /console/marketing/send": ({}, 422),  # no campaign named: the page, with the reason
    "GET /console/requests": (None, 200),
    "GET /console/requests/new": (None, 200),
    "POST /console/requests/new": ({}, 422),  # an empty form: the page again, with its errors
    "GET /console/requests/figures": (None, 200),
    # the path's "{reference}" names no request: the not-found page, for the one role let in
    "GET /console/requests/{reference}": (None, 404),
    "GET /console/requests/{reference}/mails/{mail_id}": (None, 404),
    "POST /console/requests/{reference}/act": ({}, 404),
    "POST /console/requests/{reference}/classify": ({}, 404),
    "POST /console/requests/{reference}/answer": ({}, 404),
    "POST /console/requests/{reference}/rectify": ({}, 404),
    "POST /console/requests/{reference}/erase": ({}, 404),
    "POST /console/requests/{reference}/restrict": ({}, 404),
    "POST /console/requests/{reference}/lift": ({}, 404),
    "POST /console/requests/{reference}/object": ({}, 404),
    "POST /console/requests/{reference}/grounds": ({}, 404),
    "POST /console/requests/{reference}/uphold": ({}, 404),
    "POST /console/requests/{reference}/tasks/{system}/done": ({}, 404),
    "POST /console/requests/{reference}/tasks/{system}/waive": ({}, 404),
    "POST /console/requests/{reference}/approve": ({}, 404),
    "GET /console/tasks": (None, 200),
    "POST /console/tasks/{reference}/{system}/done": ({}, 404),
    # support cases (issue 12 item 2)
    "GET /console/support": (None, 200),
    "GET /console/support/new": (None, 200),
    "POST /console/support/new": ({}, 422),
    "GET /console/support/{reference}": (None, 404),
    "POST /console/support/{reference}/note": ({}, 404),
    "POST /console/support/{reference}/close": ({}, 404),
    # support calls (issue 12 item 2)
    "GET /console/calls": (None, 200),
    "POST /console/calls": ({}, 422),
    "GET /console/calls/{call_id}": (None, 404),
    "POST /console/calls/{call_id}/segments": ({}, 404),
    "POST /console/calls/{call_id}/refuse": ({}, 404),
    "GET /console/calls/{call_id}/segments/{segment_id}/audio": (None, 404),
    # support access under the customer's grant (L29): no grant, so 403
    "GET /console/support-access": (None, 200),
    "GET /console/support-access/{grant_id}": (None, 403),
    "GET /console/support-access/{grant_id}/{section}": (None, 403),
    # web shop orders and the fraud review (issue 12 items 3-4)
    "GET /console/orders": (None, 200),
    "GET /console/orders/review": (None, 200),
    "GET /console/orders/{reference}": (None, 404),
    "POST /console/orders/{reference}/review": ({}, 404),
    "POST /console/orders/{reference}/ship": ({}, 404),
    # the breach register (issue 13 item 4): an empty form is refused at its fields; the
    # path's "{breach_id}" names no breach
    "GET /console/breaches": (None, 200),
    "GET /console/breaches/new": (None, 200),
    "POST /console/breaches/new": ({}, 422),
    "GET /console/breaches/{breach_id}": (None, 404),
    "GET /console/breaches/{breach_id}/notification": (None, 404),
    "POST /console/breaches/{breach_id}/update": ({}, 404),
    "POST /console/breaches/{breach_id}/reported": ({}, 404),
    "POST /console/breaches/{breach_id}/not-reported": ({}, 404),
    "POST /console/breaches/{breach_id}/assess": ({}, 404),
    "POST /console/breaches/{breach_id}/exempt": ({}, 404),
    "POST /console/breaches/{breach_id}/notify": ({}, 404),
    # the disclosure register (issue 13 item 5): an empty form is refused at its fields
    "GET /console/disclosures": (None, 200),
    "GET /console/disclosures/new": (None, 200),
    "POST /console/disclosures/new": ({}, 422),
    "GET /console/disclosures/{disclosure_id}": (None, 404),
    # the DPIA register (issue 15 item 9): the path's "{activity_id}" names no flagged activity
    "GET /console/dpia": (None, 200),
    "GET /console/dpia/{activity_id}": (None, 404),
    "POST /console/dpia/{activity_id}": ({}, 404),
    # deliveries to processors (issue 14 item 2, L11)
    "GET /console/processors": (None, 200),
    # the newest tracker scan (issue 14 item 3): none yet is a page too
    "GET /console/scans": (None, 200),
    # the under-16 flag (issue 13 item 2): the path's "{pseudonym}" names nobody
    "GET /console/customers/{pseudonym}/minor": (None, 404),
    "POST /console/customers/{pseudonym}/minor": ({}, 404),
}
ROLES = list(StaffRole)


def _call(client: TestClient, context: Context, key: str) -> Any:
    method, template = key.split(" ", 1)
    path = template
    if "{token}" in template:
        with context.unit_of_work() as uow:
            enrolment = context.staff.create(
                uow, email=f"new{next(_numbers)}@flexibelt.example", role="support"
            )
        path = template.replace("{token}", enrolment.token)
    data, _status = _CALLS[key]
    if method == "GET":
        return client.get(path, follow_redirects=False)
    form = {"csrf_token": csrf_token(client), **(data or {})}
    return client.post(path, data=form, follow_redirects=False)


def test_issue8_4_every_console_route_is_in_the_role_table_and_has_a_call() -> None:
    from privaat.web.app import ROUTERS

    # every router of the app, the console's modules among them (routes, charts, marketing)
    routes = {
        f"{method} {route.path}"
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute) and route.path.startswith("/console")
        for method in route.methods
    }
    assert routes == set(ROLE_TABLE) == set(_CALLS)


@pytest.mark.parametrize("key", sorted(ROLE_TABLE))
@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
def test_issue8_4_each_role_gets_what_the_table_allows_and_a_403_otherwise(
    console: TestClient, context: Context, clock: FixedClock, key: str, role: StaffRole
) -> None:
    console.cookies.set(STAFF_COOKIE, staff_session(context, clock, role))
    response = _call(console, context, key)
    if allows(role, key):
        assert response.status_code == _CALLS[key][1], response.text[:500]
    else:
        assert response.status_code == 403
        assert "<h1" in response.text and "Traceback" not in response.text  # a page


@pytest.mark.parametrize("key", sorted(ROLE_TABLE))
def test_issue8_4_without_a_staff_session_the_console_redirects_to_its_log_in(
    console: TestClient, context: Context, key: str
) -> None:
    response = _call(console, context, key)
    if ROLE_TABLE[key] is ANYONE:
        assert response.status_code == _CALLS[key][1]
        return
    assert response.status_code == 303
    assert response.headers["location"].startswith("/console/login")
    if key.startswith("GET "):
        # a path parameter's braces travel percent-encoded (RFC 3986 §2.1)
        assert unquote(response.headers["location"]) == f"/console/login?next={key[4:]}"


def test_a_customer_session_opens_no_console_page(console: TestClient, context: Context) -> None:
    from tests.factories import customer

    jan = customer(context)
    with context.unit_of_work() as uow:
        session = context.sessions.log_in(
            uow, email=jan.email, password=jan.password, ip="145.97.0.1", user_agent="test"
        )
    console.cookies.set("privaat_session", session.token)
    response = console.get("/console", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/console/login")


@pytest.mark.parametrize(
    ("role", "key"),
    [
        # L13: marketing works on audiences of people who may be mailed, not on accounts
        pytest.param(StaffRole.MARKETING, "POST /console/customers", id="marketing-no-accounts"),
        # the administrator runs the system and reads no customer's data
        pytest.param(StaffRole.ADMINISTRATOR, "POST /console/customers", id="admin-no-accounts"),
        pytest.param(StaffRole.SUPPORT, "GET /console/audit", id="support-no-audit-trail"),
        pytest.param(StaffRole.MARKETING, "GET /console/outbox", id="marketing-no-outbox"),
    ],
)
def test_issue8_4_the_table_keeps_roles_from_what_is_not_their_work(
    role: StaffRole, key: str
) -> None:
    assert not allows(role, key)


def test_a_route_missing_from_the_table_is_closed() -> None:
    assert not any(allows(role, "GET /console/forgotten") for role in StaffRole)
