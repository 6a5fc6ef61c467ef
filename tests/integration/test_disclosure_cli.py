"""``privaat disclosures record|list|show`` (issue 13 items 5-6, P12, P13, L36-L38): the
privacy officer records a disclosure from the shell; no legal ground, no recipient, an
unlisted country or another role: one ``privaat: …`` line, exit 2, nothing recorded."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from tests.factories import Customer, customer
from typer.testing import CliRunner, Result

from privaat.bootstrap import Context, bootstrap
from privaat.cli import app
from privaat.settings import Settings
from privaat.store.crypto import MasterKey
from privaat.store.master_key import write_master_key_file
from privaat.store.tables_disclosures import disclosures

runner = CliRunner()


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


def _staff(context: Context, role: str) -> str:
    with context.unit_of_work() as uow:
        created = context.staff.create(uow, email=f"{role}@flexibelt.example", role=role)
    return str(created.staff_id)


def _run(*arguments: str) -> Result:
    result = runner.invoke(app, list(arguments))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def _record(officer: str, person: Customer, *extra: str) -> Result:
    return _run(
        "disclosures",
        "record",
        "--staff",
        officer,
        "--subject",
        str(person.subject_id),
        "--requested-by",
        "Rechtbank Den Haag",
        "--category",
        "email_address",
        *extra,
    )


def _count(context: Context) -> int:
    with context.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(disclosures)).scalar_one())


def test_l36_record_without_a_ground_or_recipient_exits_2_and_records_nothing(
    shell: Context,
) -> None:
    person, officer = customer(shell), _staff(shell, "privacy_officer")
    no_ground = _record(officer, person, "--recipient", "courts")
    assert no_ground.exit_code == 2
    assert no_ground.output.startswith("privaat: ground: a disclosure needs its legal ground")
    no_recipient = _record(officer, person, "--ground", "legal_order")
    assert (no_recipient.exit_code, no_recipient.output.startswith("privaat: recipient:")) == (
        2,
        True,
    )
    assert _count(shell) == 0


def test_l37_an_unlisted_country_exits_2_naming_country_and_recipient(shell: Context) -> None:
    person, officer = customer(shell), _staff(shell, "privacy_officer")
    result = _record(
        officer, person, "--ground", "legal_order", "--recipient", "courts", "--country", "BR"
    )
    assert result.exit_code == 2
    assert "BR is outside the EEA" in result.output and "'courts'" in result.output
    assert _count(shell) == 0


def test_only_the_privacy_officer_records_from_the_shell(shell: Context) -> None:
    person, agent = customer(shell), _staff(shell, "support")
    result = _record(agent, person, "--ground", "legal_order", "--recipient", "courts")
    assert result.exit_code == 2 and "only the privacy officer" in result.output
    assert _run("disclosures", "list", "--staff", "999").exit_code == 2
    assert _count(shell) == 0


def test_p12_record_then_list_and_show_name_the_ground_and_never_the_person(
    shell: Context,
) -> None:
    person, officer = customer(shell), _staff(shell, "privacy_officer")
    recorded = _record(officer, person, "--ground", "legal_order", "--recipient", "courts")
    assert (recorded.exit_code, recorded.output) == (0, "recorded disclosure 1\n")
    listed = _run("disclosures", "list", "--staff", officer, "--json")
    (entry,) = [json.loads(line) for line in listed.output.splitlines()]
    assert (entry["kind"], entry["ground"], entry["recipient"], entry["country"]) == (
        "disclosure",
        "legal_order",
        "courts",
        "NL",
    )
    assert "accounts.email" in entry["fields"]
    assert person.email not in listed.output
    shown = _run("disclosures", "show", "1", "--staff", officer)
    assert "requested by: Rechtbank Den Haag" in shown.output
    assert person.email not in shown.output  # the release is not printed
