"""Access and erasure that reach the stores outside privaat (issue 15 items 1, 2, 6; GDPR
art. 15, 17; LEGAL L34, L59, L64): the demo's billing database (SQL) and webmail API (HTTP
on loopback), declared in src/privaat/demo/stores-demo.yaml."""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from stdnum import iban as iban_number
from tests.factories import Customer, customer
from tests.integration.test_request_rights_rectification import OFFICER, started

from privaat.bootstrap import Context, bootstrap
from privaat.demo.external_stores import (
    DEMO_STORES_FILE,
    Webmail,
    billing_customers,
    billing_invoices,
    seed_billing,
    start_webmail,
)
from privaat.domain.clock import FixedClock
from privaat.domain.subject_requests import RequestKind
from privaat.services.connectors import Identity, StoreMismatch, StoreUnavailable
from privaat.services.erasure_certificates import ErasureCertificates, verify
from privaat.settings import Settings
from privaat.store.tables import metadata
from privaat.store.tables_requests import subject_requests

PERSON = {"name": "Bram Visser", "email": "bram@voorbeeld.nl", "phone": "06 12345678"}
OTHER = {"name": "Sanne Jansen", "email": "sanne@voorbeeld.nl", "phone": "06 87654321"}
PERSON_IBAN = "NL91ABNA0417164300"


@pytest.fixture
def webmail() -> Iterator[Webmail]:
    server = start_webmail()
    server.add(PERSON["email"], PERSON["name"], aliases=["b.visser@voorbeeld.nl"])
    server.add(OTHER["email"], OTHER["name"], aliases=["s.jansen@voorbeeld.nl"])
    yield server
    server.stop()


