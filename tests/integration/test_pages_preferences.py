"""The privacy choices page (issue 10 items 2-3; P4, P11, P13; LEGAL L8, L9, L10, L12, L15):
a row per consent and per objection the policy sends to it, give and withdraw with one click
each, objecting to direct marketing at once and for good, history and receipts, and the bad
input of the issue: each a message beside its row, nothing written."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from tests.factories import Customer, confirm_consents, customer, verify_address
from tests.integration.test_pages_support import log_in, row_counts, submit, token_of

from privaat.bootstrap import Context, bootstrap
from privaat.domain.clock import FixedClock
from privaat.policy.loader import load_policy_file
from privaat.policy.schema import Channel, Consent, Policy, Text, consent_text_sha256
from privaat.settings import Settings, default_policy_file
from privaat.store.tables import consent_events, objections
from privaat.web.app import create_app

PAGE = "/account/preferences"
# by hand, from policies/flexibelt.yaml: the consents whose channels name the account
# preferences, in the file's order, and the objections, direct marketing first
CONSENTS = [
    "marketing_email",
    "device_precise_location",
    "support_account_access",
    "email_engagement",
    "group_transfer",
]
OBJECTIONS = [
    "marketing_selection",
    "voip_sync_telemetry",
    "datacenter_login_location",
    "app_hosting_analytics",
]
MARKETING_NL = "Ja, stuur mij e-mail over producten en apps van Flexibelt."
# each read is access-logged and every write has its audit entry: those are the record of a
# request, not what it wrote
SECURITY_RECORDS = {"access_log", "login_attempts", "audit_trail"}


def counts(engine: Engine) -> dict[str, int]:
    return {k: v for k, v in row_counts(engine).items() if k not in SECURITY_RECORDS}


@pytest.fixture
def jan(context: Context) -> Customer:
    return customer(context)


@pytest.fixture
def browser(client: TestClient, jan: Customer) -> TestClient:
    log_in(client, jan.email, jan.password)
    return client


def choose(client: TestClient, activity: str, choice: str, **extra: Any) -> Any:
    """Press one row's button: the page's own form, its token, one POST."""
    return submit(client, PAGE, {"activity": activity, "choice": choice, **extra})


def opt_in(client: TestClient, context: Context) -> None:
    """Give marketing consent on the page and open the link it mails, as the person would:
    marketing e-mail is a double opt-in (issue 14 item 5)."""
    given = choose(client, "marketing_email", "give")
    assert given.headers["location"] == f"{PAGE}?notice=requested"
    assert confirm_consents(context) == 1


def row(html: str, kind: str, activity: str) -> str:
    start = html.index(f'<section class="activity choice" id="{kind}-{activity}"')
    return html[start : html.index("</section>", start)]


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def buttons(part: str) -> list[tuple[str, str]]:
    """(id, value) of each submit button of a row."""
    return re.findall(r'<button type="submit"[^>]* id="([^"]+)" name="choice" value="(\w+)"', part)


def ledger(engine: Engine) -> list[tuple[str, bool, str]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                consent_events.c.activity, consent_events.c.given, consent_events.c.channel
            ).order_by(consent_events.c.id)
        ).all()
    return [(r.activity, bool(r.given), r.channel) for r in rows]


def objected(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(select(objections.c.activity)).scalars())


# --- the rows come from the policy file ----------------------------------------------------


def test_l9_a_row_per_consent_and_objection_the_policy_sends_here_in_its_order(
    browser: TestClient,
) -> None:
    html = browser.get(PAGE).text
    found = re.findall(r'<section class="activity choice" id="(consent|objection)-(\w+)"', html)
    assert found == [("consent", a) for a in CONSENTS] + [("objection", a) for a in OBJECTIONS]
    # the name with comments is changed on the edit page; cookies in the cookie settings
    assert "important_notices" not in html and "website_analytics" not in html


def test_p4_each_consent_row_has_the_policys_own_words_and_the_exact_request_text(
    browser: TestClient, context: Context
) -> None:
    part = row(browser.get(PAGE).text, "consent", "marketing_email")
    assert "<h3" in part and "Marketing-e-mail" in part
    assert "sturen we u e-mail over producten en apps van Flexibelt" in part  # description
    request = re.search(r'<q id="consent-marketing_email-request">(.*?)</q>', part)
    assert request is not None and unescape(request.group(1)) == MARKETING_NL
    assert "U gaf hiervoor geen toestemming. We doen het dus niet." in text_of(part)


def test_l9_a_providers_new_consent_activity_appears_without_code(
    settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    shipped = load_policy_file(default_policy_file())
    model = shipped.activity("device_precise_location")
    assert model.consent is not None
    extra = model.model_copy(
        update={
            "id": "weather_tips",
            "name": Text(nl="Weertips bij storingen", en="Weather tips during outages"),
            "consent": Consent(
                request=Text(nl="Stuur mij weertips.", en="Send me weather tips."),
                channels=(Channel.ACCOUNT_PREFERENCES,),
            ),
        }
    )
    policy = shipped.model_copy(update={"activities": (*shipped.activities, extra)})
    context = bootstrap(settings, clock=clock, engine=engine, policy=policy, run_migrations=False)
    person = customer(context)
    with TestClient(create_app(context), client=("145.97.0.1", 50000)) as client:
        log_in(client, person.email, person.password)
        assert "Stuur mij weertips." in row(client.get(PAGE).text, "consent", "weather_tips")
        assert choose(client, "weather_tips", "give").status_code == 303
        given = row(client.get(PAGE).text, "consent", "weather_tips")
        assert buttons(given) == [("consent-weather_tips-withdraw", "withdraw")]
        signup = client.get("/signup").text
    assert 'id="signup-consent_weather_tips"' in signup  # and a box at sign-up
    context.close()


# --- give and withdraw: one click each (L10) ------------------------------------------------


def test_l10_p4_giving_and_withdrawing_are_one_click_each_on_the_same_spot(
    browser: TestClient, engine: Engine, context: Context
) -> None:
    before = row(browser.get(PAGE).text, "consent", "marketing_email")
    assert buttons(before) == [("consent-marketing_email-give", "give")]

    given = choose(browser, "marketing_email", "give")
    assert given.status_code == 303 and given.headers["location"] == f"{PAGE}?notice=requested"
    page = browser.get(given.headers["location"]).text
    assert "We stuurden u een e-mail met een link." in page
    asked = row(page, "consent", "marketing_email")
    # a double opt-in (issue 14 item 5): the request can be cancelled with one click too
    assert buttons(asked) == [
        ("consent-marketing_email-give", "give"),
        ("consent-marketing_email-withdraw", "withdraw"),
    ]
    assert confirm_consents(context) == 1  # the mailed link, opened
    page = browser.get(PAGE).text
    after = row(page, "consent", "marketing_email")
    assert "U gaf toestemming op 26 november 2026." in text_of(after)
    # the same one button, in the same form, now withdraws: no confirmation, no extra step
    assert buttons(after) == [("consent-marketing_email-withdraw", "withdraw")]

    withdrawn = choose(browser, "marketing_email", "withdraw")
    assert withdrawn.status_code == 303
    assert withdrawn.headers["location"] == f"{PAGE}?notice=withdrawn"
    page = browser.get(withdrawn.headers["location"]).text
    assert "Uw toestemming is ingetrokken. We zijn direct gestopt." in page
    last = row(page, "consent", "marketing_email")
    assert "U trok uw toestemming in op 26 november 2026." in text_of(last)
    assert buttons(last) == [("consent-marketing_email-give", "give")]
    assert ledger(engine) == [
        ("marketing_email", False, "privacy_centre"),  # asked
        ("marketing_email", True, "email_link"),  # confirmed through the link
        ("marketing_email", False, "privacy_centre"),  # withdrawn
    ]


def test_l7_the_ledger_proves_the_text_shown_in_the_pages_language(
    browser: TestClient, engine: Engine
) -> None:
    browser.cookies.set("privaat_lang", "en")
    choose(browser, "marketing_email", "give")
    with engine.connect() as connection:
        sha = connection.execute(select(consent_events.c.text_sha256)).scalar_one()
    assert sha == consent_text_sha256("Yes, send me e-mail about Flexibelt products and apps.")


def test_bad_input_a_duplicate_submit_writes_nothing_more(
    browser: TestClient, engine: Engine
) -> None:
    html = browser.get(PAGE).text
    data = {"activity": "group_transfer", "choice": "give", "csrf_token": token_of(html)}
    first = browser.post(PAGE, data=data, follow_redirects=False)
    second = browser.post(PAGE, data=data, follow_redirects=False)  # a double click
    assert first.status_code == second.status_code == 303
    assert ledger(engine) == [("group_transfer", True, "privacy_centre")]


def test_l86_a_consent_for_an_earlier_text_is_asked_again(
    settings: Settings, engine: Engine, clock: FixedClock, context: Context, jan: Customer
) -> None:
    with TestClient(create_app(context), client=("145.97.0.1", 50000)) as client:
        log_in(client, jan.email, jan.password)
        opt_in(client, context)
    changed = _with_marketing_request(
        context.policy, Text(nl="Stuur mij e-mail over aanbiedingen.", en="Send me offers.")
    )
    later = bootstrap(settings, clock=clock, engine=engine, policy=changed, run_migrations=False)
    with TestClient(create_app(later), client=("145.97.0.1", 50000)) as client:
        log_in(client, jan.email, jan.password)
        part = row(client.get(PAGE).text, "consent", "marketing_email")
    assert "voor een eerdere tekst" in text_of(part) and "vragen het opnieuw" in text_of(part)
    assert "Stuur mij e-mail over aanbiedingen." in part  # the new text, to consent to
    assert buttons(part) == [
        ("consent-marketing_email-give", "give"),
        ("consent-marketing_email-withdraw", "withdraw"),
    ]
    later.close()


def _with_marketing_request(policy: Policy, request: Text) -> Policy:
    activities = tuple(
        a.model_copy(update={"consent": a.consent.model_copy(update={"request": request})})
        if a.id == "marketing_email" and a.consent is not None
        else a
        for a in policy.activities
    )
    return policy.model_copy(update={"activities": activities})


def test_l29_a_time_limited_grant_says_when_it_ends(browser: TestClient) -> None:
    choose(browser, "support_account_access", "give")
    part = row(browser.get(PAGE).text, "consent", "support_account_access")
    # P7D from 26 November: the policy's expires_after
    assert "Die stopt vanzelf op 3 december 2026." in text_of(part)


def test_p11_l9_engagement_tracking_is_its_own_choice_apart_from_marketing_mail(
    browser: TestClient, engine: Engine, context: Context
) -> None:
    opt_in(browser, context)
    page = browser.get(PAGE).text
    # one control per purpose (art. 7(2)): marketing mail given, its tracking still not
    assert buttons(row(page, "consent", "email_engagement")) == [
        ("consent-email_engagement-give", "give")
    ]
    assert "meetpixel" in row(page, "consent", "email_engagement")  # the policy's own words
    assert ledger(engine) == [
        ("marketing_email", False, "privacy_centre"),
        ("marketing_email", True, "email_link"),
    ]


def test_p13_the_group_transfer_asks_its_explicit_consent_in_a_row_of_its_own(
    browser: TestClient, engine: Engine
) -> None:
    part = row(browser.get(PAGE).text, "consent", "group_transfer")
    assert "Ik geef uitdrukkelijk toestemming" in part and "modelcontracten" in part
    choose(browser, "group_transfer", "give")
    choose(browser, "group_transfer", "withdraw")
    assert ledger(engine) == [
        ("group_transfer", True, "privacy_centre"),
        ("group_transfer", False, "privacy_centre"),
    ]


# --- history and receipts -------------------------------------------------------------------


def test_l7_the_history_lists_each_record_with_its_method_and_receipts(
    client: TestClient, context: Context, engine: Engine
) -> None:
    submit(
        client,
        "/signup",
        {
            "email": "anna@example.nl",
            "password": "correct horse battery",
            "name": "Anna",
            "language": "nl",
            "age_declaration": "yes",
            "consent_marketing_email": "yes",
        },
    )
    subject_id = _subject_of(engine)
    verify_address(context, subject_id, "anna@example.nl")
    assert confirm_consents(context, "anna@example.nl") == 1  # the double opt-in's link
    log_in(client, "anna@example.nl", "correct horse battery")
    choose(client, "marketing_email", "withdraw")
    part = row(client.get(PAGE).text, "consent", "marketing_email")
    history = text_of(part[part.index("<details") :])
    # newest first: withdrawn here, given through the mailed link, asked at sign-up
    assert (
        history.index("toestemming ingetrokken")
        < history.index("toestemming gegeven")
        < history.index("gevraagd, te bevestigen per e-mail")
    )
    assert "op deze pagina" in history and "met de link in een e-mail" in history
    assert "bij het aanmaken van uw account" in history
    links = [unescape(h) for h in re.findall(r'href="(/account/preferences/receipts/[^"]+)"', part)]
    # a withdrawal and a request have only the ISO record: Kantara CR v1.1 records a give
    assert len(links) == 4
    assert sum("format=kantara" in link for link in links) == 1


def _subject_of(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(consent_events.c.subject_id)).scalar_one())


@pytest.mark.parametrize(
    ("fmt", "field"), [("kantara", "consentReceiptID"), ("iso27560", "schema_version")]
)
def test_l7_a_receipt_downloads_as_json(
    browser: TestClient, context: Context, fmt: str, field: str
) -> None:
    opt_in(browser, context)
    html = browser.get(PAGE).text
    href = next(
        unescape(h)
        for h in re.findall(r'href="(/account/preferences/receipts/[^"]+)"', html)
        if f"format={fmt}" in h
    )
    response = browser.get(href)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    assert field in response.json()


@pytest.fixture
def other_persons_record(context: Context) -> Iterator[int]:
    someone = customer(context)
    with TestClient(create_app(context), client=("145.97.0.1", 50000)) as client:
        log_in(client, someone.email, someone.password)
        choose(client, "marketing_email", "give")
    with context.engine.connect() as connection:
        yield int(connection.execute(select(consent_events.c.id)).scalar_one())


def test_bad_input_another_persons_receipt_or_an_unknown_format_is_not_found(
    other_persons_record: int, browser: TestClient
) -> None:
    base = f"{PAGE}/receipts/{other_persons_record}"
    assert browser.get(f"{base}?format=kantara").status_code == 404
    choose(browser, "marketing_email", "give")
    own = re.search(r"/account/preferences/receipts/(\d+)", browser.get(PAGE).text)
    assert own is not None
    assert browser.get(f"{PAGE}/receipts/{own.group(1)}?format=pdf").status_code == 404
    assert browser.get(f"{PAGE}/receipts/not-a-number?format=kantara").status_code == 400


# --- objections (art. 21) -------------------------------------------------------------------


def test_l15_p4_objecting_to_direct_marketing_is_one_click_absolute_and_needs_no_reason(
    browser: TestClient, engine: Engine
) -> None:
    choose(browser, "marketing_email", "give")
    part = row(browser.get(PAGE).text, "objection", "marketing_selection")
    assert "Maakt u bezwaar, dan stoppen we direct. U hoeft geen reden te geven." in part
    assert buttons(part) == [("objection-marketing_selection-object", "object")]

    response = choose(browser, "marketing_selection", "object")
    assert response.status_code == 303
    assert response.headers["location"] == f"{PAGE}?notice=objected"
    page = browser.get(response.headers["location"]).text
    assert "Uw bezwaar is vastgelegd. We zijn direct gestopt." in page
    after = row(page, "objection", "marketing_selection")
    assert "U maakte bezwaar op 26 november 2026." in text_of(after)
    assert buttons(after) == []  # lifting is not built: the page says to mail us
    assert "Wilt u uw bezwaar ongedaan maken? Mail ons:" in text_of(after)
    assert 'href="mailto:euprivacy@flexibelt.nl"' in after
    # one objection for all of direct marketing (art. 21(2)-(3), L85): the consents say so
    for activity in ("marketing_email", "email_engagement"):
        consent = row(page, "consent", activity)
        assert "U maakte bezwaar tegen direct marketing." in text_of(consent), activity
    assert objected(engine) == ["direct_marketing"]


def guard_allows(context: Context, person: Customer, activity: str) -> bool:
    """The guard's decision for ``activity`` on this person now (the seam, no data opened)."""
    with context.unit_of_work() as uow, uow.reading() as connection:
        return context.access.decide(
            connection, person.principal, person.subject_id, activity
        ).allowed


