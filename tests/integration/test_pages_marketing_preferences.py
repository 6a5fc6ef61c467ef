"""The marketing preferences on the privacy choices page (issue 10 item 2; P4): one form,
topics, channels and language from the policy, saved and shown again; a topic not offered
is a clear page and writes nothing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from tests.factories import Customer, customer
from tests.integration.test_pages_support import log_in, row_counts, submit

from privaat.bootstrap import Context
from privaat.domain.principal import DataSubject

PAGE = "/account/preferences"
FORM = "/account/preferences/marketing"


@pytest.fixture
def jan(context: Context) -> Customer:
    return customer(context, language="nl")


@pytest.fixture
def browser(client: TestClient, jan: Customer) -> TestClient:
    log_in(client, jan.email, jan.password)
    return client


def test_p4_the_page_offers_every_topic_of_the_policy_unticked(browser: TestClient) -> None:
    html = browser.get(PAGE + "?lang=en").text
    assert 'id="marketing-form"' in html
    for topic in ("hosting", "email", "voip", "webshop", "apps"):
        assert f'name="topic_{topic}" value="on">' in html  # present, not checked (L8)


def test_p4_saving_the_form_round_trips_topics_channels_and_language(
    browser: TestClient, context: Context, jan: Customer
) -> None:
    data = {"topic_voip": "on", "topic_apps": "on", "channel_email": "on", "language": "en"}
    response = submit(browser, FORM, data, page=PAGE)
    assert response.status_code == 303
    assert response.headers["location"].startswith(PAGE + "?notice=marketing_saved")
    with context.unit_of_work() as uow:
        saved = context.preferences.get(uow, DataSubject(jan.subject_id), jan.subject_id)
    assert saved.topics == ("voip", "apps") and saved.language == "en"
    assert saved.channels == ("email",)
    html = browser.get(PAGE).text
    assert 'name="topic_voip" value="on" checked>' in html
    assert 'name="topic_hosting" value="on">' in html
    assert '<option value="en" selected>' in html


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({"topic_golf": "on", "language": "nl"}, id="unknown-topic"),
        pytest.param({"channel_sms": "on", "language": "nl"}, id="unknown-channel"),
        pytest.param({"topic_voip": "on", "language": "de"}, id="unknown-language"),
        pytest.param({"topic_voip": "on"}, id="no-language"),
    ],
)
def test_p4_preferences_not_offered_are_a_clear_page_and_write_nothing(
    browser: TestClient, context: Context, data: dict[str, str]
) -> None:
    before = {k: v for k, v in row_counts(context.engine).items() if k != "access_log"}
    response = submit(browser, FORM, data, page=PAGE)
    assert response.status_code == 422
    assert 'id="marketing-error"' in response.text
    after = {k: v for k, v in row_counts(context.engine).items() if k != "access_log"}
    assert after == before
