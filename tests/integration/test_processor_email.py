"""Processors without an API are told by e-mail (issue 14 item 2; LEGAL L11, P4): the letter
goes through the outbox in the processor's language and over real SMTP (aiosmtpd on loopback),
queued with the change itself."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select
from tests.factories import customer
from tests.integration.test_outbox_smtp import Collector, body_of, run_pass
from tests.integration.test_outbox_smtp import smtp as smtp  # the fixture: a real SMTP server
from tests.integration.test_processor_webhooks import EVIDENCE

from privaat.bootstrap import Context, bootstrap
from privaat.domain.clock import FixedClock
from privaat.domain.principal import DataSubject
from privaat.policy.schema import Policy, RecipientNotify
from privaat.services.consents import ConsentMethod
from privaat.settings import Settings
from privaat.store.tables import outbox
from privaat.store.tables_processor_deliveries import processor_deliveries

PROCESSOR = "wijzigingen@e-maildienst.example"


def by_mail(policy: Policy, *, language: str, include_address: bool) -> Policy:
    """The shipped policy with the mail service told by e-mail instead of a webhook."""
    notify = RecipientNotify(email=PROCESSOR, language=language, include_address=include_address)
    recipients = tuple(
        r.model_copy(update={"notify": notify}) if r.id == "email_service" else r
        for r in policy.recipients
    )
    return policy.model_copy(update={"recipients": recipients})


def _context(
    settings: Settings, engine: Engine, clock: FixedClock, *, language: str, address: bool
) -> Context:
    shipped = bootstrap(settings, clock=clock, engine=engine, run_migrations=False).policy
    policy = by_mail(shipped, language=language, include_address=address)
    return bootstrap(settings, clock=clock, engine=engine, run_migrations=False, policy=policy)


@pytest.fixture
def mailed(settings: Settings, engine: Engine, clock: FixedClock) -> Iterator[Context]:
    ctx = _context(settings, engine, clock, language="nl", address=True)
    yield ctx
    ctx.access_log.flush()


def _withdraw(context: Context, subject_id: int) -> None:
    with context.unit_of_work() as uow:
        context.consents.give(
            uow,
            DataSubject(subject_id),
            subject_id,
            "marketing_email",
            lang="nl",
            method=ConsentMethod.PRIVACY_CENTRE,
            evidence=EVIDENCE,
        )
    with context.engine.begin() as connection:  # the give's letters are not this test's
        connection.execute(outbox.delete())
        connection.execute(processor_deliveries.delete())
    with context.unit_of_work() as uow:
        context.consents.withdraw(
            uow,
            DataSubject(subject_id),
            subject_id,
            "marketing_email",
            method=ConsentMethod.EMAIL_LINK,
            evidence=EVIDENCE,
        )


def test_l11_a_withdrawal_reaches_a_processor_without_an_api_by_mail_in_dutch(
    mailed: Context, clock: FixedClock, smtp: tuple[Collector, int]
) -> None:
    collector, port = smtp
    person = customer(mailed, email="joke@example.nl")
    clock.advance(timedelta(minutes=5))
    _withdraw(mailed, person.subject_id)
    with mailed.engine.connect() as connection:
        rows = connection.execute(
            select(processor_deliveries).order_by(processor_deliveries.c.id)
        ).all()
    assert [(r.channel, r.change, r.state, r.body_enc) for r in rows] == [
        ("email", "suppressed", "mailed", None),
        ("email", "withdrawn", "mailed", None),
    ]
    assert run_pass(mailed, port).sent == 2
    letters = [m.message for m in collector.received]
    assert [m["To"] for m in letters] == [PROCESSOR, PROCESSOR]
    withdrawal = body_of(letters[1])
    assert withdrawal.startswith(
        "De persoon heeft de toestemming ingetrokken voor: Marketing-e-mail. Stop deze "
        "verwerking voor deze persoon."
    )
    assert "De persoon: joke@example.nl. Wanneer: 2026-11-26 09:35 (UTC)." in withdrawal
    assert f"Onze referentie: {rows[1].event_id}." in withdrawal
    assert body_of(letters[0]).startswith(
        "Zet de persoon op uw suppressielijst voor: Marketing-e-mail."
    )
    with mailed.unit_of_work() as uow:
        shown = mailed.processors.deliveries(uow)
    assert [(d.change, d.state.value, d.mail) for d in shown] == [
        ("withdrawn", "mailed", "sent"),
        ("suppressed", "mailed", "sent"),
    ]


def test_l11_the_letter_in_english_names_the_person_by_pseudonym_without_include_address(
    settings: Settings, engine: Engine, clock: FixedClock, smtp: tuple[Collector, int]
) -> None:
    collector, port = smtp
    context = _context(settings, engine, clock, language="en", address=False)
    person = customer(context, email="kees@example.nl")
    _withdraw(context, person.subject_id)
    assert run_pass(context, port).sent == 2
    withdrawal = body_of(collector.received[1].message)
    assert withdrawal.startswith(
        "The person has withdrawn consent to: Marketing e-mail. Stop this processing for them."
    )
    assert "kees@example.nl" not in withdrawal
    with context.unit_of_work() as uow:
        pseudonym = context.processors.deliveries(uow)[0].pseudonym
    assert f"The person: {pseudonym}." in withdrawal
    assert (
        collector.received[1]
        .message["Subject"]
        .startswith("Privacy change to apply: Marketing e-mail (")
    )
