"""The request watchdog (issue 15 item 7; GDPR art. 12(3); LEGAL L55, L57): stuck requests,
failing stores and the due dates, each alerted once to the privacy contact, by the outbox
and a real SMTP server on loopback; the console's queue marks them.

The clock starts on Thursday 26 November 2026, 09:30 UTC (10:30 in Amsterdam); a request
filed then is due Monday 28 December (26 December is a Saturday and a holiday).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_datetime
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from tests.factories import customer
from tests.integration.test_console_requests import console as console  # the fixture
from tests.integration.test_console_roles import staff_session
from tests.integration.test_external_stores import PERSON
from tests.integration.test_external_stores import billing_url as billing_url  # the fixtures
from tests.integration.test_external_stores import reach as reach
from tests.integration.test_external_stores import webmail as webmail
from tests.integration.test_outbox_smtp import Collector, body_of, run_pass
from tests.integration.test_outbox_smtp import smtp as smtp  # the fixture: a real SMTP server
from tests.integration.test_request_rights_rectification import OFFICER, started
from tests.integration.test_request_tasks import tasked as tasked  # the fixture
from typer.testing import CliRunner

from privaat.bootstrap import Context, bootstrap
from privaat.cli import app
from privaat.demo.external_stores import Webmail
from privaat.domain.clock import FixedClock
from privaat.domain.principal import StaffRole
from privaat.domain.request_dwell import Alert
from privaat.domain.subject_requests import Action, RequestKind
from privaat.services.connectors import StoreUnavailable
from privaat.services.erasure import Erasure, ErasureReport
from privaat.services.request_reminders import Reminder
from privaat.services.subject_requests import RequestChannel
from privaat.settings import Settings
from privaat.store.tables_requests import subject_requests
from privaat.store.tables_tasks import request_tasks
from privaat.store.tables_watchdog import request_alerts, request_store_failures
from privaat.web.console.access import STAFF_COOKIE

AMS = ZoneInfo("Europe/Amsterdam")
PRIVACY_MAILBOX = "euprivacy@flexibelt.nl"


def _filed(context: Context, kind: RequestKind = RequestKind.ACCESS) -> tuple[str, str]:
    person = customer(context)
    with context.unit_of_work() as uow:
        row, _created = context.requests.file_for(
            uow, person.principal, kind, channel=RequestChannel.API
        )
    return person.email, row.reference


def _watch(context: Context) -> list[tuple[str, str]]:
    with context.unit_of_work() as uow:
        run = context.watchdog.run(uow)
    return [(r.reference, r.reminder.value) for r in run.reminders] + [
        (a.reference, a.alert.value) for a in run.alerts
    ]


def _open_alerts(context: Context, reference: str) -> list[Alert]:
    with context.unit_of_work() as uow:
        return [a.alert for a in context.watchdog.open_alerts(uow).get(reference, ())]


def test_issue15_7_a_verified_request_not_started_in_two_working_days_is_alerted_once_by_smtp(
    context: Context, clock: FixedClock, smtp: tuple[Collector, int]
) -> None:
    collector, port = smtp
    email, reference = _filed(context)
    run_pass(context, port)
    collector.received.clear()
    # Thursday 26 November: Friday 27 and Monday 30 November are its two working days
    clock.current = datetime(2026, 11, 30, 22, 59, tzinfo=UTC)
    assert _watch(context) == []
    clock.current = datetime(2026, 12, 1, 0, 0, tzinfo=AMS)
    assert _watch(context) == [(reference, "stuck")]
    assert _watch(context) == []  # the hourly run again: nothing twice
    clock.advance(timedelta(hours=5))
    assert _watch(context) == []
    assert _open_alerts(context, reference) == [Alert.STUCK]

    report = run_pass(context, port)
    assert report.sent == 1
    [received] = collector.received
    assert received.rcpt_tos == [PRIVACY_MAILBOX]
    message = received.message
    assert message["Subject"] == f"Vastgelopen: privacyverzoek {reference}"
    body = body_of(message)
    stuck_since = format_datetime(
        datetime(2026, 12, 1, 0, 0, tzinfo=AMS), format="medium", tzinfo=AMS, locale="nl"
    )
    assert stuck_since in body and reference in body
    assert "28 december 2026" in body  # its due date
    assert f"/console/requests/{reference}" in body
    assert email not in body and email not in message["Subject"]  # nothing about the person


def test_issue15_7_L55_reminders_a_week_and_two_days_before_and_once_overdue(
    context: Context, clock: FixedClock
) -> None:
    _email, reference = _filed(context)
    with context.unit_of_work() as uow:  # started: no stuck alert for ten days
        context.requests.act(uow, OFFICER, reference, Action.START)

    def reminders() -> list[str]:
        return [what for ref, what in _watch(context) if ref == reference and what != "stuck"]

    clock.current = datetime(2026, 12, 20, 12, tzinfo=UTC)  # eight days left
    assert reminders() == []
    clock.current = datetime(2026, 12, 21, 12, tzinfo=UTC)  # a week
    assert reminders() == [Reminder.DUE_SOON.value]
    clock.current = datetime(2026, 12, 25, 12, tzinfo=UTC)  # three days: nothing new
    assert reminders() == []
    clock.current = datetime(2026, 12, 26, 12, tzinfo=UTC)  # two days
    assert reminders() == [Reminder.DUE_IN_2.value]
    clock.current = datetime(2026, 12, 28, 12, tzinfo=UTC)  # the due date itself
    assert reminders() == []
    clock.current = datetime(2026, 12, 29, 12, tzinfo=UTC)  # a day past it
    assert reminders() == [Reminder.OVERDUE.value]
    assert reminders() == []
    templates = [t for _id, t, _mail in context.outbox.pending() if t.startswith("request_")]
    assert templates.count("request_due_in_2") == 1 and templates.count("request_overdue") == 1


def test_issue15_7_a_step_ends_the_stay_and_a_new_stay_has_its_own_dwell(
    context: Context, clock: FixedClock
) -> None:
    _email, reference = _filed(context)
    clock.current = datetime(2026, 12, 2, 9, tzinfo=UTC)
    assert _watch(context) == [(reference, "stuck")]
    with context.unit_of_work() as uow:
        context.requests.act(uow, OFFICER, reference, Action.START)
    assert _open_alerts(context, reference) == []  # the verified stay is over
    clock.current = datetime(2026, 12, 12, 8, 59, tzinfo=UTC)
    assert _watch(context) == []
    clock.current = datetime(2026, 12, 12, 9, tzinfo=UTC)  # ten days in progress, no step
    assert _watch(context) == [(reference, "stuck")]
    with context.engine.connect() as connection:
        rows = connection.execute(
            select(request_alerts.c.status, request_alerts.c.since).order_by(request_alerts.c.id)
        ).all()
    assert [(r.status, r.since) for r in rows] == [
        ("verified", datetime(2026, 11, 30, 23, tzinfo=UTC)),
        ("in_progress", datetime(2026, 12, 12, 9, tzinfo=UTC)),
    ]


def test_issue15_7_L57_an_unconfirmed_request_the_expiry_job_missed_is_stuck(
    context: Context, clock: FixedClock
) -> None:
    with context.unit_of_work() as uow:
        receipt = context.requests.receive_mail(
            uow,
            b"From: iemand@example.nl\r\nSubject: inzage\r\n"
            b"Content-Type: text/plain\r\n\r\nGraag inzage in mijn gegevens.\r\n",
        )
    clock.advance(timedelta(days=7) - timedelta(seconds=1))
    assert _watch(context) == []
    clock.advance(timedelta(seconds=1))
    assert _watch(context) == [(receipt.reference, "stuck")]
    with context.unit_of_work() as uow:  # the expiry job runs after all: closed, watched no more
        assert context.requests.expire_unconfirmed(uow) == 1
    clock.advance(timedelta(days=60))
    assert _watch(context) == []


def test_issue15_7_an_erased_person_s_answered_request_not_closed_is_alerted_all_the_same(
    context: Context, clock: FixedClock
) -> None:
    _person, reference = started(context, RequestKind.ERASURE)
    with context.unit_of_work() as uow:
        context.rights.erase(uow, OFFICER, reference)  # completed, the data key destroyed
    clock.advance(timedelta(days=30))
    assert _watch(context) == [(reference, "stuck")]
    [mail] = [m for _id, t, m in context.outbox.pending() if t == "request_stuck"]
    assert mail.to == PRIVACY_MAILBOX and reference in mail.subject


def test_issue15_7_the_console_queue_says_since_when_a_request_is_stuck(
    console: TestClient, context: Context, clock: FixedClock
) -> None:
    _email, stuck = _filed(context)
    _email, fresh = _filed(context)
    with context.unit_of_work() as uow:
        context.requests.act(uow, OFFICER, fresh, Action.START)
    clock.current = datetime(2026, 12, 2, 9, tzinfo=UTC)
    assert _watch(context) == [(stuck, "stuck")]
    console.cookies.set(STAFF_COOKIE, staff_session(context, clock, StaffRole.PRIVACY_OFFICER))
    page = console.get("/console/requests")
    assert page.status_code == 200
    row = re.search(rf'<tr id="request-row-{stuck}"[^>]*>(.*?)</tr>', page.text, re.S)
    assert row and 'data-alert="stuck"' in row.group(1)
    # the end of Monday 30 November in Amsterdam, in the console's UTC
    assert "vastgelopen sinds 2026-11-30 23:00 UTC" in row.group(1)
    other = re.search(rf'<tr id="request-row-{fresh}"[^>]*>(.*?)</tr>', page.text, re.S)
    assert other and "data-alert" not in other.group(1)
    with context.unit_of_work() as uow:  # a step ends the stay, and the mark with it
        context.requests.act(uow, OFFICER, stuck, Action.START)
    assert "data-alert" not in console.get("/console/requests").text


class _Crash(BaseException):
    """The process dying: not an error anything catches."""


def test_issue15_7_a_request_erased_before_a_crash_can_still_be_extended_and_is_watched(
    context: Context, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by the stateful test: the person erased and the process dead before the request
    was completed (issue 16 item 3), an extension told the requester through the erased data
    key and failed (SubjectKeyMissing, a 500). The letter now goes to the address kept with
    the request, and the request, still open, is watched as any other."""
    person, reference = started(context, RequestKind.ERASURE)
    erase = Erasure.erase

    def erase_then_die(self: Erasure, *args: object, **kwargs: object) -> ErasureReport:
        erase(self, *args, **kwargs)  # type: ignore[arg-type]
        raise _Crash

    monkeypatch.setattr(Erasure, "erase", erase_then_die)
    with context.unit_of_work() as uow, pytest.raises(_Crash):
        context.rights.erase(uow, OFFICER, reference)
    monkeypatch.undo()
    with context.unit_of_work() as uow:
        context.requests.act(uow, OFFICER, reference, Action.EXTEND, reason="Back-ups", months=1)
    [letter] = [m for _id, t, m in context.outbox.pending() if t == "request_extended"]
    assert letter.to == person.email and reference in letter.subject
    clock.advance(timedelta(days=21))  # three weeks extended without a step
    assert _watch(context) == [(reference, "stuck")]
    with context.unit_of_work() as uow:  # the next attempt completes it, erasing nothing again
        context.rights.erase(uow, OFFICER, reference)
    assert _open_alerts(context, reference) == []


