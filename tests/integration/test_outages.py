"""Issue 5 item 5: with the database refusing connections, requests answer a 503 problem with
Retry-After (never a 500), the log gets one line per outage instead of a traceback each,
and /readyz says the database is down while /healthz still answers."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from privaat.bootstrap import bootstrap
from privaat.domain.clock import FixedClock
from privaat.settings import Mode, Settings
from privaat.store.db import make_engine
from privaat.web.app import create_app

NOWHERE = "postgresql+psycopg://postgres@127.0.0.1:9/none"  # port 9 (discard): nothing listens


@pytest.fixture
def client_without_database(tmp_path: Path, clock: FixedClock) -> TestClient:
    settings = Settings(mode=Mode.TEST, database_url=NOWHERE, var_dir=tmp_path / "var")
    engine = make_engine(NOWHERE, connect_args={"connect_timeout": 2})
    context = bootstrap(settings, clock=clock, engine=engine, run_migrations=False)
    return TestClient(create_app(context), raise_server_exceptions=False)


def test_item5_an_unreachable_database_is_a_503_problem_with_retry_after(
    client_without_database: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    with client_without_database as client:
        answers = [
            client.post("/api/v1/session", json={"email": "a@example.nl", "password": "x" * 12})
            for _ in range(3)
        ]
        ready = client.get("/readyz")
        alive = client.get("/healthz")
    for answer in [*answers, ready]:
        assert answer.status_code == 503, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert int(answer.headers["retry-after"]) > 0
        assert "Traceback" not in answer.text
    assert alive.status_code == 200
    outage_lines = [r for r in caplog.records if "database unavailable" in r.getMessage()]
    assert len(outage_lines) <= 1
    assert not any(r.exc_info for r in caplog.records if r.name.startswith("privaat"))
