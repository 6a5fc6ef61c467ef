"""Reminders before a request falls due, and once it is overdue (issue 11 item 3; GDPR art.
12(3); LEGAL L55): to the privacy contact, once per due date, naming nothing but the request."""

from __future__ import annotations

from datetime import timedelta

from tests.factories import customer

from privaat.bootstrap import Context
from privaat.domain.principal import StaffMember, StaffRole
from privaat.domain.subject_requests import Action, RequestKind
from privaat.mail.transport import OutgoingMail
from privaat.services.request_reminders import Reminder
from privaat.services.subject_requests import RequestChannel

OFFICER = StaffMember(1, StaffRole.PRIVACY_OFFICER)
PRIVACY_MAILBOX = "euprivacy@flexibelt.nl"


def _filed(context: Context) -> tuple[str, str]:
    person = customer(context)
    with context.unit_of_work() as uow:
        row, _created = context.requests.file_for(
            uow, person.principal, RequestKind.ACCESS, channel=RequestChannel.API
        )
    return person.email, row.reference


def _days_later(context: Context, days: int) -> None:
    context.clock.advance(timedelta(days=days))  # type: ignore[attr-defined]


def _remind(context: Context) -> list[tuple[str, Reminder]]:
    with context.unit_of_work() as uow:
        return [(sent.reference, sent.reminder) for sent in context.reminders.remind(uow)]


def _reminders(context: Context) -> list[OutgoingMail]:
    return [mail for _id, t, mail in context.outbox.pending() if t.startswith("request_due")]


def _overdue_mails(context: Context) -> list[OutgoingMail]:
    return [mail for _id, t, mail in context.outbox.pending() if t == "request_overdue"]


def test_L55_a_week_before_the_due_date_the_privacy_contact_is_reminded_once(
    context: Context,
) -> None:
    email, reference = _filed(context)  # Thursday 26 November 2026: due Monday 28 December
    _days_later(context, 24)  # 20 December: eight days left
    assert _remind(context) == []
    _days_later(context, 1)  # 21 December: a week left
    assert _remind(context) == [(reference, Reminder.DUE_SOON)]
    assert _remind(context) == []  # the job runs again: nothing twice
    [mail] = _reminders(context)
    assert mail.to == PRIVACY_MAILBOX
    assert reference in mail.subject and reference in mail.body
    assert "28 december 2026" in mail.body  # the policy's first language: Dutch
    assert "over 7 dagen" in mail.body
    assert f"/console/requests/{reference}" in mail.body
    assert "art. 15" in mail.body
    assert email not in mail.body and email not in mail.subject  # nothing about the person


def test_L55_an_overdue_request_is_reminded_again_as_overdue_once(context: Context) -> None:
    _email, reference = _filed(context)
    _days_later(context, 25)
    _remind(context)
    _days_later(context, 8)  # 29 December: a day past the due date
    assert _remind(context) == [(reference, Reminder.OVERDUE)]
    assert _remind(context) == []
    [mail] = _overdue_mails(context)
    assert "1 dag geleden" in mail.body and reference in mail.subject


def test_L55_an_extension_moves_the_date_and_earns_reminders_for_the_new_one(
    context: Context,
) -> None:
    _email, reference = _filed(context)
    _days_later(context, 25)  # 21 December
    assert _remind(context) == [(reference, Reminder.DUE_SOON)]
    with context.unit_of_work() as uow:
        context.requests.act(uow, OFFICER, reference, Action.START)
        context.requests.act(
            uow, OFFICER, reference, Action.EXTEND, reason="Veel systemen", months=2
        )
    assert _remind(context) == []  # due 26 February 2027 now: far off
    _days_later(context, 60)  # 19 February 2027: a week before the new date
    assert _remind(context) == [(reference, Reminder.DUE_SOON)]
    assert "26 februari 2027" in _reminders(context)[-1].body


def test_L57_an_unverified_request_gets_no_reminder_it_expires_instead(context: Context) -> None:
    with context.unit_of_work() as uow:
        context.requests.receive_mail(
            uow,
            b"From: iemand@example.nl\r\nSubject: inzage\r\n"
            b"Content-Type: text/plain\r\n\r\nGraag inzage in mijn gegevens.\r\n",
        )
    _days_later(context, 40)
    assert _remind(context) == []


def test_L55_a_completed_or_refused_request_gets_no_reminder(context: Context) -> None:
    _email, done = _filed(context)
    with context.unit_of_work() as uow:
        context.requests.act(uow, OFFICER, done, Action.START)
        context.requests.act(uow, OFFICER, done, Action.REFUSE, reason="Kennelijk ongegrond")
    _days_later(context, 40)
    assert _remind(context) == []
