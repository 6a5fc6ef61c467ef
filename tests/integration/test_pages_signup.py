"""The sign-up page (issue 8 item 3; P1, P18, LEGAL L46) and its bad input: every field of P1,
nothing ticked in advance, the address to be verified, each error next to its field in Dutch
or English, the input kept (never the password), nothing written by a refused form."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from tests.integration.test_pages_support import (
    PAYLOADS,
    error_of,
    row_counts,
    submit,
    value_of,
    without_tokens,
)

from privaat.bootstrap import Context
from privaat.policy.schema import consent_text_sha256
from privaat.services.account_commands import AccountCreate
from privaat.store.tables import consent_events

JAN: dict[str, Any] = {
    "email": "jan.jansen@example.nl",
    "password": "correct horse battery",
    "name": "Jan Jansen",
    "street": "Dorpsstraat 1",
    "postal_code": "2721na",
    "city": "Zoetermeer",
    "phone": "06 12345678",
    "vat_number": "NL004495445B01",
    "display_name": "JJ",
    "language": "nl",
    "birth_date": "1990-03-31",
    "age_declaration": "yes",
}
TEXT_FIELDS = [
    "email",
    "name",
    "street",
    "postal_code",
    "city",
    "phone",
    "vat_number",
    "display_name",
]


@pytest.fixture(autouse=True)
def _first_visit(client: TestClient) -> None:
    # the first page a new database serves creates its blind-index key (which signs the CSRF
    # tokens): a write of the set-up, before any form, so row counts start after it
    client.get("/")


def sign_up(client: TestClient, **changes: Any) -> Any:
    data = {k: v for k, v in {**JAN, **changes}.items() if v is not None}
    return submit(client, "/signup", data)


def test_p1_the_form_asks_every_field_of_account_create_each_with_its_label(
    client: TestClient,
) -> None:
    html = client.get("/signup").text
    for field in AccountCreate.model_fields:
        if field == "consents":  # a group of boxes, one per consent (below), not one input
            assert 'id="signup-consents"' in html and "<legend>Uw keuzes" in html
            continue
        assert f'id="signup-{field}"' in html and f'for="signup-{field}"' in html, field


def test_p18_no_box_is_ticked_in_advance(client: TestClient) -> None:
    html = client.get("/signup").text
    assert 'type="checkbox"' in html and " checked" not in html


def test_p1_the_form_says_the_address_will_be_verified(client: TestClient) -> None:
    html = client.get("/signup").text
    assert "We sturen een link naar dit adres om het te bevestigen" in html


def test_p1_a_sign_up_creates_the_account_sends_the_link_and_redirects(
    client: TestClient, context: Context, engine: Engine
) -> None:
    before = row_counts(engine)
    response = sign_up(client)
    assert response.status_code == 303 and response.headers["location"] == "/signup/sent"
    assert row_counts(engine)["accounts"] == before["accounts"] + 1
    assert [(t, m.to) for _i, t, m in context.outbox.pending()] == [
        ("verify_email", "jan.jansen@example.nl")
    ]
    page = client.get("/signup/sent").text
    assert "Kijk in uw e-mail" in page


def test_p1_a_taken_address_gets_the_same_answer(client: TestClient) -> None:
    assert sign_up(client).headers["location"] == "/signup/sent"
    client.cookies.clear()
    again = sign_up(client, name="Someone Else")
    assert again.status_code == 303 and again.headers["location"] == "/signup/sent"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"age_declaration": None}, "age_declaration", id="box-not-ticked"),
        pytest.param({"birth_date": "2012-01-01"}, "birth_date", id="born-2012"),
    ],
)
def test_p18_under_16_is_refused_with_its_message_and_nothing_is_stored(
    client: TestClient, engine: Engine, changes: dict[str, Any], field: str
) -> None:
    before = row_counts(engine)
    response = sign_up(client, **changes)
    assert response.status_code == 422
    assert "U moet 16 jaar of ouder zijn om een account aan te maken." in error_of(
        response.text, f"signup-{field}"
    )
    assert row_counts(engine) == before


@pytest.mark.parametrize(
    ("field", "bad", "dutch", "english"),
    [
        pytest.param("email", "jan@", "Vul een e-mailadres in", "Enter an e-mail", id="email"),
        pytest.param("name", "", "Vul dit veld in.", "Fill in this field.", id="name-empty"),
        pytest.param("postal_code", "12", "Nederlandse postcode", "Dutch postal code", id="pc"),
        pytest.param("phone", "12", "telefoonnummer", "phone number", id="phone"),
        pytest.param("vat_number", "NL123", "btw-nummer", "VAT number", id="vat"),
        pytest.param("birth_date", "31-31-1990", "Vul een datum in", "Enter a date", id="date"),
        pytest.param("name", "x" * 201, "hoogstens 200", "at most 200", id="name-too-long"),
        pytest.param("language", "de", "Kies een van", "Choose one of", id="language"),
    ],
)
def test_bad_input_the_error_is_next_to_its_field_in_dutch_and_english(
    client: TestClient, engine: Engine, field: str, bad: str, dutch: str, english: str
) -> None:
    before = row_counts(engine)
    response = sign_up(client, **{field: bad})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert dutch in error_of(response.text, f"signup-{field}")
    for other in ("name", "street", "city"):  # the rest of what was typed is kept
        if other != field:
            assert value_of(response.text, f"signup-{other}") == JAN[other]
    assert (
        JAN["password"] not in response.text and value_of(response.text, "signup-password") is None
    )
    client.cookies.set("privaat_lang", "en")
    english_page = sign_up(client, **{field: bad})
    assert english in error_of(english_page.text, f"signup-{field}")
    assert row_counts(engine) == before


def test_bad_input_a_short_password_is_refused_and_never_shown_again(
    client: TestClient, engine: Engine
) -> None:
    before = row_counts(engine)
    response = sign_up(client, password="kort1234")
    assert "minstens 10 tekens" in error_of(response.text, "signup-password")
    assert "kort1234" not in response.text
    assert row_counts(engine) == before


@pytest.mark.parametrize("field", TEXT_FIELDS)
@pytest.mark.parametrize(
    ("text", "words"),
    [
        pytest.param("a\x1b[31mb", "escape-reeks", id="terminal-escape"),
        pytest.param("a\u202eb", "richting van de tekst", id="bidi-override"),
        pytest.param("a\x00b", "NUL-teken", id="nul"),
        pytest.param("\u200b\u200b", "zichtbaar teken", id="invisible"),
    ],
)
def test_item5_every_text_field_goes_through_the_text_rule(
    client: TestClient, engine: Engine, field: str, text: str, words: str
) -> None:
    before = row_counts(engine)
    response = sign_up(client, **{field: text})
    assert response.status_code == 422
    assert words in error_of(response.text, f"signup-{field}")
    assert row_counts(engine) == before


@pytest.mark.parametrize("field", ["name", "street", "city", "display_name"])
def test_p8_a_card_number_is_refused_and_not_shown_in_the_error(
    client: TestClient, engine: Engine, field: str
) -> None:
    before = row_counts(engine)
    response = sign_up(client, **{field: "4111 1111 1111 1111"})
    error = error_of(response.text, f"signup-{field}")
    assert "betaalkaartnummer" in error and "4111" not in error
    assert row_counts(engine) == before


@pytest.mark.parametrize("payload", PAYLOADS)
def test_item5_a_refused_form_shows_every_typed_payload_escaped(
    client: TestClient, payload: str
) -> None:
    fields = dict.fromkeys(TEXT_FIELDS, payload)
    response = sign_up(client, **fields)
    assert response.status_code == 422
    html = without_tokens(response.text)
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "49" not in html
    for name in TEXT_FIELDS:
        assert value_of(response.text, f"signup-{name}") == payload


# --- the consent boxes (issue 10 item 2; LEGAL L8, L9, L12) -----------------------------------

# by hand, from policies/flexibelt.yaml: the consents the privacy choices page offers, in the
# file's order, without the support log-in (a grant of at most seven days, asked per case, L29)
SIGN_UP_CONSENTS = [
    "marketing_email",
    "device_precise_location",
    "email_engagement",
    "group_transfer",
]


def _boxes(html: str) -> list[str]:
    return re.findall(r'<input id="signup-consent_(\w+)" name="consent_\w+" type="checkbox"', html)


def _ledger(engine: Engine) -> list[tuple[str, bool, str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                consent_events.c.activity,
                consent_events.c.given,
                consent_events.c.channel,
                consent_events.c.text_sha256,
            ).order_by(consent_events.c.id)
        ).all()
    return [tuple(row) for row in rows]


def test_l9_one_box_per_consent_from_the_policy_in_its_order(client: TestClient) -> None:
    html = client.get("/signup").text
    assert _boxes(html) == SIGN_UP_CONSENTS
    assert "signup-consent_support_account_access" not in html
    assert "signup-consent_website_analytics" not in html  # the cookie banner's, not ours


def test_l8_no_consent_box_is_ticked_in_advance(client: TestClient) -> None:
    html = client.get("/signup").text
    for activity in SIGN_UP_CONSENTS:
        box = re.search(rf'<input id="signup-consent_{activity}"[^>]*>', html)
        assert box is not None and "checked" not in box.group(0), activity


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_l9_each_box_says_the_policys_request_text_and_its_notice(
    client: TestClient, context: Context, lang: str
) -> None:
    html = client.get("/signup", params={"lang": lang}).text
    for activity in SIGN_UP_CONSENTS:
        consent = context.policy.activity(activity).consent
        assert consent is not None
        request = consent.request.in_language(lang)
        label = re.search(rf'<label for="signup-consent_{activity}">(.*?)</label>', html)
        assert label is not None and unescape(label.group(1)) == request, activity
        assert f'href="/privacy?lang={lang}#activity-{activity}"' in html
    # the just-in-time notice of marketing e-mail, beside its box (art. 13(1))
    notice = {"nl": "Vinkt u dit aan, dan sturen we u e-mail", "en": "If you tick this"}[lang]
    hint = re.search(r'<p class="hint" id="signup-consent_marketing_email-hint">(.*?)</p>', html)
    assert hint is not None and notice in hint.group(1)


def test_l12_a_sign_up_with_no_box_ticked_makes_a_full_account_and_records_no_consent(
    client: TestClient, context: Context, engine: Engine
) -> None:
    before = row_counts(engine)
    response = sign_up(client)
    assert response.status_code == 303 and response.headers["location"] == "/signup/sent"
    assert row_counts(engine)["accounts"] == before["accounts"] + 1
    assert _ledger(engine) == []  # silence is no consent (recital 32)


def test_l8_p4_p13_only_the_ticked_boxes_are_recorded_with_the_text_shown(
    client: TestClient, engine: Engine
) -> None:
    response = sign_up(client, consent_marketing_email="yes", consent_group_transfer="yes")
    assert response.status_code == 303
    assert _ledger(engine) == [
        (
            "marketing_email",
            False,  # a double opt-in (issue 14 item 5): asked, the link mailed
            "sign_up",
            consent_text_sha256("Ja, stuur mij e-mail over producten en apps van Flexibelt."),
        ),
        (
            "group_transfer",
            True,
            "sign_up",
            consent_text_sha256(
                "Ik geef uitdrukkelijk toestemming om mijn gegevens door te geven aan andere "
                "Flexibelt-bedrijven in de EER of Zwitserland."
            ),
        ),
    ]


def test_bad_input_a_box_the_form_does_not_have_is_ignored(
    client: TestClient, engine: Engine
) -> None:
    # a consent is only a box of the form: a forged field for another activity is no consent
    forged = {"consent_marketing_selection": "yes", "consent_support_account_access": "yes"}
    response = sign_up(client, **forged)
    assert response.status_code == 303
    assert _ledger(engine) == []


def test_l8_a_refused_form_keeps_the_boxes_the_person_ticked_and_stores_nothing(
    client: TestClient, engine: Engine
) -> None:
    before = row_counts(engine)
    response = sign_up(client, name="", consent_email_engagement="yes")
    assert response.status_code == 422
    ticked = re.search(r'<input id="signup-consent_email_engagement"[^>]*>', response.text)
    unticked = re.search(r'<input id="signup-consent_marketing_email"[^>]*>', response.text)
    assert ticked is not None and " checked" in ticked.group(0)  # as the person left it
    assert unticked is not None and " checked" not in unticked.group(0)
    assert row_counts(engine) == before


def test_l86_a_box_ticked_on_the_english_page_is_proven_by_the_english_text(
    client: TestClient, engine: Engine
) -> None:
    client.cookies.set("privaat_lang", "en")
    assert sign_up(client, language="nl", consent_marketing_email="yes").status_code == 303
    english = "Yes, send me e-mail about Flexibelt products and apps."
    assert [row[3] for row in _ledger(engine)] == [consent_text_sha256(english)]
