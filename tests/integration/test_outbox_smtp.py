"""Outbox delivery over real SMTP (issue 3 item 4): P3 notices, LEGAL L4, RFC 5321 replies.

A real SMTP server (aiosmtpd) listens on loopback; notices are produced by the real account
use cases and delivered by ``privaat.mail.outbox.deliver`` or ``privaat mail deliver``.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import delete, func, select
from typer.testing import CliRunner, Result

from privaat.bootstrap import Context
from privaat.cli import app
from privaat.domain.clock import FixedClock
from privaat.domain.principal import DataSubject, StaffMember, StaffRole
from privaat.mail.notices import Notice, notice_text
from privaat.mail.transport import SmtpTransport
from privaat.services.account_commands import AccountClose, AccountCreate, AccountUpdate
from privaat.services.outbox import (
    GIVE_UP_AFTER,
    DeliveryReport,
    MailServerUnreachable,
    back_off,
)
from privaat.store.tables import audit_log, outbox, subjects

SENDER = "privacy@flexibelt.example"
PASSWORD = "correct horse battery"

# LEGAL L4: a notice informs; none of these may appear in one (Dutch and English)
PROMOTIONAL_WORDS = (
    "aanbieding",
    "korting",
    "actie",
    "gratis",
    "nieuwsbrief",
    "uitschrijven",
    "afmelden",
    "bestel",
    "offer",
    "discount",
    "sale",
    "free",
    "newsletter",
    "unsubscribe",
    "promo",
    "deal",
    "buy",
    "upgrade",
)


# the single-use address link of privaat itself (services/email_address.py)
ONE_TIME_LINK = re.compile(r"https?://[^\s/]+/email/(?:verify|confirm)\?token=([\w-]+)")


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class Collector:
    """An aiosmtpd handler that keeps what it accepted and refuses what it is told to."""

    received: list[Received] = field(default_factory=list)
    recipients_tried: list[str] = field(default_factory=list)
    refuse_recipients: dict[str, str] = field(default_factory=dict)  # address -> reply
    data_reply: str | None = None  # e.g. "554 ..." refuses every message at DATA
    data_delay_seconds: float = 0.0

    async def handle_RCPT(  # noqa: N802  (aiosmtpd's hook name)
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        self.recipients_tried.append(address)
        refusal = self.refuse_recipients.get(address.lower())
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.data_delay_seconds:
            await asyncio.sleep(self.data_delay_seconds)
        if self.data_reply:
            return self.data_reply
        message = message_from_bytes(envelope.original_content, policy=email_policy.default)
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), cast(EmailMessage, message))
        )
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Collector, int]]:
    """A real SMTP server on 127.0.0.1 and a free port, and the handler collecting its mail."""
    collector, port = Collector(), free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    yield collector, port
    controller.stop()


def server_at(port: int) -> SmtpTransport:
    return SmtpTransport(host="127.0.0.1", port=port, sender=SENDER, timeout_seconds=5)


def run_pass(context: Context, port: int) -> DeliveryReport:
    return context.outbox.deliver(server_at(port))


def create_account(context: Context, email: str, language: str) -> int:
    command = AccountCreate.model_validate(
        {
            "email": email,
            "password": PASSWORD,
            "name": "Test Persoon",
            "language": language,
            "age_declaration": True,
        }
    )
    with context.unit_of_work() as uow:
        outcome = context.accounts.sign_up(uow, command)
    assert outcome.subject_id is not None
    # these tests are about the notices that follow: the sign-up's verification link
    # (tests/integration/test_email_address.py) is taken out of the way
    with context.engine.begin() as connection:
        connection.execute(
            delete(outbox).where(
                outbox.c.subject_id == outcome.subject_id, outbox.c.template == "verify_email"
            )
        )
    return outcome.subject_id


def attempt_sign_up_again(context: Context, email: str) -> None:
    command = AccountCreate.model_validate(
        {"email": email, "password": "another password", "name": "X", "age_declaration": True}
    )
    with context.unit_of_work() as uow:
        assert context.accounts.sign_up(uow, command).created is False


def change_password(context: Context, subject_id: int) -> None:
    with context.unit_of_work() as uow:
        context.sessions.change_password(
            uow,
            DataSubject(subject_id),
            subject_id,
            current=PASSWORD,
            new="a much better one",
            keep_token=None,
        )


def outbox_rows(context: Context) -> list[Any]:
    with context.engine.connect() as connection:
        return list(connection.execute(select(outbox).order_by(outbox.c.id)).all())


def contact(context: Context) -> str:
    return context.policy.privacy_contact.email


def provider(context: Context) -> str:
    return context.policy.controller.name


def body_of(message: EmailMessage) -> str:
    return str(message.get_content()).strip()


# --- delivery ------------------------------------------------------------------------------


def test_p3_notices_reach_the_server_with_to_subject_language_and_from(
    context: Context, smtp: tuple[Collector, int]
) -> None:
    collector, port = smtp
    create_account(context, "jan@example.nl", "nl")
    attempt_sign_up_again(context, "jan@example.nl")
    emma = create_account(context, "emma@example.nl", "en")
    change_password(context, emma)

    report = run_pass(context, port)

    assert report == DeliveryReport(sent=2, failed=0, given_up=0)
    by_recipient = {r.rcpt_tos[0]: r for r in collector.received}
    assert set(by_recipient) == {"jan@example.nl", "emma@example.nl"}
    expected = {
        "jan@example.nl": notice_text(
            Notice.SIGN_UP_ATTEMPT, "nl", provider=provider(context), contact=contact(context)
        ),
        "emma@example.nl": notice_text(
            Notice.PASSWORD_CHANGED, "en", provider=provider(context), contact=contact(context)
        ),
    }
    for address, text in expected.items():
        received = by_recipient[address]
        assert received.mail_from == SENDER
        assert received.message["From"] == SENDER
        assert received.message["To"] == address
        assert received.message["Subject"] == text.subject
        assert body_of(received.message) == text.body
        assert received.message["Auto-Submitted"] == "auto-generated"
    assert by_recipient["jan@example.nl"].message["Subject"] == "Poging om een account aan te maken"
    assert all(row.sent_at == context.clock.now() for row in outbox_rows(context))
    assert context.outbox.pending() == []


def test_p3_a_second_pass_sends_nothing_again(
    context: Context, smtp: tuple[Collector, int]
) -> None:
    collector, port = smtp
    change_password(context, create_account(context, "jan@example.nl", "nl"))
    assert run_pass(context, port).sent == 1
    assert run_pass(context, port) == DeliveryReport(sent=0, failed=0, given_up=0)
    assert len(collector.received) == 1
    assert [row.attempts for row in outbox_rows(context)] == [1]


@pytest.mark.parametrize(
    ("refusal", "at_data"),
    [
        pytest.param("450 4.2.1 Mailbox busy, try later", False, id="rcpt-450-temporary"),
        pytest.param("451 4.3.0 Local error, try later", True, id="data-451-temporary"),
    ],
)
def test_a_temporary_refusal_is_retried_after_its_back_off_and_the_others_go_once(
    context: Context, smtp: tuple[Collector, int], clock: FixedClock, refusal: str, at_data: bool
) -> None:
    collector, port = smtp
    jan = create_account(context, "jan@example.nl", "nl")
    emma = create_account(context, "emma@example.nl", "en")
    change_password(context, jan)
    change_password(context, emma)
    if at_data:
        collector.data_reply = refusal
    else:
        collector.refuse_recipients["jan@example.nl"] = refusal

    report = run_pass(context, port)

    if at_data:
        assert report == DeliveryReport(sent=0, failed=2, given_up=0)
        assert [(r.sent_at, r.attempts) for r in outbox_rows(context)] == [(None, 1), (None, 1)]
    else:
        assert report == DeliveryReport(sent=1, failed=1, given_up=0)
        assert [r.rcpt_tos for r in collector.received] == [["emma@example.nl"]]
        jan_row, emma_row = outbox_rows(context)
        assert (jan_row.sent_at, jan_row.attempts) == (None, 1)
        assert jan_row.next_attempt_at == clock.now() + back_off(1)
        assert emma_row.sent_at is not None
    collector.data_reply = None
    collector.refuse_recipients.clear()
    # not before its back-off: RFC 5321 §4.5.4.1 asks to wait between tries
    assert run_pass(context, port) == DeliveryReport(0, 0, 0)
    clock.advance(back_off(1))
    run_pass(context, port)
    assert sorted(r.rcpt_tos[0] for r in collector.received) == [
        "emma@example.nl",
        "jan@example.nl",
    ]
    assert all(row.sent_at is not None for row in outbox_rows(context))


@pytest.mark.parametrize(
    ("refusal", "at_data"),
    [
        pytest.param("550 5.1.1 No such mailbox", False, id="rcpt-550"),
        pytest.param("554 5.6.0 Message refused", True, id="data-554"),
    ],
)
def test_a_permanent_refusal_gives_the_message_up_at_once_and_audits_it(
    context: Context, smtp: tuple[Collector, int], refusal: str, at_data: bool
) -> None:
    collector, port = smtp
    change_password(context, create_account(context, "gone@example.nl", "nl"))
    if at_data:
        collector.data_reply = refusal
    else:
        collector.refuse_recipients["gone@example.nl"] = refusal

    assert run_pass(context, port) == DeliveryReport(sent=0, failed=1, given_up=1)
    assert run_pass(context, port) == DeliveryReport(0, 0, 0)  # never tried again
    (row,) = outbox_rows(context)
    assert (row.sent_at, row.attempts) == (None, 1) and row.given_up_at is not None
    assert context.outbox.pending() == []
    with context.engine.connect() as connection:
        entry = connection.execute(
            select(audit_log).where(audit_log.c.action == "mail.given_up")
        ).one()
        pseudonym = connection.execute(select(subjects.c.pseudonym)).scalar_one()
    assert entry.subject_pseudonym == pseudonym
    assert f'"reply_code":{refusal[:3]}' in entry.detail.replace(" ", "")
    assert "gone@example.nl" not in entry.detail


def test_item6_five_passes_against_a_451_relay_give_up_no_security_notice(
    context: Context, smtp: tuple[Collector, int], clock: FixedClock
) -> None:
    """The reproduced defect: five passes gave every queued notice up for good."""
    collector, port = smtp
    for n in range(4):
        change_password(context, create_account(context, f"klant{n}@example.nl", "nl"))
    collector.data_reply = "451 4.7.1 Greylisted, try again later"
    for _ in range(5):
        report = run_pass(context, port)
        # the first messages all got the same 4xx: the server is the problem, nothing counts
        assert report.stopped and (report.failed, report.given_up) == (0, 0)
        clock.advance(timedelta(hours=1))
    assert all((r.attempts, r.given_up_at) == (0, None) for r in outbox_rows(context))
    collector.data_reply = None
    assert run_pass(context, port).sent == 4


def test_item6_a_temporarily_refused_message_is_given_up_only_when_it_is_72_hours_old(
    context: Context, smtp: tuple[Collector, int], clock: FixedClock
) -> None:
    collector, port = smtp
    jan = create_account(context, "jan@example.nl", "nl")
    change_password(context, jan)
    change_password(context, create_account(context, "emma@example.nl", "en"))
    collector.refuse_recipients["jan@example.nl"] = "452 4.2.2 Mailbox full"
    waited = timedelta(0)
    while waited < GIVE_UP_AFTER:
        report = run_pass(context, port)
        assert report.given_up == 0 or waited + back_off(30) >= GIVE_UP_AFTER
        step = back_off(max(outbox_rows(context)[0].attempts, 1))
        clock.advance(step)
        waited += step
    run_pass(context, port)
    jan_row = outbox_rows(context)[0]
    assert jan_row.given_up_at is not None and jan_row.sent_at is None
    assert jan_row.attempts >= 10  # retried for three days, not five passes


def test_a_stopped_server_is_a_clear_error_and_nothing_is_marked_sent(
    context: Context,
) -> None:
    change_password(context, create_account(context, "jan@example.nl", "nl"))
    collector, port = Collector(), free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    controller.stop()  # the port is closed now: connection refused

    with pytest.raises(MailServerUnreachable) as raised:
        run_pass(context, port)

    assert f"cannot reach the SMTP server 127.0.0.1:{port}" in str(raised.value)
    assert "refused" in str(raised.value).lower()
    # an outage is not the message's fault: no attempt is counted against it
    assert [(r.sent_at, r.attempts) for r in outbox_rows(context)] == [(None, 0)]
    assert collector.received == []


def test_a_server_slower_than_the_timeout_leaves_the_mail_waiting_and_it_goes_later(
    context: Context, smtp: tuple[Collector, int], clock: FixedClock
) -> None:
    """Issue 16 item 4: a slow server (its DATA answer later than our timeout) is a dropped
    connection: the attempt is counted, the mail waits its back-off and goes on the next
    pass, once. (This server drops a message whose client left before its answer; one that
    kept it would hold a second copy with the same Message-ID: test_crash_outbox.py.)"""
    collector, port = smtp
    change_password(context, create_account(context, "jan@example.nl", "nl"))
    collector.data_delay_seconds = 0.8
    impatient = SmtpTransport(host="127.0.0.1", port=port, sender=SENDER, timeout_seconds=0.3)

    with pytest.raises(MailServerUnreachable) as raised:
        context.outbox.deliver(impatient)

    assert "dropped the connection" in str(raised.value)
    assert [(r.sent_at, r.attempts) for r in outbox_rows(context)] == [(None, 1)]
    threading.Event().wait(0.7)  # past the slow answer: the server kept nothing
    assert collector.received == []
    collector.data_delay_seconds = 0.0
    assert run_pass(context, port).sent == 0  # not before its back-off
    clock.advance(back_off(1))
    assert run_pass(context, port).sent == 1
    [row] = outbox_rows(context)
    assert row.sent_at is not None and row.attempts == 2
    assert [r.rcpt_tos for r in collector.received] == [["jan@example.nl"]]


def test_a_server_closing_mid_pass_stops_it_and_spares_the_untried_messages(
    context: Context, smtp: tuple[Collector, int], clock: FixedClock
) -> None:
    collector, port = smtp
    change_password(context, create_account(context, "jan@example.nl", "nl"))
    change_password(context, create_account(context, "emma@example.nl", "en"))
    collector.data_reply = "421 4.3.2 Service shutting down"

    with pytest.raises(MailServerUnreachable) as raised:
        run_pass(context, port)

    assert "dropped the connection" in str(raised.value) and "421" in str(raised.value)
    assert raised.value.report == DeliveryReport(sent=0, failed=1, given_up=0)
    # the message in flight counts an attempt; the one never tried does not
    assert [(r.sent_at, r.attempts) for r in outbox_rows(context)] == [(None, 1), (None, 0)]
    collector.data_reply = None
    assert run_pass(context, port).sent == 1  # the untried one; the other waits its back-off
    clock.advance(back_off(1))
    assert run_pass(context, port).sent == 1


def test_mail_of_an_erased_subject_disappears_with_it(
    context: Context, smtp: tuple[Collector, int]
) -> None:
    collector, port = smtp
    jan = create_account(context, "jan@example.nl", "nl")
    change_password(context, jan)
    assert len(outbox_rows(context)) == 1
    with context.unit_of_work() as uow:
        context.erasure.erase(
            uow, StaffMember(1, StaffRole.PRIVACY_OFFICER), jan, ground="art17_request"
        )
    assert outbox_rows(context) == []
    assert run_pass(context, port) == DeliveryReport(sent=0, failed=0, given_up=0)
    assert collector.received == []


# PostgreSQL only: SQLite has one writer and no row locks, so the outbox runs one worker
# there (DESIGN: one in-process worker on the embedded default). CI always has PostgreSQL.
POSTGRES_ONLY = ["postgresql"] if os.environ.get("PRIVAAT_TEST_DATABASE_URL") else []


@pytest.mark.parametrize("database_url", POSTGRES_ONLY, indirect=True)
def test_two_workers_never_send_a_message_twice(
    context: Context, smtp: tuple[Collector, int]
) -> None:
    assert context.engine.dialect.name == "postgresql"
    collector, port = smtp
    collector.data_delay_seconds = 0.02  # keeps both workers in flight at once
    # 30 notices to 30 people (one person hears of repeated sign-ups once a day at most)
    for n in range(30):
        change_password(context, create_account(context, f"klant{n}@example.nl", "nl"))
    reports: list[DeliveryReport] = []

    def worker() -> None:
        reports.append(run_pass(context, port))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(reports) == 2 and all(report.sent > 0 for report in reports), reports
    assert sum(report.sent for report in reports) == 30
    assert len(collector.received) == 30
    assert len({r.message["Message-ID"] for r in collector.received}) == 30
    assert all(row.sent_at is not None and row.attempts == 1 for row in outbox_rows(context))


# --- LEGAL L4: information, not promotion ---------------------------------------------------


def produce_every_notice(context: Context, email: str, language: str) -> None:
    """Drive each use case that sends a notice, for one account in ``language``."""
    subject_id = create_account(context, email, language)
    attempt_sign_up_again(context, email)  # sign_up_attempt
    for agent in ("Firefox", "Phone"):  # the second device is new: new_device_login
        with context.unit_of_work() as uow:
            context.sessions.log_in(
                uow, email=email, password=PASSWORD, ip="145.97.0.1", user_agent=agent
            )
    change_password(context, subject_id)  # password_changed
    new_email = "new." + email
    update = AccountUpdate.model_validate(
        {"email": new_email, "current_password": "a much better one"}
    )
    me = DataSubject(subject_id)
    with context.unit_of_work() as uow:
        # email_change_requested to the old address, confirm_email_change to the new one
        context.accounts.update_profile(uow, me, subject_id, update)
    (link,) = [
        mail.body
        for _id, template, mail in context.outbox.pending()
        if template == "confirm_email_change" and mail.to == new_email
    ]
    token = ONE_TIME_LINK.search(link)
    assert token is not None
    with context.unit_of_work() as uow:
        context.addresses.confirm_change(uow, token.group(1))  # email_changed, twice
        close = AccountClose.model_validate({"password": "a much better one"})
        context.accounts.close(uow, me, subject_id, close)  # account_closed


def test_l4_notices_reach_people_without_marketing_consent_and_hold_no_promotion(
    context: Context, smtp: tuple[Collector, int]
) -> None:
    collector, port = smtp
    produce_every_notice(context, "jan@example.nl", "nl")
    produce_every_notice(context, "emma@example.nl", "en")

    report = run_pass(context, port)

    assert report.sent == len(collector.received) == 16
    subjects_sent = {r.message["Subject"] for r in collector.received}
    filled = {"contact": contact(context), "at": "", "where": "", "until": "", "link": ""}
    assert subjects_sent == {
        notice_text(notice, language, provider=provider(context), **filled).subject
        for notice in Notice
        # not produced here: a privacy officer's decision, the closed-account and taken-
        # address variants, and the verification link (taken out of the way on sign-up)
        if notice
        not in (
            Notice.OBJECTION_OVERRIDDEN,
            Notice.SIGN_UP_CLOSED_ACCOUNT,
            Notice.EMAIL_IN_USE,
            Notice.VERIFY_EMAIL,
            Notice.ACCOUNT_INACTIVE,  # the inactivity job's (tests/integration/test_inactivity.py)
            # a double opt-in's link (tests/integration/test_consent_double_opt_in.py)
            Notice.CONFIRM_CONSENT,
        )
        for language in ("nl", "en")
    }
    promotional = re.compile(r"\b(" + "|".join(PROMOTIONAL_WORDS) + r")", re.IGNORECASE)
    for received in collector.received:
        message = received.message
        text = f"{message['Subject']}\n{body_of(message)}"
        assert promotional.search(text) is None, text
        assert not message.is_multipart() and message.get_content_type() == "text/plain"
        assert "List-Unsubscribe" not in message
        # no tracking pixel, no links to follow: plain text without HTML or URLs, but for
        # the one-time link that proves an address (it is the notice's whole point)
        assert "<img" not in text.lower() and "<" not in body_of(message)
        without_own_link = ONE_TIME_LINK.sub("", text)
        assert "http://" not in without_own_link and "https://" not in without_own_link


# --- privaat mail deliver -------------------------------------------------------------------

runner = CliRunner()


def run_cli(monkeypatch: pytest.MonkeyPatch, context: Context, **env: str) -> Result:
    settings = context.settings
    monkeypatch.setenv("PRIVAAT_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PRIVAAT_MODE", "test")
    monkeypatch.setenv("PRIVAAT_VAR_DIR", str(Path(settings.var_dir)))
    monkeypatch.setenv("PRIVAAT_MAIL_FROM", SENDER)
    monkeypatch.delenv("PRIVAAT_SMTP_HOST", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = runner.invoke(app, ["mail", "deliver"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def test_cli_mail_deliver_sends_and_says_how_many(
    monkeypatch: pytest.MonkeyPatch, context: Context, smtp: tuple[Collector, int]
) -> None:
    collector, port = smtp
    change_password(context, create_account(context, "jan@example.nl", "nl"))
    server = {"PRIVAAT_SMTP_HOST": "127.0.0.1", "PRIVAAT_SMTP_PORT": str(port)}

    result = run_cli(monkeypatch, context, **server)

    assert result.exit_code == 0, result.output
    assert "sent 1, failed 0" in result.output
    assert [r.mail_from for r in collector.received] == [SENDER]
    assert "sent 0, failed 0" in run_cli(monkeypatch, context, **server).output


def test_cli_mail_deliver_exits_1_when_a_message_is_refused(
    monkeypatch: pytest.MonkeyPatch, context: Context, smtp: tuple[Collector, int]
) -> None:
    collector, port = smtp
    change_password(context, create_account(context, "jan@example.nl", "nl"))
    collector.refuse_recipients["jan@example.nl"] = "550 5.1.1 No such mailbox"
    result = run_cli(
        monkeypatch, context, PRIVAAT_SMTP_HOST="127.0.0.1", PRIVAAT_SMTP_PORT=str(port)
    )
    assert result.exit_code == 1 and "sent 0, failed 1" in result.output


def test_cli_mail_deliver_without_smtp_host_says_so_and_exits_2(
    monkeypatch: pytest.MonkeyPatch, context: Context
) -> None:
    change_password(context, create_account(context, "jan@example.nl", "nl"))
    result = run_cli(monkeypatch, context)
    assert result.exit_code == 2
    assert "no SMTP server configured" in result.output and "PRIVAAT_SMTP_HOST" in result.output
    assert [r.attempts for r in outbox_rows(context)] == [0]


def test_cli_mail_deliver_with_the_server_down_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, context: Context
) -> None:
    change_password(context, create_account(context, "jan@example.nl", "nl"))
    port = free_port()  # nothing listens there
    result = run_cli(
        monkeypatch, context, PRIVAAT_SMTP_HOST="127.0.0.1", PRIVAAT_SMTP_PORT=str(port)
    )
    assert result.exit_code == 1
    assert f"cannot reach the SMTP server 127.0.0.1:{port}" in result.output
    assert [(r.sent_at, r.attempts) for r in outbox_rows(context)] == [(None, 0)]


def test_outbox_holds_no_address_or_text_in_clear(context: Context) -> None:
    change_password(context, create_account(context, "jan@example.nl", "nl"))
    with context.engine.connect() as connection:
        blob = connection.execute(select(outbox.c.message_enc)).scalar_one()
        assert connection.execute(select(func.count()).select_from(outbox)).scalar_one() == 1
    assert b"jan@example.nl" not in blob and b"wachtwoord" not in blob


def test_cli_mail_deliver_never_makes_a_master_key_and_says_which_is_missing(
    monkeypatch: pytest.MonkeyPatch, context: Context, smtp: tuple[Collector, int], tmp_path: Path
) -> None:
    collector, port = smtp
    change_password(context, create_account(context, "jan@example.nl", "nl"))
    empty = tmp_path / "no-key-here"
    result = run_cli(
        monkeypatch,
        context,
        PRIVAAT_SMTP_HOST="127.0.0.1",
        PRIVAAT_SMTP_PORT=str(port),
        PRIVAAT_VAR_DIR=str(empty),
    )
    assert result.exit_code == 2
    assert "master key file" in result.output and "does not exist" in result.output
    assert not (empty / "master.key").exists()
    assert collector.received == []
