"""The hold of an open request (issue 11 item 3; LEGAL L60): while a person's request is open,
the sweeps leave their data as it stood on receipt; when it closes, the sweeps resume. Others'
data is swept as ever."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from privaat.bootstrap import Context
from privaat.domain.clock import FixedClock
from privaat.domain.principal import StaffMember, StaffRole
from privaat.domain.subject_requests import Action
from privaat.web.app import create_app

OFFICER = StaffMember(1, StaffRole.PRIVACY_OFFICER)


def _customer_logged_in(context: Context, email: str) -> TestClient:
    client = TestClient(create_app(context), client=("145.97.0.1", 40000))
    account = {
        "email": email,
        "password": "lange zin als wachtwoord",
        "name": "Anne de Vries",
        "age_declaration": True,
    }
    assert client.post("/api/v1/accounts", json=account).status_code == 202
    login = {"email": email, "password": account["password"]}
    assert client.post("/api/v1/session", json=login).status_code == 204
    return client


def _minimise(context: Context) -> int:
    """One retention sweep (issue 13): how many log-ins' full IP its minimisation emptied."""
    report = context.retention.sweep(context.unit_of_work)
    location = report.counts.get("datacenter_login_location", {})
    return location.get("login_events", {}).get("minimised", 0)


def _full_ip_of_first_login(client: TestClient) -> object:
    return client.get("/api/v1/account/logins").json()[-1]["ip"]


def test_L60_an_open_request_holds_the_full_ip_past_its_minimisation_until_it_closes(
    context: Context, clock: FixedClock
) -> None:
    asking = _customer_logged_in(context, "anne@example.nl")
    other = _customer_logged_in(context, "bert@example.nl")
    filed = asking.post("/api/v1/requests", json={"type": "access"})
    assert filed.status_code == 201, filed.text
    reference = filed.json()["id"]

    clock.advance(timedelta(days=31))  # past the policy's 30 days for the full IP
    assert _minimise(context) == 1  # the other person's log-in only
    # sessions have expired by now: log in again to look (a new log-in, not yet due)
    for client, email in ((asking, "anne@example.nl"), (other, "bert@example.nl")):
        login = {"email": email, "password": "lange zin als wachtwoord"}
        assert client.post("/api/v1/session", json=login).status_code == 204
    assert _full_ip_of_first_login(asking) == "145.97.0.1"  # as it stood on receipt
    assert _full_ip_of_first_login(other) == "145.97.0.0/24"

    with context.unit_of_work() as uow:
        context.requests.act(uow, OFFICER, reference, Action.START)
        context.requests.act(uow, OFFICER, reference, Action.COMPLETE)
    assert _minimise(context) == 1  # the hold is gone with the open request
    assert _full_ip_of_first_login(asking) == "145.97.0.0/24"