def test_issue15_7_a_manual_task_nobody_took_up_is_alerted_once_and_marked(
    tasked: Context, clock: FixedClock
) -> None:
    _person, reference = started(tasked, RequestKind.ERASURE)  # the archive's task: 10 days
    [task] = [t for t in _task_rows(tasked) if t[0] == "archive"]
    assert task[1].isoformat() == "2026-12-06"  # Thursday 26 November + 10 days
    clock.current = datetime(2026, 12, 6, 22, 59, tzinfo=UTC)  # the end of its due date
    assert _watch(tasked) == [(reference, "stuck")]  # ten days in progress without a step
    clock.current = datetime(2026, 12, 6, 23, 0, tzinfo=UTC)  # 7 December in Amsterdam
    assert _watch(tasked) == [(reference, "task_overdue")]
    assert _watch(tasked) == []
    with tasked.unit_of_work() as uow:
        alerts = {a.alert: a for a in tasked.watchdog.open_alerts(uow)[reference]}
    assert alerts[Alert.TASK_OVERDUE].store == "archive"
    [mail] = [m for _id, t, m in tasked.outbox.pending() if t == "request_task_overdue"]
    assert "archive" in mail.body and "6 december 2026" in mail.body
    assert reference in mail.subject and mail.to == PRIVACY_MAILBOX


