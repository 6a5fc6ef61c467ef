"""E-mail engagement (issue 10 item 6; P11, LEGAL L18): the open pixel and the click redirect
record only for recipients whose email_engagement consent is live; the redirect goes only to
the campaign's own links; purchases count only within a window after a click."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.factories import Customer
from tests.integration.campaign_support import (
    JOB,
    PRICES,
    SHOP,
    a_campaign,
    pending_campaign_mail,
    send,
    subscriber,
    withdraw,
)

from privaat.bootstrap import Context
from privaat.domain.clock import FixedClock
from privaat.services.campaign_tokens import CampaignToken, TokenKind, sign
from privaat.services.campaigns import CLICK_WINDOW
from privaat.services.errors import InvalidField
from privaat.store.tables_campaigns import campaign_sends, engagement_events
from privaat.web.pages.engagement import PIXEL

CLICK = re.compile(r"https?://[^/\s]+(/e/c/[\w.-]+)")
PIXEL_URL = re.compile(r"https?://[^/\s]+(/e/o/[\w.-]+\.gif)")


def tracked(context: Context) -> tuple[Customer, list[str], str]:
    """A subscriber with engagement consent, the click paths and the pixel path of their mail."""
    person = subscriber(context, tracking=True)
    send(context, a_campaign(context), person)
    mail = pending_campaign_mail(context, person.email)
    pixel = PIXEL_URL.search(mail.html or "")
    assert pixel is not None
    # a sentence may end right after a link: its full stop is not part of the token
    return person, [c.rstrip(".") for c in CLICK.findall(mail.body)], pixel.group(1)


def events(context: Context, person: Customer) -> list[str]:
    with context.unit_of_work() as uow:
        return [e.kind for e in context.campaigns.engagement(uow, JOB, person.subject_id)]


def test_P11_the_pixel_records_an_open_and_answers_a_one_pixel_gif(
    context: Context, client: TestClient
) -> None:
    person, _clicks, pixel = tracked(context)
    response = client.get(pixel)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/gif"
    assert response.content == PIXEL
    assert response.content[:6] == b"GIF89a"
    assert (response.content[6], response.content[8]) == (1, 1)  # 1×1 (little-endian width, height)
    assert response.headers["cache-control"] == "no-store"
    assert events(context, person) == ["open"]


def test_P11_a_click_goes_to_the_campaign_link_and_is_recorded_encrypted(
    context: Context, client: TestClient
) -> None:
    person, clicks, _pixel = tracked(context)
    assert len(clicks) == 2
    first = client.get(clicks[0], follow_redirects=False)
    second = client.get(clicks[1], follow_redirects=False)
    assert (first.status_code, first.headers["location"]) == (302, SHOP)
    assert (second.status_code, second.headers["location"]) == (302, PRICES)
    with context.unit_of_work() as uow:
        recorded = context.campaigns.engagement(uow, JOB, person.subject_id)
    assert [(e.kind, e.detail) for e in recorded] == [("click", SHOP), ("click", PRICES)]
    with context.engine.connect() as connection:
        stored = connection.execute(select(engagement_events.c.detail_enc)).scalars().all()
    assert all(SHOP.encode() not in blob and b"flexibelt" not in blob for blob in stored)


def test_L18_without_engagement_consent_nothing_is_recorded(
    context: Context, client: TestClient
) -> None:
    person, clicks, pixel = tracked(context)
    withdraw(context, person, "email_engagement")  # after the mail went out
    assert client.get(pixel).status_code == 200  # the image still shows
    response = client.get(clicks[0], follow_redirects=False)
    assert response.headers["location"] == SHOP  # the link still works
    assert events(context, person) == []
    with context.engine.connect() as connection:
        assert connection.execute(select(engagement_events.c.id)).first() is None


def _click_token(context: Context, send_id: int, link: int) -> str:
    with context.engine.begin() as connection:
        index = context.keys.blind_index(connection)
    expires = context.clock.now() + timedelta(days=1)
    return sign(index, CampaignToken(TokenKind.CLICK, send_id, expires, link=link))


def test_P11_the_redirect_refuses_a_link_the_campaign_does_not_hold(
    context: Context, client: TestClient
) -> None:
    person, clicks, _pixel = tracked(context)
    with context.engine.connect() as connection:
        send_id = connection.execute(select(campaign_sends.c.id)).scalar_one()
    # a genuinely signed token, for a link index the campaign does not have
    response = client.get(f"/e/c/{_click_token(context, send_id, 2)}", follow_redirects=False)
    assert response.status_code == 404
    assert "location" not in response.headers
    assert events(context, person) == []


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/e/c/https%3A%2F%2Fevil.example", id="a-url"),
        pytest.param("/e/c/c.1.0.zzzzzz.AAAAAAAAAAAAAAAAAAAAAA", id="forged"),
        pytest.param("/e/c/" + "c" * 400, id="oversized"),
        pytest.param("/e/c/?url=https://evil.example", id="query-only"),
        pytest.param("/e/o/o.1..zzzzzz.AAAAAAAAAAAAAAAAAAAAAA.gif", id="forged-pixel"),
    ],
)
def test_P11_a_bad_engagement_token_is_a_404_page_and_never_a_redirect(
    context: Context, client: TestClient, path: str
) -> None:
    person, _clicks, _pixel = tracked(context)
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 404
    assert "location" not in response.headers
    assert events(context, person) == []


def test_P11_a_pixel_token_is_no_click_token(context: Context, client: TestClient) -> None:
    _person, _clicks, pixel = tracked(context)
    token = pixel.removeprefix("/e/o/").removesuffix(".gif")
    assert client.get(f"/e/c/{token}", follow_redirects=False).status_code == 404


def test_P11_a_purchase_after_a_click_is_attributed_within_the_window_only(
    context: Context, client: TestClient, clock: FixedClock
) -> None:
    person, clicks, _pixel = tracked(context)
    with context.unit_of_work() as uow:  # no click yet: nothing to attribute
        assert not context.campaigns.record_purchase(uow, JOB, person.subject_id, "ORD-1")
    client.get(clicks[0], follow_redirects=False)
    clock.advance(CLICK_WINDOW - timedelta(minutes=1))
    with context.unit_of_work() as uow:
        assert context.campaigns.record_purchase(uow, JOB, person.subject_id, "ORD-2")
    clock.advance(timedelta(minutes=2))  # now past the window after the click
    with context.unit_of_work() as uow:
        assert not context.campaigns.record_purchase(uow, JOB, person.subject_id, "ORD-3")
    with context.unit_of_work() as uow:
        recorded = context.campaigns.engagement(uow, JOB, person.subject_id)
    assert [(e.kind, e.detail) for e in recorded] == [("click", SHOP), ("purchase", "ORD-2")]


def test_L18_a_purchase_is_not_attributed_without_engagement_consent(
    context: Context, client: TestClient
) -> None:
    person, clicks, _pixel = tracked(context)
    client.get(clicks[0], follow_redirects=False)
    withdraw(context, person, "email_engagement")
    with context.unit_of_work() as uow:
        assert not context.campaigns.record_purchase(uow, JOB, person.subject_id, "ORD-9")
    with context.engine.connect() as connection:
        kinds = connection.execute(select(engagement_events.c.kind)).scalars().all()
    assert kinds == ["click"]


@pytest.mark.parametrize("order_ref", ["", "   ", "x" * 101])
def test_a_bad_order_reference_is_refused_and_nothing_written(
    context: Context, order_ref: str
) -> None:
    person = subscriber(context, tracking=True)
    with pytest.raises(InvalidField), context.unit_of_work() as uow:
        context.campaigns.record_purchase(uow, JOB, person.subject_id, order_ref)
    with context.engine.connect() as connection:
        assert connection.execute(select(engagement_events.c.id)).first() is None