def _server_url(backend: str, tmp_path: Path) -> str:
    """A billing database of its own: a SQLite file, or a fresh database on the local
    PostgreSQL (the suite's server) or MariaDB server; skipped where that server is not."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'billing.db'}"
    name = f"privaat_billing_{os.getpid()}"
    if backend == "postgresql":
        suite = os.environ.get("PRIVAAT_TEST_DATABASE_URL", "")
        if not suite.startswith("postgresql"):
            if os.environ.get("CI"):
                pytest.fail("CI runs with PostgreSQL: PRIVAAT_TEST_DATABASE_URL is not set")
            pytest.skip("the suite runs without PostgreSQL (PRIVAAT_TEST_DATABASE_URL)")
        server = make_url(suite).set(database="postgres")
        url = make_url(suite).set(database=name)
    else:
        server = make_url("mysql+pymysql://root@127.0.0.1:3306/mysql")
        url = server.set(database=name)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name}"))
            connection.execute(text(f"CREATE DATABASE {name}"))
    except OperationalError as error:
        reason = f"no {backend} server here: {str(error.orig).splitlines()[0]}"
        if os.environ.get("CI"):  # the CI machine runs PostgreSQL and MariaDB: never a skip
            pytest.fail(reason)
        pytest.skip(reason)
    finally:
        admin.dispose()
    return url.render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def billing_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def billing_url(tmp_path: Path, clock: FixedClock, request: pytest.FixtureRequest) -> str:
    # the erasure test runs over every backend; the others on SQLite
    backend = (
        request.getfixturevalue("billing_backend")
        if "billing_backend" in request.fixturenames
        else "sqlite"
    )
    url = _server_url(backend, tmp_path)
    people = [
        {**PERSON, "phone": "+31612345678", "iban": PERSON_IBAN},
        {**OTHER, "phone": "+31687654321"},
    ]
    seed_billing(url, people, today=clock.now().date())
    return url


def _stores_context(
    settings: Settings,
    engine: object,
    clock: FixedClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    billing_url: str,
    webmail: Webmail,
    *,
    timeout: str = "5",
) -> Context:
    text = DEMO_STORES_FILE.read_text(encoding="utf-8")
    path = tmp_path / "stores.yaml"
    path.write_text(text.replace("timeout_seconds: 5", f"timeout_seconds: {timeout}"))
    monkeypatch.setenv("PRIVAAT_DEMO_BILLING_URL", billing_url)
    monkeypatch.setenv("PRIVAAT_DEMO_WEBMAIL_URL", webmail.origin)
    configured = settings.model_copy(update={"stores_file": path})
    return bootstrap(configured, clock=clock, engine=engine, run_migrations=False)  # type: ignore[arg-type]


@pytest.fixture
def reach(
    settings: Settings,
    engine: object,
    clock: FixedClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    billing_url: str,
    webmail: Webmail,
) -> Iterator[Context]:
    context = _stores_context(settings, engine, clock, tmp_path, monkeypatch, billing_url, webmail)
    yield context
    context.close()


def _started(context: Context, kind: RequestKind) -> tuple[Customer, str]:
    return started(context, kind, email=PERSON["email"], phone=PERSON["phone"])


def _billing(url: str) -> dict[str, list[dict[str, object]]]:
    engine = create_engine(url)
    with engine.connect() as connection:
        found = {
            "customers": [
                dict(r) for r in connection.execute(select(billing_customers)).mappings()
            ],
            "invoices": [dict(r) for r in connection.execute(select(billing_invoices)).mappings()],
        }
    engine.dispose()
    return found


def _status(context: Context, reference: str) -> str:
    with context.engine.connect() as connection:
        return str(
            connection.execute(
                select(subject_requests.c.status).where(subject_requests.c.reference == reference)
            ).scalar()
        )


def test_L59_an_access_answer_holds_the_person_s_rows_of_every_store(
    reach: Context, webmail: Webmail
) -> None:
    person, reference = started(
        reach, RequestKind.ACCESS, email=PERSON["email"], phone=PERSON["phone"]
    )
    with reach.unit_of_work() as uow:
        answer = reach.answers.answer(uow, OFFICER, reference)
        token = answer.url.split("token=")[1]
        _name, content = reach.answers.download(uow, token)
    archive = zipfile.ZipFile(io.BytesIO(content))
    customers = json.loads(archive.read("data/billing/customers.json"))
    invoices = json.loads(archive.read("data/billing/invoices.json"))
    mailboxes = json.loads(archive.read("data/webmail/mailboxes.json"))
    aliases = json.loads(archive.read("data/webmail/aliases.json"))
    assert [c["email"] for c in customers] == [PERSON["email"]]
    assert customers[0]["iban"] == PERSON_IBAN
    # the invoices reached through the customer's id: three, none of the other customer's
    assert sorted(i["amount_cents"] for i in invoices) == [1200, 1995, 4750]
    assert {i["customer_id"] for i in invoices} == {customers[0]["id"]}
    assert [m["address"] for m in mailboxes] == [PERSON["email"]]
    assert [a["alias"] for a in aliases] == ["b.visser@voorbeeld.nl"]
    # nothing of the other person in the whole answer
    everything = b"".join(archive.read(name) for name in archive.namelist())
    assert OTHER["email"].encode() not in everything and b"s.jansen" not in everything
    # each store's fields carry the store's activity and their category in the schema
    schema = json.loads(archive.read("schemas/billing/customers.schema.json"))
    assert "email_address" in json.dumps(schema) and person.email == PERSON["email"]


def test_L34_L64_erasure_spans_the_stores_masks_held_invoices_and_is_certified(
    billing_backend: str, reach: Context, billing_url: str, webmail: Webmail
) -> None:
    _person, reference = started(
        reach, RequestKind.ERASURE, email=PERSON["email"], phone=PERSON["phone"]
    )
    before = _billing(billing_url)
    mine = next(c for c in before["customers"] if c["email"] == PERSON["email"])
    held_before = [i for i in before["invoices"] if i["customer_id"] == mine["id"]]
    with reach.unit_of_work() as uow:
        done = reach.rights.erase(uow, OFFICER, reference)
    after = _billing(billing_url)
    # the customer row stays, masked: two of its invoices are under the 7-year tax hold
    [kept] = [c for c in after["customers"] if c["id"] == mine["id"]]
    assert kept["email"] != PERSON["email"] and str(kept["email"]).startswith("h:")
    assert kept["name"] != PERSON["name"] and kept["phone"] is None
    assert kept["iban"] != PERSON_IBAN and iban_number.is_valid(str(kept["iban"]))
    assert str(kept["iban"]).startswith("NL") and "ABNA" in str(kept["iban"])
    held = [i for i in after["invoices"] if i["customer_id"] == mine["id"]]
    # the invoice of 2018: its hold ended on 31 December 2025 (year end + 7 years): deleted
    assert sorted(i["issued_on"] for i in held) == [date(2024, 1, 15), date(2026, 1, 15)]
    expected = sum(int(i["amount_cents"]) for i in held_before if i["issued_on"].year >= 2024)
    assert sum(int(i["amount_cents"]) for i in held) == expected  # the accounts still add up
    # deterministic per field: both invoices' IBAN masked alike, still a valid IBAN
    assert len({i["iban"] for i in held}) == 1 and iban_number.is_valid(str(held[0]["iban"]))
    assert all(i["name"] != PERSON["name"] and i["iban"] != PERSON_IBAN for i in held)
    # the other customer is untouched, in billing and in webmail
    assert [c for c in after["customers"] if c["email"] == OTHER["email"]]
    assert [m["address"] for m in webmail.mailboxes.values()] == [OTHER["email"]]
    assert [a["alias"] for a in webmail.aliases.values()] == ["s.jansen@voorbeeld.nl"]
    assert _status(reach, reference) == "completed"
    # the certificate: per store what was deleted, masked and held, why and until when
    receipt = json.loads(done.receipt)
    stores = {s["store"]: s for s in receipt["stores"]}
    billing = {t["table"]: t for t in stores["billing"]["tables"]}
    assert billing["invoices"] == {
        "table": "invoices",
        "before": 3,
        "deleted": 1,
        "masked": 2,
        "after": 0,
        "masks": {"iban": "format_preserving", "name": "keyed_hash"},
        "held_until": "2033-12-31",
    }
    assert billing["customers"]["masked"] == 1 and billing["customers"]["after"] == 0
    assert "belastingwet" not in json.dumps(stores)  # the receipt is in the policy's English
    assert "tax law" in stores["billing"]["held"]["ground"]
    webmail_tables = {t["table"]: t for t in stores["webmail"]["tables"]}
    assert webmail_tables["mailboxes"]["deleted"] == 1 and webmail_tables["aliases"]["deleted"] == 1
    certificates = ErasureCertificates(access=reach.access, requests=reach.requests)
    with reach.unit_of_work() as uow:
        signed = certificates.certificate(uow, OFFICER, reference)
    assert signed["certificate"] == receipt and verify(signed)
    forged = json.loads(json.dumps(signed))
    forged["certificate"]["stores"][0]["tables"][-1]["deleted"] = 0  # the invoices: 1
    assert not verify(forged)
    # afterwards a search of every store for the person finds nothing at all
    identity = Identity(
        {"email": frozenset({PERSON["email"]}), "phone": frozenset({"+31612345678"})}
    )
    values = [PERSON["email"], "+31612345678", PERSON_IBAN, PERSON["name"], "b.visser"]
    assert reach.stores.search(values, identity) == []
    # and privaat's own database holds none of them in clear, in any table or column
    assert _clear_in_privaat(reach, values) == []


def _clear_in_privaat(context: Context, values: list[str]) -> list[str]:
    """Every table.column of privaat's database whose raw bytes contain one of ``values``."""
    found = []
    with context.engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(select(table)).mappings():
                for name, cell in row.items():
                    raw = cell if isinstance(cell, bytes) else str(cell).encode()
                    if any(v.lower().encode() in raw.lower() for v in values):
                        found.append(f"{table.name}.{name}")
    return found


