"""Factories for test data: each test builds what it needs through the services themselves."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete

from privaat.bootstrap import Context
from privaat.domain.principal import DataSubject
from privaat.services.account_commands import AccountCreate
from privaat.services.consents import Evidence
from privaat.store.tables import outbox

PASSWORD = "correct horse battery"
_numbers = itertools.count(1)


@dataclass(frozen=True)
class Customer:
    subject_id: int
    email: str
    password: str

    @property
    def principal(self) -> DataSubject:
        return DataSubject(self.subject_id)


def sign_up_command(**overrides: Any) -> AccountCreate:
    n = next(_numbers)
    fields: dict[str, Any] = {
        "email": f"klant{n}@example.nl",
        "password": PASSWORD,
        "name": f"Klant {n}",
        "age_declaration": True,
        **overrides,
    }
    return AccountCreate.model_validate(fields)


def customer(context: Context, *, verified: bool = True, **overrides: Any) -> Customer:
    """A new account, signed up through the accounts service; ``verified`` opens the link of
    its verification mail as the person would, and the link of each double opt-in it ticked
    (issue 14 item 5), so the outbox holds nothing of the sign-up."""
    command = sign_up_command(**overrides)
    with context.unit_of_work() as uow:
        outcome = context.accounts.sign_up(uow, command)
    assert outcome.subject_id is not None, "the factory's address was already taken"
    if verified:
        verify_address(context, outcome.subject_id, command.email)
        confirm_consents(context, command.email)
    return Customer(outcome.subject_id, command.email, command.password.get_secret_value())


CONFIRM_LINK = re.compile(r"https?://[^/\s]*/confirm/([\w.-]+)\?lang=")


def confirm_consents(context: Context, email: str | None = None) -> int:
    """Open every double opt-in link waiting in the outbox for ``email`` (None: for anyone),
    as the person would (``Consents.confirm``), and take those mails out as delivered; how
    many were confirmed."""
    confirmed = 0
    for message_id, template, mail in list(context.outbox.pending()):
        if template != "confirm_consent" or email not in (None, mail.to):
            continue
        token = CONFIRM_LINK.search(mail.body)
        assert token is not None, mail.body
        with context.unit_of_work() as uow:
            context.consents.confirm(uow, token.group(1), evidence=Evidence.none())
        with context.engine.begin() as connection:
            connection.execute(delete(outbox).where(outbox.c.id == message_id))
        confirmed += 1
    return confirmed


def verify_address(context: Context, subject_id: int, email: str) -> None:
    (message_id, body) = next(
        (message_id, mail.body)
        for message_id, template, mail in context.outbox.pending()
        if template == "verify_email" and mail.to == email
    )
    token = re.search(r"/email/verify\?token=([\w-]+)", body)
    assert token is not None, body
    with context.unit_of_work() as uow:
        context.addresses.verify(uow, token.group(1))
    with context.engine.begin() as connection:  # delivered, as far as these tests care
        connection.execute(delete(outbox).where(outbox.c.id == message_id))
