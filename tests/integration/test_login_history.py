"""P9 and LEGAL L23: log-in locations, and the full IP kept only for the policy's period."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from typer.testing import CliRunner

from privaat.bootstrap import Context
from privaat.cli import app
from privaat.domain.clock import FixedClock
from privaat.store.tables import access_log, login_events, subjects
from privaat.web.app import create_app


def minimise_login_ips(context: Context) -> int:
    """One retention sweep (issue 13): how many log-ins' full IP its minimisation emptied."""
    report = context.retention.sweep(context.unit_of_work)
    return report.counts.get(LOCATION, {}).get("login_events", {}).get("minimised", 0)


LOCATION = "datacenter_login_location"


ACCOUNT = {
    "email": "piet@example.nl",
    "password": "piet piet piet",
    "name": "Piet Klaassen",
    "age_declaration": True,
}


def sign_up_and_log_in(client: TestClient) -> None:
    assert client.post("/api/v1/accounts", json=ACCOUNT).status_code == 202
    login = {"email": ACCOUNT["email"], "password": ACCOUNT["password"]}
    assert client.post("/api/v1/session", json=login).status_code == 204


def test_p9_the_policy_declares_when_the_full_ip_goes(context: Context) -> None:
    # the shipped policy: datacenter_login_location minimises ip_address after 30 days, a
    # rule of the retention sweep (issue 13)
    steps = {m.table: (m.activity, str(m.after)) for m in context.retention.plan.minimisations}
    assert steps["login_events"] == (LOCATION, "P30D")


def log_in_again(client: TestClient) -> list[dict[str, object]]:
    """Log in anew (the session has expired by now); the log-ins, newest first."""
    login = {"email": ACCOUNT["email"], "password": ACCOUNT["password"]}
    assert client.post("/api/v1/session", json=login).status_code == 204
    logins: list[dict[str, object]] = client.get("/api/v1/account/logins").json()
    return logins


def test_l23_full_ip_is_truncated_after_the_policy_period_and_not_before(
    client: TestClient, context: Context, clock: FixedClock
) -> None:
    sign_up_and_log_in(client)
    clock.advance(timedelta(days=29))
    assert minimise_login_ips(context) == 0
    assert log_in_again(client)[1]["ip"] == "145.97.0.1"

    clock.advance(timedelta(days=2))
    assert minimise_login_ips(context) == 1  # the first log-in only; the second is 2 days old
    assert minimise_login_ips(context) == 0  # idempotent
    with context.engine.connect() as connection:
        events = connection.execute(select(login_events).order_by(login_events.c.at)).all()
    assert events[0].ip_enc is None and events[0].ip_truncated_enc is not None
    assert events[1].ip_enc is not None
    # the holder now sees the network of the old log-in, never its address
    oldest = log_in_again(client)[-1]
    assert oldest["ip"] == "145.97.0.0/24" and oldest["country"] == "NL"


def test_l23_ipv6_is_kept_as_its_48_network(context: Context, clock: FixedClock) -> None:
    client = TestClient(create_app(context), client=("2a02:a000:1234:5678::1", 40000))
    sign_up_and_log_in(client)
    assert client.get("/api/v1/account/logins").json()[0]["ip"] == "2a02:a000:1234:5678::1"
    clock.advance(timedelta(days=31))
    assert minimise_login_ips(context) == 1
    assert log_in_again(client)[-1]["ip"] == "2a02:a000:1234::/48"


def test_every_allowed_read_is_in_the_access_log_by_pseudonym(
    client: TestClient, context: Context
) -> None:
    sign_up_and_log_in(client)
    client.get("/api/v1/account")
    client.get("/api/v1/account/logins")
    context.access_log.flush()
    with context.engine.connect() as connection:
        pseudonym = connection.execute(select(subjects.c.pseudonym)).scalar_one()
        entries = connection.execute(
            select(access_log.c.activity, access_log.c.subject_pseudonym, access_log.c.actor)
        ).all()
    assert ("account", pseudonym, "self") in entries
    assert ("datacenter_login_location", pseudonym, "self") in entries


def test_access_log_writes_in_batches_not_per_read(client: TestClient, context: Context) -> None:
    sign_up_and_log_in(client)
    context.access_log.flush()
    with context.engine.connect() as connection:
        written = len(connection.execute(select(access_log)).all())
    for _ in range(3):
        client.get("/api/v1/account")
    assert context.access_log.pending() == 3  # buffered: the reads did not each write a row
    with context.engine.connect() as connection:
        assert len(connection.execute(select(access_log)).all()) == written
    assert context.access_log.flush() == 3


def test_l23_the_retention_sweep_command_truncates_old_ips(
    client: TestClient, context: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_up_and_log_in(client)
    monkeypatch.setenv("PRIVAAT_DATABASE_URL", context.settings.database_url)
    monkeypatch.setenv("PRIVAAT_VAR_DIR", str(context.settings.var_dir))
    monkeypatch.setenv("PRIVAAT_MODE", "test")
    # the command runs on the wall clock: date the log-in relative to it
    with context.engine.begin() as connection:
        connection.execute(update(login_events).values(at=datetime.now(UTC) - timedelta(days=29)))
    result = CliRunner().invoke(app, ["retention", "sweep"])
    assert result.exit_code == 0, result.output
    assert "login_events\tminimised" not in result.output
    with context.engine.begin() as connection:
        connection.execute(update(login_events).values(at=datetime.now(UTC) - timedelta(days=31)))
    result = CliRunner().invoke(app, ["retention", "sweep"])
    assert f"{LOCATION}\tlogin_events\tminimised\t1\n" in result.output, result.output


def test_a_quiet_server_still_writes_its_access_log_within_seconds(
    client: TestClient, context: Context, clock: FixedClock
) -> None:
    sign_up_and_log_in(client)
    context.access_log.flush()
    with context.engine.connect() as connection:
        written = len(connection.execute(select(access_log)).all())
    client.get("/api/v1/account")
    assert context.access_log.pending() == 1 and not context.access_log.due()
    clock.advance(timedelta(seconds=2))  # the entry has now waited past its maximum delay
    deadline = time.monotonic() + 5
    while context.access_log.pending() and time.monotonic() < deadline:
        time.sleep(0.05)  # the app's own flusher runs every second, with no further request
    with context.engine.connect() as connection:
        assert len(connection.execute(select(access_log)).all()) == written + 1
