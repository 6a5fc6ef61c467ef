"""The console's audiences page (issue 10 item 4; P4, L13, L15): the marketing role builds an
audience from filters and sees the count and a few initials, never the list; a filter the
policy does not offer is the page again with the reason."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape

import pytest
from fastapi.testclient import TestClient
from tests.factories import confirm_consents, customer
from tests.integration.test_console_roles import staff_session

from privaat.bootstrap import Context
from privaat.domain.clock import FixedClock
from privaat.domain.principal import StaffRole
from privaat.services.consents import ConsentMethod, Evidence
from privaat.web.app import create_app


@pytest.fixture
def marketer(context: Context, clock: FixedClock) -> Iterator[TestClient]:
    token = staff_session(context, clock, StaffRole.MARKETING)
    with TestClient(create_app(context), client=("145.97.0.1", 50000)) as client:
        client.cookies.set("privaat_console", token)
        yield client


def opted_in(context: Context, name: str, topics: list[str]) -> int:
    person = customer(context, name=name)
    with context.unit_of_work() as uow:
        context.consents.give(
            uow,
            person.principal,
            person.subject_id,
            "marketing_email",
            lang=None,
            method=ConsentMethod.API,
            evidence=Evidence.none(),
        )
    confirm_consents(context, person.email)  # a double opt-in (issue 14 item 5): the link opened
    with context.unit_of_work() as uow:
        context.preferences.update(
            uow, person.principal, person.subject_id, topics=topics, language="nl", channels=[]
        )
    return person.subject_id


def test_p4_l13_the_page_counts_the_admitted_and_previews_initials_only(
    marketer: TestClient, context: Context
) -> None:
    opted_in(context, "Anna de Vries", ["hosting"])
    opted_in(context, "Bram Bakker", ["voip"])
    customer(context, name="Zonder Toestemming")
    html = marketer.get("/console/marketing?run=1&topic=hosting").text
    count = re.search(r'id="marketing-count"><strong>(.*?)</strong>', html)
    assert count and count.group(1).startswith("1")
    assert "A.D.V." in html
    assert "Anna" not in html and "Bram" not in html and "Zonder" not in html


def test_p4_an_unknown_filter_is_the_page_again_with_the_reason(marketer: TestClient) -> None:
    response = marketer.get("/console/marketing?run=1&topic=golf")
    assert response.status_code == 422
    assert "unknown topic" in response.text


def test_l13_sending_a_campaign_to_the_audience_queues_only_the_admitted(
    marketer: TestClient, context: Context
) -> None:
    from privaat.mail.campaign_mail import CampaignText

    member = opted_in(context, "Anna de Vries", ["hosting"])
    customer(context, name="Zonder Toestemming")
    with context.unit_of_work() as uow:
        context.campaigns.create(
            uow,
            name="herfst",
            texts={"nl": CampaignText(subject="Herfst", body="Nieuw: hosting.")},
        )
    html = marketer.get("/console/marketing?run=1&topic=hosting").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    filters = re.search(r'name="filters" value="([^"]+)"', html)
    assert token and filters
    response = marketer.post(
        "/console/marketing/send",
        data={
            "csrf_token": token.group(1),
            "filters": unescape(filters.group(1)),
            "campaign": "herfst",
        },
    )
    assert response.status_code == 200, response.text
    assert 'id="marketing-sent"' in response.text
    sent = re.search(r'id="marketing-sent" role="status">(\d+)', response.text)
    assert sent and sent.group(1) == "1"
    assert member > 0
