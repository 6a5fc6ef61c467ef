"""The access and portability answer as a ZIP (issue 11 item 4; LEGAL L59, L61, L63):
machine-readable parts with a schema each, originals, and a summary from the policy."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime

import jsonschema
from tests.integration.test_subject_export import _seeded

from privaat.bootstrap import Context
from privaat.domain.principal import DataSubject
from privaat.render.access_package import access_zip, portable
from privaat.services.subject_export import SubjectData, SubjectExport

AT = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def _collected(context: Context) -> tuple[SubjectData, str]:
    person = _seeded(context)
    with context.unit_of_work() as uow:
        data = SubjectExport(access=context.access).collect(
            uow, DataSubject(person.subject_id), person.subject_id
        )
    return data, person.email


def test_L59_every_part_is_json_csv_and_a_schema_it_validates_against(context: Context) -> None:
    data, email = _collected(context)
    package = access_zip(data, context.policy, lang="nl", generated_at=AT, kind="access")
    archive = zipfile.ZipFile(io.BytesIO(package))
    names = set(archive.namelist())
    for part in data.parts:
        rows = json.loads(archive.read(f"data/{part.table}.json"))
        schema = json.loads(archive.read(f"schemas/{part.table}.schema.json"))
        jsonschema.Draft202012Validator.check_schema(schema)
        jsonschema.validate(rows, schema)
        assert len(rows) == len(part.rows)
        table = list(
            csv.reader(io.StringIO(archive.read(f"data/{part.table}.csv").decode("utf-8-sig")))
        )
        assert table[0] == [f.name for f in part.fields] and len(table) == len(rows) + 1
    [account] = json.loads(archive.read("data/accounts.json"))
    assert account["email"] == email
    assert any(name.startswith("files/request_mails/") and name.endswith(".eml") for name in names)
    manifest = json.loads(archive.read("manifest.json"))
    for entry in manifest["files"]:
        assert hashlib.sha256(archive.read(entry["name"])).hexdigest() == entry["sha256"]
    assert {entry["name"] for entry in manifest["files"]} == names - {"manifest.json"}


def test_L59_the_summary_names_purposes_bases_recipients_retention_and_the_ap(
    context: Context,
) -> None:
    data, _email = _collected(context)
    package = access_zip(data, context.policy, lang="nl", generated_at=AT, kind="access")
    summary = zipfile.ZipFile(io.BytesIO(package)).read("summary.html").decode()
    assert summary.startswith("<!DOCTYPE html>") and '<html lang="nl">' in summary
    account = context.policy.activity("account")
    assert account.description.in_language("nl").split(".")[0] in summary
    assert 'id="activity-consent_records"' in summary  # the ledger's own activity
    assert "Autoriteit Persoonsgegevens" in summary
    assert context.policy.supervisory_authority.complaint_url in summary
    assert "Waarom we ze hebben" in summary and "Why we hold it" not in summary
    # L59: recipients by name, for every activity the summary explains
    shown = [a for a in context.policy.activities if f'id="activity-{a.id}"' in summary]
    assert any(a.recipients for a in shown)
    for activity in shown:
        for recipient in activity.recipients:
            assert context.policy.recipient(recipient).name in summary, (activity.id, recipient)


def test_L63_portability_keeps_provided_and_observed_data_on_consent_or_contract(
    context: Context,
) -> None:
    data, email = _collected(context)
    kept = portable(data, context.policy)
    tables = {part.table for part in kept.parts}
    assert "accounts" in tables  # contract, provided by the person
    # rights handling rests on a legal obligation, the access log on a legitimate interest:
    # neither is portable
    assert "subject_requests" not in tables and "access_log" not in tables
    for part in kept.parts:
        for field in part.fields:
            activity = context.policy.activity(field.activity)  # type: ignore[arg-type]
            assert activity.legal_basis.value in ("consent", "contract"), (part.table, field)
    [account] = kept.part("accounts").rows  # type: ignore[union-attr]
    assert account["email"] == email
