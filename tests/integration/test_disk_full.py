"""A full disk while an export is written (issue 16 item 4; P10, GDPR art. 32, LEGAL L61): a
real filesystem that is full, a tmpfs of a few KiB mounted for the test, not a mocked write.

- ``privaat backup create`` into it: exit 1 with ``privaat: no space left on the device ...``,
  no half backup, no temporary file and no manifest left in the directory; the same command
  into a directory with room then makes a whole backup.
- an access request's answer while TMPDIR (where the ZIP's sealed temporary files go) is full:
  ``privaat requests answer`` exits 1 with the same clear message, the request stays in
  progress, no answer, download link, letter or audit entry is stored, and nothing is left in
  TMPDIR; with room again the answer is made. On the console the page says so (503), in the
  officer's language, and the request is as it was.

Mounting needs root (CI runs as root); elsewhere the tests are skipped, saying why.
"""

from __future__ import annotations

import gc
import json
import os
import secrets
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from tests.factories import customer
from tests.integration.test_console_roles import csrf_token, staff_session
from tests.integration.test_request_rights_rectification import started
from typer.testing import CliRunner

from privaat.bootstrap import Context, bootstrap
from privaat.cli import app
from privaat.domain.clock import FixedClock
from privaat.domain.principal import StaffRole
from privaat.domain.subject_requests import RequestKind
from privaat.settings import Mode, Settings
from privaat.store.db import make_engine
from privaat.store.tables import audit_log, outbox, subjects
from privaat.store.tables_requests import request_answers, subject_requests
from privaat.store.tables_telemetry import voip_sync_events
from privaat.web.app import create_app
from privaat.web.console.access import STAFF_COOKIE

runner = CliRunner()