def test_a_store_that_times_out_leaves_everything_as_it_was(
    settings: Settings,
    engine: object,
    clock: FixedClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    billing_url: str,
    webmail: Webmail,
) -> None:
    context = _stores_context(
        settings, engine, clock, tmp_path, monkeypatch, billing_url, webmail, timeout="0.3"
    )
    try:
        _person, reference = started(
            context, RequestKind.ERASURE, email=PERSON["email"], phone=PERSON["phone"]
        )
        before = _billing(billing_url)
        webmail.delay = 1.0
        with context.unit_of_work() as uow, pytest.raises(StoreUnavailable, match="webmail"):
            context.rights.erase(uow, OFFICER, reference)
        assert _billing(billing_url) == before  # every store is read before any is changed
        assert _status(context, reference) == "in_progress"
        assert len(webmail.mailboxes) == 2
    finally:
        context.close()


def test_a_store_that_answers_with_another_person_s_rows_is_not_trusted(
    reach: Context, billing_url: str, webmail: Webmail
) -> None:
    _person, reference = started(
        reach, RequestKind.ERASURE, email=PERSON["email"], phone=PERSON["phone"]
    )
    before = _billing(billing_url)
    webmail.wrong_person = True
    with reach.unit_of_work() as uow, pytest.raises(StoreMismatch, match="another person"):
        reach.rights.erase(uow, OFFICER, reference)
    assert _billing(billing_url) == before and len(webmail.mailboxes) == 2
    assert _status(reach, reference) == "in_progress"


