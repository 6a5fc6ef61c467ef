"""Staff accounts of the console at the service tier (issue 8 item 4 and its security in item 5):
enrolment by a one-time link, log-in with password and TOTP, limited attempts, sessions that
end after 30 idle minutes and at 12 hours."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from privaat.bootstrap import Context
from privaat.domain.clock import FixedClock
from privaat.domain.principal import StaffMember, StaffRole
from privaat.services.errors import (
    Conflict,
    InvalidCredentials,
    InvalidField,
    NotAuthenticated,
    TooManyAttempts,
)
from privaat.services.staff import (
    ABSOLUTE_LIFETIME,
    ENROLMENT_LIFETIME,
    IDLE_TIMEOUT,
    EnrolmentInvalid,
    StaffLoggedIn,
)
from privaat.store.audit import AuditTrail
from privaat.store.tables import staff_members

PASSWORD = "staff password 2026"
_numbers = itertools.count(1)


def new_staff(services: Context, role: str = "privacy_officer") -> tuple[str, str]:
    """A staff member created and enrolled; returns (e-mail, TOTP secret)."""
    email = f"medewerker{next(_numbers)}@flexibelt.example"
    with services.unit_of_work() as uow:
        enrolment = services.staff.create(uow, email=email, role=role)
        secret = services.staff.pending_enrolment(uow, enrolment.token).secret
        services.staff.enrol(
            uow, token=enrolment.token, password=PASSWORD, code=code(services, secret)
        )
    return email, secret


def code(services: Context, secret: str) -> str:
    return pyotp.TOTP(secret).at(services.clock.now())


def log_in(services: Context, email: str, password: str, totp: str) -> StaffLoggedIn:
    with services.unit_of_work() as uow:
        return services.staff.log_in(uow, email=email, password=password, code=totp, ip="10.0.0.1")


def staff_of(services: Context, token: str) -> StaffMember:
    with services.unit_of_work() as uow:
        return services.staff.staff_of(uow, token)


def test_issue8_4_an_enrolled_staff_member_logs_in_with_password_and_totp(
    services: Context, clock: FixedClock
) -> None:
    email, secret = new_staff(services, "support")
    clock.advance(timedelta(seconds=30))  # the enrolment's code is spent: the next one
    session = log_in(services, email.upper(), PASSWORD, code(services, secret))
    assert session.staff.role is StaffRole.SUPPORT
    assert staff_of(services, session.token) == session.staff
    assert session.staff.actor == f"staff:{session.staff.staff_id}:support"


def test_issue8_4_the_enrolment_shows_the_secret_and_an_otpauth_uri(services: Context) -> None:
    with services.unit_of_work() as uow:
        enrolment = services.staff.create(uow, email="nieuw@flexibelt.example", role="marketing")
        pending = services.staff.pending_enrolment(uow, enrolment.token)
    assert pending.role is StaffRole.MARKETING and len(pending.secret) >= 32  # >= 160 bits
    assert pending.provisioning_uri.startswith("otpauth://totp/")
    assert f"secret={pending.secret}" in pending.provisioning_uri
    assert "nieuw" not in pending.provisioning_uri  # the label names no address


def test_issue8_4_an_enrolment_link_is_single_use(services: Context) -> None:
    with services.unit_of_work() as uow:
        enrolment = services.staff.create(uow, email="eenmalig@flexibelt.example", role="support")
        secret = services.staff.pending_enrolment(uow, enrolment.token).secret
        services.staff.enrol(
            uow, token=enrolment.token, password=PASSWORD, code=code(services, secret)
        )
        with pytest.raises(EnrolmentInvalid):
            services.staff.pending_enrolment(uow, enrolment.token)
        with pytest.raises(EnrolmentInvalid):
            services.staff.enrol(
                uow, token=enrolment.token, password="another password!", code="000000"
            )


def test_issue8_4_an_enrolment_link_expires(services: Context, clock: FixedClock) -> None:
    with services.unit_of_work() as uow:
        enrolment = services.staff.create(uow, email="laat@flexibelt.example", role="support")
    clock.advance(ENROLMENT_LIFETIME)
    with services.unit_of_work() as uow, pytest.raises(EnrolmentInvalid):
        services.staff.pending_enrolment(uow, enrolment.token)


@pytest.mark.parametrize(
    ("password", "totp", "field"),
    [
        pytest.param("kort", None, "password", id="short-password"),
        pytest.param(PASSWORD, "123", "code", id="not-a-code"),
        pytest.param(PASSWORD, "wrong", "code", id="wrong-code"),
    ],
)
def test_issue8_4_enrolment_refuses_a_weak_password_or_a_wrong_code_and_keeps_the_link(
    services: Context, password: str, totp: str | None, field: str
) -> None:
    with services.unit_of_work() as uow:
        enrolment = services.staff.create(uow, email=f"f{field}@flexibelt.example", role="support")
        secret = services.staff.pending_enrolment(uow, enrolment.token).secret
        right = code(services, secret)
        wrong = f"{(int(right) + 1) % 1_000_000:06d}"
        given = right if totp is None else (wrong if totp == "wrong" else totp)
        with pytest.raises(InvalidField) as refused:
            services.staff.enrol(uow, token=enrolment.token, password=password, code=given)
        assert refused.value.field == field
        services.staff.pending_enrolment(uow, enrolment.token)  # still usable


@pytest.mark.parametrize(
    ("email", "role", "error"),
    [
        pytest.param("geen-adres", "support", InvalidField, id="bad-address"),
        pytest.param("x@flexibelt.example", "root", InvalidField, id="unknown-role"),
    ],
)
def test_create_refuses_a_bad_address_or_role(
    services: Context, email: str, role: str, error: type[Exception]
) -> None:
    with services.unit_of_work() as uow, pytest.raises(error):
        services.staff.create(uow, email=email, role=role)


def test_one_address_one_staff_account_in_any_case(services: Context) -> None:
    email, _ = new_staff(services)
    with services.unit_of_work() as uow, pytest.raises(Conflict):
        services.staff.create(uow, email=email.upper(), role="support")


def test_issue8_4_a_right_password_with_a_wrong_code_is_refused(services: Context) -> None:
    email, secret = new_staff(services)
    right = code(services, secret)
    with pytest.raises(InvalidCredentials):
        log_in(services, email, PASSWORD, f"{(int(right) + 500) % 1_000_000:06d}")
    with pytest.raises(InvalidCredentials):
        log_in(services, email, "not the password", right)
    with pytest.raises(InvalidCredentials):
        log_in(services, "nobody@flexibelt.example", PASSWORD, right)


def test_rfc6238_5_2_a_code_is_accepted_once(services: Context, clock: FixedClock) -> None:
    email, secret = new_staff(services)
    clock.advance(timedelta(seconds=30))
    totp = code(services, secret)
    log_in(services, email, PASSWORD, totp)
    with pytest.raises(InvalidCredentials):
        log_in(services, email, PASSWORD, totp)  # replayed within its window
    clock.advance(timedelta(seconds=30))
    log_in(services, email, PASSWORD, code(services, secret))


def test_issue8_4_failed_staff_log_ins_are_limited_even_for_the_right_credentials(
    services: Context, clock: FixedClock
) -> None:
    email, secret = new_staff(services)
    for _ in range(5):
        with pytest.raises(InvalidCredentials):
            log_in(services, email, "guessed password", "000000")
    clock.advance(timedelta(seconds=30))
    with pytest.raises(TooManyAttempts):
        log_in(services, email, PASSWORD, code(services, secret))


def test_issue8_4_a_staff_session_ends_after_30_idle_minutes(
    services: Context, clock: FixedClock
) -> None:
    email, secret = new_staff(services)
    clock.advance(timedelta(seconds=30))
    session = log_in(services, email, PASSWORD, code(services, secret))
    clock.advance(IDLE_TIMEOUT - timedelta(minutes=2))
    staff_of(services, session.token)  # used: the idle clock starts again
    clock.advance(IDLE_TIMEOUT - timedelta(minutes=2))
    staff_of(services, session.token)
    clock.advance(IDLE_TIMEOUT)
    with pytest.raises(NotAuthenticated):
        staff_of(services, session.token)


def test_issue8_4_a_staff_session_ends_after_12_hours_however_busy(
    services: Context, clock: FixedClock
) -> None:
    email, secret = new_staff(services)
    clock.advance(timedelta(seconds=30))
    session = log_in(services, email, PASSWORD, code(services, secret))
    for _ in range(int(ABSOLUTE_LIFETIME / timedelta(minutes=20)) - 1):
        clock.advance(timedelta(minutes=20))
        staff_of(services, session.token)
    clock.advance(timedelta(minutes=20))
    with pytest.raises(NotAuthenticated):
        staff_of(services, session.token)


def test_log_out_ends_the_session(services: Context, clock: FixedClock) -> None:
    email, secret = new_staff(services)
    clock.advance(timedelta(seconds=30))
    session = log_in(services, email, PASSWORD, code(services, secret))
    with services.unit_of_work() as uow:
        services.staff.log_out(uow, session.token)
    with pytest.raises(NotAuthenticated):
        staff_of(services, session.token)


def test_staff_are_apart_from_customers_and_their_address_is_nowhere_in_clear(
    services: Context, clock: FixedClock
) -> None:
    email, secret = new_staff(services)
    clock.advance(timedelta(seconds=30))
    log_in(services, email, PASSWORD, code(services, secret))
    with services.unit_of_work() as uow, uow.reading() as connection:
        stored = connection.execute(select(staff_members)).one()
        customer_index = services.keys.blind_index(connection).email(email)
        entries = list(AuditTrail.entries(connection))
        verdict = AuditTrail.verify(connection)
    assert stored.email_bidx != customer_index  # its own kind: not linkable to an account
    assert email not in repr(tuple(stored))
    actions = [(e.actor, e.action) for e in entries]
    actor = f"staff:{stored.id}:privacy_officer"
    assert actions == [
        (actor, "staff.created"),
        (actor, "staff.enrolled"),
        (actor, "staff.session_opened"),
    ]
    assert all(email not in repr(e) for e in entries) and verdict.ok


def test_the_totp_seed_is_stored_only_encrypted(services: Context) -> None:
    with services.unit_of_work() as uow:
        enrolment = services.staff.create(uow, email="geheim@example.nl", role="support")
        pending = services.staff.pending_enrolment(uow, enrolment.token)
    with services.engine.connect() as connection:
        stored = connection.execute(select(staff_members.c.totp_secret_enc)).scalar_one()
    assert pending.secret.encode() not in stored and len(stored) > len(pending.secret)
