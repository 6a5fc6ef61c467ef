"""Issue 5 item 3 and 12: no mail flood, bounded hashing, and a closed account's holder is
told what happens — while the sign-up answer stays the same for every address (no oracle)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from tests.factories import customer, sign_up_command

from privaat.bootstrap import Context
from privaat.domain.clock import FixedClock
from privaat.domain.principal import DataSubject
from privaat.mail.transport import InMemoryTransport
from privaat.services.account_commands import AccountClose
from privaat.services.accounts import MAX_SIGN_UPS_PER_IP
from privaat.services.errors import TooManyAttempts
from privaat.services.passwords import Passwords


def sign_up_again(services: Context, email: str, ip: str = "145.97.0.1") -> bool:
    with services.unit_of_work() as uow:
        return services.accounts.sign_up(uow, sign_up_command(email=email), ip=ip).created


def test_item3_25_sign_ups_with_a_known_address_send_its_holder_one_notice_a_day(
    services: Context, mail: InMemoryTransport, clock: FixedClock
) -> None:
    jan = customer(services)
    for n in range(25):
        assert sign_up_again(services, jan.email, ip=f"145.97.1.{n}") is False
    services.outbox.deliver(mail)
    assert len(mail.sent) == 1
    clock.advance(timedelta(days=1, seconds=1))
    sign_up_again(services, jan.email, ip="145.97.2.1")
    services.outbox.deliver(mail)
    assert len(mail.sent) == 2


def test_item3_sign_ups_are_limited_per_ip_before_any_hashing(services: Context) -> None:
    for _ in range(MAX_SIGN_UPS_PER_IP):
        assert sign_up_again(services, sign_up_command().email, ip="203.0.113.9")
    with pytest.raises(TooManyAttempts):
        sign_up_again(services, sign_up_command().email, ip="203.0.113.9")
    assert sign_up_again(services, sign_up_command().email, ip="203.0.113.10")


def test_item12_a_closed_accounts_holder_is_told_until_when_it_is_kept(
    services: Context, mail: InMemoryTransport
) -> None:
    jan = customer(services)
    with services.unit_of_work() as uow:
        services.accounts.close(
            uow, DataSubject(jan.subject_id), jan.subject_id, AccountClose(password=jan.password)
        )
    services.outbox.deliver(mail)
    mail.sent.clear()
    assert sign_up_again(services, jan.email) is False  # the same answer as for anyone
    services.outbox.deliver(mail)
    (notice,) = mail.sent
    kept = services.policy.activity("account").retention.period.after(services.clock.now())
    assert kept.date().isoformat() in notice.get_content()
    assert "opgeheven account" in notice.get_content()


def test_item3_at_most_max_concurrent_hashes_run_at_once() -> None:
    passwords = Passwords(time_cost=1, memory_cost_kib=8192, max_concurrent=2)
    running = peak = 0
    lock = threading.Lock()
    real_hash = passwords._hasher.hash

    def counting(password: str) -> str:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.02)
        try:
            return real_hash(password)
        finally:
            with lock:
                running -= 1

    class Counting:
        hash = staticmethod(counting)

    passwords._hasher = Counting()  # type: ignore[assignment]
    threads = [threading.Thread(target=passwords.hash, args=("x" * 12,)) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert peak == 2
