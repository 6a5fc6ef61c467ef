"""``privaat business`` and ``privaat jobs opendsr-callbacks`` (issue 11 item 10): a business
customer's API key is printed once and never again; revoking and rotating take effect at once;
a bad name is ``privaat: <message>`` and exit 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from privaat.bootstrap import bootstrap
from privaat.cli import app
from privaat.services.opendsr import InvalidApiKey
from privaat.settings import Settings
from privaat.store.crypto import MasterKey
from privaat.store.master_key import write_master_key_file

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


def _key(output: str) -> str:
    [line] = [line for line in output.splitlines() if line.startswith("api key: ")]
    return line.removeprefix("api key: ")


def _works(key: str) -> bool:
    context = bootstrap(Settings(), run_migrations=False)
    try:
        with context.unit_of_work() as uow:
            context.opendsr.authenticate(uow, key)
        return True
    except InvalidApiKey:
        return False
    finally:
        context.close()


@pytest.mark.usefixtures("shell")
def test_item10_the_key_is_printed_once_and_listing_never_shows_it() -> None:
    added = _run("business", "add", "Bakkerij Jansen BV")
    assert added.exit_code == 0
    key = _key(added.output)
    assert key.startswith("odsr_") and _works(key)
    listed = _run("business", "list")
    assert listed.exit_code == 0 and "Bakkerij Jansen BV" in listed.output
    assert key not in listed.output and "active" in listed.output
    [record] = [json.loads(line) for line in _run("business", "list", "--json").output.splitlines()]
    assert record["name"] == "Bakkerij Jansen BV" and record["revoked_at"] is None
    assert key not in json.dumps(record)


@pytest.mark.usefixtures("shell")
def test_item10_revoke_refuses_the_key_and_rotate_key_replaces_it() -> None:
    key = _key(_run("business", "add", "Klant A").output)
    assert _run("business", "revoke", "Klant A").exit_code == 0
    assert not _works(key)
    assert "revoked" in _run("business", "list").output
    rotated = _run("business", "rotate-key", "Klant A")
    assert rotated.exit_code == 0
    new = _key(rotated.output)
    assert new != key and _works(new) and not _works(key)


@pytest.mark.usefixtures("shell")
def test_item10_a_taken_or_unknown_name_is_a_clear_error() -> None:
    assert _run("business", "add", "Klant A").exit_code == 0
    taken = _run("business", "add", "Klant A")
    assert taken.exit_code == 1 and taken.output.startswith("privaat: ")
    unknown = _run("business", "revoke", "Niemand")
    assert unknown.exit_code == 1 and "no business customer is named 'Niemand'" in unknown.output
    assert _run("business", "rotate-key", "Niemand").exit_code == 1
    assert _run("business", "add", "   ").exit_code == 1


@pytest.mark.usefixtures("shell")
def test_item10_the_callback_job_with_nothing_due_sends_nothing() -> None:
    result = _run("jobs", "opendsr-callbacks")
    assert result.exit_code == 0
    assert result.output.strip() == "sent 0, to retry 0, given up 0"
