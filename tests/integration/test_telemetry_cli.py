"""``privaat telemetry`` (issue 12 item 1): a service's key printed once, a gzipped NDJSON file
streamed in with the per-line counts, a rerun storing nothing twice, and bad input a
``privaat: <message>`` with a non-zero exit."""

from __future__ import annotations

import gzip
import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select
from tests.factories import customer
from typer.testing import CliRunner, Result

from privaat.bootstrap import bootstrap
from privaat.cli import app
from privaat.settings import Settings
from privaat.store.crypto import MasterKey
from privaat.store.master_key import write_master_key_file
from privaat.store.tables import subjects
from privaat.store.tables_telemetry import voip_sync_events

runner = CliRunner()


@pytest.fixture
def shell(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path) -> None:
    key_file = tmp_path / "master.key"
    write_master_key_file(key_file, MasterKey.generate())
    monkeypatch.setenv("PRIVAAT_DATABASE_URL", database_url)
    monkeypatch.setenv("PRIVAAT_MODE", "production")
    monkeypatch.setenv("PRIVAAT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("PRIVAAT_MASTER_KEY_FILE", str(key_file))
    monkeypatch.delenv("PRIVAAT_MASTER_KEY", raising=False)


def _run(*arguments: str) -> Result:
    result = runner.invoke(app, list(arguments))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def _stored() -> int:
    context = bootstrap(Settings(), run_migrations=False)
    try:
        with context.unit_of_work() as uow, uow.reading() as connection:
            count: int = connection.execute(
                select(func.count()).select_from(voip_sync_events)
            ).scalar_one()
    finally:
        context.close()
    return count


def _a_pseudonym() -> str:
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


def _event(pseudonym: str) -> str:
    return json.dumps(
        {
            "event_id": str(uuid.uuid4()),
            "subject": pseudonym,
            "at": "2026-11-30T12:00:00Z",
            "ip": "2001:db8:1234:5678::1",
            "device": {"model": "Gigaset N670"},
            "network": "ethernet",
        }
    )


def test_P6_a_gzipped_file_is_streamed_in_and_a_rerun_stores_nothing_twice(
    shell: None, tmp_path: Path
) -> None:
    added = _run("telemetry", "service", "add", "device-sync", "--kind", "voip_sync")
    assert added.exit_code == 0, added.output
    assert "key: tlm_" in added.output
    listed = _run("telemetry", "service", "list")
    assert "device-sync\tvoip_sync" in listed.output and "tlm_" not in listed.output
    pseudonym = _a_pseudonym()
    lines = [_event(pseudonym) for _ in range(12)] + ['{"event_id": "nope"}']
    file = tmp_path / "sync.ndjson.gz"
    file.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    first = _run("telemetry", "ingest", str(file))
    assert first.exit_code == 1  # one line was not stored
    assert "stored=12 duplicate=0 refused=0 invalid=1" in first.output
    assert "line 13: invalid" in first.output
    again = _run("telemetry", "ingest", str(file), "--service", "device-sync")
    assert "stored=0 duplicate=12 refused=0 invalid=1" in again.output
    assert _stored() == 12


def test_a_broken_gzip_file_and_an_unknown_service_are_clear_errors(
    shell: None, tmp_path: Path
) -> None:
    _run("telemetry", "service", "add", "device-sync", "--kind", "voip_sync")
    file = tmp_path / "cut.ndjson.gz"
    file.write_bytes(gzip.compress(b'{"a": 1}\n' * 100)[:-12])
    broken = _run("telemetry", "ingest", str(file))
    assert broken.exit_code == 1 and "privaat: " in broken.output and "gzip" in broken.output
    unknown = _run("telemetry", "ingest", str(file), "--service", "nobody")
    assert unknown.exit_code == 2 and "privaat: no live service named nobody" in unknown.output
    bad_kind = _run("telemetry", "service", "add", "other", "--kind", "gps")
    assert bad_kind.exit_code == 1 and "privaat: " in bad_kind.output
    assert _stored() == 0
