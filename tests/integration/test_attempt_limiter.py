"""Issue 5 item 1: rate limits hold under concurrency, on both databases.

Before, the count was read, argon2 ran, and only then the failure was recorded: 16
concurrent log-ins to one account were all evaluated and the 13th, correct guess got a
session although the limit is 5. The limiter now records each attempt before evaluating it.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from tests.factories import customer

from privaat.bootstrap import Context
from privaat.services.credentials import MAX_ATTEMPTS_PER_ACCOUNT, MAX_ATTEMPTS_PER_IP
from privaat.services.errors import InvalidCredentials, TooManyAttempts


def race(context: Context, attempts: list[dict[str, str]]) -> tuple[list[object], int]:
    """Fire every attempt at once; the outcomes and how many passwords were evaluated."""
    evaluated = 0
    lock = threading.Lock()
    passwords = context.accounts._credentials.passwords
    real_verify = passwords.verify

    def counting_verify(stored: str | None, password: str) -> bool:
        nonlocal evaluated
        with lock:
            evaluated += 1
        return real_verify(stored, password)

    outcomes: list[object] = []
    start = threading.Barrier(len(attempts))

    def attempt(fields: dict[str, str]) -> None:
        start.wait()
        try:
            with context.unit_of_work() as uow:
                outcomes.append(context.sessions.log_in(uow, user_agent="race", **fields))
        except (InvalidCredentials, TooManyAttempts) as error:
            outcomes.append(error)

    passwords.verify = counting_verify  # type: ignore[method-assign]
    try:
        threads = [threading.Thread(target=attempt, args=(a,)) for a in attempts]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        passwords.verify = real_verify  # type: ignore[method-assign]
    return outcomes, evaluated


def test_16_concurrent_guesses_at_one_account_are_evaluated_at_most_5_times(
    context: Context,
) -> None:
    jan = customer(context)
    guesses = [
        {"email": jan.email, "password": f"wrong guess {n}", "ip": f"145.97.0.{n + 1}"}
        for n in range(16)
    ]
    outcomes, evaluated = race(context, guesses)
    assert len(outcomes) == 16
    assert evaluated <= MAX_ATTEMPTS_PER_ACCOUNT
    assert sum(isinstance(o, TooManyAttempts) for o in outcomes) >= 16 - MAX_ATTEMPTS_PER_ACCOUNT


def test_the_right_password_racing_among_guesses_past_the_limit_gets_no_session(
    context: Context,
) -> None:
    jan = customer(context)
    first = [
        {"email": jan.email, "password": f"wrong guess {n}", "ip": "145.97.0.1"}
        for n in range(MAX_ATTEMPTS_PER_ACCOUNT)
    ]
    later: list[dict[str, Any]] = [
        {"email": jan.email, "password": f"late guess {n}", "ip": "145.97.0.2"} for n in range(10)
    ]
    later.insert(7, {"email": jan.email, "password": jan.password, "ip": "145.97.0.3"})
    race(context, first)
    outcomes, evaluated = race(context, later)
    assert evaluated == 0
    assert all(isinstance(o, TooManyAttempts) for o in outcomes)


def test_40_concurrent_attempts_from_one_ip_are_evaluated_at_most_20_times(
    context: Context,
) -> None:
    attempts = [
        {"email": f"nobody{n}@example.nl", "password": "some guess", "ip": "203.0.113.7"}
        for n in range(40)
    ]
    outcomes, evaluated = race(context, attempts)
    assert len(outcomes) == 40
    assert evaluated <= MAX_ATTEMPTS_PER_IP
    assert sum(isinstance(o, TooManyAttempts) for o in outcomes) >= 40 - MAX_ATTEMPTS_PER_IP


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_success_from_a_shared_address_does_not_use_up_its_allowance(context: Context) -> None:
    people = [customer(context) for _ in range(MAX_ATTEMPTS_PER_IP + 3)]
    for person in people:  # an office behind one NAT address, all logging in correctly
        with context.unit_of_work() as uow:
            context.sessions.log_in(
                uow, email=person.email, password=person.password, ip="198.51.100.1", user_agent="x"
            )