def _task_rows(context: Context) -> list[tuple[str, object]]:
    with context.engine.connect() as connection:
        return [
            (r.system, r.due_on)
            for r in connection.execute(select(request_tasks.c.system, request_tasks.c.due_on))
        ]


def _failures(context: Context) -> list[tuple[str, str]]:
    with context.engine.connect() as connection:
        return [
            (r.store, r.operation)
            for r in connection.execute(
                select(request_store_failures.c.store, request_store_failures.c.operation)
            )
        ]


def test_issue15_7_a_store_that_refuses_is_recorded_alerted_once_and_cleared_by_the_answer(
    reach: Context, webmail: Webmail, clock: FixedClock
) -> None:
    _person, reference = started(
        reach, RequestKind.ACCESS, email=PERSON["email"], phone=PERSON["phone"]
    )
    webmail.fail_status = 503  # the real connector, against a store that refuses
    for _attempt in range(2):
        with reach.unit_of_work() as uow, pytest.raises(StoreUnavailable, match="webmail"):
            reach.answers.answer(uow, OFFICER, reference)
        clock.advance(timedelta(minutes=30))
    assert _failures(reach) == [("webmail", "access"), ("webmail", "access")]
    assert _watch(reach) == [(reference, "store_failing")]  # two failures, one alert
    assert _watch(reach) == []
    with reach.unit_of_work() as uow:
        [alert] = reach.watchdog.open_alerts(uow)[reference]
    assert (alert.alert, alert.store) == (Alert.STORE_FAILING, "webmail")
    [mail] = [m for _id, t, m in reach.outbox.pending() if t == "request_store_failing"]
    assert "webmail" in mail.body and reference in mail.subject
    assert PERSON["email"] not in mail.body

    webmail.fail_status = None  # the store answers again: the answer goes, the alert ends
    with reach.unit_of_work() as uow:
        reach.answers.answer(uow, OFFICER, reference)
    assert _open_alerts(reach, reference) == []


