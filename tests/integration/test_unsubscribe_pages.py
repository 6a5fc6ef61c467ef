"""The unsubscribe pages over HTTP (issue 10 item 5; RFC 8058; LEGAL L11, L14): a GET shows
one button and changes nothing, a POST withdraws with no log-in, bad tokens change nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.factories import Customer
from tests.integration.campaign_support import (
    a_campaign,
    consenting,
    ledger,
    pending_campaign_mail,
    send,
    subscriber,
    unsubscribe_path,
)
from tests.integration.test_pages_support import row_counts

from privaat.bootstrap import Context
from privaat.domain.clock import FixedClock
from privaat.store.tables_campaigns import suppressions

ONE_CLICK = {"List-Unsubscribe": "One-Click"}  # RFC 8058 §3.1: the body a mail client POSTs
# a subscriber's marketing ledger: the double opt-in asked in the centre, then its mailed link
# opened (issue 14 item 5)
SUBSCRIBED = [(False, "privacy_centre"), (True, "email_link")]


def counts(context: Context) -> dict[str, int]:
    context.access_log.flush()  # what earlier steps logged is written before counting
    return row_counts(context.engine)


def mailed(context: Context, *, language: str = "nl") -> tuple[Customer, str]:
    """A subscriber who was sent a campaign, and the unsubscribe path of that mail."""
    person = subscriber(context, language=language)
    send(context, a_campaign(context), person)
    return person, unsubscribe_path(pending_campaign_mail(context, person.email).body)


def test_L14_a_one_click_post_withdraws_the_consent_with_method_email_link(
    context: Context, client: TestClient
) -> None:
    person, path = mailed(context)
    # the mail client's POST: no cookie, no CSRF token, no log-in, cross-site (RFC 8058 §3.2)
    response = client.post(
        path, data=ONE_CLICK, headers={"Sec-Fetch-Site": "cross-site", "Origin": "null"}
    )
    assert response.status_code == 200
    assert ledger(context, person, "marketing_email")[-1] == (False, "email_link")
    assert not consenting(context, person, "marketing_email")
    with context.engine.connect() as connection:
        listed = (
            connection.execute(
                select(suppressions.c.reason).where(suppressions.c.subject_id == person.subject_id)
            )
            .scalars()
            .all()
        )
    assert listed == ["withdrawn:email_link"]


def test_L14_opening_the_link_shows_one_button_and_changes_nothing(
    context: Context, client: TestClient
) -> None:
    person, path = mailed(context)
    before = counts(context)
    page = client.get(path)
    assert page.status_code == 200
    main = page.text.split("<main", 1)[1].split("</main>", 1)[0]
    assert main.count("<button") == 1  # one button, and nothing happens until it is pressed
    assert 'id="unsubscribe-submit"' in main
    assert "Afmelden voor marketing-e-mail" in page.text
    assert counts(context) == before
    assert ledger(context, person, "marketing_email") == SUBSCRIBED
    assert consenting(context, person, "marketing_email")


def test_L14_the_button_withdraws_in_one_click_without_logging_in(
    context: Context, client: TestClient
) -> None:
    person, path = mailed(context)
    page = client.get(path + "?lang=nl")  # the footer's link
    assert f'action="{path}?lang=nl"' in page.text
    response = client.post(path, data={"csrf_token": "whatever the page held"})
    assert response.status_code == 200
    assert "U bent afgemeld" in response.text
    assert ledger(context, person, "marketing_email")[-1] == (False, "email_link")


def test_L14_a_repeated_post_is_harmless(context: Context, client: TestClient) -> None:
    person, path = mailed(context)
    assert client.post(path, data=ONE_CLICK).status_code == 200
    before = counts(context)
    again = client.post(path, data=ONE_CLICK)
    assert again.status_code == 200
    assert ledger(context, person, "marketing_email") == [
        *SUBSCRIBED,
        (False, "email_link"),
    ]
    after = counts(context)
    # the second POST reads the ledger through the seam (logged) and writes nothing else
    assert {k: v for k, v in after.items() if k != "access_log"} == {
        k: v for k, v in before.items() if k != "access_log"
    }


def test_L14_the_page_speaks_the_language_of_an_english_mail(
    context: Context, client: TestClient
) -> None:
    person, _path = mailed(context, language="en")
    footer = pending_campaign_mail(context, person.email).body
    link = footer.split("Unsubscribe with one click: ")[1].split()[0]
    page = client.get(link.removeprefix(context.settings.base_url.rstrip("/")))
    assert page.status_code == 200
    assert "Unsubscribe from marketing e-mail" in page.text
    assert page.headers["content-language"] == "en"


def _altered(path: str) -> str:
    kind, send_id, link, expires, mac = path.removeprefix("/unsubscribe/").split(".")
    other = str(int(send_id, 36) + 1)
    return f"/unsubscribe/{kind}.{other}.{link}.{expires}.{mac}"


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(_altered, id="altered-send"),
        pytest.param(
            lambda p: p[:-3] + ("AAA" if not p.endswith("AAA") else "BBB"), id="forged-mac"
        ),
        pytest.param(lambda p: p.rsplit(".", 1)[0], id="cut"),
        pytest.param(lambda p: "/unsubscribe/" + "x" * 500, id="oversized"),
        pytest.param(lambda p: "/unsubscribe/%00%ff..", id="garbage"),
        pytest.param(lambda p: p.replace("/u.", "/o.", 1), id="pixel-kind"),
    ],
)
def test_L14_a_bad_token_gets_a_clear_page_and_changes_nothing(
    context: Context, client: TestClient, spoil: object
) -> None:
    person, path = mailed(context)
    bad = spoil(path)  # type: ignore[operator]
    before = counts(context)
    for response in (client.get(bad), client.post(bad, data=ONE_CLICK)):
        assert response.status_code == 400, response.text
        assert "Deze afmeldlink is niet geldig. Er is niets gewijzigd." in response.text
        assert "Traceback" not in response.text
    assert counts(context) == before
    assert consenting(context, person, "marketing_email")


def test_L14_an_expired_token_gets_a_clear_page_and_changes_nothing(
    context: Context, client: TestClient, clock: FixedClock
) -> None:
    person, path = mailed(context)
    clock.advance(timedelta(days=61))
    before = counts(context)
    response = client.post(path, data=ONE_CLICK)
    assert response.status_code == 410
    assert "Deze afmeldlink is verlopen. Er is niets gewijzigd." in response.text
    assert client.get(path).status_code == 410
    assert counts(context) == before
    assert ledger(context, person, "marketing_email") == SUBSCRIBED


def test_P4_the_statement_names_the_unsubscribe_link_and_its_page_explains_it(
    client: TestClient,
) -> None:
    statement = client.get("/privacy?lang=en").text
    assert "with the unsubscribe link in every e-mail" in statement
    assert 'href="/unsubscribe"' in statement
    page = client.get("/unsubscribe")
    assert page.status_code == 200
    assert "Onderaan elke marketing-e-mail van Flexibelt staat een afmeldlink." in page.text
    assert "<form" not in page.text.split("<main", 1)[1].split("</main>", 1)[0]
