"""Factories for test data: each test builds what it needs through the services themselves."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from privaat.bootstrap import Context
from privaat.domain.principal import DataSubject
from privaat.services.account_commands import AccountCreate

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


def customer(context: Context, **overrides: Any) -> Customer:
    """A new account, signed up through the accounts service."""
    command = sign_up_command(**overrides)
    with context.unit_of_work() as uow:
        outcome = context.accounts.sign_up(uow, command)
    assert outcome.subject_id is not None, "the factory's address was already taken"
    return Customer(outcome.subject_id, command.email, command.password.get_secret_value())
