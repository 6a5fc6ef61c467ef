"""Issue 5 item 12: a session ends when unused for an hour (beside its absolute limit)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.factories import customer

from privaat.bootstrap import Context
from privaat.domain.clock import FixedClock
from privaat.services.errors import NotAuthenticated
from privaat.services.sessions import IDLE_TIMEOUT, SESSION_LIFETIME


def logged_in(services: Context) -> str:
    jan = customer(services)
    with services.unit_of_work() as uow:
        return services.sessions.log_in(
            uow, email=jan.email, password=jan.password, ip="145.97.0.1", user_agent="x"
        ).token


def test_asvs_3_3_2_an_idle_session_ends(services: Context, clock: FixedClock) -> None:
    token = logged_in(services)
    clock.advance(IDLE_TIMEOUT + timedelta(seconds=1))
    with services.unit_of_work() as uow, pytest.raises(NotAuthenticated):
        services.sessions.subject_of(uow, token)


def test_a_used_session_lives_on_until_its_absolute_limit(
    services: Context, clock: FixedClock
) -> None:
    token = logged_in(services)
    used_for = timedelta(0)
    while used_for + IDLE_TIMEOUT / 2 < SESSION_LIFETIME:
        clock.advance(IDLE_TIMEOUT / 2)
        used_for += IDLE_TIMEOUT / 2
        with services.unit_of_work() as uow:
            services.sessions.subject_of(uow, token)
    clock.advance(SESSION_LIFETIME - used_for + timedelta(seconds=1))
    with services.unit_of_work() as uow, pytest.raises(NotAuthenticated):
        services.sessions.subject_of(uow, token)
