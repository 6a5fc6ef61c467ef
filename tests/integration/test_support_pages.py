"""The support pages over HTTP (issue 12 items 2, 6; P5, P7, LEGAL L5): the customer's own
cases in the privacy centre, the desk's queue and cases in the console, staff of other roles
refused, bad input shown next to its field with nothing stored."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.factories import customer
from tests.integration.test_console_roles import csrf_token, staff_session
from tests.integration.test_pages_support import error_of, log_in, submit

from privaat.bootstrap import Context
from privaat.domain.clock import FixedClock
from privaat.domain.principal import StaffRole
from privaat.store.tables_support import support_case_events, support_cases
from privaat.web.app import create_app
from privaat.web.console.access import STAFF_COOKIE

_REFERENCE = re.compile(r"/support/(SC-[0-9A-Z]{8})")


def _count(context: Context) -> int:
    with context.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(support_cases)).scalar_one())


@pytest.fixture
def console(context: Context) -> Iterator[TestClient]:
    with TestClient(create_app(context), client=("145.97.0.1", 50000)) as client:
        yield client


def _ask(client: TestClient, **fields: str) -> object:
    data = {
        "title": "Router knippert rood",
        "question": "Sinds gisteren\nknippert mijn router.",
        "contact_by": "email",
        "serial": "fx-2024-00123",
        "purchased_on": "2025-03-01",
        "log": "boot failed; user=jan password=geheim",
        **fields,
    }
    return submit(client, "/account/support/new", data)


# --- the privacy centre -------------------------------------------------------------------


def test_p7_a_signed_in_customer_files_and_follows_their_question(
    client: TestClient, context: Context
) -> None:
    me = customer(context)
    log_in(client, me.email, me.password)
    assert "support-none" in client.get("/account/support").text
    response = _ask(client)
    assert response.status_code == 303, response.text  # type: ignore[attr-defined]
    location = response.headers["location"]  # type: ignore[attr-defined]
    reference = _REFERENCE.search(location).group(1)  # type: ignore[union-attr]
    page = client.get(location)
    assert page.status_code == 200
    assert "Sinds gisteren<br>knippert mijn router." in page.text
    assert "FX-2024-00123" in page.text and "geheim" not in page.text
    listing = client.get("/account/support").text
    assert reference in listing and "Router knippert rood" in listing
    with context.engine.connect() as connection:
        row = connection.execute(select(support_cases)).one()
    assert row.subject_id == me.subject_id and row.linked_by == "signed_in"
    assert 'href="/account/support"' in client.get("/account").text


def test_p7_a_card_number_is_refused_next_to_its_field_and_nothing_stored(
    client: TestClient, context: Context
) -> None:
    me = customer(context)
    log_in(client, me.email, me.password)
    response = _ask(client, question="Mijn kaart 4111 1111 1111 1111 werkt niet")
    assert response.status_code == 422  # type: ignore[attr-defined]
    html = response.text  # type: ignore[attr-defined]
    assert error_of(html, "support-new-question")
    assert _count(context) == 0


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"serial": "12"}, "serial"),
        ({"purchased_on": "2030-01-01"}, "purchased_on"),
        ({"purchased_on": "gisteren"}, "purchased_on"),
        ({"contact_by": "phone"}, "contact_by"),  # no phone number to call
    ],
)
def test_p7_bad_input_on_the_form_names_the_field_and_stores_nothing(
    client: TestClient, context: Context, fields: dict[str, str], field: str
) -> None:
    me = customer(context)
    log_in(client, me.email, me.password)
    response = _ask(client, **fields)
    assert response.status_code == 422  # type: ignore[attr-defined]
    html = response.text  # type: ignore[attr-defined]
    shown = field if field != "contact_by" else "phone"
    assert error_of(html, f"support-new-{shown}"), html[:2000]
    assert _count(context) == 0


def test_p7_a_log_larger_than_a_form_takes_is_refused_and_nothing_stored(
    client: TestClient, context: Context
) -> None:
    me = customer(context)
    log_in(client, me.email, me.password)
    response = _ask(client, log="REGISTER 408 timeout\n" * 5000)  # 100 kB: over the form limit
    assert response.status_code == 413  # type: ignore[attr-defined]
    assert _count(context) == 0


def test_p7_another_persons_case_is_not_found(client: TestClient, context: Context) -> None:
    owner = customer(context)
    with context.unit_of_work() as uow:
        filed = context.support.file_mail(uow, sender=owner.email, subject="Vraag", text="Hoi")
    me = customer(context)
    log_in(client, me.email, me.password)
    assert client.get(f"/account/support/{filed.reference}").status_code == 404
    assert filed.reference not in client.get("/account/support").text


def test_p7_the_centre_needs_a_log_in(client: TestClient) -> None:
    response = client.get("/account/support", follow_redirects=False)
    assert response.status_code == 303 and "/login" in response.headers["location"]


# --- the console --------------------------------------------------------------------------


def test_p7_the_desk_files_a_phoned_question_notes_it_and_closes_it(
    console: TestClient, context: Context, clock: FixedClock
) -> None:
    me = customer(context)
    console.cookies.set(STAFF_COOKIE, staff_session(context, clock, StaffRole.SUPPORT))
    assert console.get("/console/support").status_code == 200
    form = {
        "csrf_token": csrf_token(console, "/console/support/new"),
        "channel": "phone",
        "title": "Voicemail werkt niet",
        "question": "Klant hoort geen berichten.",
        "email": me.email,
        "phone": "06 12345678",
        "contact_by": "phone",
    }
    response = console.post("/console/support/new", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text
    reference = _REFERENCE.search(response.headers["location"]).group(1)  # type: ignore[union-attr]
    page = console.get(f"/console/support/{reference}").text
    assert "Klant hoort geen berichten." in page and "+31612345678" in page
    assert "Linked to the account" in page or "Gekoppeld" in page
    note = {"csrf_token": csrf_token(console, f"/console/support/{reference}"), "kind": "note"}
    response = console.post(
        f"/console/support/{reference}/note",
        data={**note, "text": "Firmware bijgewerkt."},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    empty = console.post(f"/console/support/{reference}/note", data={**note, "text": ""})
    assert empty.status_code == 422 and error_of(empty.text, "support-note-text")
    closing = {"csrf_token": csrf_token(console, f"/console/support/{reference}")}
    response = console.post(
        f"/console/support/{reference}/close", data=closing, follow_redirects=False
    )
    assert response.status_code == 303
    with context.engine.connect() as connection:
        row = connection.execute(select(support_cases)).one()
        kinds = list(connection.execute(select(support_case_events.c.kind)).scalars())
    assert row.status == "closed" and row.closed_at is not None
    assert row.subject_id == me.subject_id and row.linked_by == "verified_email"
    assert kinds == ["note", "closed"]
    assert reference in console.get("/console/support").text


def test_p7_a_refused_staff_form_stores_nothing(
    console: TestClient, context: Context, clock: FixedClock
) -> None:
    console.cookies.set(STAFF_COOKIE, staff_session(context, clock, StaffRole.SUPPORT_LEAD))
    form = {
        "csrf_token": csrf_token(console, "/console/support/new"),
        "channel": "in_person",
        "title": "Vraag",
        "question": "Kaart 4111111111111111",
        "contact_by": "email",
        "email": "iemand@example.org",
    }
    response = console.post("/console/support/new", data=form)
    assert response.status_code == 422
    assert error_of(response.text, "support-new-question")
    assert _count(context) == 0


def test_p7_an_unknown_reference_is_not_found(
    console: TestClient, context: Context, clock: FixedClock
) -> None:
    console.cookies.set(STAFF_COOKIE, staff_session(context, clock, StaffRole.SUPPORT))
    assert console.get("/console/support/SC-22222222").status_code == 404
    token = csrf_token(console, "/console/support")
    response = console.post("/console/support/SC-22222222/note", data={"csrf_token": token})
    assert response.status_code == 404


@pytest.mark.parametrize(
    "role",
    [StaffRole.MARKETING, StaffRole.ADMINISTRATOR, StaffRole.FRAUD, StaffRole.PRIVACY_OFFICER],
)
def test_p7_staff_of_another_role_are_refused(
    console: TestClient, context: Context, clock: FixedClock, role: StaffRole
) -> None:
    with context.unit_of_work() as uow:
        filed = context.support.file_mail(uow, sender="a@example.org", subject="Hoi", text="Vraag")
    console.cookies.set(STAFF_COOKIE, staff_session(context, clock, role))
    assert console.get("/console/support").status_code == 403
    assert console.get(f"/console/support/{filed.reference}").status_code == 403
    token = csrf_token(console, "/console")
    response = console.post(f"/console/support/{filed.reference}/close", data={"csrf_token": token})
    assert response.status_code == 403
    with context.engine.connect() as connection:
        assert connection.execute(select(support_cases.c.status)).scalar_one() == "open"


@pytest.mark.parametrize(
    ("lang", "heading", "label"),
    [
        ("nl", "Een vraag stellen aan de klantenservice", "Serienummer van het product"),
        ("en", "Ask customer service a question", "Serial number of the product"),
    ],
)
def test_p7_the_question_form_speaks_dutch_and_english_with_labelled_fields(
    client: TestClient, context: Context, lang: str, heading: str, label: str
) -> None:
    me = customer(context)
    log_in(client, me.email, me.password)
    html = client.get(f"/account/support/new?lang={lang}").text
    assert f'<h1 id="support-new-heading">{heading}</h1>' in html
    assert f'<label for="support-new-serial">{label}' in html
    for field in ("title", "question", "contact_by", "phone", "serial", "purchased_on", "log"):
        assert f'<label for="support-new-{field}">' in html, field
