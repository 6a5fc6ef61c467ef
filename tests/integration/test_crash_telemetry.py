"""A telemetry batch killed mid-way (issue 16 item 3; P6, P10, GDPR art. 32): ``privaat
telemetry ingest`` runs as a real subprocess on a real database and gets SIGKILL while it is
inside a batch's transaction. No batch is half stored (the rows left are whole batches of
5,000), and the same command run again stores the rest: every event once, the killed run's
events answered ``duplicate``, none stored twice. The same for ``privaat serve`` killed
inside an HTTP batch: no request lost (the client, unanswered, sends it again), none twice.

The moment is found in the database itself, not with a pause point in the code: the process
is killed once a first batch has committed and while it holds the write lock of the next (on
SQLite a probe's ``BEGIN IMMEDIATE`` is refused; on PostgreSQL its backend is in a
transaction that has written, seen in ``pg_stat_activity``)."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from tests.factories import customer
from typer.testing import CliRunner

from privaat.bootstrap import bootstrap
from privaat.cli import app
from privaat.cli.telemetry import BATCH_LINES
from privaat.settings import Settings
from privaat.store.crypto import MasterKey
from privaat.store.db import make_engine
from privaat.store.master_key import write_master_key_file
from privaat.store.tables import subjects
from privaat.store.tables_telemetry import voip_sync_events

runner = CliRunner()
HTTP_BATCH = 2_000  # one request, one transaction
EVENTS = BATCH_LINES + 2_000  # a whole batch, then one the kill cuts


@pytest.fixture
def shell(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path) -> Iterator[Engine]:
    key_file = tmp_path / "master.key"
    write_master_key_file(key_file, MasterKey.generate())
    monkeypatch.setenv("PRIVAAT_DATABASE_URL", database_url)
    monkeypatch.setenv("PRIVAAT_MODE", "production")
    monkeypatch.setenv("PRIVAAT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("PRIVAAT_MASTER_KEY_FILE", str(key_file))
    monkeypatch.setenv("PRIVAAT_BASE_URL", "https://privacy.flexibelt.example/")
    monkeypatch.delenv("PRIVAAT_MASTER_KEY", raising=False)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _pseudonym() -> str:
    context = bootstrap(Settings(), run_migrations=False)
    try:
        me = customer(context)
        with context.unit_of_work() as uow, uow.reading() as connection:
            value: str = connection.execute(
                select(subjects.c.pseudonym).where(subjects.c.id == me.subject_id)
            ).scalar_one()
    finally:
        context.close()
    return value


def _stored(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(voip_sync_events)).scalar())


def _inside_a_write(engine: Engine, database_url: str) -> bool:
    """True while another connection holds an open transaction that writes."""
    if database_url.startswith("sqlite"):
        probe = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=0)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.rollback()
            return False
        except sqlite3.OperationalError:  # "database is locked": the ingest's batch is open
            return True
        finally:
            probe.close()
    with engine.connect() as connection:
        writing = connection.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
            )
        ).scalar()
    return bool(writing)


def test_P6_a_batch_killed_mid_transaction_leaves_whole_batches_and_the_rerun_stores_the_rest(
    shell: Engine, database_url: str, tmp_path: Path
) -> None:
    service = ["telemetry", "service", "add", "device-sync", "--kind", "voip_sync"]
    added = runner.invoke(app, service)
    assert added.exit_code == 0, added.output
    pseudonym = _pseudonym()
    file = tmp_path / "sync.ndjson"
    with file.open("w") as out:
        for _ in range(EVENTS):
            event = {
                "event_id": str(uuid.uuid4()),
                "subject": pseudonym,
                "at": "2026-11-30T12:00:00Z",
                "ip": "2001:db8:1234:5678::1",
                "device": {"model": "Gigaset N670"},
                "network": "ethernet",
            }
            out.write(json.dumps(event) + "\n")
    command = [sys.executable, "-m", "privaat", "telemetry", "ingest", str(file)]
    process = subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
        command, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    killed_inside = False
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and process.poll() is None:
            if _stored(shell) >= BATCH_LINES and _inside_a_write(shell, database_url):
                process.send_signal(signal.SIGKILL)
                killed_inside = True
                break
            time.sleep(0.005)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
    assert killed_inside, "the ingest finished before a batch could be caught open"
    left = _stored(shell)
    assert 0 < left < EVENTS, "the kill came mid-way"
    assert left % BATCH_LINES == 0, f"{left} rows: a batch was half stored"
    again = runner.invoke(app, ["telemetry", "ingest", str(file)])
    assert again.exit_code == 0, again.output
    assert f"stored={EVENTS - left} duplicate={left} refused=0 invalid=0" in again.output
    assert _stored(shell) == EVENTS  # every event once


def _post(port: int, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    """POST a batch; (status, body). OSError (a reset, a closed socket) when no answer came."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("POST", "/api/v1/telemetry/voip_sync", body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def _healthy(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    try:
        connection.request("GET", "/healthz")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def _serve(port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "privaat", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("ab") as output:
        process = subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
            command, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=output
        )
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            pytest.fail(f"privaat serve exited: {log.read_text()[-2000:]}")
        if _healthy(port):
            return process
        assert process.poll() is None and time.monotonic() < deadline, "privaat serve died"
        time.sleep(0.1)