def test_a_store_failing_half_way_is_finished_by_a_retry_and_certified_once(
    reach: Context, billing_url: str, webmail: Webmail
) -> None:
    _person, reference = started(
        reach, RequestKind.ERASURE, email=PERSON["email"], phone=PERSON["phone"]
    )
    webmail.fail_deletes = 503
    with reach.unit_of_work() as uow, pytest.raises(StoreUnavailable, match="503"):
        reach.rights.erase(uow, OFFICER, reference)
    # billing was erased and recorded; privaat's own data is untouched, the request open
    after = _billing(billing_url)
    assert not [c for c in after["customers"] if c["email"] == PERSON["email"]]
    assert _status(reach, reference) == "in_progress"
    webmail.fail_deletes = None
    with reach.unit_of_work() as uow:
        done = reach.rights.erase(uow, OFFICER, reference)
    stores = [s["store"] for s in json.loads(done.receipt)["stores"]]
    assert stores == ["billing", "webmail"]  # billing from the first attempt, not redone
    billing = {t["table"]: t for t in json.loads(done.receipt)["stores"][0]["tables"]}
    assert billing["invoices"]["masked"] == 2
    assert [m["address"] for m in webmail.mailboxes.values()] == [OTHER["email"]]


def test_a_stores_file_that_does_not_fit_the_policy_refuses_the_start(
    settings: Settings,
    engine: object,
    clock: FixedClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    billing_url: str,
    webmail: Webmail,
) -> None:
    from privaat.policy.stores import StoresFileError

    text = DEMO_STORES_FILE.read_text(encoding="utf-8").replace(
        "category: phone_number", "category: shoe_size"
    )
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    monkeypatch.setenv("PRIVAAT_DEMO_BILLING_URL", billing_url)
    monkeypatch.setenv("PRIVAAT_DEMO_WEBMAIL_URL", webmail.origin)
    with pytest.raises(StoresFileError, match="billing.tables.customers.fields.phone.*shoe_size"):
        bootstrap(
            settings.model_copy(update={"stores_file": path}),
            clock=clock,
            engine=engine,
            run_migrations=False,  # type: ignore[arg-type]
        )


def test_no_stores_file_changes_nothing_for_a_person(context: Context) -> None:
    person = customer(context)
    assert not context.stores and person.subject_id