def test_l15_l10_the_guard_follows_each_click_marketing_stops_whatever_the_consent(
    browser: TestClient, context: Context, jan: Customer
) -> None:
    assert not guard_allows(context, jan, "marketing_email")  # L8: nothing given yet
    choose(browser, "marketing_email", "give")
    assert not guard_allows(context, jan, "marketing_email")  # asked, the link not opened
    assert confirm_consents(context) == 1
    assert guard_allows(context, jan, "marketing_email")
    choose(browser, "marketing_email", "withdraw")
    assert not guard_allows(context, jan, "marketing_email")  # L11: stopped at once
    opt_in(browser, context)
    choose(browser, "email_engagement", "give")
    choose(browser, "marketing_selection", "object")
    # art. 21(3): the objection wins over every marketing consent, at once
    for activity in ("marketing_email", "email_engagement", "marketing_selection"):
        assert not guard_allows(context, jan, activity), activity
    assert guard_allows(context, jan, "group_transfer") is False  # never given
    assert guard_allows(context, jan, "app_hosting_analytics")  # no objection to it


def test_art21_an_objection_to_another_activity_is_weighed_and_says_so(
    browser: TestClient, engine: Engine
) -> None:
    part = row(browser.get(PAGE).text, "objection", "app_hosting_analytics")
    assert "zwaarder wegen" in part and "geen reden" not in part
    assert choose(browser, "app_hosting_analytics", "object").status_code == 303
    assert objected(engine) == ["app_hosting_analytics"]
    after = row(browser.get(PAGE).text, "objection", "app_hosting_analytics")
    assert "U maakte bezwaar op 26 november 2026. We zijn direct gestopt." in text_of(after)
    # the others are untouched
    assert buttons(row(browser.get(PAGE).text, "objection", "voip_sync_telemetry"))


