"""Double opt-in for marketing e-mail (issue 14 item 5; P4; LEGAL L7, L13): the consent is
"given" only when the person opens the signed, expiring link mailed to the address; the
request and the confirmation are both in the ledger; an unconfirmed request expires; an old
link never brings back a consent that was withdrawn. Driven through the privacy centre, the
API and the link's page, as a person and a client would."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from tests.factories import CONFIRM_LINK, Customer, customer
from tests.integration.test_pages_support import log_in, submit

from privaat.bootstrap import Context
from privaat.domain.clock import FixedClock
from privaat.domain.principal import StaffMember, StaffRole
from privaat.mail.transport import OutgoingMail
from privaat.policy.schema import consent_text_sha256
from privaat.store.tables import audit_log, consent_events

PAGE = "/account/preferences"
MARKETING = "marketing_email"
# by hand, from policies/flexibelt.yaml: marketing_email's consent request and its period
MARKETING_NL = "Ja, stuur mij e-mail over producten en apps van Flexibelt."
OFFICER = StaffMember(3, StaffRole.PRIVACY_OFFICER)


@pytest.fixture
def jan(context: Context) -> Customer:
    return customer(context)


@pytest.fixture
def browser(client: TestClient, jan: Customer) -> TestClient:
    log_in(client, jan.email, jan.password)
    return client


def ledger(engine: Engine) -> list[tuple[str, bool, str, str | None]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                consent_events.c.activity,
                consent_events.c.given,
                consent_events.c.channel,
                consent_events.c.stage,
            ).order_by(consent_events.c.id)
        ).all()
    return [(r.activity, bool(r.given), r.channel, r.stage) for r in rows]


def confirmation_mails(context: Context, to: str) -> list[OutgoingMail]:
    return [
        mail
        for _id, template, mail in context.outbox.pending()
        if template == "confirm_consent" and mail.to == to
    ]


def link_path(mail: OutgoingMail) -> str:
    """The path of the mail's link, as the person's browser opens it."""
    found = re.search(r"https?://[^/\s]+(/confirm/[\w.-]+\?lang=\w+)", mail.body)
    assert found is not None, mail.body
    return found.group(1)


def allowed(context: Context, subject_id: int) -> bool:
    with context.unit_of_work() as uow, uow.reading() as connection:
        return context.access.decide(connection, OFFICER, subject_id, MARKETING).allowed


def ask(browser: TestClient) -> None:
    response = submit(browser, PAGE, {"activity": MARKETING, "choice": "give"})
    assert response.status_code == 303
    assert response.headers["location"] == f"{PAGE}?notice=requested"


def test_issue14_item5_l13_marketing_counts_only_once_the_mailed_link_is_confirmed(
    browser: TestClient, context: Context, engine: Engine, jan: Customer
) -> None:
    ask(browser)
    page = browser.get(f"{PAGE}?notice=requested").text
    assert "We stuurden u een e-mail met een link." in page
    assert "Op 26 november 2026 mailden we u een link om dit te bevestigen." in page
    # asked is not given: the ledger has the request, the guard still says no
    assert ledger(engine) == [(MARKETING, False, "privacy_centre", "requested")]
    assert not allowed(context, jan.subject_id)

    (mail,) = confirmation_mails(context, jan.email)
    assert MARKETING_NL in mail.body  # the mail quotes what is being confirmed
    assert jan.email not in link_path(mail)  # the link names no address
    # opening the link (a mail scanner, a preview) gives nothing: one button
    opened = browser.get(link_path(mail))
    assert opened.status_code == 200 and 'id="confirm-submit"' in opened.text
    assert len(ledger(engine)) == 1 and not allowed(context, jan.subject_id)

    confirmed = browser.post(link_path(mail))
    assert confirmed.status_code == 200 and 'id="confirm-done"' in confirmed.text
    assert ledger(engine) == [
        (MARKETING, False, "privacy_centre", "requested"),
        (MARKETING, True, "email_link", "confirmed"),
    ]
    assert allowed(context, jan.subject_id)
    with engine.connect() as connection:
        text_hashes = connection.execute(
            select(consent_events.c.text_sha256).order_by(consent_events.c.id)
        ).scalars()
        # art. 7(1): the confirmation proves consent to the very text the request showed
        assert set(text_hashes) == {consent_text_sha256(MARKETING_NL)}
        actions = connection.execute(
            select(audit_log.c.action).where(audit_log.c.action.like("consent.%"))
        ).scalars()
        assert list(actions) == ["consent.requested", "consent.confirmed"]

    # a second click on the same link: the same answer, nothing new
    again = browser.post(link_path(mail))
    assert again.status_code == 200 and len(ledger(engine)) == 2


def test_issue14_item5_an_unconfirmed_request_expires_and_nothing_was_given(
    browser: TestClient, context: Context, engine: Engine, jan: Customer, clock: FixedClock
) -> None:
    ask(browser)
    (mail,) = confirmation_mails(context, jan.email)
    clock.advance(timedelta(days=7, minutes=1))  # the policy's confirm_by_email: P7D
    lapsed = browser.post(link_path(mail))
    assert lapsed.status_code == 410 and "verlopen" in lapsed.text
    assert ledger(engine) == [(MARKETING, False, "privacy_centre", "requested")]
    assert not allowed(context, jan.subject_id)
    # the centre no longer speaks of a link that waits
    assert "mailden we u een link" not in browser.get(PAGE).text


def test_issue14_item5_an_old_link_never_brings_back_a_withdrawn_consent(
    browser: TestClient, context: Context, engine: Engine, jan: Customer
) -> None:
    ask(browser)
    (mail,) = confirmation_mails(context, jan.email)
    # cancelled before the link was opened: the link is spent
    cancel = submit(browser, PAGE, {"activity": MARKETING, "choice": "withdraw"})
    assert cancel.status_code == 303
    spent = browser.post(link_path(mail))
    assert spent.status_code == 409 and not allowed(context, jan.subject_id)
    assert ledger(engine)[-1] == (MARKETING, False, "privacy_centre", None)


def test_issue14_item5_a_confirmed_then_withdrawn_consent_stays_withdrawn(
    browser: TestClient, context: Context, engine: Engine, jan: Customer
) -> None:
    ask(browser)
    (mail,) = confirmation_mails(context, jan.email)
    assert browser.post(link_path(mail)).status_code == 200
    submit(browser, PAGE, {"activity": MARKETING, "choice": "withdraw"})
    assert not allowed(context, jan.subject_id)
    replayed = browser.post(link_path(mail))  # the old link, clicked again later
    assert replayed.status_code == 409 and not allowed(context, jan.subject_id)
    assert [stage for *_rest, stage in ledger(engine)] == ["requested", "confirmed", None]


def test_issue14_item5_asking_twice_sends_one_mail_and_later_a_fresh_link(
    browser: TestClient, context: Context, engine: Engine, jan: Customer, clock: FixedClock
) -> None:
    ask(browser)
    ask(browser)  # a double click
    (first,) = confirmation_mails(context, jan.email)
    assert len(ledger(engine)) == 1
    clock.advance(timedelta(minutes=11))  # the mail went missing; asked again later
    ask(browser)
    (second,) = [m for m in confirmation_mails(context, jan.email) if m != first]
    assert link_path(first) != link_path(second) and len(ledger(engine)) == 2
    assert browser.post(link_path(first)).status_code == 409  # the newer request spent it
    assert browser.post(link_path(second)).status_code == 200
    assert allowed(context, jan.subject_id)


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda token: token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), id="mac"),
        pytest.param(lambda token: token.replace("k.", "u.", 1), id="other-kind"),
        pytest.param(lambda token: token[:10], id="cut"),
        pytest.param(lambda token: "x" * 500, id="too-long"),
    ],
)
def test_bad_input_a_forged_or_altered_link_gives_nothing(
    browser: TestClient, context: Context, engine: Engine, jan: Customer, mangle: object
) -> None:
    ask(browser)
    (mail,) = confirmation_mails(context, jan.email)
    token = CONFIRM_LINK.search(mail.body)
    assert token is not None
    forged = mangle(token.group(1))  # type: ignore[operator]
    response = browser.post(f"/confirm/{forged}?lang=nl")
    assert response.status_code == 400 and "niet geldig" in response.text
    assert "Traceback" not in response.text
    assert len(ledger(engine)) == 1 and not allowed(context, jan.subject_id)


def test_issue14_item5_the_api_answers_requested_and_lists_the_waiting_link(
    browser: TestClient, context: Context, jan: Customer
) -> None:
    given = browser.post(f"/api/v1/consents/{MARKETING}", json={"lang": "en"})
    assert given.status_code == 200, given.text
    body = given.json()
    assert body["stage"] == "requested" and body["given"] is False
    assert body["expires_at"].startswith("2026-12-03")  # 26 November + 7 days
    listed = {c["activity"]: c for c in browser.get("/api/v1/consents").json()}
    assert listed[MARKETING]["given"] is False
    assert listed[MARKETING]["awaiting"]["id"] == body["id"]
    (mail,) = confirmation_mails(context, jan.email)
    assert "Yes, send me e-mail about Flexibelt products and apps." in mail.body
    assert link_path(mail).endswith("?lang=en")
    # the ISO/IEC TS 27560 record of the request says what it is: asked, not refused
    receipt = browser.get(
        f"/api/v1/consents/receipts/{body['id']}", params={"format": "iso27560"}
    ).json()
    assert receipt["event"][0]["event_type"] == "consent_requested"
    assert receipt["event"][0]["event_state"] == "requested"


def test_issue14_item5_a_consent_without_confirm_by_email_is_given_at_once(
    browser: TestClient, context: Context, engine: Engine, jan: Customer
) -> None:
    # the double opt-in is the policy's choice per activity, not a rule for every consent
    submit(browser, PAGE, {"activity": "email_engagement", "choice": "give"})
    assert ledger(engine) == [("email_engagement", True, "privacy_centre", None)]
    assert confirmation_mails(context, jan.email) == []
