"""The reminder the privacy officer gets before a request falls due, and once it is overdue
(issue 11 item 3; GDPR art. 12(3); LEGAL L55).

Pure: the words in the policy's first language, from the catalogue; the service queues them.
The reminder names the request by its reference, its kind and its dates only: nothing about
the person, so it can go to a shared privacy mailbox.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from babel.dates import format_date

from privaat.domain.subject_requests import ARTICLES, RequestKind
from privaat.i18n import N_, translations
from privaat.mail.transport import OutgoingMail
from privaat.policy.schema import Policy

__all__ = ["describe_kind", "reminder_letter"]


def reminder_letter(
    policy: Policy,
    *,
    lang: str,
    reference: str,
    kind: RequestKind,
    due_on: date,
    days_left: int,
    link: str,
) -> OutgoingMail:
    """The reminder of a request due in ``days_left`` days (negative: overdue)."""
    _ = translations(lang).gettext
    ngettext = translations(lang).ngettext
    due = format_date(due_on, format="long", locale=lang)
    if days_left < 0:
        subject = _("Overdue: privacy request {reference}").format(reference=reference)
        when = ngettext(
            "The request {reference} was due on {due}, {days} day ago.",
            "The request {reference} was due on {due}, {days} days ago.",
            -days_left,
        ).format(reference=reference, due=due, days=-days_left)
    else:
        subject = _("Due soon: privacy request {reference}").format(reference=reference)
        when = ngettext(
            "The request {reference} is due on {due}, in {days} day.",
            "The request {reference} is due on {due}, in {days} days.",
            days_left,
        ).format(reference=reference, due=due, days=days_left)
    body = "\n\n".join(
        (
            when,
            _("It asks for: {kind}.").format(kind=describe_kind(kind, _)),
            # art. 12(3): an extension must be told within the first month, with reasons
            _(
                "Answer it, or extend it with reasons while the first month runs, "
                "in the console: {link}"
            ).format(link=link),
            policy.controller.name,
        )
    )
    return OutgoingMail(to=policy.privacy_contact.email, subject=subject, body=body)


# the rights as staff name them (msgids: privaat.i18n)
_KINDS = {
    RequestKind.ACCESS: N_("access"),
    RequestKind.RECTIFICATION: N_("rectification"),
    RequestKind.ERASURE: N_("erasure"),
    RequestKind.RESTRICTION: N_("restriction"),
    RequestKind.PORTABILITY: N_("portability"),
    RequestKind.OBJECTION: N_("objection"),
    RequestKind.UNCLEAR: N_("not yet classified"),
}


def describe_kind(kind: RequestKind, _: Callable[[str], str]) -> str:
    """The right asked for, with its article, in the words of ``_``."""
    article = ARTICLES.get(kind)
    words = _(_KINDS[kind])
    return (
        _("{right} (GDPR art. {article})").format(right=words, article=article)
        if article
        else words
    )