# --- bad input: a message beside the row, nothing written -----------------------------------


@pytest.mark.parametrize(
    ("activity", "choice", "where", "message"),
    [
        pytest.param(
            "no_such_activity", "give", None, "Deze keuze staat niet op deze pagina.", id="unknown"
        ),
        pytest.param(
            "marketing_selection",
            "give",
            "objection-marketing_selection",
            "Hiervoor geeft u geen toestemming",
            id="consent-to-a-legitimate-interest",
        ),
        pytest.param(
            "marketing_email",
            "object",
            "consent-marketing_email",
            "Hiertegen maakt u geen bezwaar",
            id="objection-to-a-consent",
        ),
        pytest.param(
            "marketing_email",
            "withdraw",
            "consent-marketing_email",
            "U gaf hiervoor geen toestemming, dus er is niets in te trekken.",
            id="withdrawal-never-given",
        ),
        pytest.param(
            "website_analytics",
            "give",
            None,
            "Deze keuze staat niet op deze pagina.",
            id="consent-of-the-cookie-banner",
        ),
        pytest.param(
            "login_security",
            "object",
            None,
            "Deze keuze staat niet op deze pagina.",
            id="mail-only",
        ),
        pytest.param(
            "marketing_email",
            "maybe",
            "consent-marketing_email",
            "niet op deze pagina",
            id="choice",
        ),
    ],
)
def test_bad_input_a_refused_choice_is_said_beside_its_row_and_nothing_is_written(
    browser: TestClient,
    engine: Engine,
    activity: str,
    choice: str,
    where: str | None,
    message: str,
) -> None:
    browser.get(PAGE)
    before = counts(engine)
    response = choose(browser, activity, choice)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    summary = re.search(
        r'<div class="error-summary" id="preferences-errors".*?</div>', response.text, re.S
    )
    assert summary is not None and message in unescape(summary.group(0))
    if where is not None:
        kind, _, name = where.partition("-")
        error = re.search(rf'<p class="error" id="{where}-error">(.*?)</p>', response.text, re.S)
        assert error is not None and message in text_of(error.group(1))
        assert f'href="#{where}"' in summary.group(0)
        assert kind in {"consent", "objection"} and name
    assert "Er is niets gewijzigd." in text_of(summary.group(0))
    assert counts(engine) == before