def test_issue15_7_an_erasure_a_store_fails_is_recorded_with_its_operation(
    reach: Context, webmail: Webmail
) -> None:
    _person, reference = started(
        reach, RequestKind.ERASURE, email=PERSON["email"], phone=PERSON["phone"]
    )
    webmail.fail_deletes = 503
    with reach.unit_of_work() as uow, pytest.raises(StoreUnavailable, match="503"):
        reach.rights.erase(uow, OFFICER, reference)
    assert _failures(reach) == [("webmail", "erasure")]
    assert _watch(reach) == [(reference, "store_failing")]


runner = CliRunner()


@pytest.mark.usefixtures("shell")
def test_issue15_7_the_job_prints_each_alert_once_and_names_the_mailbox() -> None:
    context = bootstrap(Settings())
    try:
        with context.unit_of_work() as uow:
            reference = context.requests.file_by_staff(
                uow,
                OFFICER,
                email="beller@example.nl",
                kind=RequestKind.ERASURE,
                text="Belde om alles te laten wissen.",
                identity_check="klantnummer en geboortedatum genoemd",
            ).reference
        with context.engine.begin() as connection:  # as if verified a week ago
            connection.execute(
                update(subject_requests)
                .where(subject_requests.c.reference == reference)
                .values(status_since=context.clock.now() - timedelta(days=7))
            )
    finally:
        context.close()
    first = runner.invoke(app, ["jobs", "request-watchdog"])
    assert first.exit_code == 0, first.output
    lines = first.output.strip().splitlines()
    assert lines[0].split("\t")[:3] == [reference, "stuck", "verified"]
    assert lines[-1] == f"queued 0 reminder(s) and 1 alert(s) to {PRIVACY_MAILBOX}"
    assert "beller@example.nl" not in first.output
    again = runner.invoke(app, ["jobs", "request-watchdog"])
    assert again.exit_code == 0
    assert again.output.strip() == f"queued 0 reminder(s) and 0 alert(s) to {PRIVACY_MAILBOX}"
