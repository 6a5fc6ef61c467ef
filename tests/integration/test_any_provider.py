"""Issue 13 item 8: the engine is not Flexibelt's alone. A second, different provider (De
Theepot B.V., a small Dutch web shop without telephony or hosting, policies/webwinkel-
voorbeeld.yaml) passes ``policy check``, renders, starts the app, and runs the rights flow
(an access request answered with an export, an erasure), the consent flow (the cookie banner,
the newsletter consent given and withdrawn) and the retention sweep's dry run, with its own
name, never Flexibelt's, in what a person sees or receives."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from tests.factories import PASSWORD, Customer, customer
from tests.integration.test_console_roles import staff_session
from tests.integration.test_pages_support import log_in, submit
from tests.integration.test_retention_sweep import login, new_subject
from typer.testing import CliRunner

from privaat.bootstrap import Context, bootstrap
from privaat.cli import app as cli
from privaat.domain.clock import FixedClock
from privaat.domain.principal import StaffMember, StaffRole
from privaat.domain.subject_requests import Action, RequestKind
from privaat.policy.schema import consent_text_sha256
from privaat.services.subject_requests import RequestChannel
from privaat.settings import Mode, Settings
from privaat.store.tables import accounts, audit_log, consent_events, login_events
from privaat.web.app import ROUTERS, create_app
from privaat.web.console.access import STAFF_COOKIE

SHOP = Path(__file__).resolve().parents[2] / "policies" / "webwinkel-voorbeeld.yaml"
OFFICER = StaffMember(1, StaffRole.PRIVACY_OFFICER)
OTHER = "Flexibelt"
runner = CliRunner()


@pytest.fixture
def shop(database_url: str, engine: Engine, clock: FixedClock, tmp_path: Path) -> Iterator[Context]:
    settings = Settings(
        mode=Mode.TEST, database_url=database_url, var_dir=tmp_path / "var", policy_file=SHOP
    )
    ctx = bootstrap(settings, clock=clock, engine=engine, run_migrations=False)
    yield ctx
    ctx.access_log.flush()


@pytest.fixture
def browser(shop: Context) -> Iterator[TestClient]:
    with TestClient(create_app(shop), client=("145.97.0.1", 50000)) as client:
        yield client


@pytest.fixture
def thea(shop: Context) -> Customer:
    return customer(shop, name="Thea Pot", email="thea@example.nl")


def _outbox(shop: Context, template: str, to: str) -> list[str]:
    return [
        m.subject + "\n" + m.body
        for _i, t, m in shop.outbox.pending()
        if t == template and m.to == to
    ]


# --- it checks and renders --------------------------------------------------------------------


def test_any_provider_passes_the_check_and_renders_its_statement_and_register() -> None:
    check = runner.invoke(cli, ["policy", "check", str(SHOP)])
    assert check.exit_code == 0, check.output
    assert check.stdout.strip().endswith("valid — 15 activities, 14 categories, 6 recipients")

    for lang, heading in (("nl", "Privacyverklaring"), ("en", "Privacy statement")):
        page = runner.invoke(cli, ["policy", "render", "--policy", str(SHOP), "--lang", lang])
        assert page.exit_code == 0, page.output
        assert heading in page.stdout and "De Theepot B.V." in page.stdout
        assert OTHER not in page.stdout

    register = runner.invoke(cli, ["ropa", "--policy", str(SHOP), "--format", "json"])
    assert register.exit_code == 0, register.output
    rows = json.loads(register.stdout)
    assert len(rows) == 15 and {r["controller"].split(";")[0] for r in rows} == {"De Theepot B.V."}
    vendors = runner.invoke(cli, ["ropa", "--vendors", "--policy", str(SHOP), "--format", "json"])
    assert [v["vendor"] for v in json.loads(vendors.stdout)][:2] == ["Mollie B.V.", "PostNL"]


# --- it starts the app ------------------------------------------------------------------------


def test_any_provider_serves_home_statement_sign_up_and_the_centre(
    browser: TestClient, thea: Customer
) -> None:
    for path in ("/", "/privacy", "/signup", "/login", "/cookies"):
        page = browser.get(path)
        assert page.status_code == 200, (path, page.text[:300])
        assert OTHER not in page.text, path
    assert "De Theepot" in browser.get("/privacy").text

    log_in(browser, thea.email, thea.password)
    centre = browser.get("/account")
    assert centre.status_code == 200
    assert "Thea Pot" in centre.text and OTHER not in centre.text
    # the centre shows the shop's own activities, and nothing a shop without telephony lacks
    assert 'id="activity-account"' in centre.text
    assert 'id="activity-call_recording"' not in centre.text


def test_any_provider_signs_up_through_the_page_with_zero_consents(
    browser: TestClient, shop: Context, engine: Engine
) -> None:
    form = {
        "email": "koos@example.nl",
        "password": PASSWORD,
        "name": "Koos Kop",
        "age_declaration": "on",
    }
    response = submit(browser, "/signup", form)
    assert response.status_code in (200, 303), response.text[:500]
    [verify] = _outbox(shop, "verify_email", "koos@example.nl")
    assert "De Theepot" in verify and OTHER not in verify
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(consent_events)).scalar() == 0


# --- the rights flow --------------------------------------------------------------------------


def test_any_provider_answers_an_access_request_with_its_export(
    shop: Context, browser: TestClient, thea: Customer
) -> None:
    with shop.unit_of_work() as uow:
        row, _created = shop.requests.file_for(
            uow, thea.principal, RequestKind.ACCESS, channel=RequestChannel.API
        )
        shop.requests.act(uow, OFFICER, row.reference, Action.START)
        shop.answers.answer(uow, OFFICER, row.reference)
    [mail] = _outbox(shop, "request_answered", thea.email)
    assert "De Theepot" in mail and OTHER not in mail
    token = mail.split("/requests/download?token=", 1)[1].split()[0]

    response = submit(
        browser, "/requests/download", {"token": token}, page=f"/requests/download?token={token}"
    )

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    [account] = json.loads(archive.read("data/accounts.json"))
    assert (account["email"], account["name"]) == ("thea@example.nl", "Thea Pot")
    everything = b"".join(archive.read(name) for name in archive.namelist())
    assert b"De Theepot" in everything and OTHER.encode() not in everything


def test_any_provider_erases_on_request_and_keeps_only_what_its_own_policy_holds(
    shop: Context, engine: Engine, thea: Customer
) -> None:
    with shop.unit_of_work() as uow:
        row, _created = shop.requests.file_for(
            uow, thea.principal, RequestKind.ERASURE, channel=RequestChannel.API
        )
        shop.requests.act(uow, OFFICER, row.reference, Action.START)
        done = shop.rights.erase(uow, OFFICER, row.reference)

    assert done.report.data_key_destroyed
    receipt = json.loads(done.receipt)
    tables = {t["table"]: t for t in receipt["tables"]}
    assert (tables["accounts"]["before"], tables["accounts"]["after"]) == (1, 0)
    # the request itself is kept under the shop's own activity for rights handling
    assert tables["subject_requests"]["kept_for"] == "rights_handling"
    # what is kept is told in the shop's own words: its catalogue has no "online identifiers"
    # (a category the engine's data registry names), so the security log names what it has
    assert receipt["kept"] == [
        {
            "what": "Privacyverzoeken en hun afhandeling, E-mailadres",
            "why": "Uw privacyrechten (wettelijke verplichting (art. 6 lid 1 onder c AVG))",
            "until": "2031-11-26",
        },
        {
            "what": "Tijdstip en resultaat van het inloggen",
            "why": "Beveiligingslogboek (gerechtvaardigd belang (art. 6 lid 1 onder f AVG))",
            "until": "2027-05-26",
        },
    ]
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(accounts)).scalar() == 0
        details = [d for (d,) in connection.execute(select(audit_log.c.detail))]
    assert not any("thea@example.nl" in (d or "") for d in details)


# --- the consent flow -------------------------------------------------------------------------


def test_any_provider_banner_offers_only_its_own_categories(browser: TestClient) -> None:
    config = browser.get("/consent/choices?lang=nl").json()

    # the shop sets only strictly necessary cookies: the banner asks nothing else
    assert [c["id"] for c in config["categories"]] == ["necessary"]
    assert config["choice"] is None
    chosen = browser.post("/consent/choices", json={"choices": {}, "lang": "nl"})
    assert chosen.status_code == 200, chosen.text


def test_any_provider_newsletter_consent_is_given_and_withdrawn(
    browser: TestClient, shop: Context, thea: Customer
) -> None:
    session = {"email": thea.email, "password": thea.password}
    assert browser.post("/api/v1/session", json=session).status_code == 204
    choices = {c["activity"]: c for c in browser.get("/api/v1/consents").json()}
    assert set(choices) == {"newsletter"}
    assert choices["newsletter"]["given"] is False

    given = browser.post("/api/v1/consents/newsletter", json={"lang": "en"})
    assert given.status_code == 200, given.text
    # the consent is proven against the shop's own text, as shown (L7, L86)
    declared = shop.policy.activity("newsletter").consent
    assert declared is not None
    assert given.json()["text_sha256"] == consent_text_sha256(declared.request.en)
    status = {c["activity"]: c["status"] for c in browser.get("/api/v1/consents").json()}
    assert status == {"newsletter": "given"}

    withdrawn = browser.delete("/api/v1/consents/newsletter")

    assert withdrawn.status_code == 200 and withdrawn.json()["given"] is False
    status = {c["activity"]: c["status"] for c in browser.get("/api/v1/consents").json()}
    assert status == {"newsletter": "withdrawn"}
    history = browser.get("/api/v1/consents/history").json()
    assert [h["given"] for h in history] == [False, True]  # newest first


# --- the retention sweep ----------------------------------------------------------------------


def test_any_provider_retention_dry_run_follows_its_own_periods(
    shop: Context, engine: Engine, clock: FixedClock
) -> None:
    now = clock.now()
    with shop.unit_of_work() as uow:
        lines = shop.retention.preview(uow)
    # the rules come from the shop's own activities; none of Flexibelt's exists here
    assert {line.activity for line in lines} <= shop.policy.activity_ids
    assert sum(line.rows for line in lines) == 0
    # the shop keeps log-in locations three months and its full IPs 14 days (Flexibelt: six
    # months and 30 days): a log-in 100 days old goes, one 20 days old loses its full IP
    with engine.begin() as connection:
        someone = new_subject(connection, now - timedelta(days=400))
        login(connection, someone, now - timedelta(days=100))
        login(connection, someone, now - timedelta(days=20))
        login(connection, someone, now - timedelta(days=5))

    with shop.unit_of_work() as uow:
        shown = {
            (line.activity, line.table, line.action): line.rows
            for line in shop.retention.preview(uow)
            if line.rows
        }

    assert shown == {
        ("datacenter_login_location", "login_events", "deleted"): 1,
        ("datacenter_login_location", "login_events", "minimised"): 2,
    }
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(login_events)).scalar() == 3


def test_any_provider_retention_sweep_dry_run_on_the_command_line(
    shell: None, monkeypatch: pytest.MonkeyPatch, engine: Engine, clock: FixedClock
) -> None:
    monkeypatch.setenv("PRIVAAT_POLICY_FILE", str(SHOP))
    with engine.begin() as connection:
        someone = new_subject(connection, clock.now() - timedelta(days=400))
        # the CLI runs on the wall clock: a log-in of 2020 is long past the shop's 3 months
        login(connection, someone, clock.now().replace(year=2020))

    result = runner.invoke(cli, ["retention", "sweep", "--dry-run"])

    assert result.exit_code == 0, result.output
    assert "datacenter_login_location\tlogin_events\tdeleted\t1\t" in result.stdout
    assert result.stdout.strip().endswith("row(s) would be removed or minimised; nothing changed")
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(login_events)).scalar() == 1


def test_any_provider_rectifies_a_field_its_catalogue_has_no_category_for(
    shop: Context, thea: Customer
) -> None:
    with shop.unit_of_work() as uow:
        row, _created = shop.requests.file_for(
            uow, thea.principal, RequestKind.RECTIFICATION, channel=RequestChannel.API
        )
        shop.requests.act(uow, OFFICER, row.reference, Action.START)
        done = shop.rights.rectify(
            uow, OFFICER, row.reference, {"name": "Thea de Pot", "language": "en"}
        )
        profile = shop.accounts.read_profile(uow, thea.principal, thea.subject_id)

    assert (profile.name, done.fields) == ("Thea de Pot", ("language", "name"))
    # art. 19: the shop's own recipients of the name are told
    assert [t.name for t in done.told] == [
        "Mollie B.V.",
        "PostNL",
        "E-maildienst (verwerker in Nederland)",
        "Webwinkelplatform (verwerker in Duitsland)",
    ]
    [letter] = _outbox(shop, "request_rectified", thea.email)
    # the shop declares no "language" category: the letter names what its catalogue has
    assert "Corrected: Name." in letter
    assert letter.rstrip().endswith("De Theepot B.V.") and OTHER not in letter


@pytest.mark.parametrize("role", [StaffRole.PRIVACY_OFFICER, StaffRole.ADMINISTRATOR])
def test_any_provider_no_page_fails_or_names_another_provider(
    shop: Context, clock: FixedClock, thea: Customer, role: StaffRole
) -> None:
    # every GET route without a path parameter, pages, API and console, as a logged-in
    # customer and a staff member at once: none answers 5xx, none says "Flexibelt"
    paths = sorted(
        {
            route.path
            for router in ROUTERS
            for route in router.routes
            if isinstance(route, APIRoute) and "GET" in route.methods and "{" not in route.path
        }
    )
    assert len(paths) > 50 and "/console/ropa" in paths
    failures = []
    app = create_app(shop)
    with TestClient(app, client=("145.97.0.1", 50000), raise_server_exceptions=False) as client:
        log_in(client, thea.email, thea.password)
        client.cookies.set(STAFF_COOKIE, staff_session(shop, clock, role))
        for path in paths:
            response = client.get(path)
            if response.status_code >= 500 or OTHER in response.text:
                failures.append((path, response.status_code))
    assert failures == []
