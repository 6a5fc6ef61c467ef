"""``privaat requests rectify|erase|restrict|lift|object|grounds|uphold|recipients`` and
``privaat jobs lift-restrictions`` (issue 11 items 5-8): each a step on one request, bad
input a ``privaat: …`` line and exit 1 with nothing written, nothing personal printed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.factories import Customer, customer
from typer.testing import CliRunner, Result

from privaat.bootstrap import Context, bootstrap
from privaat.cli import app
from privaat.domain.principal import SystemJob
from privaat.domain.subject_requests import Action, RequestKind
from privaat.services.subject_requests import RequestChannel
from privaat.settings import Settings
from privaat.store.crypto import MasterKey
from privaat.store.master_key import write_master_key_file

runner = CliRunner()
OPERATOR = SystemJob("operator")


@pytest.fixture
def shell(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path) -> Iterator[Context]:
    key_file = tmp_path / "master.key"
    write_master_key_file(key_file, MasterKey.generate())
    monkeypatch.setenv("PRIVAAT_DATABASE_URL", database_url)
    monkeypatch.setenv("PRIVAAT_MODE", "production")
    monkeypatch.setenv("PRIVAAT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("PRIVAAT_MASTER_KEY_FILE", str(key_file))
    monkeypatch.delenv("PRIVAAT_MASTER_KEY", raising=False)
    context = bootstrap(Settings(), run_migrations=False)
    yield context
    context.close()


def _run(*arguments: str) -> Result:
    result = runner.invoke(app, list(arguments))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def _started(context: Context, kind: RequestKind) -> tuple[Customer, str]:
    person = customer(context, name="Anna Smit")
    with context.unit_of_work() as uow:
        row, _ = context.requests.file_for(uow, person.principal, kind, channel=RequestChannel.API)
        context.requests.act(uow, OPERATOR, row.reference, Action.START)
    return person, row.reference


def test_L66_rectify_corrects_and_lists_the_recipients_without_the_values(shell: Context) -> None:
    person, reference = _started(shell, RequestKind.RECTIFICATION)
    bad = _run("requests", "rectify", reference, "--set", "postal_code=0000")
    assert bad.exit_code == 1 and bad.output.startswith("privaat: postal_code:")
    no_pair = _run("requests", "rectify", reference, "--set", "postal_code")
    assert no_pair.exit_code == 2 and "field=value" in no_pair.output
    done = _run("requests", "rectify", reference, "--set", "name=Anna de Smit")
    assert done.exit_code == 0, done.output
    assert f"{reference} completed: corrected name" in done.output
    assert "rectification told to sisow: mailed" in done.output
    assert "rectification told to email_service: NO ADDRESS" in done.output
    assert "Anna" not in done.output and person.email not in done.output
    again = _run("requests", "rectify", reference, "--set", "name=X")
    assert again.exit_code == 1 and "is completed" in again.output
    listed = _run("requests", "recipients", reference)
    assert "rectification told to paypal: mailed" in listed.output


def test_L64_erase_prints_the_receipt_hash_and_what_was_kept(shell: Context) -> None:
    person, reference = _started(shell, RequestKind.ERASURE)
    done = _run("requests", "erase", reference)
    assert done.exit_code == 0, done.output
    assert f"{reference} completed:" in done.output and "data key destroyed: yes" in done.output
    assert "receipt sha256 " in done.output
    assert re.search(r"kept until \d{4}-\d{2}-\d{2}: Uw privacyrechten", done.output)
    assert person.email not in done.output
    second = _run("requests", "erase", reference)
    assert second.exit_code == 1 and second.output.startswith("privaat: ")
    unknown = _run("requests", "erase", "PR-NOPE2345")
    assert unknown.exit_code == 1 and "no request has this reference" in unknown.output


def test_L65_restrict_lift_and_the_job(shell: Context) -> None:
    _person, reference = _started(shell, RequestKind.RESTRICTION)
    wrong = _run("requests", "restrict", reference, "--activity", "nope")
    assert wrong.exit_code == 1 and "no activity 'nope'" in wrong.output
    done = _run("requests", "restrict", reference, "--activity", "support_desk")
    assert done.exit_code == 0 and "restricted support_desk" in done.output
    short = _run("requests", "lift", reference, "--days", "2")
    assert short.exit_code == 1 and "at least 7 days" in short.output
    lift = _run("requests", "lift", reference)
    assert lift.exit_code == 0 and "lifted on" in lift.output
    twice = _run("requests", "lift", reference)
    assert twice.exit_code == 1 and "already" in twice.output
    job = _run("jobs", "lift-restrictions")
    assert job.exit_code == 0 and "lifted 0 restrictions" in job.output


def test_L67_object_grounds_and_uphold(shell: Context) -> None:
    _person, reference = _started(shell, RequestKind.OBJECTION)
    wrong_kind = _run("requests", "object", reference, "--activity", "nope")
    assert wrong_kind.exit_code == 1 and wrong_kind.output.startswith("privaat: activity:")
    done = _run("requests", "object", reference, "--activity", "support_linking")
    assert done.exit_code == 0 and "waiting for the privacy officer" in done.output
    nobody = _run(
        "requests",
        "grounds",
        reference,
        "--activity",
        "support_linking",
        "--reason",
        "x",
        "--officer",
        "99",
    )
    assert nobody.exit_code == 1 and "no active staff member 99" in nobody.output
    upheld = _run("requests", "uphold", reference)
    assert upheld.exit_code == 0 and "objection to support_linking stands" in upheld.output
    _other, marketing = _started(shell, RequestKind.OBJECTION)
    direct = _run("requests", "object", marketing, "--activity", "marketing_email")
    assert direct.exit_code == 0 and "direct_marketing recorded; completed" in direct.output