def _mount_full_filesystem(where: Path, size: str) -> None:
    if os.geteuid() != 0:
        if os.environ.get("CI"):
            pytest.fail("CI runs as root: the full-disk tests must run there")
        pytest.skip("mounting a small tmpfs to fill needs root (CI runs as root)")
    where.mkdir()
    done = subprocess.run(  # noqa: S603 - fixed arguments
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        if os.environ.get("CI"):  # CI runs as root on its own machine: a skip would hide it
            pytest.fail(f"cannot mount a tmpfs in CI: {done.stderr.strip()}")
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")


@pytest.fixture
def full(tmp_path: Path) -> Iterator[Path]:
    """A directory on a filesystem of 16 KiB: a backup or an answer's ZIP does not fit."""
    where = tmp_path / "full"
    _mount_full_filesystem(where, "16k")
    try:
        yield where
    finally:
        gc.collect()  # anything the test let go of, closed
        busy = subprocess.run(  # noqa: S603 - fixed arguments
            ["umount", str(where)],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
        )
        if busy.returncode != 0:
            subprocess.run(["umount", "-l", str(where)], check=False)  # noqa: S603, S607
            pytest.fail(f"a file on the full filesystem is still open: {busy.stderr.strip()}")


def _environment(monkeypatch: pytest.MonkeyPatch, context: Context) -> None:
    settings = context.settings
    monkeypatch.setenv("PRIVAAT_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PRIVAAT_MODE", "test")
    monkeypatch.setenv("PRIVAAT_VAR_DIR", str(Path(settings.var_dir)))


def test_P10_a_backup_onto_a_full_disk_is_a_clear_error_and_leaves_no_file(
    monkeypatch: pytest.MonkeyPatch, context: Context, full: Path, tmp_path: Path
) -> None:
    _environment(monkeypatch, context)
    target = full / "backups"
    result = runner.invoke(app, ["backup", "create", str(target)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert f"privaat: no space left on the device while writing the backup in {target}" in (
        result.output
    )
    assert list(target.iterdir()) == [], "nothing half-written, no temporary file, no manifest"
    roomy = runner.invoke(app, ["backup", "create", str(tmp_path / "roomy")])
    assert roomy.exit_code == 0, roomy.output
    whole = ".dump" if context.engine.dialect.name == "postgresql" else ".sqlite"
    assert sorted(p.suffix for p in (tmp_path / "roomy").iterdir()) == sorted([".json", whole])


def noise() -> str:
    """Text that does not compress: the ZIP grows with it."""
    return secrets.token_urlsafe(96)


def _a_person_with_much_telemetry(context: Context) -> str:
    """An access request in progress of a person with ~1 MiB of telemetry: its ZIP spills
    past the in-memory spool into TMPDIR."""
    person, reference = started(context, RequestKind.ACCESS)
    with context.unit_of_work() as uow, uow.reading() as connection:
        pseudonym = connection.execute(
            select(subjects.c.pseudonym).where(subjects.c.id == person.subject_id)
        ).scalar_one()
    with context.unit_of_work() as uow:
        context.telemetry.add_service(uow, "device-sync", ["voip_sync"])
    with context.unit_of_work() as uow:
        service = context.telemetry.service(uow, "device-sync")
    kind = context.telemetry.kind(service, "voip_sync")
    event = {
        "subject": pseudonym,
        "at": "2026-11-25T12:00:00Z",
        "ip": "145.97.12.34",
        "device": {"model": "Snom D785"},
        "network": "wifi",
    }
    lines = [
        (n, json.dumps({**event, "event_id": str(uuid.uuid4()), "crash_log": noise()}).encode())
        for n in range(1, 3_001)
    ]
    with context.unit_of_work() as uow:
        outcomes = context.telemetry.ingest(uow, service, kind, lines)
    assert {outcome.status.value for outcome in outcomes} == {"stored"}, outcomes[0]
    return reference


def _answer_traces(context: Context, reference: str) -> tuple[str, int, int, int]:
    with context.engine.connect() as connection:
        status = connection.execute(
            select(subject_requests.c.status).where(subject_requests.c.reference == reference)
        ).scalar_one()
        answers = connection.execute(select(func.count()).select_from(request_answers))
        letters = connection.execute(
            select(func.count()).where(outbox.c.template == "request_answered")
        )
        audited = connection.execute(
            select(func.count()).where(audit_log.c.action == "request.answered")
        )
        return status, answers.scalar_one(), letters.scalar_one(), audited.scalar_one()


def test_L61_an_answer_with_tmpdir_full_is_a_clear_error_and_stores_nothing(
    monkeypatch: pytest.MonkeyPatch, context: Context, full: Path
) -> None:
    reference = _a_person_with_much_telemetry(context)
    _environment(monkeypatch, context)
    monkeypatch.setenv("TMPDIR", str(full))
    monkeypatch.setattr(tempfile, "tempdir", None)  # gettempdir() reads TMPDIR again
    assert tempfile.gettempdir() == str(full)
    result = runner.invoke(app, ["requests", "answer", reference])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert f"privaat: no space left on the device while writing the answer to {reference}" in (
        result.output
    )
    assert _answer_traces(context, reference) == ("in_progress", 0, 0, 0)
    assert list(full.iterdir()) == [], "no temporary file left behind"
    monkeypatch.undo()  # room again
    _environment(monkeypatch, context)
    again = runner.invoke(app, ["requests", "answer", reference])
    assert again.exit_code == 0, again.output
    assert _answer_traces(context, reference) == ("completed", 1, 1, 1)


def test_L61_the_console_says_the_disk_is_full_and_the_request_is_as_it_was(
    monkeypatch: pytest.MonkeyPatch, context: Context, clock: FixedClock, full: Path
) -> None:
    reference = _a_person_with_much_telemetry(context)
    page = f"/console/requests/{reference}"
    with TestClient(create_app(context), client=("145.97.0.1", 50000)) as console:
        console.cookies.set(STAFF_COOKIE, staff_session(context, clock, StaffRole.PRIVACY_OFFICER))
        token = csrf_token(console, page)
        monkeypatch.setenv("TMPDIR", str(full))
        monkeypatch.setattr(tempfile, "tempdir", None)
        refused = console.post(f"{page}/answer", data={"csrf_token": token}, follow_redirects=False)
    assert refused.status_code == 503
    assert "Er is geen ruimte meer op de schijf van de server" in refused.text  # Dutch first
    assert "Traceback" not in refused.text
    assert _answer_traces(context, reference) == ("in_progress", 0, 0, 0)
    assert list(full.iterdir()) == []


@pytest.mark.database("sqlite")  # PostgreSQL's own disk is the server's, not privaat's
def test_P10_a_full_disk_under_the_database_is_a_503_problem_and_the_batch_is_whole_or_none(
    settings: Settings, tmp_path: Path
) -> None:
    """The SQLite database on a filesystem with room for the file and a little more: a
    telemetry batch that does not fit is answered with the 503 problem (Retry-After), never a
    500 or a trace, and none of its events is stored; with room again the same batch is
    stored whole, and the app was not restarted."""
    source = Path(settings.database_url.removeprefix("sqlite:///"))
    where = tmp_path / "small"
    room = source.stat().st_size + 512 * 1024
    _mount_full_filesystem(where, f"{room // 1024 + 1}k")
    try:
        database = where / "privaat.db"
        shutil.copyfile(source, database)
        url = f"sqlite:///{database}"
        engine = make_engine(url)
        context = bootstrap(
            Settings(mode=Mode.TEST, database_url=url, var_dir=tmp_path / "var"),
            engine=engine,
            run_migrations=False,
        )
        pseudonym = _pseudonym_of(context, customer(context).subject_id)
        with context.unit_of_work() as uow:
            _service, key = context.telemetry.add_service(uow, "device-sync", ["voip_sync"])
        event = {
            "subject": pseudonym,
            "at": "2026-11-25T12:00:00Z",
            "ip": "145.97.12.34",
            "device": {"model": "Snom D785"},
            "network": "wifi",
        }
        batch = b"".join(
            json.dumps({**event, "event_id": str(uuid.uuid4()), "crash_log": noise() * 3}).encode()
            + b"\n"
            for _ in range(4_000)
        )
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/x-ndjson"}
        with TestClient(create_app(context), client=("145.97.0.1", 50000)) as client:
            full_answer = client.post("/api/v1/telemetry/voip_sync", content=batch, headers=headers)
            assert full_answer.status_code == 503, full_answer.text[:300]
            assert full_answer.headers["content-type"] == "application/problem+json"
            assert "Retry-After" in full_answer.headers
            assert "Traceback" not in full_answer.text
            assert _events(engine) == 0  # the batch is one transaction: none of it
            subprocess.run(  # noqa: S603 - room again, the app still running
                ["mount", "-o", "remount,size=64m", str(where)],  # noqa: S607
                check=True,
            )
            stored = client.post("/api/v1/telemetry/voip_sync", content=batch, headers=headers)
            assert stored.status_code == 200, stored.text[:300]
        assert _events(engine) == 4_000
        context.close()
        engine.dispose()
    finally:
        gc.collect()
        subprocess.run(["umount", "-l", str(where)], check=False)  # noqa: S603, S607


def _pseudonym_of(context: Context, subject_id: int) -> str:
    with context.unit_of_work() as uow, uow.reading() as connection:
        value: str = connection.execute(
            select(subjects.c.pseudonym).where(subjects.c.id == subject_id)
        ).scalar_one()
    return value


def _events(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(voip_sync_events)).scalar())