def _batch(pseudonym: str, count: int) -> bytes:
    event = {
        "subject": pseudonym,
        "at": "2026-11-30T12:00:00Z",
        "ip": "2001:db8:1234:5678::1",
        "device": {"model": "Gigaset N670"},
        "network": "ethernet",
    }
    return b"".join(
        json.dumps({**event, "event_id": str(uuid.uuid4())}).encode() + b"\n" for _ in range(count)
    )


def test_P6_privaat_serve_killed_inside_an_http_batch_loses_no_request_and_stores_none_twice(
    shell: Engine, database_url: str, tmp_path: Path
) -> None:
    """The HTTP batch is one transaction: the server killed inside it leaves nothing of it, the
    client (which got no answer) sends it again to the restarted server and every event is
    stored once; a batch answered 200 before the kill is all there."""
    service = ["telemetry", "service", "add", "device-sync", "--kind", "voip_sync"]
    added = runner.invoke(app, service)
    [key] = [word for word in added.output.split() if word.startswith("tlm_")]
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/x-ndjson"}
    pseudonym = _pseudonym()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    answered, cut = _batch(pseudonym, 10), _batch(pseudonym, HTTP_BATCH)
    log = tmp_path / "serve.log"
    if database_url.startswith("sqlite"):  # privaat serve refuses a database others can read
        database = Path(database_url.removeprefix("sqlite:///"))
        for path in database.parent.glob(database.name + "*"):
            path.chmod(0o600)
    server = _serve(port, log)
    outcome: list[object] = []
    try:
        status, text = _post(port, answered, headers)
        assert status == 200, text

        def send() -> None:
            try:
                outcome.append(_post(port, cut, headers))
            except (OSError, http.client.HTTPException) as error:
                outcome.append(error)

        sending = threading.Thread(target=send)
        sending.start()
        deadline = time.monotonic() + 30
        while not _inside_a_write(shell, database_url):
            assert time.monotonic() < deadline and not outcome, "the batch was never caught open"
            time.sleep(0.005)
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
        sending.join(timeout=30)
        [failed] = outcome
        assert isinstance(failed, OSError | http.client.HTTPException), (
            failed
        )  # no answer: the client retries
        assert _stored(shell) == 10, "the answered batch is all there, the cut one left nothing"
        deadline = time.monotonic() + 10  # PostgreSQL: the dead backend's transaction ends
        while _inside_a_write(shell, database_url) and time.monotonic() < deadline:
            time.sleep(0.02)
        server = _serve(port, log)
        status, text = _post(port, cut, headers)
        assert status == 200, text
        status, text = _post(port, answered, headers)
        assert status == 200 and json.loads(text)["duplicate"] == 10, text  # none twice
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=30)
    assert _stored(shell) == 10 + HTTP_BATCH  # every event once