def test_L64_the_cli_erases_prints_per_store_and_the_certificate_verifies_offline(
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    tmp_path: Path,
    billing_url: str,
    webmail: Webmail,
) -> None:
    from typer.testing import CliRunner

    from privaat.cli import app
    from privaat.store.crypto import MasterKey
    from privaat.store.master_key import write_master_key_file

    key_file = tmp_path / "master.key"
    write_master_key_file(key_file, MasterKey.generate())
    for name, value in {
        "PRIVAAT_DATABASE_URL": database_url,
        "PRIVAAT_MODE": "production",
        "PRIVAAT_VAR_DIR": str(tmp_path / "var"),
        "PRIVAAT_MASTER_KEY_FILE": str(key_file),
        "PRIVAAT_STORES_FILE": str(DEMO_STORES_FILE),
        "PRIVAAT_DEMO_BILLING_URL": billing_url,
        "PRIVAAT_DEMO_WEBMAIL_URL": webmail.origin,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("PRIVAAT_MASTER_KEY", raising=False)
    context = bootstrap(Settings(), run_migrations=False)
    try:
        _person, reference = _started(context, RequestKind.ERASURE)
    finally:
        context.close()
    runner = CliRunner()
    erased = runner.invoke(app, ["requests", "erase", reference])
    assert erased.exit_code == 0, erased.output
    assert "billing/invoices: 3 rows, 1 deleted, 2 masked, held until 2033-12-31" in erased.output
    assert "webmail/mailboxes: 1 rows, 1 deleted, 0 masked" in erased.output
    assert PERSON["email"] not in erased.output
    out = tmp_path / "certificate.json"
    written = runner.invoke(app, ["requests", "certificate", reference, "--output", str(out)])
    assert written.exit_code == 0, written.output
    # offline: no database, no settings
    monkeypatch.setenv("PRIVAAT_DATABASE_URL", "sqlite:////nonexistent/dir/x.db")
    checked = runner.invoke(app, ["requests", "verify-certificate", str(out)])
    assert checked.exit_code == 0 and "certificate intact" in checked.output
    assert "privaat + billing + webmail" in checked.output
    key = checked.output.split("signed by key ")[1].strip()
    expected = runner.invoke(app, ["requests", "verify-certificate", str(out), "--expect-key", key])
    assert expected.exit_code == 0
    other = runner.invoke(app, ["requests", "verify-certificate", str(out), "--expect-key", "ab"])
    assert other.exit_code == 1 and "not the expected" in other.output
    tampered = json.loads(out.read_text())
    tampered["certificate"]["stores"][0]["tables"][-1]["masked"] = 0
    out.write_text(json.dumps(tampered))
    refused = runner.invoke(app, ["requests", "verify-certificate", str(out)])
    assert refused.exit_code == 1 and "does NOT verify" in refused.output
    not_json = tmp_path / "x.json"
    not_json.write_text("{")
    bad = runner.invoke(app, ["requests", "verify-certificate", str(not_json)])
    assert bad.exit_code == 2 and "is not JSON" in bad.output


def test_issue15_item5_L62_an_iban_a_store_holds_for_the_person_stays_in_their_texts(
    reach: Context, webmail: Webmail
) -> None:
    """The billing store's IBAN of the person is their own: kept where they wrote it; an
    IBAN of someone else in the same text is taken out (art. 15(4))."""
    from privaat.render.redaction import IBAN_PLACEHOLDER
    from privaat.services.support_desk import Channel, NewCase

    other_iban = "NL71 INGB 0009 8765 43"
    person, reference = _started(reach, RequestKind.ACCESS)
    question = f"Graag terugstorten op NL91 ABNA 0417 1643 00, niet op {other_iban} van mijn zus."
    with reach.unit_of_work() as uow:
        reach.support.file_by_customer(
            uow,
            person.principal,
            NewCase(Channel.WEB, "Terugbetaling", question, email=PERSON["email"]),
        )
        answer = reach.answers.answer(uow, OFFICER, reference)
        _name, content = reach.answers.download(uow, answer.url.split("token=")[1])
    archive = zipfile.ZipFile(io.BytesIO(content))
    [case] = json.loads(archive.read("data/support_cases.json"))
    assert case["question"] == (
        f"Graag terugstorten op NL91 ABNA 0417 1643 00, niet op {IBAN_PLACEHOLDER} van mijn zus."
    )
    assert iban_number.is_valid(PERSON_IBAN)
    for name in archive.namelist():
        assert "".join(other_iban.split()) not in "".join(archive.read(name).decode().split())
