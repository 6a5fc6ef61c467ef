"""``privaat consent proof`` / ``verify`` / ``key`` (issue 14 item 8; GDPR art. 7(1), L7, L86):
a real database and the CLI as the privacy officer runs it; the bundle checked offline."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from sqlalchemy import insert, select
from tests.factories import customer
from typer.testing import CliRunner, Result

from privaat.bootstrap import Context
from privaat.cli import app
from privaat.domain.clock import FixedClock
from privaat.services.consent_receipts import ReceiptFormat, json_schema
from privaat.services.consents import ConsentMethod, Evidence
from privaat.store.audit_checkpoints import AuditCheckpoints
from privaat.store.tables import access_log, audit_log, consent_events

runner = CliRunner()
DAY = "2026-11-26"  # the context fixture's clock: 2026-11-26 09:30 UTC


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path) -> None:
    # the same database and master key as the ``context`` fixture
    monkeypatch.setenv("PRIVAAT_DATABASE_URL", database_url)
    monkeypatch.setenv("PRIVAAT_MODE", "test")
    monkeypatch.setenv("PRIVAAT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("PRIVAAT_MASTER_KEY", raising=False)


def _run(*arguments: str) -> Result:
    result = runner.invoke(app, list(arguments))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def _ledger(context: Context, clock: FixedClock) -> list[str]:
    """Three records on DAY (a give in Dutch, a give in English, its withdrawal) and one the
    day after; returns the two customers' e-mail addresses."""
    anna, bert = customer(context), customer(context, language="en")
    with context.unit_of_work() as uow:
        for person, lang in ((anna, "nl"), (bert, "en")):
            context.consents.give(
                uow, person.principal, person.subject_id, "group_transfer", lang=lang,
                method=ConsentMethod.PRIVACY_CENTRE, evidence=Evidence("145.97.0.1", "Firefox"),
            )  # fmt: skip
    clock.advance(timedelta(hours=1))
    with context.unit_of_work() as uow:
        context.consents.withdraw(
            uow, bert.principal, bert.subject_id, "group_transfer",
            method=ConsentMethod.PRIVACY_CENTRE, evidence=Evidence.none(),
        )  # fmt: skip
    with context.unit_of_work() as uow, uow.writing() as conn:
        AuditCheckpoints(context.keys).make(conn, at=clock.now())
    clock.advance(timedelta(days=1))
    with context.unit_of_work() as uow:
        context.consents.give(
            uow, anna.principal, anna.subject_id, "email_engagement", lang="nl",
            method=ConsentMethod.PRIVACY_CENTRE, evidence=Evidence.none(),
        )  # fmt: skip
    context.access_log.flush()
    return [anna.email, bert.email]


def _proof(path: Path, since: str = DAY, until: str = DAY) -> Result:
    return _run("consent", "proof", "--from", since, "--to", until, "--output", str(path))


def test_l7_the_proof_of_a_day_verifies_offline_and_names_no_address(
    context: Context, clock: FixedClock, cli_env: None, tmp_path: Path
) -> None:
    emails = _ledger(context, clock)
    bundle = tmp_path / "proof.jsonl"
    made = _proof(bundle)
    assert made.exit_code == 0, made.output
    # Flexibelt's policy asks 8 consents, each in Dutch and English: 16 texts shown
    assert made.stdout.splitlines()[0] == (
        f"wrote {bundle}: 3 records, 16 notice texts, 1 audit checkpoints"
    )
    data = bundle.read_bytes()
    for email in emails:
        assert email.encode() not in data  # pseudonyms only
    assert b"145.97" not in data and b"Firefox" not in data  # the evidence stays in the ledger
    lines = [json.loads(line) for line in data.splitlines()]
    records = [line["record"] for line in lines if line["kind"] == "record"]
    assert [(r["event"][0]["event_type"], r["notice"]["language"]) for r in records] == [
        ("consent_given", "nl"),
        ("consent_given", "en"),
        ("consent_withdrawn", None),
    ]
    # each is a valid ISO/IEC TS 27560 record, as the person's own receipt is
    validator = Draft202012Validator(
        json_schema(ReceiptFormat.ISO_27560), format_checker=FormatChecker()
    )
    for record in records:
        validator.validate(record)
    # each record is tied by hash to the exact text shown, held in the bundle (L86)
    notices = {(n["activity"], n["sha256"]): n for n in lines if n["kind"] == "notice"}
    for record in records:
        notice = notices[("group_transfer", record["notice"]["text_hash"]["value"])]
        assert hashlib.sha256(notice["text"].encode()).hexdigest() == notice["sha256"]
    consent = context.policy.activity("group_transfer").consent
    assert consent is not None
    shown_en = consent.request.in_language("en")
    assert records[1]["notice"]["text_hash"]["value"] == (
        hashlib.sha256(shown_en.encode()).hexdigest()
    )
    checked = _run("consent", "verify", str(bundle))
    assert checked.exit_code == 0, checked.output
    assert checked.stdout.splitlines()[0].startswith(
        f"bundle intact: 3 consent records from {DAY} to {DAY} of Flexibelt"
    )
    key = _run("consent", "key")
    fingerprint = key.stdout.splitlines()[0].removeprefix("fingerprint: ")
    assert f"signed by key {fingerprint}" in checked.output
    assert f"signed by key {fingerprint}" in made.output
    assert _run("consent", "verify", str(bundle), "--expect-key", fingerprint).exit_code == 0


