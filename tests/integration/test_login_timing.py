"""No user enumeration by timing (P2, OWASP ASVS 2.2): a log-in for an unknown e-mail address
takes as long as one for a known address with a wrong password, and answers the same.

This runs the REAL argon2id cost (``Passwords()``, RFC 9106), not the cheap test hashing:
the property is that the hash runs in both cases, and only real parameters make that visible
above the noise of the rest of the request.

The rate limiter would answer the sixth wrong attempt on one account with a fast 429 before
any hash runs; the fixed clock is moved past the limiter's window before each attempt, so
every attempt takes the full path, and the limiter's own query and insert run every time.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from privaat.bootstrap import Context, bootstrap
from privaat.domain.clock import FixedClock
from privaat.services.passwords import Passwords
from privaat.services.sessions import ATTEMPT_WINDOW
from privaat.settings import Settings
from privaat.web.app import create_app

ATTEMPTS = 7
KNOWN = {"email": "jan@example.nl", "password": "correct horse battery"}


@pytest.fixture
def real_cost_client(settings: Settings, engine: Engine, clock: FixedClock) -> Iterator[TestClient]:
    """The app over a Context with the production argon2id parameters."""
    context: Context = bootstrap(
        settings, clock=clock, engine=engine, passwords=Passwords(), run_migrations=False
    )
    with TestClient(create_app(context), client=("145.97.0.1", 50000)) as client:
        sign_up = {**KNOWN, "name": "Jan Jansen", "age_declaration": True}
        assert client.post("/api/v1/accounts", json=sign_up).status_code == 202
        yield client
    context.access_log.flush()


def timed_log_in(client: TestClient, clock: FixedClock, email: str) -> tuple[float, Any]:
    clock.advance(ATTEMPT_WINDOW + timedelta(seconds=1))  # a fresh rate-limit window
    credentials = {"email": email, "password": "not the password"}
    started = time.perf_counter()
    response = client.post("/api/v1/session", json=credentials)
    return time.perf_counter() - started, response


def test_p2_unknown_email_and_wrong_password_take_similar_time_and_answer_alike(
    real_cost_client: TestClient, clock: FixedClock
) -> None:
    client = real_cost_client
    for email in ("nobody@example.nl", KNOWN["email"]):  # warm caches and connections
        timed_log_in(client, clock, email)
    unknown: list[float] = []
    known: list[float] = []
    answers: list[Any] = []
    # interleaved, so drift in machine load falls on both sides alike
    for n in range(ATTEMPTS):
        seconds, response = timed_log_in(client, clock, f"nobody{n}@example.nl")
        unknown.append(seconds)
        answers.append(response)
        seconds, response = timed_log_in(client, clock, KNOWN["email"])
        known.append(seconds)
        answers.append(response)

    median_unknown, median_known = statistics.median(unknown), statistics.median(known)
    timings = f"unknown {median_unknown * 1000:.1f} ms, known {median_known * 1000:.1f} ms"
    # the hash ran in both cases: far slower than a request that skips it (a few ms)
    assert median_unknown >= 0.010 and median_known >= 0.010, timings
    assert 0.6 <= median_unknown / median_known <= 1.6, timings
    assert {response.status_code for response in answers} == {401}
    bodies = [{k: v for k, v in r.json().items() if k != "instance"} for r in answers]
    assert all(body == bodies[0] for body in bodies), bodies
    headers = [{k: v for k, v in r.headers.items() if k != "content-length"} for r in answers]
    assert all(header == headers[0] for header in headers)
