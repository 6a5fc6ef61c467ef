"""Campaigns through the outbox over real SMTP (issue 10 item 5; P4, P11; LEGAL L4, L11, L13,
L14, L16, L18): an aiosmtpd server on loopback receives what ``Outbox.deliver`` hands over."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from typing import Any, cast

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select
from tests.e2e.conftest import free_port
from tests.factories import PASSWORD, customer
from tests.integration.campaign_support import (
    JOB,
    PRICES,
    SENDER,
    SHOP,
    URL,
    a_campaign,
    give,
    html_part,
    plain_text,
    send,
    subscriber,
    withdraw,
)

from privaat.bootstrap import Context
from privaat.mail.transport import SmtpTransport
from privaat.services.campaigns import CampaignNotFound
from privaat.services.errors import Conflict
from privaat.store.tables import audit_log, outbox
from privaat.store.tables_campaigns import campaign_sends, suppressions

OBJECTION_NL = "Uw recht van bezwaar"
OBJECTION_EN = "Your right to object"


@dataclass
class Inbox:
    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.original_content, policy=email_policy.default)
        self.messages.append(cast(EmailMessage, message))
        await asyncio.sleep(0)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if str(m["To"]).lower() == address.lower()]


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler, port = Inbox(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


def deliver(context: Context, port: int) -> None:
    context.outbox.deliver(SmtpTransport("127.0.0.1", port, SENDER, timeout_seconds=5))


def test_L14_marketing_mail_names_the_sender_and_has_one_click_unsubscribe(
    context: Context, inbox: tuple[Inbox, int]
) -> None:
    handler, port = inbox
    person = subscriber(context)
    report = send(context, a_campaign(context), person)
    assert report.queued == 1
    deliver(context, port)
    (message,) = handler.to(person.email)
    assert message["Subject"] == "Bellen met de app"
    # RFC 2369 / RFC 8058 §3.1: an https-style URL in angle brackets, and the one-click key
    header = str(message["List-Unsubscribe"]).strip()  # unfolded (RFC 5322 §2.2.3)
    assert header.startswith("<http") and header.endswith(">")
    assert "/unsubscribe/" in header
    assert str(message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    assert person.email not in header  # the address never travels in the URL
    body = plain_text(message)
    url = header[1:-1]
    assert f"Afmelden met één klik: {url}?lang=nl" in body  # the footer link, Dutch mail
    # the sender: the controller's name and address from the policy
    assert "Deze e-mail komt van Flexibelt, Oosterheemplein 2a, 2721 NA Zoetermeer" in body


def test_L16_the_first_marketing_mail_states_the_right_to_object_separately(
    context: Context, inbox: tuple[Inbox, int]
) -> None:
    handler, port = inbox
    person = subscriber(context)
    send(context, a_campaign(context, "eerste"), person)
    send(context, a_campaign(context, "tweede"), person)
    deliver(context, port)
    first, second = handler.to(person.email)
    paragraphs = plain_text(first).split("\n\n")
    objection = [p for p in paragraphs if OBJECTION_NL in p]
    # art. 21(4): explicitly, and apart from any other information: a paragraph of its own
    assert len(objection) == 1
    (text,) = objection
    assert text.startswith(OBJECTION_NL)
    assert "artikel 21 AVG" in text
    assert "/account/preferences#objections-heading" in text
    assert "Afmelden" not in text
    assert OBJECTION_NL not in plain_text(second)


def test_L16_english_recipient_reads_the_right_to_object_in_english(
    context: Context, inbox: tuple[Inbox, int]
) -> None:
    handler, port = inbox
    person = subscriber(context, language="en")
    send(context, a_campaign(context), person)
    deliver(context, port)
    (message,) = handler.to(person.email)
    body = plain_text(message)
    assert message["Subject"] == "Calls in the app"
    assert "New: calls in the Flexibelt app" in body
    assert OBJECTION_EN in body and "art. 21 GDPR" in body
    assert "Unsubscribe with one click:" in body and "?lang=en" in body


def test_L13_the_send_skips_everyone_without_a_live_marketing_consent(
    context: Context, inbox: tuple[Inbox, int]
) -> None:
    handler, port = inbox
    yes = subscriber(context)
    never = customer(context)  # ticked nothing at sign-up (L12)
    stopped = subscriber(context)
    withdraw(context, stopped, "marketing_email")
    report = send(context, a_campaign(context), yes, never, stopped, 987654)
    assert (report.queued, report.no_consent, report.not_found) == (1, 2, 1)
    deliver(context, port)
    assert [str(m["To"]) for m in handler.messages] == [yes.email]


def test_L14_never_twice_the_same_campaign_to_one_person(
    context: Context, inbox: tuple[Inbox, int]
) -> None:
    handler, port = inbox
    person = subscriber(context)
    campaign = a_campaign(context)
    assert send(context, campaign, person, person).queued == 1
    again = send(context, campaign, person)
    assert (again.queued, again.already_sent) == (0, 1)
    deliver(context, port)
    deliver(context, port)
    assert len(handler.to(person.email)) == 1
    with context.engine.connect() as connection:
        rows = connection.execute(select(func.count()).select_from(campaign_sends)).scalar()
    assert rows == 1


def test_L11_a_withdrawal_after_queueing_stops_delivery(
    context: Context, inbox: tuple[Inbox, int]
) -> None:
    handler, port = inbox
    person = subscriber(context)
    send(context, a_campaign(context), person)
    withdraw(context, person, "marketing_email")  # in the privacy centre, after queueing
    deliver(context, port)
    assert handler.to(person.email) == []
    with context.engine.connect() as connection:
        listed = (
            connection.execute(
                select(suppressions.c.reason).where(suppressions.c.subject_id == person.subject_id)
            )
            .scalars()
            .all()
        )
        left = connection.execute(
            select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_not(None))
        ).scalar()
    assert listed == ["withdrawn:privacy_centre"]
    assert left == 0


def test_L11_a_suppression_after_queueing_stops_delivery_whatever_the_consent(
    context: Context, inbox: tuple[Inbox, int]
) -> None:
    handler, port = inbox
    person, other = subscriber(context), subscriber(context)
    send(context, a_campaign(context), person, other)
    # a complaint reported by the mail service: the consent in the ledger is untouched
    with context.unit_of_work() as uow:
        context.campaigns.suppress(uow, JOB, person.subject_id, reason="complaint")
    deliver(context, port)
    assert handler.to(person.email) == []
    assert len(handler.to(other.email)) == 1
    with context.engine.connect() as connection:
        given_up = (
            connection.execute(
                select(audit_log.c.action).where(audit_log.c.action == "mail.given_up")
            )
            .scalars()
            .all()
        )
    assert given_up == ["mail.given_up"]  # accountable: the stopped mail is in the trail
    # and the next send skips them at once
    assert send(context, a_campaign(context, "later"), person).suppressed == 1


def test_L11_a_new_consent_lifts_the_suppression(
    context: Context, inbox: tuple[Inbox, int]
) -> None:
    handler, port = inbox
    person = subscriber(context)
    withdraw(context, person, "marketing_email")
    give(context, person, "marketing_email")  # asked for marketing mail again (art. 7)
    assert send(context, a_campaign(context), person).queued == 1
    deliver(context, port)
    assert len(handler.to(person.email)) == 1


def test_L4_a_security_notice_reaches_someone_without_marketing_consent_and_carries_no_marketing(
    context: Context, inbox: tuple[Inbox, int]
) -> None:
    handler, port = inbox
    person = customer(context)  # no marketing consent at all
    with context.unit_of_work() as uow:  # P3: a changed password is always told
        context.sessions.change_password(
            uow,
            person.principal,
            person.subject_id,
            current=PASSWORD,
            new="another good passphrase",
            keep_token=None,
        )
    deliver(context, port)
    (notice,) = handler.to(person.email)
    assert notice["Subject"] == "Uw wachtwoord is gewijzigd"
    assert notice["List-Unsubscribe"] is None
    assert notice["List-Unsubscribe-Post"] is None
    body = plain_text(notice)
    for marketing in (OBJECTION_NL, "Afmelden", "/unsubscribe/", "/e/", "marketing"):
        assert marketing not in body
    assert html_part(notice) is None  # plain text: no pixel can be in it


def test_L18_a_mail_to_someone_without_engagement_consent_has_no_pixel_and_plain_links(
    context: Context, inbox: tuple[Inbox, int]
) -> None:
    handler, port = inbox
    person = subscriber(context)  # marketing yes, engagement tracking no
    send(context, a_campaign(context), person)
    deliver(context, port)
    (message,) = handler.to(person.email)
    assert html_part(message) is None  # no HTML: nowhere to hide a pixel
    urls = {url.rstrip(".,;:!?)") for url in URL.findall(plain_text(message))}
    ours = {u for u in urls if "/unsubscribe/" in u or "/account/preferences" in u}
    assert urls - ours == {SHOP, PRICES}  # only the campaign's own URLs, as written
    assert not any("/e/" in u for u in urls)


def test_L18_a_mail_to_someone_with_engagement_consent_has_a_pixel_and_personal_links(
    context: Context, inbox: tuple[Inbox, int]
) -> None:
    handler, port = inbox
    person = subscriber(context, tracking=True)
    send(context, a_campaign(context), person)
    deliver(context, port)
    (message,) = handler.to(person.email)
    body = plain_text(message)
    assert SHOP not in body and PRICES not in body
    assert body.count("/e/c/") == 2
    html = html_part(message)
    assert html is not None
    assert "/e/o/" in html and '.gif" width="1" height="1" alt=""' in html


def test_the_send_refuses_an_unknown_campaign_and_writes_nothing(context: Context) -> None:
    person = subscriber(context)
    with pytest.raises(CampaignNotFound), context.unit_of_work() as uow:
        context.campaigns.send(uow, JOB, 4242, [person.subject_id])
    with context.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(outbox)).scalar() == 0


def test_a_second_campaign_of_the_same_name_is_a_conflict(context: Context) -> None:
    a_campaign(context, "dubbel")
    with pytest.raises(Conflict):
        a_campaign(context, "dubbel")
