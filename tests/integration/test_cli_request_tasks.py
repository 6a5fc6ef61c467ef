"""``privaat requests tasks|task-done|task-waive`` (issue 15 item 3): the operator lists a
request's manual tasks, marks one done with its evidence and waives another with a reason;
the erasure then completes. Bad input: a clear line, exit 1 or 2, nothing changed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.integration.test_cli_request_rights import _run, _started
from tests.integration.test_request_tasks import STORES
from tests.unit.test_call_rules import wav

from privaat.bootstrap import Context, bootstrap
from privaat.domain.subject_requests import RequestKind
from privaat.settings import Settings
from privaat.store.crypto import MasterKey
from privaat.store.master_key import write_master_key_file


@pytest.fixture
def shell(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path) -> Iterator[Context]:
    key_file = tmp_path / "master.key"
    write_master_key_file(key_file, MasterKey.generate())
    stores = tmp_path / "stores.yaml"
    stores.write_text(STORES, encoding="utf-8")
    for name, value in {
        "DATABASE_URL": database_url,
        "MODE": "production",
        "VAR_DIR": str(tmp_path / "var"),
        "MASTER_KEY_FILE": str(key_file),
        "STORES_FILE": str(stores),
    }.items():
        monkeypatch.setenv(f"PRIVAAT_{name}", value)
    monkeypatch.delenv("PRIVAAT_MASTER_KEY", raising=False)
    context = bootstrap(Settings(), run_migrations=False)
    yield context
    context.close()


def test_item3_the_operator_does_and_waives_tasks_then_the_erasure_completes(
    shell: Context, tmp_path: Path
) -> None:
    _person, reference = _started(shell, RequestKind.ERASURE)  # no call: no PBX task
    listed = _run("requests", "tasks", reference)
    assert listed.exit_code == 0
    assert listed.output.startswith("archive\topen\tprivacy_officer\tdue ")
    assert "evidence: note, checkbox" in listed.output
    blocked = _run("requests", "erase", reference)
    assert blocked.exit_code == 1 and "open manual tasks (archive)" in blocked.output
    missing = _run("requests", "task-done", reference, "archive", "--note", "vernietigd")
    assert missing.exit_code == 1 and "box ticked" in missing.output
    scan = tmp_path / "scan.wav"
    scan.write_bytes(wav(0.1))
    wrong = _run(
        "requests",
        "task-done",
        reference,
        "archive",
        "--note",
        "x",
        "--checked",
        "--file",
        str(scan),
    )
    assert wrong.exit_code == 1 and "PDF, PNG" in wrong.output
    done = _run("requests", "task-done", reference, "archive", "--note", "map 17", "--checked")
    assert (
        done.exit_code == 0
        and "archive\tdone" in done.output
        and "by system:operator" in done.output
    )
    no_reason = _run("requests", "task-waive", reference, "nope", "--reason", "x")
    assert no_reason.exit_code == 1 and "no task for 'nope'" in no_reason.output
    erased = _run("requests", "erase", reference)
    assert erased.exit_code == 0 and f"{reference} completed" in erased.output