def test_bad_input_a_form_without_its_csrf_token_is_refused_and_writes_nothing(
    browser: TestClient, engine: Engine
) -> None:
    browser.get(PAGE)
    before = counts(engine)
    response = browser.post(
        PAGE, data={"activity": "marketing_email", "choice": "give"}, follow_redirects=False
    )
    assert response.status_code == 403
    assert "Er is niets gewijzigd." in text_of(response.text)
    assert counts(engine) == before and ledger(engine) == []


def test_the_page_needs_a_log_in(client: TestClient) -> None:
    response = client.get(PAGE, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next={PAGE}"
    assert (
        client.get(f"{PAGE}/receipts/1?format=kantara", follow_redirects=False).status_code == 303
    )


# --- the centre links the page --------------------------------------------------------------


def test_the_centre_links_the_page_from_my_data_and_the_navigation(browser: TestClient) -> None:
    html = browser.get("/account").text
    assert 'id="account-preferences" href="/account/preferences"' in html
    assert 'id="nav-preferences" href="/account/preferences"' in html
    page = browser.get(PAGE).text
    assert 'id="nav-preferences" href="/account/preferences" aria-current="page"' in page
    assert "<h1" in page and "Privacykeuzes" in page


def test_l12_with_no_consent_at_all_every_page_of_the_centre_works(
    browser: TestClient, engine: Engine
) -> None:
    for path in ("/account", "/account/edit", "/account/logins", PAGE):
        assert browser.get(path).status_code == 200, path
    assert ledger(engine) == []


def test_the_english_page(browser: TestClient) -> None:
    browser.cookies.set("privaat_lang", "en")
    html = browser.get(PAGE).text
    assert "Privacy choices" in html and "Give consent" in html
    assert "Yes, send me e-mail about Flexibelt products and apps." in html
    assert "This is direct marketing. If you object, we stop at once." in html
