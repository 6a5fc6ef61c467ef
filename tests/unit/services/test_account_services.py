"""Accounts, sessions and notices at the service tier (P1-P3, LEGAL L4; issue 5 items 1-2)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.factories import customer, sign_up_command

from privaat.bootstrap import Context
from privaat.domain.clock import FixedClock
from privaat.mail.transport import InMemoryTransport
from privaat.services.account_commands import AccountClose, AccountUpdate
from privaat.services.credentials import MAX_ATTEMPTS_PER_ACCOUNT
from privaat.services.errors import InvalidCredentials, InvalidField, NotPermitted, TooManyAttempts


def log_in(services: Context, email: str, password: str, agent: str = "Firefox") -> int:
    with services.unit_of_work() as uow:
        return services.sessions.log_in(
            uow, email=email, password=password, ip="145.97.0.1", user_agent=agent
        ).subject_id


def test_p1_a_sign_up_can_be_read_back_by_its_holder(services: Context) -> None:
    jan = customer(services, name="Jan Jansen", city="Zoetermeer")
    with services.unit_of_work() as uow:
        profile = services.accounts.read_profile(uow, jan.principal, jan.subject_id)
    assert (profile.email, profile.name, profile.city) == (jan.email, "Jan Jansen", "Zoetermeer")


def test_a_data_subject_cannot_open_another_subjects_data(services: Context) -> None:
    jan, emma = customer(services), customer(services)
    with services.unit_of_work() as uow, pytest.raises(NotPermitted):
        services.accounts.read_profile(uow, jan.principal, emma.subject_id)


def test_p3_a_second_sign_up_tells_the_holder_and_mail_goes_through_the_transport(
    services: Context, mail: InMemoryTransport
) -> None:
    jan = customer(services)
    with services.unit_of_work() as uow:
        again = services.accounts.sign_up(uow, sign_up_command(email=jan.email))
    assert again.created is False and again.subject_id is None
    report = services.outbox.deliver(mail)
    assert report.sent == 1
    (message,) = mail.sent
    assert message["To"] == jan.email and message["From"] == "privacy@example.nl"
    assert services.policy.controller.name in message.get_content()


def test_a_temporary_refusal_counts_an_attempt_and_waits_for_its_back_off(
    services: Context, mail: InMemoryTransport, clock: FixedClock
) -> None:
    jan = customer(services)
    with services.unit_of_work() as uow:
        services.accounts.sign_up(uow, sign_up_command(email=jan.email))
    mail.refuse[jan.email] = 452
    assert services.outbox.deliver(mail).failed == 1
    assert len(services.outbox.pending()) == 1
    del mail.refuse[jan.email]
    assert services.outbox.deliver(mail).sent == 0  # not due yet
    clock.advance(timedelta(minutes=5))
    assert services.outbox.deliver(mail).sent == 1


def test_a_permanent_refusal_gives_the_message_up(
    services: Context, mail: InMemoryTransport
) -> None:
    jan = customer(services)
    with services.unit_of_work() as uow:
        services.accounts.sign_up(uow, sign_up_command(email=jan.email))
    mail.refuse[jan.email] = 550
    assert services.outbox.deliver(mail).given_up == 1
    assert services.outbox.pending() == []


def test_p2_p3_a_password_change_asks_the_current_one_and_sends_a_notice(
    services: Context, mail: InMemoryTransport
) -> None:
    jan = customer(services)
    with services.unit_of_work() as uow, pytest.raises(InvalidField) as wrong:
        services.sessions.change_password(
            uow,
            jan.principal,
            jan.subject_id,
            current="not it at all",
            new="x" * 12,
            keep_token=None,
        )
    assert wrong.value.field == "current_password"  # 422 on the field, never a 401
    with services.unit_of_work() as uow:
        services.sessions.change_password(
            uow,
            jan.principal,
            jan.subject_id,
            current=jan.password,
            new="a new long one",
            keep_token=None,
        )
    with pytest.raises(InvalidCredentials):
        log_in(services, jan.email, jan.password)
    assert log_in(services, jan.email, "a new long one") == jan.subject_id
    services.outbox.deliver(mail)
    assert [m["To"] for m in mail.sent] == [jan.email]


def test_issue5_re_authentication_counts_in_the_accounts_limit(
    services: Context, clock: FixedClock
) -> None:
    """30 wrong guesses at the current password must not end in a changed password."""
    jan = customer(services)
    for _ in range(MAX_ATTEMPTS_PER_ACCOUNT):
        with services.unit_of_work() as uow, pytest.raises(InvalidField):
            services.accounts.close(
                uow, jan.principal, jan.subject_id, AccountClose(password="wrong guess!")
            )
    with services.unit_of_work() as uow, pytest.raises(TooManyAttempts):
        services.accounts.close(
            uow, jan.principal, jan.subject_id, AccountClose(password=jan.password)
        )
    clock.advance(timedelta(minutes=16))  # the window has passed
    with services.unit_of_work() as uow:
        services.accounts.close(
            uow, jan.principal, jan.subject_id, AccountClose(password=jan.password)
        )


def test_p3_an_email_change_tells_the_old_address_and_asks_the_new_one_to_confirm(
    services: Context, mail: InMemoryTransport
) -> None:
    jan = customer(services)
    change = AccountUpdate(email="nieuw@example.nl", current_password=jan.password)
    with services.unit_of_work() as uow:
        profile = services.accounts.update_profile(uow, jan.principal, jan.subject_id, change)
    assert profile.email == jan.email  # nothing changes until the new address confirms
    services.outbox.deliver(mail)
    assert {(m["To"], m["Subject"]) for m in mail.sent} == {
        (jan.email, "Wijziging van uw e-mailadres aangevraagd"),
        ("nieuw@example.nl", "Bevestig uw nieuwe e-mailadres"),
    }


def test_a_wrong_current_password_leaves_every_field_of_the_change_as_it_was(
    services: Context,
) -> None:
    jan = customer(services, city="Delft")
    change = AccountUpdate(email="nieuw@example.nl", current_password="not it!", city="Gouda")
    with services.unit_of_work() as uow, pytest.raises(InvalidField):
        services.accounts.update_profile(uow, jan.principal, jan.subject_id, change)
    with services.unit_of_work() as uow:
        assert services.accounts.read_profile(uow, jan.principal, jan.subject_id).city == "Delft"
