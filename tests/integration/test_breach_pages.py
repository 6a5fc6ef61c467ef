"""The console's breach register (issue 13 item 4, P10, L68-L71) over real HTTP, and the
art. 34 notices delivered over real SMTP on loopback through the outbox."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.factories import customer
from tests.integration.test_breach_register import T0, _pseudonym, _send
from tests.integration.test_console_roles import csrf_token, staff_session
from tests.integration.test_outbox_smtp import Collector, body_of, run_pass
from tests.integration.test_outbox_smtp import smtp as smtp  # the fixture: a real SMTP server

from privaat.bootstrap import Context
from privaat.domain.clock import FixedClock
from privaat.domain.principal import StaffRole
from privaat.store.tables_breaches import breach_notices, breaches
from privaat.web.app import create_app
from privaat.web.console.access import STAFF_COOKIE


@pytest.fixture
def people(client: TestClient, context: Context, clock: FixedClock) -> dict[str, int]:
    """Three customers (A and B Dutch, C English) with VoIP sync events; A twice."""
    with context.unit_of_work() as uow:
        _info, key = context.telemetry.add_service(uow, "device-sync", ["voip_sync"])
    found = {
        "A": customer(context, language="nl").subject_id,
        "B": customer(context, language="nl").subject_id,
        "C": customer(context, language="en").subject_id,
    }
    _send(client, key, *(_pseudonym(context, found[n]) for n in "AAB"))
    clock.advance(timedelta(hours=2))
    _send(client, key, _pseudonym(context, found["C"]))
    clock.advance(timedelta(hours=1))  # now: T0+3h
    return found


@pytest.fixture
def officer(context: Context, clock: FixedClock, people: dict[str, int]) -> Iterator[TestClient]:
    """A browser on the console, logged in as the privacy officer once the data is there."""
    with TestClient(create_app(context), client=("145.97.0.1", 50000)) as client:
        client.cookies.set(STAFF_COOKIE, staff_session(context, clock, StaffRole.PRIVACY_OFFICER))
        yield client


def _form(client: TestClient, path: str, **fields: str) -> dict[str, str]:
    return {"csrf_token": csrf_token(client, path), **fields}


def _record(client: TestClient, **overrides: str) -> tuple[int, str]:
    fields = {
        "discovered_at": "2026-11-26T11:30",  # T0+2h, in UTC
        "nature": "confidentiality",
        "risk": "high",
        "description": "A debug endpoint served device sync records without a key.",
        "activities": "voip_sync_telemetry",
        "data_categories": "device_information, ip_address",
        "subject_categories": "customers",
        "consequences": "Someone may know which phone you use and your network address.",
        "measures": "The endpoint is closed; the logs show one outside reader.",
        **overrides,
    }
    response = client.post(
        "/console/breaches/new?lang=en",  # a refusal's words in English
        data=_form(client, "/console/breaches/new", **fields),
        follow_redirects=False,
    )
    if response.status_code != 303:
        return 0, response.text
    location = response.headers["location"]
    found = re.match(r"/console/breaches/(\d+)\?notice=recorded", location)
    assert found, location
    return int(found.group(1)), location


def _rows(context: Context, table: object) -> int:
    with context.engine.connect() as connection:
        value: int = connection.execute(select(func.count()).select_from(table)).scalar_one()  # type: ignore[arg-type]
    return value


def test_l69_l70_recorded_on_the_console_with_counts_and_the_24_hour_clock_running(
    officer: TestClient, context: Context, people: dict[str, int], clock: FixedClock
) -> None:
    breach_id, _location = _record(officer)
    assert breach_id
    page = officer.get(f"/console/breaches/{breach_id}?lang=en")
    assert page.status_code == 200
    # by hand: A, A, B and C synced: 4 records, 3 people; the PBX's activity: 24 hours
    assert 'id="breach-people">3<' in page.text and 'id="breach-records">4<' in page.text
    assert "Due within 24 hours of the discovery, by 2026-11-27 11:30 UTC." in page.text
    # discovered T0+2h, due T0+26h; now T0+3h and the 30 s the log-in took
    assert "22 h 59 min left" in page.text
    clock.current = T0 + timedelta(hours=26, minutes=15)
    officer.cookies.set(  # the session's idle hour is long past: log in again (30 s)
        STAFF_COOKIE, staff_session(context, clock, StaffRole.PRIVACY_OFFICER)
    )
    register = officer.get("/console/breaches?lang=en")
    assert f'id="breach-row-{breach_id}" data-clock="overdue"' in register.text
    assert "OVERDUE by 0 h 15 min" in register.text
    assert "1 breach is overdue for its report." in register.text


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        pytest.param(
            {"discovered_at": ""},
            "discovered_at",
            "A breach needs the moment it was discovered.",
            id="no-discovery",
        ),
        pytest.param(
            {"discovered_at": "2026-11-27T09:00"},
            "discovered_at",
            "The discovery cannot lie in the future.",
            id="future",
        ),
        pytest.param(
            {"activities": "", "tables": "telefoonboek"},
            "tables",
            "No table of personal data has this name.",
            id="unknown-table",
        ),
        pytest.param(
            {"activities": "horoscopes"},
            "activities",
            "The policy has no activity of this name.",
            id="unknown-activity",
        ),
    ],
)
def test_l68_bad_input_is_the_form_again_with_the_reason_at_its_field(
    officer: TestClient, context: Context, fields: dict[str, str], field: str, words: str
) -> None:
    breach_id, page = _record(officer, **{"discovered_at": "2026-11-26T08:00", **fields})
    assert breach_id == 0
    assert f'id="breach-new-{field}-error"' in page
    assert words in page or words in page.replace("&#39;", "'")
    assert _rows(context, breaches) == 0


def test_l69_the_notification_draft_downloads_as_text_and_json(
    officer: TestClient, people: dict[str, int]
) -> None:
    breach_id, _ = _record(officer)
    draft = officer.get(f"/console/breaches/{breach_id}/notification?lang=en")
    assert draft.status_code == 200 and "(c) Likely consequences:" in draft.text
    as_text = officer.get(f"/console/breaches/{breach_id}/notification?format=text&lang=en")
    assert as_text.headers["content-disposition"].endswith('-art33.txt"')
    assert "Approximate number of people: 3; of records: 4 (counted from the data)" in (
        as_text.text
    )
    document = officer.get(f"/console/breaches/{breach_id}/notification?format=json").json()
    assert document["a_nature"]["approximate_people"] == 3
    assert document["deadline_hours"] == 24
    assert document["b_contact"]["email"] == "euprivacy@flexibelt.nl"


def _words() -> dict[str, str]:
    return {
        "happened_nl": "Een testpagina liet gegevens van uw telefoontoestel zien.",
        "consequences_nl": "Iemand kan weten welk toestel u gebruikt.",
        "measures_nl": "We hebben de pagina direct gesloten.",
        "advice_nl": "U hoeft niets te doen; wees alert op vreemde telefoontjes.",
        "happened_en": "A test page showed data about your phone.",
        "consequences_en": "Someone may know which phone you use.",
        "measures_en": "We closed the page at once.",
        "advice_en": "You need not do anything; be wary of strange calls.",
    }


def test_l71_high_risk_notices_reach_each_person_once_in_their_language_over_smtp(
    officer: TestClient,
    context: Context,
    people: dict[str, int],
    smtp: tuple[Collector, int],
) -> None:
    collector, port = smtp
    breach_id, _ = _record(officer)
    path = f"/console/breaches/{breach_id}"
    sent = officer.post(
        f"{path}/notify", data=_form(officer, path, **_words()), follow_redirects=False
    )
    assert sent.status_code == 303 and sent.headers["location"].endswith("?notice=notified")
    assert _rows(context, breach_notices) == 3
    report = run_pass(context, port)
    assert report.sent == 3
    by_language = {
        "en" if "security incident" in m.message["Subject"] else "nl": m for m in collector.received
    }
    assert len(collector.received) == 3 and set(by_language) == {"nl", "en"}
    english = body_of(by_language["en"].message).replace("\r\n", "\n")
    assert "What you can do\nYou need not do anything; be wary of strange calls." in english
    assert "Write to us at euprivacy@flexibelt.nl." in english
    dutch = body_of(by_language["nl"].message).replace("\r\n", "\n")
    assert "Wat u zelf kunt doen\nU hoeft niets te doen" in dutch
    # sent again: nobody is told twice
    again = officer.post(
        f"{path}/notify", data=_form(officer, path, **_words()), follow_redirects=False
    )
    assert again.status_code == 303
    assert _rows(context, breach_notices) == 3
    assert run_pass(context, port).sent == 0
    with context.engine.connect() as connection:
        told = connection.execute(
            select(breaches.c.notified_count).where(breaches.c.id == breach_id)
        ).scalar_one()
    assert told == 3
    page = officer.get(f"{path}?lang=en")
    assert 'id="breach-notified">3<' in page.text


def test_l71_missing_words_for_one_language_is_refused_and_nothing_queued(
    officer: TestClient, context: Context, people: dict[str, int]
) -> None:
    breach_id, _ = _record(officer)
    path = f"/console/breaches/{breach_id}"
    words = {**_words(), "advice_en": ""}
    refused = officer.post(
        f"{path}/notify?lang=en", data=_form(officer, path, **words), follow_redirects=False
    )
    assert refused.status_code == 422
    assert 'id="breach-notified-error"' in refused.text
    assert _rows(context, breach_notices) == 0


def test_l71_a_recorded_exemption_stops_the_notices(
    officer: TestClient, context: Context, people: dict[str, int]
) -> None:
    breach_id, _ = _record(officer)
    path = f"/console/breaches/{breach_id}"
    exempt = officer.post(
        f"{path}/exempt",
        data=_form(
            officer,
            path,
            exemption="unintelligible",
            exemption_reason="The copied file was encrypted; its key was not taken.",
        ),
        follow_redirects=False,
    )
    assert exempt.status_code == 303
    refused = officer.post(
        f"{path}/notify?lang=en", data=_form(officer, path, **_words()), follow_redirects=False
    )
    assert refused.status_code == 409
    assert "An art. 34(3) exemption is recorded for this breach." in refused.text
    assert _rows(context, breach_notices) == 0


def test_l68_staged_update_and_report_on_the_page_and_nothing_deleted(
    officer: TestClient, context: Context, people: dict[str, int]
) -> None:
    breach_id, _ = _record(officer)
    path = f"/console/breaches/{breach_id}"
    update = officer.post(
        f"{path}/update",
        data=_form(officer, path, text="A second reader was found."),
        follow_redirects=False,
    )
    assert update.status_code == 303
    reported = officer.post(
        f"{path}/reported",
        data=_form(officer, path, reference="AP-2026-7", reported_at=""),
        follow_redirects=False,
    )
    assert reported.status_code == 303
    assessed = officer.post(
        f"{path}/assess",
        data=_form(officer, path, risk="risk", assess_reason="Only device models were read."),
        follow_redirects=False,
    )
    assert assessed.status_code == 303
    page = officer.get(f"{path}?lang=en")
    assert 'id="breach-risk">a risk: reported to the authority<' in page.text
    assert "risk: Only device models were read." in page.text  # the history keeps both
    assert "A second reader was found." in page.text
    assert "reference AP-2026-7" in page.text
    assert 'data-clock="reported"' in page.text
    unknown = officer.post("/console/breaches/999/update", data=_form(officer, path, text="more"))
    assert unknown.status_code == 404


def test_p10_other_roles_get_a_403_page_and_the_menu_lists_the_register_for_the_officer(
    client: TestClient, context: Context, clock: FixedClock, officer: TestClient
) -> None:
    assert 'href="/console/breaches"' in officer.get("/console").text
    client.cookies.set(STAFF_COOKIE, staff_session(context, clock, StaffRole.SUPPORT))
    response = client.get("/console/breaches", follow_redirects=False)
    assert response.status_code == 403 and "<h1" in response.text
