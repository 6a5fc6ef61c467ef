"""Inactive accounts (P20, LEGAL L52): a notice by e-mail, then closure after the grace period.

Real database, real outbox and a real SMTP server on loopback; the clock is a FixedClock
moved by hand. Flexibelt's policy: inactive after 24 months (P24M), closed 30 days (P30D)
after the notice unless the person logs in.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from tests.integration.test_outbox_smtp import (
    PASSWORD,
    Collector,
    body_of,
    create_account,
    free_port,
    run_pass,
)
from typer.testing import CliRunner

from privaat.bootstrap import Context
from privaat.cli import app
from privaat.domain.clock import FixedClock
from privaat.domain.principal import SystemJob
from privaat.store.audit import AuditTrail
from privaat.store.tables import accounts, outbox, sessions, subjects
from privaat.store.tables_lifecycle import inactivity_notices

START = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)  # the clock fixture's moment
# 24 months after START is 26 November 2028; a day later the account is past it
PAST_INACTIVE = datetime(2028, 11, 27, 9, 30, tzinfo=UTC)


@pytest.fixture
def smtp() -> Iterator[tuple[Collector, int]]:
    """A real SMTP server on 127.0.0.1 (as test_outbox_smtp's) and the mail it accepted."""
    collector, port = Collector(), free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    yield collector, port
    controller.stop()


def _templates(context: Context, subject_id: int) -> list[str]:
    with context.engine.connect() as connection:
        return list(
            connection.execute(
                select(outbox.c.template)
                .where(outbox.c.subject_id == subject_id)
                .order_by(outbox.c.id)
            ).scalars()
        )


def _account(context: Context, subject_id: int) -> Any:
    with context.engine.connect() as connection:
        return connection.execute(
            select(accounts.c.status, accounts.c.closed_at).where(
                accounts.c.subject_id == subject_id
            )
        ).one()


def _noticed(context: Context, subject_id: int) -> bool:
    """Whether a notice is pending (sent, not withdrawn, the account not closed yet)."""
    with context.engine.connect() as connection:
        row = connection.execute(
            select(inactivity_notices.c.noticed_at).where(
                inactivity_notices.c.subject_id == subject_id
            )
        ).first()
    return row is not None and row.noticed_at is not None


def _run(context: Context) -> tuple[int, int, int]:
    with context.unit_of_work() as uow:
        report = context.inactivity.run(uow)
    return report.noticed, report.closed, report.cancelled


def _log_in(context: Context, email: str) -> None:
    with context.unit_of_work() as uow:
        context.sessions.log_in(
            uow, email=email, password=PASSWORD, ip="145.97.0.1", user_agent="Firefox"
        )


def test_p20_l52_the_policy_defines_an_active_account(context: Context) -> None:
    rule = context.policy.account_activity
    assert rule is not None
    assert (str(rule.inactive_after), str(rule.notice)) == ("P24M", "P30D")


def test_p20_l52_an_inactive_account_gets_one_notice_in_its_language_by_smtp(
    context: Context, clock: FixedClock, smtp: tuple[Collector, int]
) -> None:
    collector, port = smtp
    jan = create_account(context, "jan@example.nl", "nl")
    emma = create_account(context, "emma@example.nl", "en")
    run_pass(context, port)  # nothing to send yet but what sign-up queued
    collector.received.clear()

    clock.current = datetime(2028, 11, 25, 9, 30, tzinfo=UTC)  # a day short of 24 months
    assert _run(context) == (0, 0, 0)
    clock.current = PAST_INACTIVE
    assert _run(context) == (2, 0, 0)
    assert _run(context) == (0, 0, 0)  # sent once: the second run finds both noticed
    assert _templates(context, jan).count("account_inactive") == 1

    report = run_pass(context, port)
    assert report.sent == 2
    by_address = {r.rcpt_tos[0]: r.message for r in collector.received}
    dutch, english = by_address["jan@example.nl"], by_address["emma@example.nl"]
    assert dutch["Subject"] == "Uw account wordt opgeheven"
    assert english["Subject"] == "Your account will be closed"
    # closure 30 days after the notice of 27 November 2028
    assert "heffen we het op 27 december 2028 op" in body_of(dutch)
    assert "we will close it on December 27, 2028" in body_of(english)
    assert "Flexibelt" in body_of(dutch)
    assert _noticed(context, jan) and _noticed(context, emma)


def test_p20_l52_noticed_and_still_inactive_after_30_days_the_account_is_closed(
    context: Context, clock: FixedClock
) -> None:
    subject_id = create_account(context, "jan@example.nl", "nl")
    _log_in(context, "jan@example.nl")  # a session, last seen at START
    clock.current = PAST_INACTIVE
    assert _run(context) == (1, 0, 0)
    clock.advance(timedelta(days=29))
    assert _run(context) == (0, 0, 0)  # still within the grace period
    assert _account(context, subject_id).status == "active"
    clock.advance(timedelta(days=1))
    assert _run(context) == (0, 1, 0)
    closed = _account(context, subject_id)
    assert closed.status == "closed"
    assert closed.closed_at == datetime(2028, 12, 27, 9, 30, tzinfo=UTC)
    assert _templates(context, subject_id)[-2:] == ["account_inactive", "account_closed"]
    with context.engine.connect() as connection:
        left = connection.execute(
            select(sessions.c.token_hash).where(sessions.c.subject_id == subject_id)
        ).all()
    assert left == []
    assert not _noticed(context, subject_id)
    assert _run(context) == (0, 0, 0)  # idempotent: a closed account is not touched again


def test_l52_the_audit_trail_records_notice_and_closure_by_pseudonym_only(
    context: Context, clock: FixedClock
) -> None:
    subject_id = create_account(context, "jan@example.nl", "nl")
    clock.current = PAST_INACTIVE
    _run(context)
    clock.advance(timedelta(days=30))
    _run(context)
    with context.engine.connect() as connection:
        pseudonym = connection.execute(
            select(subjects.c.pseudonym).where(subjects.c.id == subject_id)
        ).scalar_one()
        entries = [e for e in AuditTrail.entries(connection) if e.actor == "system:inactivity"]
        assert AuditTrail.verify(connection).ok
    assert [(e.action, e.subject_pseudonym, dict(e.detail)) for e in entries] == [
        (
            "account.inactivity_noticed",
            pseudonym,
            {"activity": "account", "closes_on": "2028-12-27"},
        ),
        (
            "inactivity.run",
            None,
            {"activity": "account", "noticed": 1, "closed": 0, "cancelled": 0},
        ),
        ("account.closed", pseudonym, {"activity": "account", "reason": "inactivity"}),
        (
            "inactivity.run",
            None,
            {"activity": "account", "noticed": 0, "closed": 1, "cancelled": 0},
        ),
    ]
    text = repr([dict(e.detail) for e in entries])
    assert "jan" not in text and "example" not in text


def test_p20_a_log_in_after_the_notice_cancels_it(context: Context, clock: FixedClock) -> None:
    subject_id = create_account(context, "jan@example.nl", "nl")
    clock.current = PAST_INACTIVE
    assert _run(context) == (1, 0, 0)
    clock.advance(timedelta(days=10))
    _log_in(context, "jan@example.nl")
    assert _run(context) == (0, 0, 1)
    assert not _noticed(context, subject_id)
    clock.advance(timedelta(days=30))  # past the grace period of the withdrawn notice
    assert _run(context) == (0, 0, 0)
    assert _account(context, subject_id).status == "active"


def test_p20_an_account_with_a_live_service_is_never_inactive(
    context: Context, clock: FixedClock
) -> None:
    subject_id = create_account(context, "jan@example.nl", "nl")
    with context.engine.begin() as connection:
        context.preferences.add_service(
            connection, SystemJob("test"), subject_id, "hosting", since=START
        )
    clock.current = PAST_INACTIVE + timedelta(days=365)
    assert _run(context) == (0, 0, 0)
    assert "account_inactive" not in _templates(context, subject_id)


def test_p20_a_shop_order_counts_as_activity(context: Context, clock: FixedClock) -> None:
    from privaat.store.tables_shop import shop_orders

    subject_id = create_account(context, "jan@example.nl", "nl")
    clock.current = PAST_INACTIVE
    with context.engine.connect() as connection:
        columns = {c.name for c in shop_orders.columns}
    assert "placed_at" in columns
    # an order placed a year ago (through the shop service in test_shop_orders; here only its
    # time matters, so the test writes the row the shop would)
    order_at = PAST_INACTIVE - timedelta(days=365)
    with context.engine.begin() as connection:
        connection.execute(
            shop_orders.insert().values(
                reference="B-TEST0001",
                subject_id=subject_id,
                guest=False,
                status="paid",
                placed_at=order_at,
                total_cents=1000,
                **_required_order_columns(),
            )
        )
    assert _run(context) == (0, 0, 0)


def _required_order_columns() -> dict[str, Any]:
    from privaat.store.tables_shop import shop_orders

    given = {"id", "reference", "subject_id", "guest", "status", "placed_at", "total_cents"}
    values: dict[str, Any] = {}
    for column in shop_orders.columns:
        if column.name in given or column.nullable or column.default is not None:
            continue
        values[column.name] = b"x" if column.name.endswith("_enc") else "x"
    return values


def test_l52_a_provider_without_account_activity_closes_nothing(
    context: Context, clock: FixedClock
) -> None:
    from privaat.services.inactivity import AccountInactivity

    create_account(context, "jan@example.nl", "nl")
    clock.current = PAST_INACTIVE + timedelta(days=3650)
    policy = context.policy.model_copy(update={"account_activity": None})
    job = AccountInactivity(
        access=context.access, notifier=context.inactivity._notifier, policy=policy, clock=clock
    )
    with context.unit_of_work() as uow:
        report = job.run(uow)
    assert (report.noticed, report.closed, report.cancelled) == (0, 0, 0)


def test_cli_jobs_close_inactive_reports_its_counts(
    context: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_account(context, "jan@example.nl", "nl")  # created at START: not inactive today
    result = _cli(context, monkeypatch, "jobs", "close-inactive")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        "noticed 0 inactive account(s), closed 0, withdrew 0 notice(s) of accounts used again"
    )


def _pseudonym(context: Context, subject_id: int) -> str:
    with context.engine.connect() as connection:
        return str(
            connection.execute(
                select(subjects.c.pseudonym).where(subjects.c.id == subject_id)
            ).scalar_one()
        )


def test_p20_an_answer_to_the_notice_keeps_the_account_for_another_period(
    context: Context, clock: FixedClock
) -> None:
    subject_id = create_account(context, "jan@example.nl", "nl")
    clock.current = PAST_INACTIVE
    assert _run(context) == (1, 0, 0)
    clock.advance(timedelta(days=5))  # 2 December 2028: the holder replied
    with context.unit_of_work() as uow:
        assert context.inactivity.keep(uow, SystemJob("test"), subject_id) is True
    assert not _noticed(context, subject_id)
    clock.advance(timedelta(days=30))  # past the withdrawn notice's grace period
    assert _run(context) == (0, 0, 0)
    assert _account(context, subject_id).status == "active"
    # the answer counts as activity: 24 months after 2 December 2028, a new notice
    clock.current = datetime(2030, 12, 1, 9, 30, tzinfo=UTC)
    assert _run(context) == (0, 0, 0)
    clock.current = datetime(2030, 12, 3, 9, 30, tzinfo=UTC)
    assert _run(context) == (1, 0, 0)
    assert _templates(context, subject_id).count("account_inactive") == 2


def test_keeping_a_closed_account_is_refused(context: Context, clock: FixedClock) -> None:
    from privaat.services.errors import Conflict

    subject_id = create_account(context, "jan@example.nl", "nl")
    clock.current = PAST_INACTIVE
    _run(context)
    clock.advance(timedelta(days=30))
    assert _run(context) == (0, 1, 0)
    with context.unit_of_work() as uow, pytest.raises(Conflict, match="not active"):
        context.inactivity.keep(uow, SystemJob("test"), subject_id)


def _cli(context: Context, monkeypatch: pytest.MonkeyPatch, *arguments: str) -> Any:
    monkeypatch.setenv("PRIVAAT_DATABASE_URL", context.settings.database_url)
    monkeypatch.setenv("PRIVAAT_MODE", "test")
    monkeypatch.setenv("PRIVAAT_VAR_DIR", str(context.settings.var_dir))
    return CliRunner().invoke(app, list(arguments))


def test_cli_jobs_keep_account_by_pseudonym(
    context: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    subject_id = create_account(context, "jan@example.nl", "nl")
    pseudonym = _pseudonym(context, subject_id)
    result = _cli(context, monkeypatch, "jobs", "keep-account", pseudonym)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"{pseudonym}: kept active"
    unknown = _cli(context, monkeypatch, "jobs", "keep-account", "0" * 32)
    assert unknown.exit_code == 2
    assert f"privaat: '{'0' * 32}': no subject with this pseudonym" in unknown.stderr


def test_l52_two_workers_at_once_notice_each_account_once(
    context: Context, clock: FixedClock
) -> None:
    import threading

    ids = [create_account(context, f"klant{n}@example.nl", "nl") for n in range(12)]
    clock.current = PAST_INACTIVE
    reports: list[tuple[int, int, int]] = []
    failures: list[BaseException] = []

    def worker() -> None:
        try:
            reports.append(_run(context))
        except BaseException as error:  # noqa: BLE001  (reported by the assertion below)
            failures.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert sum(noticed for noticed, _, _ in reports) == 12
    assert all(_templates(context, s).count("account_inactive") == 1 for s in ids)
