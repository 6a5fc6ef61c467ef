"""``privaat breaches record|list|show|update|reported|not-reported|exempt|notify`` (issue 13
item 4, L68-L71): the console's steps from the shell; bad input a ``privaat: <field>: …`` line,
exit 2, nothing recorded."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from tests.factories import customer
from tests.integration.test_console_roles import enrolled_staff
from typer.testing import CliRunner, Result

from privaat.bootstrap import Context, bootstrap
from privaat.cli import app
from privaat.domain.principal import StaffRole
from privaat.settings import Settings
from privaat.store.crypto import MasterKey
from privaat.store.master_key import write_master_key_file
from privaat.store.tables_breaches import breach_updates, breaches

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


def _run(*arguments: str) -> Result:
    result = runner.invoke(app, list(arguments))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def _count(context: Context, table: object) -> int:
    with context.engine.connect() as connection:
        value: int = connection.execute(select(func.count()).select_from(table)).scalar_one()  # type: ignore[arg-type]
    return value


_FACTS = (
    "--nature",
    "confidentiality",
    "--description",
    "A laptop with an export of accounts was stolen from a car.",
    "--consequences",
    "Names and e-mail addresses may be known to the thief.",
    "--measures",
    "The laptop's disk is encrypted; its sessions were ended.",
)


def test_l68_record_without_a_discovery_time_or_an_unknown_table_exits_2_and_records_nothing(
    shell: Context,
) -> None:
    officer = str(enrolled_staff(shell, StaffRole.PRIVACY_OFFICER).staff_id)
    missing = _run("breaches", "record", "--officer", officer, "--risk", "risk", *_FACTS)
    assert missing.exit_code == 2
    assert "privaat: discovered_at: A breach needs the moment it was discovered." in (
        missing.output
    )
    unknown = _run(
        "breaches",
        "record",
        "--officer",
        officer,
        "--risk",
        "risk",
        "--discovered",
        "2026-11-01T10:00Z",
        "--table",
        "klantenkaart",
        *_FACTS,
    )
    assert unknown.exit_code == 2
    assert "privaat: tables: No table of personal data has this name." in unknown.output
    naive = _run(
        "breaches",
        "record",
        "--officer",
        officer,
        "--risk",
        "risk",
        "--discovered",
        "2026-11-01T10:00",
        *_FACTS,
    )
    assert naive.exit_code == 2 and "give the time zone" in naive.output
    support = str(enrolled_staff(shell, StaffRole.SUPPORT).staff_id)
    refused = _run(
        "breaches",
        "record",
        "--officer",
        support,
        "--risk",
        "risk",
        "--discovered",
        "2026-11-01T10:00Z",
        *_FACTS,
    )
    assert refused.exit_code == 2
    assert _count(shell, breaches) == 0 and _count(shell, breach_updates) == 0
    update = _run("breaches", "update", "B-0042", "--text", "more", "--officer", officer)
    assert update.exit_code == 2 and "No breach with this number" in update.output


def test_l69_record_list_show_report_and_notify_from_the_shell(
    shell: Context, tmp_path: Path
) -> None:
    officer = str(enrolled_staff(shell, StaffRole.PRIVACY_OFFICER).staff_id)
    for _ in range(2):
        customer(shell)
    recorded = _run(
        "breaches",
        "record",
        "--officer",
        officer,
        "--risk",
        "high",
        "--discovered",
        "2026-11-01T10:00Z",
        "--table",
        "accounts",
        "--category",
        "email_address",
        *_FACTS,
    )
    assert recorded.exit_code == 0, recorded.output
    # two accounts, two people; not the PBX: 72 hours from the discovery
    assert recorded.output.strip() == (
        "B-0001: 2 people, 2 records (counted); report within 72 hours, "
        "by 2026-11-04T10:00:00+00:00"
    )
    listed = _run("breaches", "list", "--officer", officer, "--json")
    row = json.loads(listed.output.splitlines()[0])
    assert (row["reference"], row["clock"], row["people"]) == ("B-0001", "overdue", 2)
    shown = _run("breaches", "show", "B-0001", "--officer", officer, "--language", "en")
    assert "(a) Nature of the breach:" in shown.output
    assert "Approximate number of people: 2; of records: 2 (counted from the data)" in (
        shown.output
    )
    reported = _run(
        "breaches",
        "reported",
        "B-0001",
        "--reference",
        "AP-2026-11",
        "--at",
        "2026-11-02T09:00Z",
        "--officer",
        officer,
    )
    assert reported.exit_code == 0
    as_json = json.loads(_run("breaches", "show", "1", "--officer", officer, "--json").output)
    assert as_json["reported_at"] == "2026-11-02T09:00:00+00:00"
    assert as_json["authority_reference"] == "AP-2026-11"
    lower = _run(
        "breaches", "assess", "B-0001", "--risk", "risk", "--reason", "r", "--officer", officer
    )
    assert lower.exit_code == 0 and "risk now risk" in lower.output
    told_not = _run("breaches", "notify", "B-0001", "--words", "/nonexistent", "--officer", officer)
    assert told_not.exit_code == 2 and told_not.output.startswith("privaat: words:")
    high = _run(
        "breaches", "assess", "B-0001", "--risk", "high", "--reason", "r", "--officer", officer
    )
    assert high.exit_code == 0
    words = {
        lang: {
            "happened": "x" if lang == "en" else "y",
            "consequences": "c",
            "measures": "m",
            "advice": "a",
        }
        for lang in ("nl", "en")
    }
    file = tmp_path / "words.json"
    file.write_text(json.dumps(words), encoding="utf-8")
    told = _run("breaches", "notify", "B-0001", "--words", str(file), "--officer", officer)
    assert told.exit_code == 0
    assert "2 notice(s) queued, 0 told before, 0 without an address" in told.output
    again = _run("breaches", "notify", "B-0001", "--words", str(file), "--officer", officer)
    assert "0 notice(s) queued, 2 told before" in again.output
