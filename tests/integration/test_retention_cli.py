"""``privaat retention sweep`` (issue 13 item 1; P20, LEGAL L51-L53): the dry run prints what
would go and changes nothing, a second sweep while one runs is refused with exit 2, and a sweep
killed mid-way (SIGKILL, a real subprocess on a database file) loses nothing: the next run
takes it over and finishes, and the audit trail's counts equal every row removed."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, insert, select, update
from typer.testing import CliRunner

from privaat.cli import app
from privaat.store.crypto import MasterKey
from privaat.store.db import make_engine
from privaat.store.master_key import write_master_key_file
from privaat.store.tables import audit_log, login_events, subjects
from privaat.store.tables_retention import retention_batches, retention_sweeps

runner = CliRunner()
LOCATION = "datacenter_login_location"


@pytest.fixture
def shell(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path) -> Iterator[Engine]:
    key_file = tmp_path / "master.key"
    write_master_key_file(key_file, MasterKey.generate())
    monkeypatch.setenv("PRIVAAT_DATABASE_URL", database_url)
    monkeypatch.setenv("PRIVAAT_MODE", "production")
    monkeypatch.setenv("PRIVAAT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("PRIVAAT_MASTER_KEY_FILE", str(key_file))
    monkeypatch.delenv("PRIVAAT_MASTER_KEY", raising=False)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _seed(engine: Engine, *, expired: int, live: int) -> None:
    """Log-ins of 20 people: ``expired`` past the six months, ``live`` ten days old."""
    now = datetime.now(UTC)
    with engine.begin() as connection:
        people = [
            connection.execute(
                insert(subjects)
                .values(pseudonym=secrets.token_hex(16), created_at=now - timedelta(days=400))
                .returning(subjects.c.id)
            ).scalar_one()
            for _ in range(20)
        ]
        for count, age in ((expired, 200), (live, 10)):
            rows = [
                {
                    "subject_id": people[n % len(people)],
                    "at": now - timedelta(days=age, seconds=n),
                    "ip_enc": b"full",
                    "ip_truncated_enc": b"net",
                    "device_hash": b"d" * 32,
                    "new_device": False,
                }
                for n in range(count)
            ]
            for start in range(0, len(rows), 10_000):
                connection.execute(insert(login_events), rows[start : start + 10_000])


def _logins(engine: Engine) -> tuple[int, int]:
    """(expired left, live left)"""
    edge = datetime.now(UTC) - timedelta(days=100)
    with engine.connect() as connection:
        old = connection.execute(
            select(func.count()).select_from(login_events).where(login_events.c.at < edge)
        ).scalar_one()
        new = connection.execute(
            select(func.count()).select_from(login_events).where(login_events.c.at >= edge)
        ).scalar_one()
    return int(old), int(new)


def _deleted_in_audit(engine: Engine) -> int:
    with engine.connect() as connection:
        details = connection.execute(
            select(audit_log.c.detail).where(audit_log.c.action == "retention.swept")
        ).scalars()
        entries = [json.loads(detail) for detail in details]
    return sum(entry["deleted"] for entry in entries if entry["activity"] == LOCATION)


def _everything(engine: Engine) -> dict[str, list[str]]:
    from privaat.store.tables import metadata

    with engine.connect() as connection:
        return {
            table.name: sorted(repr(tuple(row)) for row in connection.execute(select(table)))
            for table in metadata.sorted_tables
        }


def test_p20_dry_run_prints_per_activity_and_table_and_changes_nothing(shell: Engine) -> None:
    _seed(shell, expired=30, live=5)
    # a process's first start records the running policy version (bootstrap), not the sweep
    assert runner.invoke(app, ["retention", "sweep", "--dry-run"]).exit_code == 0
    before = _everything(shell)
    result = runner.invoke(app, ["retention", "sweep", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert f"{LOCATION}\tlogin_events\tdeleted\t30\t" in result.output
    assert f"{LOCATION}\tlogin_events\tminimised\t30\t" in result.output
    assert "dry run: 60 row(s) would be removed or minimised; nothing changed" in result.output
    assert _everything(shell) == before


def test_p20_a_second_sweep_while_one_runs_is_refused_with_exit_2(shell: Engine) -> None:
    _seed(shell, expired=3, live=1)
    started = datetime.now(UTC) - timedelta(seconds=30)
    with shell.begin() as connection:
        connection.execute(
            insert(retention_sweeps).values(
                started_at=started,
                heartbeat_at=datetime.now(UTC),
                worker="other-host:4242",
                dry_run=False,
                status="running",
            )
        )
    result = runner.invoke(app, ["retention", "sweep"])
    assert result.exit_code == 2
    assert f"privaat: a sweep started at {started.isoformat(timespec='seconds')}" in result.output
    assert "is still running" in result.output
    assert _logins(shell) == (3, 1)  # nothing changed


@pytest.mark.database("sqlite")  # PostgreSQL runs several workers (test_retention_workers)
def test_p20_several_workers_need_postgresql(shell: Engine) -> None:
    result = runner.invoke(app, ["retention", "sweep", "--workers", "2"])
    assert result.exit_code == 2
    assert "privaat: --workers: more than one worker needs PostgreSQL" in result.output


def test_p20_a_sweep_killed_mid_way_loses_nothing_and_the_next_run_finishes(
    shell: Engine,
) -> None:
    expired, live = 120_000, 2_000
    _seed(shell, expired=expired, live=live)
    command = [sys.executable, "-m", "privaat", "retention", "sweep"]
    process = subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
        command, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            with shell.connect() as connection:
                done = connection.execute(select(func.count()).select_from(retention_batches))
                if done.scalar_one() >= 3:
                    break
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    left, kept = _logins(shell)
    assert 0 < left < expired, "the kill came mid-way: some expired rows went, not all"
    assert kept == live
    with shell.begin() as connection:
        status = connection.execute(select(retention_sweeps.c.status)).scalar_one()
        assert status == "running"  # killed: never finished
        # the worker is dead: its heartbeat goes stale (as minutes later)
        connection.execute(
            update(retention_sweeps).values(heartbeat_at=datetime.now(UTC) - timedelta(hours=1))
        )
    result = runner.invoke(app, ["retention", "sweep"])
    assert result.exit_code == 0, result.output
    assert "(a stale sweep taken over)" in result.output
    assert _logins(shell) == (0, live)
    # the evidence adds up exactly: the killed run's batches and this run's, nothing twice
    assert _deleted_in_audit(shell) == expired
    again = runner.invoke(app, ["retention", "sweep"])
    assert again.exit_code == 0 and "0 row(s) removed or minimised" in again.output
