"""The alert the privacy officer gets when a request is stuck, or a store outside privaat
keeps failing it (issue 15 item 7; GDPR art. 12(3); LEGAL L55).

Pure: the words in the policy's first language, from the catalogue; the watchdog queues
them. Like the due-date reminders (mail.request_reminders) the alert names the request by
its reference, its kind, its status and its dates only, and a store by its id: nothing about
the person, so it can go to a shared privacy mailbox.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo

from babel.dates import format_date, format_datetime

from privaat.domain.request_dwell import Alert
from privaat.domain.subject_requests import RequestKind, RequestStatus
from privaat.i18n import N_, translations
from privaat.mail.request_reminders import describe_kind
from privaat.mail.transport import OutgoingMail
from privaat.policy.schema import Policy

__all__ = ["STATUS_WORDS", "watchdog_letter"]

# a request's status as the alert names it (msgids shared with the console's words)
STATUS_WORDS = {
    RequestStatus.RECEIVED: N_("received, not confirmed"),
    RequestStatus.VERIFIED: N_("confirmed"),
    RequestStatus.IN_PROGRESS: N_("in progress"),
    RequestStatus.EXTENDED: N_("extended"),
    RequestStatus.COMPLETED: N_("completed"),
    RequestStatus.REFUSED: N_("refused"),
    RequestStatus.CLOSED: N_("closed"),
}


def watchdog_letter(
    policy: Policy,
    *,
    lang: str,
    zone: tzinfo,
    alert: Alert,
    reference: str,
    kind: RequestKind,
    status: RequestStatus,
    since: datetime,
    entered_at: datetime,
    due_on: date,
    store: str | None,
    link: str,
) -> OutgoingMail:
    """The alert of a STUCK request, or of one a store failed (STORE_FAILING)."""
    _ = translations(lang).gettext

    def at(moment: datetime) -> str:
        return format_datetime(moment, format="medium", tzinfo=zone, locale=lang)

    words = _(STATUS_WORDS[status])
    if alert is Alert.STORE_FAILING:
        subject = _("Store failing: privacy request {reference}").format(reference=reference)
        what = _(
            "The store {store} failed the request {reference} on {at}; the request stays "
            "{status} until the step is taken again and the store answers."
        ).format(store=store or "?", reference=reference, at=at(since), status=words)
    elif alert is Alert.TASK_OVERDUE:
        subject = _("Task overdue: privacy request {reference}").format(reference=reference)
        what = _(
            "The manual task {system} of the request {reference} was due on {due} and is "
            "still open: nobody did it or waived it."
        ).format(
            system=store or "?",
            reference=reference,
            due=format_date(since.astimezone(zone).date() - timedelta(days=1), "long", lang),
        )
    else:
        subject = _("Stuck: privacy request {reference}").format(reference=reference)
        what = _(
            "The request {reference} is {status} since {entered}: stuck since {since}, "
            "longer than a request may wait in this status."
        ).format(reference=reference, status=words, entered=at(entered_at), since=at(since))
    due = format_date(due_on, format="long", locale=lang)
    body = "\n\n".join(
        part
        for part in (
            what,
            _("It asks for: {kind}.").format(kind=describe_kind(kind, _)),
            _("It is due on {due}.").format(due=due) if status.open else "",
            _("Take the next step in the console: {link}").format(link=link),
            policy.controller.name,
        )
        if part
    )
    return OutgoingMail(to=policy.privacy_contact.email, subject=subject, body=body)