def test_l7_the_same_range_gives_a_byte_identical_bundle(
    context: Context, clock: FixedClock, cli_env: None, tmp_path: Path
) -> None:
    _ledger(context, clock)
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    assert _proof(first).exit_code == 0
    assert _proof(second).exit_code == 0
    assert first.read_bytes() == second.read_bytes()
    both = tmp_path / "both.jsonl"
    assert _proof(both, DAY, "2026-11-27").exit_code == 0
    assert b'"index":4' in both.read_bytes() and b'"index":4' not in first.read_bytes()


def test_l7_a_changed_record_fails_verification_and_is_named(
    context: Context, clock: FixedClock, cli_env: None, tmp_path: Path
) -> None:
    _ledger(context, clock)
    bundle = tmp_path / "proof.jsonl"
    assert _proof(bundle).exit_code == 0
    lines = bundle.read_bytes().splitlines()
    at = next(i for i, line in enumerate(lines) if b'"index":2,' in line and b'"record"' in line)
    ledger_id = json.loads(lines[at])["record"]["ledger_id"]
    lines[at] = lines[at].replace(b'"consent_given"', b'"consent_withdrawn"')
    bundle.write_bytes(b"".join(line + b"\n" for line in lines))
    result = _run("consent", "verify", str(bundle))
    assert result.exit_code == 1
    assert (
        f"line {at + 1}: record 2 (ledger id {ledger_id}) was changed: its line no longer has "
        "the signed SHA-256"
    ) in result.output
    truncated = tmp_path / "cut.jsonl"
    truncated.write_bytes(bundle.read_bytes()[:-10])
    cut = _run("consent", "verify", str(truncated))
    assert cut.exit_code == 1
    assert "the bundle is truncated: it ends at line " in cut.output


def test_l7_the_export_is_access_logged_per_subject_and_audited(
    context: Context, clock: FixedClock, cli_env: None, tmp_path: Path, engine: object
) -> None:
    _ledger(context, clock)
    assert _proof(tmp_path / "proof.jsonl").exit_code == 0
    with context.engine.connect() as conn:
        exports = conn.execute(
            select(access_log.c.activity, access_log.c.actor).where(
                access_log.c.operation == "export"
            )
        ).all()
        audited = conn.execute(
            select(audit_log.c.actor, audit_log.c.detail).where(
                audit_log.c.action == "consent.proof_exported"
            )
        ).all()
    assert sorted(exports) == [("consent_records", "system:consent-proof")] * 2
    assert len(audited) == 1 and audited[0].actor == "system:consent-proof"
    detail = json.loads(audited[0].detail)
    assert (detail["from"], detail["to"], detail["records"], detail["withheld"]) == (
        DAY, DAY, 3, 0,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        pytest.param(
            ["--from", "2026-11-27", "--to", DAY],
            "privaat: from: 2026-11-27 is after --to 2026-11-26: the range is empty",
            id="from-after-to",
        ),
        pytest.param(
            ["--from", "26-11-2026", "--to", DAY],
            "privaat: from: not a date (YYYY-MM-DD): '26-11-2026'",
            id="not-a-date",
        ),
    ],
)
def test_a_bad_range_exits_2_naming_the_field_and_writes_nothing(
    context: Context, cli_env: None, tmp_path: Path, arguments: list[str], message: str
) -> None:
    out = tmp_path / "proof.jsonl"
    result = _run("consent", "proof", *arguments, "--output", str(out))
    assert result.exit_code == 2
    assert result.stderr.strip() == message
    assert not out.exists() and list(tmp_path.glob(".proof.jsonl.*")) == []


