"""A telemetry batch killed mid-way (issue 16 item 3; P6, P10, GDPR art. 32): ``privaat
telemetry ingest`` runs as a real subprocess on a real database and gets SIGKILL while it is
inside a batch's transaction. No batch is half stored (the rows left are whole batches of
5,000), and the same command run again stores the rest: every event once, the killed run's
events answered ``duplicate``, none stored twice.

The moment is found in the database itself, not with a pause point in the code: the process
is killed once a first batch has committed and while it holds the write lock of the next (on
SQLite a probe's ``BEGIN IMMEDIATE`` is refused; on PostgreSQL its backend is in a
transaction that has written, seen in ``pg_stat_activity``)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
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
EVENTS = BATCH_LINES + 3_000  # a whole batch, then one the kill cuts


@pytest.fixture
def shell(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path) -> Engine:
    key_file = tmp_path / "master.key"
    write_master_key_file(key_file, MasterKey.generate())
    monkeypatch.setenv("PRIVAAT_DATABASE_URL", database_url)
    monkeypatch.setenv("PRIVAAT_MODE", "production")
    monkeypatch.setenv("PRIVAAT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("PRIVAAT_MASTER_KEY_FILE", str(key_file))
    monkeypatch.delenv("PRIVAAT_MASTER_KEY", raising=False)
    return make_engine(database_url)


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
    shell.dispose()
