"""Helpers of the campaign tests (issue 10 items 5-6): consents given as a person gives them,
a campaign with two links, and the tokens read back from a delivered mail."""

from __future__ import annotations

import re
from email.message import EmailMessage
from typing import Any

from sqlalchemy import select
from tests.factories import Customer, confirm_consents, customer

from privaat.bootstrap import Context
from privaat.domain.principal import DataSubject, SystemJob
from privaat.mail.campaign_mail import CampaignText
from privaat.services.campaigns import Campaign, SendReport
from privaat.services.consents import ConsentMethod, Evidence
from privaat.store.tables import consent_events

SENDER = "privacy@flexibelt.example"
JOB = SystemJob("campaign-test")
SHOP = "https://www.flexibelt.nl/voip"
PRICES = "https://www.flexibelt.nl/prijzen?van=mail&x=1"
NL_BODY = f"Nieuw: bellen met de Flexibelt-app. Lees meer op {SHOP}.\n\nDe prijzen: {PRICES}"
EN_BODY = f"New: calls in the Flexibelt app. Read more at {SHOP}.\n\nThe prices: {PRICES}"
URL = re.compile(r"https?://[^\s<>\"']+")


def give(context: Context, person: Customer, activity: str) -> None:
    with context.unit_of_work() as uow:
        context.consents.give(
            uow,
            person.principal,
            person.subject_id,
            activity,
            lang=None,
            method=ConsentMethod.PRIVACY_CENTRE,
            evidence=Evidence.none(),
        )
    confirm_consents(context, person.email)  # a double opt-in (issue 14 item 5): the link opened


def withdraw(context: Context, person: Customer, activity: str) -> None:
    with context.unit_of_work() as uow:
        context.consents.withdraw(
            uow,
            person.principal,
            person.subject_id,
            activity,
            method=ConsentMethod.PRIVACY_CENTRE,
            evidence=Evidence.none(),
        )


def subscriber(context: Context, *, tracking: bool = False, **overrides: Any) -> Customer:
    """A customer who ticked marketing e-mail (and, if asked, engagement tracking)."""
    person = customer(context, **overrides)
    give(context, person, "marketing_email")
    if tracking:
        give(context, person, "email_engagement")
    return person


def a_campaign(context: Context, name: str = "voorjaar") -> Campaign:
    with context.unit_of_work() as uow:
        return context.campaigns.create(
            uow,
            name=name,
            texts={
                "nl": CampaignText("Bellen met de app", NL_BODY),
                "en": CampaignText("Calls in the app", EN_BODY),
            },
        )


def send(context: Context, campaign: Campaign, *people: Customer | int) -> SendReport:
    ids = [p if isinstance(p, int) else p.subject_id for p in people]
    with context.unit_of_work() as uow:
        return context.campaigns.send(uow, JOB, campaign.id, ids)


def pending_campaign_mail(context: Context, address: str) -> Any:
    return next(
        mail
        for _id, template, mail in context.outbox.pending()
        if template == "campaign" and mail.to == address
    )


def plain_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")  # SMTP lines end in CRLF


def html_part(message: EmailMessage) -> str | None:
    part = message.get_body(preferencelist=("html",))
    return None if part is None else str(part.get_content())


def unsubscribe_path(mail_body: str) -> str:
    found = re.search(r"https?://[^/\s]+(/unsubscribe/[\w.-]+)", mail_body)
    assert found is not None, mail_body
    return found.group(1)


def ledger(context: Context, person: Customer, activity: str) -> list[tuple[bool, str]]:
    """(given, method) of every ledger record of ``activity``, oldest first."""
    with context.engine.connect() as connection:
        rows = connection.execute(
            select(consent_events.c.given, consent_events.c.channel)
            .where(
                consent_events.c.subject_id == person.subject_id,
                consent_events.c.activity == activity,
            )
            .order_by(consent_events.c.id)
        ).all()
    return [(bool(row.given), str(row.channel)) for row in rows]


def consenting(context: Context, person: Customer, activity: str) -> bool:
    with context.unit_of_work() as uow:
        choices = context.consents.choices(uow, DataSubject(person.subject_id), person.subject_id)
    return next(c for c in choices if c.activity == activity).given