def test_an_existing_output_is_never_overwritten(
    context: Context, cli_env: None, tmp_path: Path
) -> None:
    out = tmp_path / "proof.jsonl"
    out.write_text("mine")
    result = _proof(out)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"privaat: output: {out} exists; a proof bundle never overwrites a file"
    )
    assert out.read_text() == "mine"


def test_verify_of_a_missing_file_or_no_bundle_exits_2(cli_env: None, tmp_path: Path) -> None:
    missing = _run("consent", "verify", str(tmp_path / "nothing.jsonl"))
    assert missing.exit_code == 2
    assert missing.stderr.strip() == (
        f"privaat: bundle: {tmp_path / 'nothing.jsonl'} is not a readable file"
    )
    other = tmp_path / "notes.txt"
    other.write_bytes(b"PK\x03\x04 something else entirely\n")
    refused = _run("consent", "verify", str(other))
    assert refused.exit_code == 2
    assert refused.stderr.strip().splitlines()[-1] == (
        f"privaat: bundle: {other} is not a consent proof bundle: its first line is not the "
        "header of a privaat-consent-proof/1 bundle"
    )


@pytest.mark.parametrize(
    ("change", "why"),
    [
        pytest.param(
            {"activity": "vanished"},
            "no archived policy version declares 'vanished', so it cannot be described as an "
            "ISO 27560 record",
            id="activity-no-policy-declares",
        ),
        pytest.param(
            {"channel": "carrier_pigeon"},
            "its method 'carrier_pigeon' is not one this version knows, so it cannot be "
            "described as an ISO 27560 record",
            id="method-unknown",
        ),
    ],
)
def test_an_export_that_fails_midway_leaves_no_file_and_no_audit_entry(
    context: Context,
    clock: FixedClock,
    cli_env: None,
    tmp_path: Path,
    change: dict[str, str],
    why: str,
) -> None:
    _ledger(context, clock)
    with context.engine.begin() as conn:
        # a record the export cannot describe, after good ones: the failure comes midway
        first = conn.execute(select(consent_events).order_by(consent_events.c.id)).first()
        assert first is not None
        values = {k: v for k, v in first._mapping.items() if k != "id"}
        ledger_id = conn.execute(
            insert(consent_events).values({**values, **change}).returning(consent_events.c.id)
        ).scalar_one()
    out = tmp_path / "proof.jsonl"
    result = _proof(out)
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == f"privaat: ledger record {ledger_id}: {why}"
    assert not out.exists() and [p.name for p in tmp_path.iterdir() if "proof" in p.name] == []
    with context.engine.connect() as conn:
        audited = conn.execute(
            select(audit_log.c.seq).where(audit_log.c.action == "consent.proof_exported")
        ).all()
    assert audited == []


def test_the_signing_key_survives_a_master_key_rotation_with_its_fingerprint(
    shell: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    before = _run("consent", "key")
    assert before.exit_code == 0, before.output
    fingerprint = before.stdout.splitlines()[0].removeprefix("fingerprint: ")
    assert len(fingerprint.replace(" ", "")) == 64
    new_key = tmp_path / "next.key"
    assert _run("keys", "generate", "--output", str(new_key)).exit_code == 0
    rotated = _run("keys", "rotate", "--new-key-file", str(new_key))
    assert rotated.exit_code == 0, rotated.output
    monkeypatch.setenv("PRIVAAT_MASTER_KEY_FILE", str(new_key))
    after = _run("consent", "key")
    assert after.exit_code == 0, after.output
    assert after.stdout.splitlines()[0] == f"fingerprint: {fingerprint}"
    bundle = tmp_path / "proof.jsonl"
    assert _proof(bundle).exit_code == 0
    checked = _run("consent", "verify", str(bundle), "--expect-key", fingerprint)
    assert checked.exit_code == 0, checked.output


def test_verify_of_a_large_file_without_newlines_exits_2_without_reading_it_whole(
    cli_env: None, tmp_path: Path
) -> None:
    blob = tmp_path / "image.bin"
    blob.write_bytes(b"\x89PNG" + b"\x00" * (17 << 20))  # longer than one line may be
    refused = _run("consent", "verify", str(blob))
    assert refused.exit_code == 2
    assert (
        refused.stderr.strip()
        .splitlines()[-1]
        .startswith(f"privaat: bundle: {blob} is not a consent proof bundle: ")
    )
